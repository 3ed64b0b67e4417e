package sched

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/job"
	"github.com/parrun/parrun/internal/msg"
)

// Back-off between attempts to start a job that hit a resource limit.
const (
	minBackoff = 10 * time.Millisecond
	maxBackoff = time.Second
	// minConcurrency is as far down as resource limits push coroutine
	// mode's concurrency.
	minConcurrency = 4
)

// stallAfter is how long a job may fail to start for a resource limit
// while no other job runs before the run gives up (ErrStalled). A variable
// only so that tests can shorten it.
var stallAfter = 10 * time.Second

// runJob runs one job in a slot, retrying it as --retries allows, and
// returns its Done with the last attempt's Output. limited is called when
// an attempt could not start because a resource limit was hit (the pool's
// back-off). A panic while running it becomes the job's failure, with the
// stack in its error, and the run goes on.
func (r *run) runJob(j *job.Job, slot int, limited func(error)) (d *job.Done) {
	d = &job.Done{Job: j, Slot: slot}
	defer func() { d.Sent = j.DropStdin() }() // after the last attempt: its block may be reused
	defer func() {
		if p := recover(); p != nil {
			d.Result = notRun(fmt.Errorf("sched: panic running job %d: %v\n%s", j.Seq, p, debug.Stack()))
		}
	}()
	// The run may have stopped while this job waited for a runner: a job
	// that has not started does not start then (SPEC §6: start nothing new).
	if r.stopped() {
		return &job.Done{Job: j} // not started: a placeholder
	}
	d.Command = j.Command(r.opts.Template, slot)
	tries := r.opts.Retries
	if j.Retries != 0 {
		tries = j.Retries
	}
	if j.StdinStream != nil {
		tries = 1 // its input is read once, as it comes (--round-robin)
	}
	for {
		d.Attempts++
		d.Output = r.sink.Start(j, d.Command, slot)
		d.Result = r.attempt(j, d, slot, limited)
		if errors.Is(d.Result.Err, errRequeued) && r.requeue(d) {
			continue
		}
		if !d.Result.Failed() || (tries >= 0 && d.Attempts >= tries) || r.startCtx.Err() != nil || slotGone(d.Result.Err) {
			return d
		}
		// Only the last attempt's output is reported (README).
		job.Discard(d.Output)
		d.Output = nil
		if r.opts.RetryDelay > 0 && !sleepCtx(r.startCtx, r.opts.RetryDelay) {
			return d // stopped while waiting to retry: the failure stands, with no output
		}
	}
}

// attempt runs one attempt of a job. An attempt that could not start
// because a resource limit was hit is back-pressure, never failure (SPEC
// §3): nothing of it ran, so it waits and tries again.
func (r *run) attempt(j *job.Job, d *job.Done, slot int, limited func(error)) *exec.Result {
	if r.opts.DryRun {
		return &exec.Result{ExitCode: 0, Start: time.Now()}
	}
	timeout := r.opts.Timeout
	if j.Timeout > 0 {
		timeout = j.Timeout
	}
	if j.StdinAs != "" { // --cat, --fifo: the block is a file for this attempt
		done, err := blockFile(j)
		if err != nil {
			return notRun(err)
		}
		defer done()
	}
	env := r.env(j, slot)
	task := &Task{Job: j, Slot: slot, Argv: r.argv(d.Command.Argv), Dir: cmp.Or(j.Dir, r.opts.Dir), Env: env, JobEnv: env[len(r.opts.Env):], Timeout: timeout}
	task.Stdout, task.Stderr = job.Streams(d.Output)
	w := waiter{r: r}
	for {
		r.running.Add(1)
		res := r.runAdmitted(task)
		r.running.Add(-1)
		d.Host = task.Host
		if !isResourceErr(res.Err) || r.ctx.Err() != nil {
			return res
		}
		limited(res.Err)
		if err := w.wait(res.Err); err != nil {
			res.Err = err
			return res
		}
	}
}

// runAdmitted runs the task, where the run's admission can stop or
// suspend it when it is throttled. An attempt stopped to free memory
// comes back with errRequeued.
func (r *run) runAdmitted(task *Task) *exec.Result {
	if r.adm == nil {
		return r.runTimed(r.ctx, task)
	}
	ctx, cancel := context.WithCancelCause(r.ctx)
	defer cancel(nil)
	l := r.adm.add(task.Job.Seq, cancel, task.Job.StdinStream == nil)
	task.Signals = l.signals
	res := r.runTimed(ctx, task)
	r.adm.remove(l)
	task.Signals = nil
	if r.ctx.Err() == nil && errors.Is(context.Cause(ctx), errRequeued) {
		res.Err = errRequeued
	}
	return res
}

