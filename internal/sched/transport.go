package sched

import (
	"context"
	"errors"
	"io"
	"strings"
	"syscall"
	"time"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/job"
)

// A Transport runs one attempt of a job: in this process (thread and
// coroutine modes) or in a worker process. When ctx is done the attempt is
// stopped as its cause says (exec.Signaler, exec.Escalator).
type Transport interface {
	Run(ctx context.Context, t *Task) *exec.Result
}

// Task is one attempt of one job, ready to run.
type Task struct {
	Job  *job.Job
	Slot int
	Argv []string
	// Dir is the attempt's working directory; "" inherits parrun's.
	Dir string
	// Env is the job's whole environment; JobEnv is its tail that is the
	// job's own (JSONL env, PARRUN_SEQ, PARRUN_SLOT), what a worker on
	// another machine merges into its own environment.
	Env, JobEnv []string
	// Stdout and Stderr are the attempt's Output's streams.
	Stdout, Stderr io.Writer
	Timeout        time.Duration
	// Signals, when set, are signals for the attempt's process group while
	// it runs (--memsuspend's SIGSTOP and SIGCONT).
	Signals <-chan syscall.Signal
	// Host is set by the Transport: where the attempt ran ("" is here).
	Host string
}

// ErrHostDown is wrapped by the Err of an attempt a Transport could not run
// because the host behind its slot is gone (SPEC §8: ssh exited and cannot
// reconnect). The slot is retired for good and the job goes to another
// slot; the attempt does not count for --retries.
var ErrHostDown = errors.New("host down")

// ErrSlotUnavailable is wrapped by the Err of an attempt a Transport could
// not run because the worker of its slot cannot start for a resource limit
// (process mode; EMFILE, EAGAIN): the job goes to another slot and this
// one is retired while others remain, so that fewer workers hold what is
// short. The attempt does not count for --retries (SPEC §3: resource
// exhaustion never fails a job).
var ErrSlotUnavailable = errors.New("slot unavailable")

// ErrStalled is wrapped by Run's error when a job could not start for a
// resource limit for stallAfter while no other job of the run was running
// to free what is short: the run could never make progress, and waiting
// on would hang (issue 18 item 5).
var ErrStalled = errors.New("no job can start")

// ErrNoHosts is Stats.Stopped when every slot's host went down: the jobs
// not yet run were not run.
var ErrNoHosts = errors.New("every host is down")

// Local runs tasks in this process through exec. The zero value is ready.
type Local struct {
	Runner    exec.Runner
	Terminate []exec.Step
	// WaitDelay is how long a job's output is still read after its leader
	// exited (see exec.Spec).
	WaitDelay time.Duration
	// KeepBackground lets a job's leftover processes outlive it.
	KeepBackground bool
}

// Run implements Transport.
func (l *Local) Run(ctx context.Context, t *Task) *exec.Result {
	spec := &exec.Spec{
		Argv:      t.Argv,
		Env:       t.Env,
		Dir:       t.Dir,
		Stdout:    t.Stdout,
		Stderr:    t.Stderr,
		Timeout:   t.Timeout,
		Terminate: l.Terminate,
		WaitDelay: l.WaitDelay,

		KeepBackground: l.KeepBackground,
		Signals:        t.Signals,
	}
	switch {
	case t.Job.StdinAs != "": // the block is a file the command names (blockFile)
	case t.Job.StdinStream != nil:
		spec.Stdin = t.Job.StdinStream
	case t.Job.StdinAt != nil:
		spec.Stdin = io.NewSectionReader(t.Job.StdinAt, t.Job.StdinOff, t.Job.StdinLen)
	case t.Job.HasStdin:
		spec.Stdin = strings.NewReader(t.Job.Stdin)
	}
	return l.Runner.Run(ctx, spec)
}

// notRun is the result of a job that could not run at all.
func notRun(err error) *exec.Result {
	return &exec.Result{ExitCode: -1, Err: err}
}

// isSpillErr reports whether err says a job's output could not be kept.
func isSpillErr(err error) bool { return errors.Is(err, exec.ErrSpill) }
