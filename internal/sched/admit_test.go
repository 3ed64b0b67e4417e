package sched

import (
	"context"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/throttle"
)

// fakeGate says what the test tells it to, and counts its checks. A Kill
// is said once, then holdBack: like memory that a stopped job gave back,
// but not enough to start another.
type fakeGate struct {
	mu     sync.Mutex
	v      throttle.Verdict
	checks atomic.Int64
}

func (g *fakeGate) set(v throttle.Verdict) {
	g.mu.Lock()
	g.v = v
	g.mu.Unlock()
}

func (g *fakeGate) Check() throttle.Verdict {
	g.checks.Add(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	v := g.v
	if v.Action == throttle.Kill {
		g.v = holdBack
	}
	return v
}

// waitChecks waits until the gate has been asked n more times: the
// scheduler has looked at it again since the test changed something.
func (g *fakeGate) waitChecks(t *testing.T, n int64) {
	t.Helper()
	from := g.checks.Load()
	waitFor(t, "gate checks", func() bool { return g.checks.Load() >= from+n })
}

var (
	holdBack = throttle.Verdict{Action: throttle.Wait, Why: "memory 1 MiB free < 1 GiB", Run: -1}
	stopOne  = throttle.Verdict{Action: throttle.Kill, Why: "memory 1 MiB free < half of --memfree 1 GiB", Run: -1}
)

// blockingTransport runs each attempt until released or cancelled, and
// records the attempts, each with the signals it was sent.
type blockingTransport struct {
	mu       sync.Mutex
	started  map[int64]int // attempts by job
	running  int
	peak     int
	release  chan struct{}
	cancels  atomic.Int64
	signals  map[int64][]syscall.Signal
	notified chan int64 // each attempt's job as it starts
}

func newBlocking() *blockingTransport {
	return &blockingTransport{started: map[int64]int{}, signals: map[int64][]syscall.Signal{},
		release: make(chan struct{}), notified: make(chan int64, 100)}
}

func (b *blockingTransport) Run(ctx context.Context, t *Task) *exec.Result {
	b.mu.Lock()
	b.started[t.Job.Seq]++
	b.running++
	b.peak = max(b.peak, b.running)
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.running--
		b.mu.Unlock()
	}()
	b.notified <- t.Job.Seq
	for {
		select {
		case <-b.release:
			return ok()
		case sig := <-t.Signals:
			b.mu.Lock()
			b.signals[t.Job.Seq] = append(b.signals[t.Job.Seq], sig)
			b.mu.Unlock()
		case <-ctx.Done():
			b.cancels.Add(1)
			return &exec.Result{ExitCode: 143, Signal: syscall.SIGTERM, Killed: true, Start: time.Now()}
		}
	}
}

// startInOrder lets n jobs start one after another, so that job 1 is the
// oldest and job n the youngest: the level rises by one only once the
// job before has started.
func (b *blockingTransport) startInOrder(t *testing.T, lvl *fakeLevel, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		if seq := recv(t, "a start", b.notified); seq != int64(i) {
			t.Fatalf("job %d started as number %d", seq, i)
		}
		lvl.n.Store(int64(i + 1))
	}
}

func (b *blockingTransport) startedOf(seq int64) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.started[seq]
}

