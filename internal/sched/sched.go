// Package sched owns the flow of jobs from input to results: the bounded
// read-ahead queue that gives back-pressure, the runners of each mode, the
// keep-order window, and cancellation through one context whose cause says
// why (SPEC §3, §6).
//
// Run starts every goroutine it needs and returns only when all of them —
// the input reader, the dispatcher, the runners and the results writer —
// have exited, and every job process they started has been reaped.
package sched

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/job"
)

// Modes of running jobs (SPEC §3).
const (
	ModeThread    = "thread"
	ModeCoroutine = "coroutine"
	ModeProcess   = "process"
)

// Tuning knobs.
const (
	// queueFactor × workers is the default read-ahead window.
	queueFactor = 4
	// DefaultConcurrency is coroutine mode's default --concurrency.
	DefaultConcurrency = 1024
)

// Options configure a run. The zero value is not useful: Workers and
// Template (or jobs carrying their own commands) are needed.
type Options struct {
	// Workers is the number of jobs run at once (thread mode) and the
	// number of worker slots.
	Workers int
	// QueueSize is the read-ahead window: how many jobs are read before
	// they run. Negative means queueFactor×Workers. 0 means the whole input
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
	// Timeout is the per-job time-out; 0 means none.
	Timeout time.Duration
	// Terminate is the termination sequence (see exec.Spec).
	Terminate []exec.Step
	// Kill, when closed, turns every termination sequence into SIGKILL now.
	Kill <-chan struct{}
	// DryRun reports each job without running it.
	DryRun bool
	// Mode is ModeThread (the default when empty) or ModeCoroutine; process
	// mode is thread mode over a process Transport.
	Mode string
	// Concurrency is how many jobs coroutine mode runs at once.
	Concurrency int
	// Notify, when set, receives one-line notices for the user (resource
	// limits). It may be called from any goroutine.
	Notify func(string)
	// Order is the order jobs leave the read-ahead window: OrderFIFO (the
	// default when empty), OrderLIFO or OrderPriority.
	Order string
	// Retries is how many more attempts a failed job gets (--retries); a
	// job's own Retries, when not negative, wins.
	Retries int
	// RetryDelay is the pause before each retry.
	RetryDelay time.Duration
	// Halt stops the run early (--halt).
	Halt Halt
	// Admit, when done, stops the run from starting jobs while the running
	// ones finish (SIGHUP). nil never stops admitting.
	Admit context.Context
	// Skip, when set, says which jobs not to run at all (--resume). A
	// skipped job is not reported to the sink.
	Skip func(*job.Job) bool
}

// A Source yields jobs in input order; Next returns io.EOF after the last.
type Source interface {
	Next() (*job.Job, error)
}

// A Sink gathers what jobs do.
type Sink interface {
	// Start is called as a job starts, from the goroutine that runs it, and
	// returns where the job's output goes (nil discards). It must be safe
	// for concurrent use.
	Start(j *job.Job, cmd job.Command, slot int) (stdout, stderr io.Writer)
	// Done is called exactly once for every job that started (or was a bad
	// record), always from the same goroutine; in input order when
	// KeepOrder is set. Jobs never started because the run stopped early
	// are not reported. An error stops the run: running jobs are stopped
	// and Run returns the error.
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
	// (ErrHaltSoon, ErrHaltNow, the Admit or ctx cause), or nil.
	Stopped error
}

// A Transport runs one attempt of a job: in this process (thread and
// coroutine modes) or in a worker process.
type Transport interface {
	Run(ctx context.Context, t *Task) *exec.Result
}

// Task is one attempt of one job, ready to run.
type Task struct {
	Job  *job.Job
	Slot int
	Argv []string
	// Env is the job's whole environment; JobEnv is its tail that is the
	// job's own (JSONL env, PARRUN_SEQ, PARRUN_SLOT), what a worker on
	// another machine merges into its own environment.
	Env, JobEnv    []string
	Stdout, Stderr io.Writer
	Timeout        time.Duration
	// Host is set by the Transport: where the attempt ran ("" is here).
	Host string
}

