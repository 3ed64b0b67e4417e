// Package sched owns the flow of jobs from input to results: the bounded
// read-ahead queue that gives back-pressure, the pools that run jobs in
// each mode, retries, --delay and --halt, the order results are handed on
// in, and cancellation through one context whose cause says why (SPEC §3,
// §6).
//
// A run is four parts joined in Run:
//
//	queue (queue.go) → pool (pool.go) → collector (collect.go) → sink
//	  read-ahead        fixed runners,      fifo slots, reorder,
//	  --order           or one per job      or as jobs finish
//
// The reader fills the queue; the dispatcher (the goroutine that called
// Run) takes jobs from it and hands them to the pool; the pool's runners
// run each job's attempts (attempt.go) and give the result to the
// collector, whose one goroutine hands results to the sink. Run returns
// only when all of them have exited and every job process they started
// has been reaped.
package sched

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parrun/parrun/internal/job"
	"github.com/parrun/parrun/internal/throttle"
)

// Mode is how jobs run (SPEC §3, --mode).
type Mode string

// The modes.
const (
	// ModeThread runs jobs from a fixed pool of Slots goroutines.
	ModeThread Mode = "thread"
	// ModeCoroutine runs each job on a goroutine of its own, Concurrency
	// at once, on Slots OS threads.
	ModeCoroutine Mode = "coroutine"
	// ModeProcess is ModeThread over a Process transport: each slot's
	// jobs run in a worker process.
	ModeProcess Mode = "process"
)

// ParseMode checks a --mode value; "" is ModeThread.
func ParseMode(s string) (Mode, error) {
	return parseChoice("--mode", s, ModeThread, ModeProcess, ModeCoroutine)
}

