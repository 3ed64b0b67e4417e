package sched

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/ipc"
)

// Process runs tasks in worker processes (--mode process, SPEC §3): one
// worker per slot, started on first use with its host's Launcher, talking
// the framed protocol of package ipc over its stdin and stdout. A worker
// that dies is replaced for the slot's next job; its job fails with
// "worker exited: …" (and is retried if --retries says so). MaxJobs, when
// positive, recycles a worker after that many jobs.
//
// Slots may live on other machines (SPEC §8): Hosts lists where, each with
// its number of slots, in slot order. When a remote host's worker dies and
// a new one cannot be started there, the host is down: its jobs in flight
// come back with ErrHostDown (the scheduler runs them on another slot) and
// it gets no new ones.
//
// Each slot is used by one runner goroutine at a time, so a slot's worker
// is never shared. Close must be called after the run: it shuts every
// worker down and reaps it.
type Process struct {
	// Launcher is the command that starts a worker on this machine:
	// parrun's own executable. It is used when Hosts is empty.
	Launcher []string
	// Hosts, when set, are where the slots are, in slot order: the first
	// host's Slots are slots 1…, then the next host's.
	Hosts []*Host
	// Env is the workers' environment; nil inherits parrun's.
	Env []string
	// Stderr is the workers' stderr: where a worker or its launcher (ssh)
	// complains. nil is /dev/null.
	Stderr    *os.File
	Terminate []exec.Step
	MaxJobs   int
	// KeepBackground lets a job's leftover processes outlive it.
	KeepBackground bool
	// Notify, when set, gets one-line notices (a host went down).
	Notify func(string)

	mu      sync.Mutex
	workers map[int]*slotWorker
	slotOf  []*Host // slot-1 → host, built on first use
	local   *Host
}

// A Host is a machine process-mode workers run on.
type Host struct {
	// Name is the host as the user gave it: the joblog's Host column and
	// the JSON "host" field. "" is this machine.
	Name string
	// Slots is how many of the run's slots (jobs at once) are on it.
	Slots int
	// Launcher returns the command that starts the worker of a slot there
	// (ssh HOST … parrun, or a --worker-cmd).
	Launcher func(slot int) []string
	// Remote says the worker's environment is the host's own: jobs get
	// only their own variables, merged in (JobSpec.MergeEnv). A remote
	// host whose worker cannot be (re)started is down.
	Remote bool
	// Before, when set, runs before each job on the host (--transfer);
	// an error fails the job. After runs after it (--return, --cleanup)
	// whatever its outcome; an error fails a job that had succeeded.
	Before, After func(ctx context.Context, t *Task) error
	// Dir is the directory the host's jobs run in (--workdir, readied
	// there before the first job); a job's own directory wins. "" is the
	// worker's, the login directory.
	Dir string

	// down is why the host is gone; nil while it is up.
	down atomic.Pointer[error]
}

type slotWorker struct {
	w    *ipc.Client
	jobs int
}

// host returns the host of a slot.
func (p *Process) host(slot int) *Host {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.slotOf == nil {
		for _, h := range p.Hosts {
			for range h.Slots {
				p.slotOf = append(p.slotOf, h)
			}
		}
		p.local = &Host{Launcher: func(int) []string { return p.Launcher }}
	}
	if slot >= 1 && slot <= len(p.slotOf) {
		return p.slotOf[slot-1]
	}
	return p.local
}