// ErrHostDown is wrapped by the Err of an attempt a Transport could not run
// because the host behind its slot is gone (SPEC §8: ssh exited and cannot
// reconnect). The slot is retired for good and the job goes to another
// slot; the attempt does not count for --retries.
var ErrHostDown = errors.New("host down")

// ErrNoHosts is Stats.Stopped when every slot's host went down: the jobs
// not yet run were not run.
var ErrNoHosts = errors.New("every host is down")

// Local runs tasks in this process through exec. The zero value is ready.
type Local struct {
	Runner    exec.Runner
	Terminate []exec.Step
	Kill      <-chan struct{}
	// WaitDelay is how long a job's output is still read after its leader
	// exited (see exec.Spec).
	WaitDelay time.Duration
}

// Run implements Transport.
func (l *Local) Run(ctx context.Context, t *Task) *exec.Result {
	spec := &exec.Spec{
		Argv:      t.Argv,
		Env:       t.Env,
		Dir:       t.Job.Dir,
		Stdout:    t.Stdout,
		Stderr:    t.Stderr,
		Timeout:   t.Timeout,
		Terminate: l.Terminate,
		Kill:      l.Kill,
		WaitDelay: l.WaitDelay,
	}
	if t.Job.HasStdin {
		spec.Stdin = strings.NewReader(t.Job.Stdin)
	}
	return l.Runner.Run(ctx, spec)
}

