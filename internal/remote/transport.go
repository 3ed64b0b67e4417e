package remote

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/ipc"
	"github.com/parrun/parrun/internal/sched"
)

// Run is what Transport needs of a run besides the hosts.
type Run struct {
	// Local runs jobs in this process (thread and coroutine mode, and a
	// dry run); otherwise they run in worker processes.
	Local     bool
	Terminate []exec.Step
	// WaitDelay is also how long output is read after a job's leader exits.
	WaitDelay      time.Duration
	KeepBackground bool
	// MaxJobsPerWorker recycles a worker after that many jobs (0: never).
	MaxJobsPerWorker int
	// Slots is the run's slot count, which the hosts fix when there are
	// some; Start how many workers to start before the first job.
	Slots *int
	Start int
	// Stderr is where workers and their launchers complain.
	Stderr io.Writer
	Notify func(string)
}

// Transport is how the run's jobs run: in this process, or in worker
// processes here or on the hosts of cfg (SPEC §8), which it sets up.
// closeTransport stops the workers, then the hosts' connections; call it
// on every path, also after an error.
func Transport(ctx context.Context, cfg Config, r Run) (tr sched.Transport, closeTransport func(), err error) {
	exe, err := ipc.SelfPath()
	if err != nil {
		return nil, func() {}, fmt.Errorf("finding parrun's own executable: %w", err)
	}
	if r.Local {
		// The reaper kills the jobs' groups should parrun be killed.
		reaper := &exec.Reaper{Exe: exe}
		l := &sched.Local{Terminate: r.Terminate, WaitDelay: r.WaitDelay, KeepBackground: r.KeepBackground}
		l.Runner.Reaper = reaper
		return l, func() { reaper.Close() }, nil
	}
	p := &sched.Process{Launcher: []string{exe}, Terminate: r.Terminate, MaxJobs: r.MaxJobsPerWorker, Notify: r.Notify,
		KeepBackground: r.KeepBackground}
	p.Stderr, _ = r.Stderr.(*os.File) // a worker's complaints: straight to parrun's stderr
	var hosts *Hosts
	closeTransport = func() {
		p.Close()
		hosts.Close() // after the workers: their ssh sessions run over the masters
	}
	if cfg.Active() {
		cfg.Exe = exe
		if hosts, err = Setup(ctx, cfg, r.Notify); err != nil {
			return nil, closeTransport, err
		}
		p.Hosts, *r.Slots, r.Start = hosts.List, hosts.Slots, hosts.Slots
	}
	p.Prestart(ctx, r.Start)
	return p, closeTransport, nil
}