// Run implements Transport.
func (p *Process) Run(ctx context.Context, t *Task) *exec.Result {
	h := p.host(t.Slot)
	t.Host = h.Name
	if why := h.down.Load(); why != nil {
		return hostDown(h, *why)
	}
	sw, err := p.worker(ctx, t.Slot, h)
	if err != nil {
		switch {
		case errors.Is(exec.ResourceLimit("", err), exec.ErrResourceLimit):
			// This machine is out of processes or descriptors: the slot
			// gives its job to a slot whose worker runs (issue 18 item 8).
			return &exec.Result{ExitCode: -1, Start: time.Now(), Err: fmt.Errorf("%w: %w", ErrSlotUnavailable, err)}
		case h.Remote && ctx.Err() == nil:
			return p.markDown(h, err)
		}
		return &exec.Result{ExitCode: -1, Start: time.Now(), Err: err}
	}
	stdin, err := t.Job.StdinText()
	switch {
	case t.Job.StdinAs != "" && h.Remote:
		err = errors.New("--cat and --fifo make each block a file on this machine: not over --ssh")
	case t.Job.StdinAs != "":
		stdin = "" // the block is a file the command names (blockFile)
	case t.Job.StdinStream != nil:
		err = errors.New("--round-robin streams blocks to jobs on this machine: use --mode thread or coroutine, without --ssh")
	}
	if err != nil {
		return &exec.Result{ExitCode: -1, Start: time.Now(), Err: err}
	}
	spec := &ipc.JobSpec{
		Argv:      t.Argv,
		Env:       t.Env,
		Stdin:     stdin,
		HasStdin:  t.Job.HasStdin,
		Timeout:   t.Timeout,
		Terminate: p.Terminate,

		KeepBackground: p.KeepBackground,
	}
	if h.Remote {
		// The host's PATH and HOME, not this machine's.
		spec.Env, spec.MergeEnv = t.JobEnv, true
	}
	if h.Before != nil {
		if err := h.Before(ctx, t); err != nil {
			return &exec.Result{ExitCode: -1, Start: time.Now(), Err: err}
		}
	}
	spec.Dir = cmp.Or(t.Dir, h.Dir) // after Before, which may make it (--workdir ...)
	res := sw.w.Run(ctx, spec, t.Stdout, t.Stderr)
	sw.jobs++
	if !sw.w.Alive() || (p.MaxJobs > 0 && sw.jobs >= p.MaxJobs) {
		p.retire(t.Slot, sw)
		if h.Remote && errors.Is(res.Err, ipc.ErrWorkerExited) && ctx.Err() == nil {
			// The job, the worker or the host? A host that takes a new
			// worker is up: the job failed as it would here. One that
			// does not is down, and the job runs elsewhere.
			if _, err := p.worker(ctx, t.Slot, h); err != nil && ctx.Err() == nil {
				return p.markDown(h, fmt.Errorf("%v; a new one cannot start: %w", res.Err, err))
			}
		}
	}
	if h.After != nil {
		if err := h.After(ctx, t); err != nil && !res.Failed() {
			res.Err = err
		}
	}
	return res
}

// markDown records that a host is gone and returns the ErrHostDown result
// of the job that found out.
func (p *Process) markDown(h *Host, err error) *exec.Result {
	if h.down.CompareAndSwap(nil, &err) && p.Notify != nil {
		p.Notify(fmt.Sprintf("host %s is down (%v): its jobs go to the other hosts", h.Name, err))
	}
	return hostDown(h, err)
}

func hostDown(h *Host, err error) *exec.Result {
	return &exec.Result{ExitCode: -1, Start: time.Now(), Err: fmt.Errorf("%w: %s: %w", ErrHostDown, h.Name, err)}
}

// worker returns the slot's worker, starting one if it has none.
func (p *Process) worker(ctx context.Context, slot int, h *Host) (*slotWorker, error) {
	p.mu.Lock()
	sw := p.workers[slot]
	p.mu.Unlock()
	if sw != nil {
		return sw, nil
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	w, err := ipc.Start(ctx, slot, h.Launcher(slot), p.Env, p.Stderr)
	if err != nil {
		return nil, err // "ipc: worker 3: …" names the slot
	}
	sw = &slotWorker{w: w}
	p.mu.Lock()
	if p.workers == nil {
		p.workers = map[int]*slotWorker{}
	}
	p.workers[slot] = sw
	p.mu.Unlock()
	return sw, nil
}

// Prestart starts the workers of slots 1..n at once, in parallel, so that
// the first jobs do not wait for a worker's start-up (and --delay spaces
// job starts, not worker starts). A worker that fails to start is left to
// be started, and its error reported, by the slot's first job.
func (p *Process) Prestart(ctx context.Context, n int) {
	var wg sync.WaitGroup
	for slot := 1; slot <= n; slot++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if h := p.host(slot); h.down.Load() == nil {
				p.worker(ctx, slot, h)
			}
		}()
	}
	wg.Wait()
}

// retire closes a slot's worker; the slot's next job starts a new one.
func (p *Process) retire(slot int, sw *slotWorker) {
	p.mu.Lock()
	if p.workers[slot] == sw {
		delete(p.workers, slot)
	}
	p.mu.Unlock()
	sw.w.Close() // a dead worker's exit was already reported with its job
}

// Close shuts down every worker and reaps it. It must not be called while
// Run is running.
func (p *Process) Close() error {
	p.mu.Lock()
	ws := p.workers
	p.workers = nil
	p.mu.Unlock()
	var errs []error
	for _, sw := range ws {
		errs = append(errs, sw.w.Close())
	}
	return errors.Join(errs...)
}