// Run reads every job from src, runs it through tr under opts, and hands
// each result to sink. It returns when input is exhausted and every job has
// finished, or when ctx is cancelled and every running job has been
// stopped; context.Cause(ctx) then says why. The error is the first error
// from the sink.
func Run(ctx context.Context, opts Options, src Source, tr Transport, sink Sink) (Stats, error) {
	if opts.Workers < 1 {
		panic("sched.Run: Workers < 1")
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// startCtx ends when no more jobs may start: a halt "soon", SIGHUP
	// (Admit), or anything that ends ctx itself.
	startCtx, stopStarting := context.WithCancelCause(ctx)
	defer stopStarting(nil)
	if opts.Admit != nil {
		stop := context.AfterFunc(opts.Admit, func() { stopStarting(context.Cause(opts.Admit)) })
		defer stop()
	}
	r := &run{opts: opts, tr: tr, sink: sink, ctx: ctx, cancel: cancel, startCtx: startCtx, stopStarting: stopStarting}
	return r.run(src)
}

// String summarises the stats.
func (s Stats) String() string {
	return fmt.Sprintf("%d jobs, %d failed", s.Jobs, s.Failed)
}

// run is the state of one Run.
type run struct {
	opts   Options
	tr     Transport
	sink   Sink
	ctx    context.Context // done: stop running jobs too
	cancel context.CancelCauseFunc
	// startCtx done: start no more jobs.
	startCtx     context.Context
	stopStarting context.CancelCauseFunc

	stats   Stats
	sinkErr error
	free    chan int // coroutine mode's free slots

	noticeOnce sync.Once
	inUse      atomic.Int64 // slots taken out of circulation by shrink

	// Input progress, written by the reader, read by the writer (halt
	// percentages) and reorder (skipped sequence numbers).
	nRead     atomic.Int64
	nSkipped  atomic.Int64
	inputDone atomic.Bool
	// win bounds how far ahead of the oldest unreported job the
	// dispatcher runs when results are reordered; skip carries
	// placeholders for skipped jobs to reorder. Both nil otherwise.
	win  *window
	skip chan<- *job.Done

	// Halt counters, guarded by haltMu.
	haltMu                 sync.Mutex
	nSuccess, nFail, nDone int
	halted                 bool
}

// errSink is the cancellation cause when gathering results failed.
var errSink = errors.New("sched: gathering results failed")

// slot is where a job's result lands: a 1-buffered channel, queued in input
// order for the keep-order writer.
type slot chan *job.Done

func (r *run) run(src Source) (Stats, error) {
	var wg sync.WaitGroup // owns the reader and the runners

	// Input: the queue between the reader and the dispatcher is the
	// read-ahead window, ordered by --order; when full it stops the reader.
	qsize := r.opts.QueueSize
	if qsize < 0 {
		qsize = queueFactor * r.opts.Workers
	}
	q := newQueue(r.startCtx, r.opts.Order, qsize)
	defer q.release()
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer q.close()
		r.read(src, q)
	}()

	// Results: one writer goroutine hands results to the sink, so the sink
	// needs no lock. With KeepOrder in fifo order it drains per-job slots
	// queued in input order; the slots channel's capacity bounds how far
	// ahead of the oldest unfinished job the dispatcher may run: O(workers)
	// memory. Other orders dispatch out of input order, so their results
	// are put back in order by sequence number instead.
	fifoSlots := r.opts.KeepOrder && (r.opts.Order == "" || r.opts.Order == OrderFIFO)
	parallel := r.opts.Workers
	if r.opts.Mode == ModeCoroutine {
		parallel = max(r.opts.Concurrency, 1)
	}
	var slots chan slot
	var results chan *job.Done
	if fifoSlots {
		slots = make(chan slot, 2*parallel+1)
	} else {
		results = make(chan *job.Done, r.opts.Workers)
	}
	if r.opts.KeepOrder && !fifoSlots {
		// As many as fifo's slots allow: the slot the writer waits on
		// plus the 2×parallel+1 queued behind it.
		r.win = newWindow(r.startCtx, 2*parallel+2)
		r.skip = results
	}
	var writer sync.WaitGroup
	writer.Add(1)
	go func() {
		defer writer.Done()
		switch {
		case fifoSlots:
			for s := range slots {
				r.done(<-s)
			}
		case r.opts.KeepOrder:
			r.reorder(results)
		default:
			for d := range results {
				r.done(d)
			}
		}
	}()

	type item struct {
		j *job.Job
		s slot
	}
	finish := func(it item, d *job.Done) {
		// Halt is decided here, on the goroutine that ran the job and
		// before it takes another: deciding later, where results are
		// written, would let the next job start first.
		if d != nil && d.Result != nil {
			r.checkHalt(d.Failed())
			// Disk trouble stops the run (issue 5): a job whose output
			// could not be spilled means the next would lose its too.
			if errors.Is(d.Result.Err, exec.ErrSpill) {
				r.stopStarting(d.Result.Err)
			}
		}
		if it.s != nil {
			it.s <- d
		} else {
			results <- d
		}
	}
	// launch hands one job to a runner. Thread mode: a fixed pool of
	// Workers goroutines, each a slot. Coroutine mode: a goroutine per job,
	// at most Concurrency at once; a free slot number is the semaphore.
	var launch func(it item) bool
	stop := func() {}
	if r.opts.Mode == ModeCoroutine {
		free := make(chan int, max(r.opts.Concurrency, 1))
		for s := 1; s <= cap(free); s++ {
			free <- s
		}
		r.free = free
		launch = func(it item) bool {
			var s int
			select {
			case s = <-free:
			case <-r.startCtx.Done():
				return false
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				finish(it, r.runJob(it.j, s))
				free <- s
			}()
			return true
		}
	} else {
		// A runner whose host went down (ErrHostDown) hands its job back
		// and retires; the others take handed-back jobs before new ones
		// can reach them. work is closed only once every launched job has
		// finished, so a job handed back late still finds a runner.
		work := make(chan item)
		back := make(chan item, r.opts.Workers) // a runner hands back at most one
		var inflight sync.WaitGroup
		var liveMu sync.Mutex
		live := r.opts.Workers
		stop = func() {
			inflight.Wait()
			close(work)
		}
		retire := func(it item, d *job.Done) {
			liveMu.Lock()
			defer liveMu.Unlock()
			live--
			if live > 0 {
				back <- it
				return
			}
			// The last runner: nowhere to hand jobs to. Its job and any
			// handed back fail with the host's error, and nothing starts.
			r.stopStarting(ErrNoHosts)
			finish(it, d)
			inflight.Done()
			for {
				select {
				case b := <-back:
					finish(b, &job.Done{Job: b.j, Result: &exec.Result{ExitCode: -1, Err: d.Result.Err}})
					inflight.Done()
				default:
					return
				}
			}
		}
		for w := 1; w <= r.opts.Workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					var it item
					select {
					case it = <-back:
					default:
						var ok bool
						select {
						case it, ok = <-work:
							if !ok {
								return
							}
						case it = <-back:
						}
					}
					d := r.runJob(it.j, w)
					if d.Result != nil && errors.Is(d.Result.Err, ErrHostDown) && r.ctx.Err() == nil {
						closeOutput(d)
						retire(it, d)
						return
					}
					finish(it, d)
					inflight.Done()
				}
			}()
		}
		launch = func(it item) bool {
			inflight.Add(1)
			select {
			case work <- it:
				return true
			case <-r.startCtx.Done():
				inflight.Done()
				return false
			}
		}
	}

	// Dispatcher: this goroutine.
	first := true
	for {
		var j *job.Job
		var ok bool
		if r.win != nil {
			j, ok = r.win.pop(q)
		} else {
			j, ok = q.pop()
		}
		if !ok {
			break
		}
		if !first && r.opts.Delay > 0 && !sleepCtx(r.startCtx, r.opts.Delay) {
			break
		}
		first = false
		it := item{j: j}
		if fifoSlots {
			it.s = make(slot, 1)
			slots <- it.s
		}
		if j.Err != nil {
			// A bad record fails without taking a worker.
			finish(it, r.badRecord(j))
			continue
		}
		if r.stopped() || !launch(it) {
			// Stopped while waiting for a free runner: the job never
			// starts. Its slot is released empty.
			if it.s != nil {
				it.s <- nil
			}
			break
		}
	}
	stop()
	wg.Wait() // reader and runners
	if slots != nil {
		close(slots)
	} else {
		close(results)
	}
	writer.Wait()
	if r.startCtx.Err() != nil {
		r.stats.Stopped = context.Cause(r.startCtx)
	}
	r.stats.Read = int(r.nRead.Load())
	r.stats.Skipped = int(r.nSkipped.Load())
	return r.stats, r.sinkErr
}

