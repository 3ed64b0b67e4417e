package sched

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/ipc"
)

// Process runs tasks in worker processes (--mode process, SPEC §3): one
// worker per slot, started on first use with Launcher, talking the
// framed protocol of package ipc over its stdin and stdout. A worker that
// dies is replaced for the slot's next job; its job fails with "worker
// exited: …" (and is retried if --retries says so). MaxJobs, when positive,
// recycles a worker after that many jobs.
//
// Each slot is used by one runner goroutine at a time, so a slot's worker
// is never shared. Close must be called after the run: it shuts every
// worker down and reaps it.
type Process struct {
	// Launcher is the command that starts a worker: parrun's own
	// executable locally, or a launcher prefix plus it (ssh, --worker-cmd).
	Launcher []string
	// Env is the workers' environment; nil inherits parrun's.
	Env       []string
	Terminate []exec.Step
	Kill      <-chan struct{}
	MaxJobs   int

	mu      sync.Mutex
	workers map[int]*slotWorker
}

type slotWorker struct {
	w    *ipc.Worker
	jobs int
}

// Run implements Transport.
func (p *Process) Run(ctx context.Context, t *Task) *exec.Result {
	sw, err := p.worker(ctx, t.Slot)
	if err != nil {
		return &exec.Result{ExitCode: -1, Start: time.Now(), Err: err}
	}
	spec := &ipc.JobSpec{
		Argv:      t.Argv,
		Env:       t.Env,
		Dir:       t.Job.Dir,
		Stdin:     t.Job.Stdin,
		HasStdin:  t.Job.HasStdin,
		Timeout:   t.Timeout,
		Terminate: p.Terminate,
		Kill:      p.Kill,
	}
	res := sw.w.Run(ctx, spec, t.Stdout, t.Stderr)
	sw.jobs++
	if !sw.w.Alive() || (p.MaxJobs > 0 && sw.jobs >= p.MaxJobs) {
		p.retire(t.Slot, sw)
	}
	return res
}

// worker returns the slot's worker, starting one if it has none.
func (p *Process) worker(ctx context.Context, slot int) (*slotWorker, error) {
	p.mu.Lock()
	sw := p.workers[slot]
	p.mu.Unlock()
	if sw != nil {
		return sw, nil
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	env := p.Env
	if env == nil {
		// A worker runs one job at a time: one OS thread for Go code is
		// plenty, and idle schedulers of three Go runtimes spinning on a
		// small machine cost the jobs CPU. Jobs get their own environment
		// (Task.Env), not the worker's.
		env = append(os.Environ(), "GOMAXPROCS=1")
	}
	w, err := ipc.Start(ctx, slot, p.Launcher, env)
	if err != nil {
		return nil, fmt.Errorf("sched: starting worker for slot %d: %w", slot, err)
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
			p.worker(ctx, slot)
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
