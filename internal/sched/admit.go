package sched

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/parrun/parrun/internal/throttle"
)

// DefaultGateTick is how often a throttled run looks at the machine again
// while jobs wait or run.
const DefaultGateTick = 250 * time.Millisecond

// A Level changes how many jobs run at once while a run goes (-j FILE,
// -j auto); Options.Slots is then its ceiling.
type Level interface {
	// Start is the level before any job has run.
	Start() int
	// Tick is called every gate tick with what the run did since the
	// last call, and returns how many jobs may run at once now.
	Tick(t Tally) int
}

// Throttle is what holds a run back, for the display.
type Throttle struct {
	// Held says why starts are held back now ("memory 180 MiB free <
	// 1 GiB"); "" when they are not.
	Held string
	// Level is how many jobs may run at once when -j moves; 0 when not.
	Level int
}

// Tally is what a run did over one gate tick.
type Tally struct {
	Elapsed           time.Duration
	Completed, Failed int
	// Running is how many jobs were running at the tick; Held says a gate
	// held a start back during it.
	Running int
	Held    bool
}

// errRequeued is the cause an attempt is cancelled with when a gate
// wants memory back (--memfree below half, --limit exit 2): its job runs
// again later, and the attempt does not count as a try.
var errRequeued = errors.New("stopped to free memory: it will run again")

// admission is the door every job passes to start when the run is
// throttled (Options.Gate, Options.Level): how many may run now, what the
// gates say, and the attempts running, oldest first, that a gate may
// stop or suspend. Its monitor goroutine looks again every tick.
type admission struct {
	r    *run
	gate throttle.Gate
	lvl  Level
	tick time.Duration

	checkMu sync.Mutex // one Check at a time
	mu      sync.Mutex
	limit   int
	holding int // jobs admitted and not yet finished
	live    []*liveAttempt
	wake    chan struct{} // a job finished, or the limit rose
	held    string        // why starts are held back now
	tally   Tally
	last    time.Time
}

// liveAttempt is one attempt running under an admission.
type liveAttempt struct {
	seq       int64
	cancel    context.CancelCauseFunc
	signals   chan syscall.Signal
	suspended bool
	requeue   bool // may be stopped and run again (not a --round-robin stream)
	stopping  bool // stopYoungest chose it: it is on its way out
}

func newAdmission(r *run) *admission {
	a := &admission{r: r, gate: r.opts.Gate, lvl: r.opts.Level, tick: r.opts.GateTick, wake: make(chan struct{}, 1), limit: r.parallel()}
	if a.tick <= 0 {
		a.tick = DefaultGateTick
	}
	if a.lvl != nil {
		a.limit = min(max(a.lvl.Start(), 1), r.parallel())
	}
	if f, ok := a.lvl.(*FileLevel); ok && f.Notify == nil {
		f.Notify = r.opts.Notify
	}
	a.last = time.Now()
	return a
}

// enter waits until a job may start: fewer than the limit hold a place
// and the gate says start; the job then holds a place. It returns false,
// holding nothing, once ctx is done first.
func (a *admission) enter(ctx context.Context) bool { return a.await(ctx, false) }

// reenter waits until the gate lets a job that holds a place already
// start again (one stopped to free memory). It returns false once ctx is
// done first; the place is still held.
func (a *admission) reenter(ctx context.Context) bool { return a.await(ctx, true) }

func (a *admission) await(ctx context.Context, holds bool) bool {
	t := time.NewTimer(a.tick)
	defer t.Stop()
	for {
		a.mu.Lock()
		room := holds || a.holding < a.limit
		a.mu.Unlock()
		if room {
			v := a.check()
			if v.Action == throttle.Start {
				a.mu.Lock()
				if !holds {
					a.holding++
				}
				a.mu.Unlock()
				a.setHeld("")
				return true
			}
			a.setHeld(v.Why)
		}
		select {
		case <-a.wake:
		case <-t.C:
			t.Reset(a.tick)
		case <-ctx.Done():
			return false
		}
	}
}

// leave gives a place back as its job finishes.
func (a *admission) leave(failed bool) {
	a.mu.Lock()
	a.holding--
	a.tally.Completed++
	if failed {
		a.tally.Failed++
	}
	a.mu.Unlock()
	a.signal()
}

// giveBack gives up the place of a job that never started.
func (a *admission) giveBack() {
	a.mu.Lock()
	a.holding--
	a.mu.Unlock()
	a.signal()
}