// reorder hands results to the sink in input order when jobs run out of
// input order (lifo, priority): a result waits until every job before it
// has been reported. Sequence numbers are contiguous from 1; jobs --resume
// skips arrive as placeholders (a Done without a Result). The dispatcher
// keeps the number of jobs run ahead of the oldest unreported one bounded
// (see window), so memory stays O(workers).
func (r *run) reorder(results <-chan *job.Done) {
	next := int64(1)
	held := map[int64]*job.Done{}
	for d := range results {
		held[d.Job.Seq] = d
		for {
			h, ok := held[next]
			if !ok {
				break
			}
			delete(held, next)
			r.done(h)
			next++
		}
		r.win.advance(next)
	}
	// A stopped run leaves gaps: report what finished, in order.
	keys := make([]int64, 0, len(held))
	for k := range held {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		r.done(held[k])
	}
}

// read moves jobs from src to the queue until input ends or the run is
// cancelled.
func (r *run) read(src Source, q *queue) {
	for r.startCtx.Err() == nil {
		j, err := src.Next()
		if errors.Is(err, io.EOF) {
			r.inputDone.Store(true)
			return
		}
		r.nRead.Add(1)
		if err == nil && r.opts.Skip != nil && r.opts.Skip(j) {
			r.nSkipped.Add(1)
			if r.win != nil {
				r.skip <- &job.Done{Job: j} // a placeholder: keeps reorder moving
			}
			continue
		}
		if err != nil {
			// An input error ends the input; it is reported as a failed job
			// of its own so that nothing is silently lost.
			j = &job.Job{Err: fmt.Errorf("reading input: %w", err), Retries: -1}
		}
		if !q.push(j) || err != nil {
			return
		}
	}
}