// parseChoice returns s as one of the choices a flag takes, the first
// when s is "".
func parseChoice[T ~string](flag, s string, choices ...T) (T, error) {
	if s == "" {
		return choices[0], nil
	}
	var names []string
	for _, c := range choices {
		if string(c) == s {
			return c, nil
		}
		names = append(names, string(c))
	}
	return "", fmt.Errorf("%s %q: want %s or %s", flag, s, strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

// Tuning knobs.
const (
	// queueFactor × Slots is the default read-ahead window.
	queueFactor = 4
	// DefaultConcurrency is coroutine mode's default --concurrency.
	DefaultConcurrency = 1024
)

// Options configure a run. The zero value is not useful: Slots and
// Template (or jobs carrying their own commands) are needed.
type Options struct {
	// Slots is how many jobs run at once (-j) in thread and process mode:
	// each running job has a slot, {%}, from 1. In coroutine mode it is
	// how many OS threads run Go code at once, and Concurrency is how many
	// jobs run.
	Slots int
	// QueueSize is the read-ahead window: how many jobs are read before
	// they run. Negative means queueFactor×Slots. 0 means the whole input
	// is read before the first job starts.
	QueueSize int
	// KeepOrder hands results to the sink in input order (-k).
	KeepOrder bool
	// Delay is the pause between job starts (--delay).
	Delay time.Duration
	// Template builds the command of jobs that do not carry their own.
	Template *job.Template
	// Env is the environment every job inherits; nil means parrun's own.
	Env []string
	// Export are the NAME=value entries of Env that GNU's --env names:
	// they are also the jobs' own, so they reach workers on other
	// machines (SPEC §8).
	Export []string
	// Dir is the working directory of jobs that do not name their own
	// (GNU's --workdir); "" inherits parrun's.
	Dir string
	// Nice runs every job under nice(1) -n Nice (GNU's --nice); 0 does not.
	Nice int
	// Timeout is the per-job time-out; 0 means none.
	Timeout time.Duration
	// TimeoutPct, when positive, times jobs out relative to the others
	// (GNU's --timeout N%, as the fraction N/100): at that fraction of
	// the median run time of the jobs that succeeded so far (relTimeout).
	TimeoutPct float64
	// DryRun reports each job without running it.
	DryRun bool
	// Mode is how jobs run; "" is ModeThread.
	Mode Mode
	// Concurrency is how many jobs coroutine mode runs at once.
	Concurrency int
	// Notify, when set, receives one-line notices for the user (resource
	// limits). It may be called from any goroutine.
	Notify func(string)
	// Order is the order jobs leave the read-ahead window; "" is
	// OrderFIFO.
	Order Order
	// Retries is how many attempts a job gets in all (--retries N, GNU
	// parallel's "try failing jobs N times"): 0 and 1 both mean one attempt,
	// so the zero value runs each job once; job.RetryUntilSuccess reruns a
	// failed job until it succeeds (--retries 0). A job's own Retries, when
	// not zero, wins (SPEC §6, §9).
	Retries int
	// RetryDelay is the pause before each retry.
	RetryDelay time.Duration
	// Halt stops the run early (--halt).
	Halt Halt
	// Skip, when set, says which jobs not to run at all (--resume). A
	// skipped job is not reported to the sink.
	Skip func(*job.Job) bool
	// Gate, when set, is asked before each job starts and every GateTick
	// while jobs run (--memfree, --memsuspend, --load, --noswap, --limit):
	// it can hold starts back, stop the youngest job to run it again
	// later, or suspend the youngest jobs.
	Gate throttle.Gate
	// GateTick is how often a Gate or Level looks again; 0 is
	// DefaultGateTick.
	GateTick time.Duration
	// Level, when set, moves how many jobs run at once while the run
	// goes, up to Slots (or Concurrency): -j FILE, -j auto.
	Level Level
	// Throttled, when set, is told each time why starts are held back, or
	// how many jobs may run at once (Level), changes. It may be called
	// from any goroutine.
	Throttled func(Throttle)
}

// A Source yields jobs in input order; Next returns io.EOF after the last.
type Source interface {
	Next() (*job.Job, error)
}

// A Sink gathers what jobs do.
type Sink interface {
	// Start is called as each attempt of a job starts, from the goroutine
	// that runs it, and returns the attempt's Output (nil discards its
	// output). It must be safe for concurrent use.
	Start(j *job.Job, cmd job.Command, slot int) job.Output
	// Done is called exactly once for every job that started (or was a bad
	// record), always from the same goroutine; in input order when
	// KeepOrder is set. It takes over the Done's Output. Jobs never started
	// because the run stopped early are not reported. An error stops the
	// run: running jobs are stopped and Run returns the error.
	Done(d *job.Done) error
}

// Stats counts what a run did.
type Stats struct {
	// Jobs counts the jobs reported; Failed those of them that failed.
	Jobs, Failed int
	// Read counts the jobs read from the input, Skipped those --resume
	// skipped.
	Read, Skipped int
	// Stopped is why the run stopped starting jobs before the input ended
	// (ErrHaltSoon, ErrHaltNow, ErrNoHosts, ctx's cause), or nil.
	Stopped error

	halted     bool // --halt was reached, fixing haltStatus (ExitStatus)
	haltStatus int
}

// String summarises the stats.
func (s Stats) String() string {
	return fmt.Sprintf("%d jobs, %d failed", s.Jobs, s.Failed)
}

// Run reads every job from src, runs it through tr under opts, and hands
// each result to sink. It returns when input is exhausted and every job has
// finished, or when ctx is cancelled and every running job has been
// stopped; context.Cause(ctx) then says why, and how the jobs are stopped
// (exec.Signaler, exec.Escalator). The error is the first error from the
// sink, or one wrapping ErrNoHosts when every host went down: the jobs
// not run are no failures of theirs, but the run did not do its work.
func Run(ctx context.Context, opts Options, src Source, tr Transport, sink Sink) (Stats, error) {
	if opts.Slots < 1 {
		panic("sched.Run: Slots < 1")
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// startCtx ends when no more jobs may start: a halt "soon", the last
	// host gone, or anything that ends ctx itself.
	startCtx, stopStarting := context.WithCancelCause(ctx)
	defer stopStarting(nil)
	r := &run{opts: opts, tr: tr, sink: sink, ctx: ctx, cancel: cancel, startCtx: startCtx, stopStarting: stopStarting}
	return r.run(src)
}

// run is the state of one Run.
type run struct {
	opts Options
	tr   Transport
	sink Sink
	col  collector
	// ctx done: stop running jobs too. startCtx done: start no more jobs.
	ctx, startCtx        context.Context
	cancel, stopStarting context.CancelCauseFunc

	halt        halter
	adm         *admission // nil when nothing throttles the run
	limitNotice sync.Once
	rel         *relTimeout // --timeout N%; nil without it
	// running counts the attempts in a Transport's Run right now.
	running atomic.Int64

	// Input progress, written by the reader, read by halt percentages.
	nRead, nSkipped atomic.Int64

	// Written by the collector's goroutine only, read after it is done.
	stats   Stats
	sinkErr error
}

// errSink is the cancellation cause when gathering results failed.
var errSink = errors.New("sched: gathering results failed")

// run joins the parts: the reader fills the queue, this goroutine
// dispatches to the pool, the pool's runners hand results to the
// collector. Each part is waited for before the next is closed.
func (r *run) run(src Source) (Stats, error) {
	q := newQueue(r.startCtx, r.opts.Order, r.queueSize())
	defer q.release()
	r.col = newCollector(r)
	p := newPool(r)
	if r.opts.TimeoutPct > 0 {
		r.rel = newRelTimeout(r.opts.TimeoutPct)
		var watch sync.WaitGroup
		stop := make(chan struct{})
		watch.Go(func() { r.rel.watch(stop) })
		defer watch.Wait()
		defer close(stop) // after the pool: its attempts are timed till they end
	}
	if r.opts.Gate != nil || r.opts.Level != nil {
		r.adm = newAdmission(r)
		var mon sync.WaitGroup
		stop := make(chan struct{})
		mon.Go(func() { r.adm.monitor(stop) })
		defer mon.Wait()
		defer close(stop) // after the pool: it watches jobs till they end
	}
	var reader sync.WaitGroup
	reader.Go(func() {
		defer q.close()
		r.read(src, q)
	})
	r.dispatch(q, p)
	p.wait()      // every launched job has finished and its runner exited
	reader.Wait() // no placeholder for a skipped job is on its way
	r.col.close() // every result has been handed to the sink
	if r.startCtx.Err() != nil {
		r.stats.Stopped = context.Cause(r.startCtx)
	}
	r.stats.Read, r.stats.Skipped = int(r.nRead.Load()), int(r.nSkipped.Load())
	r.stats.halted, r.stats.haltStatus = r.halt.halted, r.halt.status
	if r.sinkErr == nil && errors.Is(r.stats.Stopped, ErrStalled) {
		return r.stats, r.stats.Stopped
	}
	if r.sinkErr == nil && errors.Is(r.stats.Stopped, ErrNoHosts) {
		return r.stats, fmt.Errorf("%w (see above): %d jobs reported, the rest of the input not run", ErrNoHosts, r.stats.Jobs)
	}
	return r.stats, r.sinkErr
}

func (r *run) queueSize() int {
	if r.opts.QueueSize < 0 {
		return queueFactor * r.opts.Slots
	}
	return r.opts.QueueSize
}

// parallel is how many jobs may run at once.
func (r *run) parallel() int {
	if r.opts.Mode == ModeCoroutine {
		return max(r.opts.Concurrency, 1)
	}
	return r.opts.Slots
}

// dispatch takes jobs from the queue in --order, gives each its place in
// the results, and hands it to the pool, spacing starts by --delay. It
// returns once the input has ended or no job may start any more.
func (r *run) dispatch(q *queue, p pool) {
	first := true
	for {
		j, ok := r.col.pop(q)
		if !ok {
			return
		}
		if !first && r.opts.Delay > 0 && !sleepCtx(r.startCtx, r.opts.Delay) {
			return
		}
		first = false
		it := r.col.reserve(j)
		if j.Err != nil {
			// A bad record fails without taking a runner.
			r.finish(it, &job.Done{Job: j, Result: notRun(j.Err)})
			continue
		}
		if r.adm != nil {
			if !r.adm.enter(r.startCtx) {
				r.col.deliver(it, nil)
				return
			}
			it.admitted = true
		}
		if r.stopped() || !p.launch(it) {
			// Stopped while waiting for a free runner: the job never
			// starts, and its place in the results is given up.
			if it.admitted {
				r.adm.giveBack()
			}
			r.col.deliver(it, nil)
			return
		}
	}
}

// read moves jobs from src to the queue until input ends or no job may
// start any more.
func (r *run) read(src Source, q *queue) {
	for r.startCtx.Err() == nil {
		j, err := src.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		r.nRead.Add(1)
		if err == nil && r.opts.Skip != nil && r.opts.Skip(j) {
			r.nSkipped.Add(1)
			j.DropStdin()
			r.col.skipped(j)
			continue
		}
		if err != nil {
			// An input error ends the input; it is reported as a failed job
			// of its own so that nothing is silently lost.
			j = &job.Job{Err: fmt.Errorf("reading input: %w", err)}
		}
		if !q.push(j) || err != nil {
			return
		}
	}
}

// finish applies --halt and the spill rule to a finished job and hands it
// to the collector. It runs on the goroutine that ran the job, before that
// goroutine takes another: deciding later, where results are written,
// would let the next job start first.
func (r *run) finish(it item, d *job.Done) {
	if d != nil && d.Result != nil {
		r.checkHalt(d)
		// Disk trouble stops the run (issue 5): a job whose output could
		// not be spilled means the next would lose its too.
		if isSpillErr(d.Result.Err) {
			r.stopStarting(d.Result.Err)
		}
	}
	if it.admitted {
		if d != nil && d.Result != nil {
			r.adm.leave(d.Failed())
		} else {
			r.adm.giveBack()
		}
	}
	r.col.deliver(it, d)
}

// done hands one result to the sink, on the collector's goroutine.
func (r *run) done(d *job.Done) {
	if d == nil || d.Result == nil {
		return // a job that never started, or one --resume skipped
	}
	r.stats.Jobs++
	if d.Failed() {
		r.stats.Failed++
	}
	if r.sinkErr != nil {
		job.Discard(d.Output)
	} else if err := r.sinkDone(d); err != nil {
		r.sinkErr = err
		r.cancel(fmt.Errorf("%w: %w", errSink, err))
	}
}

// sinkDone calls the sink, turning a panic in it into an error: the run
// then stops like for any sink error, and every job is still reaped.
func (r *run) sinkDone(d *job.Done) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sched: panic gathering job %d: %v\n%s", d.Job.Seq, p, debug.Stack())
		}
	}()
	return r.sink.Done(d)
}

// stopped reports whether no job may start any more. ctx is checked
// directly too: a parent closes its Done channel before it cancels its
// children, so a runner released by ctx.Done could otherwise see startCtx
// still live and start a job.
func (r *run) stopped() bool {
	return r.ctx.Err() != nil || r.startCtx.Err() != nil
}

// sleepCtx sleeps for d, or until ctx is done; it reports whether it slept
// the whole time.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
