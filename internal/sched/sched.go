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
	"strconv"
	"sync"
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
	// Done is called exactly once for every job that was read, whether it
	// ran or not, always from the same goroutine; in input order when
	// KeepOrder is set. An error stops the run (it is returned by Run).
	Done(d *job.Done) error
}

// Stats counts what a run did.
type Stats struct {
	Jobs, Failed int
}

// A Transport runs one attempt of a job: in this process (thread and
// coroutine modes) or in a worker process.
type Transport interface {
	Run(ctx context.Context, t *Task) *exec.Result
}

// Task is one attempt of one job, ready to run.
type Task struct {
	Job            *job.Job
	Slot           int
	Argv           []string
	Env            []string
	Stdout, Stderr io.Writer
	Timeout        time.Duration
}

// Local runs tasks in this process through exec. The zero value is ready.
type Local struct {
	Runner    exec.Runner
	Terminate []exec.Step
	Kill      <-chan struct{}
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
	}
	if t.Job.HasStdin {
		spec.Stdin = stringsReader(t.Job.Stdin)
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
	r := &run{opts: opts, tr: tr, sink: sink, ctx: ctx, cancel: cancel}
	return r.run(src)
}

// run is the state of one Run.
type run struct {
	opts   Options
	tr     Transport
	sink   Sink
	ctx    context.Context
	cancel context.CancelCauseFunc

	stats   Stats
	sinkErr error
}

// errSink is the cancellation cause when gathering results failed.
var errSink = errors.New("sched: gathering results failed")

// slot is where a job's result lands: a 1-buffered channel, queued in input
// order for the keep-order writer.
type slot chan *job.Done

func (r *run) run(src Source) (Stats, error) {
	var wg sync.WaitGroup // owns every goroutine below

	// Input: a bounded queue between the reader and the dispatcher is
	// the read-ahead window; a full queue stops the reader (back-pressure).
	qsize := r.opts.QueueSize
	if qsize < 0 {
		qsize = queueFactor * r.opts.Workers
	}
	queue := make(chan *job.Job, max(qsize, 1))
	readAll := r.opts.QueueSize == 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(queue)
		r.read(src, queue, readAll)
	}()

	// Results: one writer goroutine hands results to the sink, so the sink
	// needs no lock. With KeepOrder it drains per-job slots in input order;
	// the slots channel's capacity bounds how far ahead of the oldest
	// unfinished job the dispatcher may run: O(workers) memory.
	var slots chan slot
	var results chan *job.Done
	if r.opts.KeepOrder {
		slots = make(chan slot, 2*r.opts.Workers+1)
	} else {
		results = make(chan *job.Done, r.opts.Workers)
	}
	var writer sync.WaitGroup
	writer.Add(1)
	go func() {
		defer writer.Done()
		if r.opts.KeepOrder {
			for s := range slots {
				r.done(<-s)
			}
		} else {
			for d := range results {
				r.done(d)
			}
		}
	}()

	// Runners.
	type item struct {
		j *job.Job
		s slot
	}
	finish := func(it item, d *job.Done) {
		if it.s != nil {
			it.s <- d
		} else {
			results <- d
		}
	}
	// launch hands one job to a runner. Thread mode: a fixed pool of
	// Workers goroutines, each a slot. Coroutine mode: a goroutine per job,
	// at most Concurrency at once; a free slot number is the semaphore.
	var launch func(it item)
	stop := func() {}
	if r.opts.Mode == ModeCoroutine {
		free := make(chan int, max(r.opts.Concurrency, 1))
		for s := 1; s <= cap(free); s++ {
			free <- s
		}
		launch = func(it item) {
			s := <-free
			wg.Add(1)
			go func() {
				defer wg.Done()
				finish(it, r.runJob(it.j, s))
				free <- s
			}()
		}
	} else {
		work := make(chan item)
		stop = func() { close(work) }
		for w := 1; w <= r.opts.Workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for it := range work {
					finish(it, r.runJob(it.j, w))
				}
			}()
		}
		launch = func(it item) { work <- it }
	}

	// Dispatcher: this goroutine.
	first := true
	for j := range queue {
		if r.ctx.Err() != nil {
			// Cancelled: the rest of the queue does not run. Drain it so
			// the reader can see the cancellation and stop.
			continue
		}
		if !first && r.opts.Delay > 0 {
			if !sleepCtx(r.ctx, r.opts.Delay) {
				continue
			}
		}
		first = false
		it := item{j: j}
		if r.opts.KeepOrder {
			it.s = make(slot, 1)
			slots <- it.s
		}
		if j.Err != nil {
			// A bad record fails without taking a worker.
			finish(it, r.badRecord(j))
			continue
		}
		launch(it)
	}
	stop()
	wg.Wait() // reader and runners
	if slots != nil {
		close(slots)
	} else {
		close(results)
	}
	writer.Wait()
	return r.stats, r.sinkErr
}

// read moves jobs from src to queue until input ends or the run is
// cancelled. With readAll it reads the whole input before the first job is
// queued (--queue-size 0).
func (r *run) read(src Source, queue chan<- *job.Job, readAll bool) {
	var all []*job.Job
	for r.ctx.Err() == nil {
		j, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// An input error ends the input; it is reported as a failed job
			// of its own so that nothing is silently lost.
			j = &job.Job{Err: fmt.Errorf("reading input: %w", err), Retries: -1}
		}
		if readAll {
			all = append(all, j)
			continue
		}
		select {
		case queue <- j:
		case <-r.ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
	for _, j := range all {
		select {
		case queue <- j:
		case <-r.ctx.Done():
			return
		}
	}
}

// done hands one result to the sink, on the writer goroutine.
func (r *run) done(d *job.Done) {
	r.stats.Jobs++
	if d.Failed() {
		r.stats.Failed++
	}
	if r.sinkErr != nil {
		closeOutput(d)
		return
	}
	if err := r.sink.Done(d); err != nil {
		r.sinkErr = err
		r.cancel(fmt.Errorf("%w: %w", errSink, err))
	}
}

func closeOutput(d *job.Done) {
	for _, w := range []io.Writer{d.Stdout, d.Stderr} {
		if c, ok := w.(io.Closer); ok {
			c.Close()
		}
	}
}

// badRecord is the result of a record that could not become a job.
func (r *run) badRecord(j *job.Job) *job.Done {
	return &job.Done{Job: j, Result: &exec.Result{ExitCode: -1, Err: j.Err}}
}

// runJob runs one job in a worker slot. A panic while running it becomes
// the job's failure, with the stack in its error, and the run goes on.
func (r *run) runJob(j *job.Job, slot int) (d *job.Done) {
	d = &job.Done{Job: j, Slot: slot, Attempts: 1}
	defer func() {
		if p := recover(); p != nil {
			d.Result = &exec.Result{ExitCode: -1, Err: fmt.Errorf("sched: panic running job %d: %v\n%s", j.Seq, p, debug.Stack())}
		}
	}()
	d.Command = j.Command(r.opts.Template, slot)
	d.Stdout, d.Stderr = r.sink.Start(j, d.Command, slot)
	if r.opts.DryRun {
		d.Result = &exec.Result{ExitCode: 0, Start: time.Now()}
		return d
	}
	timeout := r.opts.Timeout
	if j.Timeout > 0 {
		timeout = j.Timeout
	}
	d.Result = r.tr.Run(r.ctx, &Task{
		Job:     j,
		Slot:    slot,
		Argv:    d.Command.Argv,
		Env:     r.env(j, slot),
		Stdout:  d.Stdout,
		Stderr:  d.Stderr,
		Timeout: timeout,
	})
	return d
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