// done hands one result to the sink, on the writer goroutine.
func (r *run) done(d *job.Done) {
	if d == nil || d.Result == nil {
		return // a job that never started, or one --resume skipped
	}
	r.stats.Jobs++
	failed := d.Failed()
	if failed {
		r.stats.Failed++
	}
	if r.sinkErr != nil {
		closeOutput(d)
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

// checkHalt applies --halt after a job ended. It is called from the
// goroutines that run jobs.
func (r *run) checkHalt(failed bool) {
	h := r.opts.Halt
	if !h.Active() {
		return
	}
	r.haltMu.Lock()
	defer r.haltMu.Unlock()
	if r.halted {
		return
	}
	r.nDone++
	if failed {
		r.nFail++
	} else {
		r.nSuccess++
	}
	n := r.nDone
	switch h.On {
	case "fail":
		n = r.nFail
	case "success":
		n = r.nSuccess
	}
	// A percentage is of all jobs: known once input has ended; until
	// then, of the jobs read so far (README).
	total := int(r.nRead.Load() - r.nSkipped.Load())
	if !h.reached(n, total) {
		return
	}
	r.halted = true
	if h.Now {
		r.cancel(ErrHaltNow)
	} else {
		r.stopStarting(ErrHaltSoon)
	}
}

// closeOutput releases the output buffers of a result that will not be
// reported (a retried attempt, or a run whose sink failed). Other writers,
// such as parrun's own stdout in ungrouped mode, are left alone.
func closeOutput(d *job.Done) {
	for _, w := range []io.Writer{d.Stdout, d.Stderr} {
		if b, ok := w.(*exec.Buffer); ok {
			b.Close()
		}
	}
}

// badRecord is the result of a record that could not become a job.
func (r *run) badRecord(j *job.Job) *job.Done {
	return &job.Done{Job: j, Result: &exec.Result{ExitCode: -1, Err: j.Err}}
}

// stopped reports whether no job may start any more. The parents of
// startCtx are checked directly too: a parent closes its Done channel
// before it cancels its children, so a runner released by ctx.Done could
// otherwise see startCtx still live and start a job; and Admit reaches
// startCtx through an asynchronous AfterFunc, while a SIGHUP's notice must
// mean that no job starts from then on.
func (r *run) stopped() bool {
	return r.ctx.Err() != nil || r.startCtx.Err() != nil || (r.opts.Admit != nil && r.opts.Admit.Err() != nil)
}

// runJob runs one job in a worker slot, retrying it as --retries allows.
// A panic while running it becomes the job's failure, with the stack in its
// error, and the run goes on.
func (r *run) runJob(j *job.Job, slot int) (d *job.Done) {
	d = &job.Done{Job: j, Slot: slot}
	defer func() {
		if p := recover(); p != nil {
			d.Result = &exec.Result{ExitCode: -1, Err: fmt.Errorf("sched: panic running job %d: %v\n%s", j.Seq, p, debug.Stack())}
		}
	}()
	// The run may have stopped while this job waited for a runner: a job
	// that has not started does not start then (SPEC §6: start nothing new).
	if r.stopped() {
		return &job.Done{Job: j} // not started: a placeholder
	}
	d.Command = j.Command(r.opts.Template, slot)
	retries := r.opts.Retries
	if j.Retries >= 0 {
		retries = j.Retries
	}
	for {
		d.Attempts++
		d.Stdout, d.Stderr = r.sink.Start(j, d.Command, slot)
		d.Result = r.attempt(j, d, slot)
		if !d.Result.Failed() || d.Attempts > retries || r.startCtx.Err() != nil || errors.Is(d.Result.Err, ErrHostDown) {
			return d
		}
		// Only the last attempt's output is reported (README).
		closeOutput(d)
		if r.opts.RetryDelay > 0 && !sleepCtx(r.startCtx, r.opts.RetryDelay) {
			// Stopped while waiting to retry: the failure stands, with
			// no output.
			d.Stdout, d.Stderr = nil, nil
			return d
		}
	}
}

// attempt runs one attempt of a job.
func (r *run) attempt(j *job.Job, d *job.Done, slot int) *exec.Result {
	if r.opts.DryRun {
		return &exec.Result{ExitCode: 0, Start: time.Now()}
	}
	timeout := r.opts.Timeout
	if j.Timeout > 0 {
		timeout = j.Timeout
	}
	env := r.env(j, slot)
	task := &Task{
		Job:     j,
		Slot:    slot,
		Argv:    d.Command.Argv,
		Env:     env,
		JobEnv:  env[len(r.opts.Env):],
		Stdout:  d.Stdout,
		Stderr:  d.Stderr,
		Timeout: timeout,
	}
	backoff := minBackoff
	for {
		res := r.tr.Run(r.ctx, task)
		d.Host = task.Host
		// Resource exhaustion is back-pressure, never failure (SPEC §3):
		// the job did not start, so it waits and tries again, and
		// coroutine mode runs fewer jobs at once from now on.
		if !isResourceErr(res.Err) || r.ctx.Err() != nil {
			return res
		}
		r.shrink(res.Err)
		if !sleepCtx(r.ctx, backoff) {
			return res
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// Back-off between attempts to start a job that hit a resource limit.
const (
	minBackoff = 10 * time.Millisecond
	maxBackoff = time.Second
	// minConcurrency is as far down as resource limits push coroutine
	// mode's concurrency.
	minConcurrency = 4
)

// isResourceErr reports whether err says a job could not start because a
// process or file limit was reached.
func isResourceErr(err error) bool {
	// EBADF too: under descriptor exhaustion os/exec's fork/exec sometimes
	// reports it instead of EMFILE (seen with ulimit -n 64).
	return errors.Is(err, exec.ErrNotStarted) && (errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EMFILE) ||
		errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ENOMEM) || errors.Is(err, syscall.EBADF))
}

// shrink lowers coroutine mode's concurrency by one slot (taking a free
// slot number out of circulation for good) and says so, once.
func (r *run) shrink(err error) {
	r.noticeOnce.Do(func() {
		if r.opts.Notify != nil {
			r.opts.Notify(fmt.Sprintf("resource limit reached (%v): jobs wait and retry; fewer run at once", rootErr(err)))
		}
	})
	if r.free == nil || r.inUse.Add(1) > int64(cap(r.free)-minConcurrency) {
		if r.free != nil {
			r.inUse.Add(-1)
		}
		return
	}
	select {
	case <-r.free:
	default:
		r.inUse.Add(-1)
	}
}

// rootErr is the innermost error: the errno, for a one-line notice.
func rootErr(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// env is the job's environment: the run's, the job's own, and
// PARRUN_SEQ/PARRUN_SLOT (SPEC §2). Later entries win, as in os/exec.
func (r *run) env(j *job.Job, slot int) []string {
	env := make([]string, 0, len(r.opts.Env)+len(j.Env)+2)
	env = append(env, r.opts.Env...)
	env = append(env, j.Env...)
	return append(env, "PARRUN_SEQ="+strconv.FormatInt(j.Seq, 10), "PARRUN_SLOT="+strconv.Itoa(slot))
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