// TestGateHoldsStarts: while the gate says wait, no job starts, in every
// pool; once it says start, every job runs once.
func TestGateHoldsStarts(t *testing.T) {
	for _, mode := range []Mode{ModeThread, ModeCoroutine} {
		t.Run(string(mode), func(t *testing.T) {
			g := &fakeGate{v: holdBack}
			var held []string
			var mu sync.Mutex
			tr := newBlocking()
			close(tr.release)
			opts := Options{Slots: 2, Concurrency: 2, Mode: mode, QueueSize: -1, Gate: g, GateTick: time.Millisecond,
				Throttled: func(th Throttle) { mu.Lock(); held = append(held, th.Held); mu.Unlock() }}
			ch := startRun(t, context.Background(), opts, &genSource{total: 5}, tr, &recSink{})
			g.waitChecks(t, 20)
			if n := tr.startedOf(1); n != 0 {
				t.Fatalf("job 1 started %d times while the gate said wait", n)
			}
			g.set(throttle.Go)
			st, err := wait(t, ch)
			if err != nil || st.Jobs != 5 || st.Failed != 0 {
				t.Fatalf("Run = %+v, %v; want 5 jobs, none failed", st, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(held) < 2 || held[0] != holdBack.Why || held[len(held)-1] != "" {
				t.Errorf("Throttled got %q; want the reason, then \"\" once starts went on", held)
			}
		})
	}
}

// TestGateStopsYoungest: a Kill verdict stops the youngest running job,
// which waits for the gate and runs again; the stopped attempt does not
// count, and every job is reported once, successful (issue 17: --memfree
// below half). The last job running is never stopped.
func TestGateStopsYoungest(t *testing.T) {
	g := &fakeGate{v: throttle.Go}
	tr := newBlocking()
	var notes atomic.Int64
	sink := &recSink{}
	lvl := &fakeLevel{}
	lvl.n.Store(1)
	opts := Options{Slots: 3, QueueSize: -1, Gate: g, Level: lvl, GateTick: time.Millisecond, Notify: func(string) { notes.Add(1) }}
	ch := startRun(t, context.Background(), opts, &genSource{total: 4}, tr, sink)
	tr.startInOrder(t, lvl, 3)
	// Jobs 1, 2, 3 run; 3 is the youngest.
	g.set(stopOne)
	waitFor(t, "a job stopped", func() bool { return tr.cancels.Load() >= 1 })
	g.waitChecks(t, 10)
	if tr.startedOf(3) != 1 || tr.startedOf(4) != 0 {
		t.Fatalf("started: job 3 %d times, job 4 %d; want 1 and 0 while the gate says wait", tr.startedOf(3), tr.startedOf(4))
	}
	if tr.cancels.Load() != 1 {
		t.Fatalf("%d jobs stopped; want only the youngest", tr.cancels.Load())
	}
	g.set(throttle.Go)
	recv(t, "the stopped job's second start", tr.notified)
	close(tr.release)
	st, err := wait(t, ch)
	if err != nil || st.Jobs != 4 || st.Failed != 0 {
		t.Fatalf("Run = %+v, %v; want 4 jobs, none failed", st, err)
	}
	if tr.startedOf(3) != 2 {
		t.Errorf("job 3 started %d times; want 2 (stopped, then run again)", tr.startedOf(3))
	}
	for _, d := range sink.done {
		if d.Attempts != 1 {
			t.Errorf("job %d: %d attempts; want 1 (a stop to free memory is no try)", d.Job.Seq, d.Attempts)
		}
	}
	if notes.Load() != 1 {
		t.Errorf("%d notices; want one saying which job was stopped", notes.Load())
	}
}

// TestGateSparesLastJob: with one job running, Kill stops nothing.
func TestGateSparesLastJob(t *testing.T) {
	g := &fakeGate{v: throttle.Go}
	tr := newBlocking()
	ch := startRun(t, context.Background(), Options{Slots: 2, QueueSize: -1, Gate: g, GateTick: time.Millisecond}, &genSource{total: 1}, tr, &recSink{})
	recv(t, "the start", tr.notified)
	for range 5 {
		g.set(stopOne)
		g.waitChecks(t, 2)
	}
	close(tr.release)
	st, err := wait(t, ch)
	if err != nil || st.Failed != 0 || tr.cancels.Load() != 0 {
		t.Fatalf("Run = %+v, %v, %d stopped; want the last job left running", st, err, tr.cancels.Load())
	}
}

// TestGateSuspends: Run: 1 stops (SIGSTOP) all but the oldest running
// job; Run: -1 resumes them (SIGCONT) (--memsuspend).
func TestGateSuspends(t *testing.T) {
	g := &fakeGate{v: throttle.Go}
	tr := newBlocking()
	lvl := &fakeLevel{}
	lvl.n.Store(1)
	ch := startRun(t, context.Background(), Options{Slots: 3, QueueSize: -1, Gate: g, Level: lvl, GateTick: time.Millisecond}, &genSource{total: 3}, tr, &recSink{})
	tr.startInOrder(t, lvl, 3)
	g.set(throttle.Verdict{Action: throttle.Wait, Why: "low", Run: 1})
	sigsOf := func(seq int64) []syscall.Signal {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		return append([]syscall.Signal(nil), tr.signals[seq]...)
	}
	waitFor(t, "two jobs stopped", func() bool { return len(sigsOf(2)) == 1 && len(sigsOf(3)) == 1 })
	g.set(throttle.Go)
	waitFor(t, "two jobs resumed", func() bool { return len(sigsOf(2)) == 2 && len(sigsOf(3)) == 2 })
	close(tr.release)
	if _, err := wait(t, ch); err != nil {
		t.Fatal(err)
	}
	if s := sigsOf(1); len(s) != 0 {
		t.Errorf("the oldest job got %v; want no signal", s)
	}
	for _, seq := range []int64{2, 3} {
		if s := sigsOf(seq); s[0] != syscall.SIGSTOP || s[1] != syscall.SIGCONT {
			t.Errorf("job %d got %v; want STOP then CONT", seq, s)
		}
	}
}

// fakeLevel moves -j as the test says.
type fakeLevel struct{ n atomic.Int64 }

func (l *fakeLevel) Start() int     { return int(l.n.Load()) }
func (l *fakeLevel) Tick(Tally) int { return int(l.n.Load()) }

// TestLevelMoves: a Level bounds how many jobs run at once, and a rise
// lets more start at once, up to Slots.
func TestLevelMoves(t *testing.T) {
	lvl := &fakeLevel{}
	lvl.n.Store(1)
	tr := newBlocking()
	var levels []int
	var mu sync.Mutex
	opts := Options{Slots: 3, QueueSize: -1, Level: lvl, GateTick: time.Millisecond,
		Throttled: func(th Throttle) { mu.Lock(); levels = append(levels, th.Level); mu.Unlock() }}
	ch := startRun(t, context.Background(), opts, &genSource{total: 6}, tr, &recSink{})
	recv(t, "the first start", tr.notified)
	lvl.n.Store(10) // above Slots: 3 at most
	recv(t, "a second start", tr.notified)
	recv(t, "a third start", tr.notified)
	close(tr.release)
	st, err := wait(t, ch)
	if err != nil || st.Jobs != 6 {
		t.Fatalf("Run = %+v, %v; want 6 jobs", st, err)
	}
	if tr.peak != 3 {
		t.Errorf("peak %d jobs at once; want 3 (Slots)", tr.peak)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(levels) < 2 || levels[0] != 1 || levels[len(levels)-1] != 3 {
		t.Errorf("Throttled levels %v; want 1 first, 3 last", levels)
	}
}

// TestLevelBounds: with the level at 1, one job runs at a time.
func TestLevelBounds(t *testing.T) {
	lvl := &fakeLevel{}
	lvl.n.Store(1)
	tr := newBlocking()
	ch := startRun(t, context.Background(), Options{Slots: 4, QueueSize: -1, Level: lvl, GateTick: time.Millisecond}, &genSource{total: 3}, tr, &recSink{})
	recv(t, "the first start", tr.notified)
	select {
	case seq := <-tr.notified:
		t.Fatalf("job %d started beside job 1 at level 1", seq)
	case <-time.After(50 * time.Millisecond): // a start would come at once: 50 ticks
	}
	close(tr.release)
	if _, err := wait(t, ch); err != nil {
		t.Fatal(err)
	}
	if tr.peak != 1 {
		t.Errorf("peak %d at once; want 1", tr.peak)
	}
}

// TestStopYoungestOneAtATime: while the job it stopped is still ending,
// a gate that goes on saying kill stops no other job, and says nothing.
func TestStopYoungestOneAtATime(t *testing.T) {
	var notes []string
	a := &admission{r: &run{opts: Options{Notify: func(s string) { notes = append(notes, s) }}}}
	var cancelled []int64
	for seq := int64(1); seq <= 3; seq++ {
		a.add(seq, func(error) { cancelled = append(cancelled, seq) }, true)
	}
	for range 5 {
		a.stopYoungest("memory low")
	}
	if len(cancelled) != 1 || cancelled[0] != 3 || len(notes) != 1 {
		t.Fatalf("stopped %v with notices %q; want job 3 alone, said once", cancelled, notes)
	}
	a.remove(a.live[2]) // job 3 has ended
	a.stopYoungest("memory low")
	if len(cancelled) != 2 || cancelled[1] != 2 {
		t.Fatalf("after job 3 ended: stopped %v; want job 2 next", cancelled)
	}
	a.remove(a.live[1])
	a.stopYoungest("memory low")
	if len(cancelled) != 2 {
		t.Fatalf("with job 1 alone: stopped %v; want the last job spared", cancelled)
	}
}