func (a *admission) signal() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// check asks the gate, if any.
func (a *admission) check() throttle.Verdict {
	if a.gate == nil {
		return throttle.Go
	}
	a.checkMu.Lock()
	defer a.checkMu.Unlock()
	return a.gate.Check()
}

// setHeld records why starts are held back ("" when they are not) and
// tells the display when that changes.
func (a *admission) setHeld(why string) {
	a.mu.Lock()
	changed := a.held != why
	a.held = why
	if why != "" {
		a.tally.Held = true
	}
	a.mu.Unlock()
	if changed {
		a.tell()
	}
}

// tell gives the display what holds the run back now.
func (a *admission) tell() {
	if a.r.opts.Throttled == nil {
		return
	}
	a.mu.Lock()
	t := Throttle{Held: a.held}
	if a.lvl != nil {
		t.Level = a.limit
	}
	a.mu.Unlock()
	a.r.opts.Throttled(t)
}

// add registers a running attempt of job seq: the gate may stop it with
// cancel (errRequeued) when requeue is set, or suspend it through the
// signals it returns.
func (a *admission) add(seq int64, cancel context.CancelCauseFunc, requeue bool) *liveAttempt {
	l := &liveAttempt{seq: seq, cancel: cancel, signals: make(chan syscall.Signal, 4), requeue: requeue}
	a.mu.Lock()
	a.live = append(a.live, l)
	a.mu.Unlock()
	return l
}

func (a *admission) remove(l *liveAttempt) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if i := slices.Index(a.live, l); i >= 0 {
		a.live = slices.Delete(a.live, i, i+1)
	}
}

// monitor looks at the machine every tick until stop is closed: it stops
// or suspends the youngest jobs when the gate says so, and moves the
// level.
func (a *admission) monitor(stop <-chan struct{}) {
	if a.lvl != nil {
		a.tell() // the level from the start
	}
	t := time.NewTicker(a.tick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			a.step(now)
		}
	}
}

// step is one tick of the monitor.
func (a *admission) step(now time.Time) {
	a.mu.Lock()
	busy := len(a.live) > 0
	a.mu.Unlock()
	if a.gate != nil && busy {
		v := a.check()
		if v.Action == throttle.Kill {
			a.stopYoungest(v.Why)
		}
		a.suspend(v.Run)
	}
	if a.lvl == nil {
		return
	}
	a.mu.Lock()
	tl := a.tally
	tl.Elapsed, tl.Running = now.Sub(a.last), a.holding
	a.tally, a.last = Tally{}, now
	a.mu.Unlock()
	n := min(max(a.lvl.Tick(tl), 1), a.r.parallel())
	a.mu.Lock()
	rose, moved := n > a.limit, n != a.limit
	a.limit = n
	a.mu.Unlock()
	if rose {
		a.signal()
	}
	if moved {
		a.tell()
	}
}

// stopYoungest stops the youngest running job that can run again, to
// free memory; never the last one running, which would only start again
// into the same shortage, and none while an earlier one is still ending.
func (a *admission) stopYoungest(why string) {
	a.mu.Lock()
	var victim *liveAttempt
	// One at a time: while a stopped job is on its way out, the memory it
	// frees is not free yet, and the gate would stop another for nothing.
	if len(a.live) > 1 && !slices.ContainsFunc(a.live, func(l *liveAttempt) bool { return l.stopping }) {
		for _, l := range slices.Backward(a.live) {
			if l.requeue {
				victim = l
				victim.stopping = true
				break
			}
		}
	}
	a.mu.Unlock()
	if victim == nil {
		return
	}
	if a.r.opts.Notify != nil {
		a.r.opts.Notify(fmt.Sprintf("%s: stopping job %d, the youngest, to run it again later", why, victim.seq))
	}
	victim.cancel(errRequeued)
}

// suspend leaves the oldest n jobs running and stops the rest (SIGSTOP to
// their process groups), or resumes every stopped one when n < 0.
func (a *admission) suspend(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, l := range a.live {
		want := n >= 0 && i >= n
		if want == l.suspended {
			continue
		}
		sig := syscall.SIGCONT
		if want {
			sig = syscall.SIGSTOP
		}
		select {
		case l.signals <- sig:
			l.suspended = want
		default: // the attempt is ending; the next tick tries again
		}
	}
}