// requeue puts back a job whose attempt a gate stopped to free memory:
// the attempt does not count, its output is dropped, and the job keeps
// its place and waits for the gate to let it start again. It returns false when the run
// stopped starting jobs meanwhile: the stopped attempt is then the job's
// result.
func (r *run) requeue(d *job.Done) bool {
	job.Discard(d.Output)
	d.Output = nil
	if !r.adm.reenter(r.startCtx) {
		return false
	}
	d.Attempts--
	return true
}

// runTimed runs the task through the transport under ctx, timed by
// --timeout N% unless the job has a time-out of its own.
func (r *run) runTimed(ctx context.Context, task *Task) *exec.Result {
	if r.rel == nil || task.Job.Timeout > 0 {
		return r.tr.Run(ctx, task)
	}
	ctx, done := r.rel.track(ctx)
	res := r.tr.Run(ctx, task)
	done(res)
	return res
}

// argv is the command an attempt runs: argv itself, or under --nice
// "nice -n N argv", as GNU parallel runs it, so that every process of a
// shell command is niced.
func (r *run) argv(argv []string) []string {
	if r.opts.Nice == 0 {
		return argv
	}
	return append([]string{"nice", "-n", strconv.Itoa(r.opts.Nice)}, argv...)
}

// slotGone reports whether an attempt came back because its slot cannot
// run it (the host is down, the worker cannot start): the job goes to
// another slot, without counting as a retry.
func slotGone(err error) bool {
	return errors.Is(err, ErrHostDown) || errors.Is(err, ErrSlotUnavailable)
}

// A waiter backs off between attempts to start a job that hit a resource
// limit: longer each time, up to maxBackoff. It gives up when the limit
// has held for stallAfter while no other job of the run was running to
// free anything, and stops the run: waiting on would wait for ever.
type waiter struct {
	r       *run
	backoff time.Duration
	since   time.Time
}

// wait waits before the next attempt. It returns nil to try again, or
// the error the job fails with.
func (w *waiter) wait(cause error) error {
	if w.since.IsZero() {
		w.since, w.backoff = time.Now(), minBackoff
	}
	if w.r.running.Load() == 0 && time.Since(w.since) >= stallAfter {
		err := fmt.Errorf("%w for %v, and no other job of this run was running to free what is short: %w", ErrStalled, stallAfter, cause)
		w.r.stopStarting(err)
		return err
	}
	if !sleepCtx(w.r.ctx, w.backoff) {
		return cause
	}
	w.backoff = min(2*w.backoff, maxBackoff)
	return nil
}

// isResourceErr reports whether err says a job could not start because a
// process or file limit was reached (exec.ResourceLimit).
func isResourceErr(err error) bool { return errors.Is(err, exec.ErrResourceLimit) }

// noticeLimit says, once per run, that jobs hit a resource limit.
func (r *run) noticeLimit(err error) {
	r.limitNotice.Do(func() {
		if r.opts.Notify != nil {
			r.opts.Notify(fmt.Sprintf("resource limit reached (%v): jobs wait and retry; fewer run at once", msg.Root(err)))
		}
	})
}

// env is the job's environment: the run's, the job's own, and
// PARRUN_SEQ/PARRUN_SLOT with GNU parallel's PARALLEL_SEQ/PARALLEL_JOBSLOT
// beside them (SPEC §2). Later entries win, as in os/exec.
func (r *run) env(j *job.Job, slot int) []string {
	env := make([]string, 0, len(r.opts.Env)+len(r.opts.Export)+len(j.Env)+4)
	env = append(env, r.opts.Env...)
	env = append(env, r.opts.Export...)
	env = append(env, j.Env...)
	seq, sl := strconv.FormatInt(j.Seq, 10), strconv.Itoa(slot)
	return append(env, "PARRUN_SEQ="+seq, "PARRUN_SLOT="+sl, "PARALLEL_SEQ="+seq, "PARALLEL_JOBSLOT="+sl)
}
