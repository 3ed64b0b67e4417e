package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/parrun/parrun/internal/ipc"
	"github.com/parrun/parrun/internal/remote"
	"github.com/parrun/parrun/internal/sched"
)

// connectHosts turns --ssh, --ssh-file and --worker-cmd into the hosts of
// a process-mode run (SPEC §8). Each ssh host gets its master connection
// first, all at once; a host that cannot be reached is left out with a
// notice, and the run goes on while any host is left. closeHosts stops the
// masters; call it after the workers are closed, on every path.
func connectHosts(ctx context.Context, cfg *config, exe string, notify func(string)) (hosts []*sched.Host, closeHosts func(), err error) {
	logins := cfg.logins
	if len(logins) == 0 {
		// --worker-cmd alone: one host of -j slots, "worker-cmd" below.
		logins = []remote.Login{{Slots: cfg.sched.Slots}}
	}
	workerExe := cfg.remoteParrun
	if workerExe == "" {
		workerExe = "parrun"
		if cfg.workerCmd != "" && len(cfg.logins) == 0 {
			workerExe = exe // a launcher on this machine, or one sharing its file system
		}
	}
	var sshs []*remote.SSH
	closeHosts = func() {
		for _, s := range sshs {
			s.Close()
		}
	}
	launchers := make([]remote.Launcher, len(logins))
	for i, l := range logins {
		switch {
		case l.Local:
		case cfg.workerCmd != "":
			launchers[i] = &remote.WorkerCmd{Template: cfg.workerCmd, Host: l.Raw}
		default:
			s := &remote.SSH{Login: l}
			sshs = append(sshs, s)
			launchers[i] = s
		}
	}
	// Masters, in parallel: a slow host does not hold up the others.
	errs := make(map[*remote.SSH]error)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, s := range sshs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Connect(ctx); err != nil {
				mu.Lock()
				errs[s] = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, closeHosts, err
	}
	var down []error
	for i, l := range logins {
		h := &sched.Host{Name: l.Raw, Slots: l.Slots}
		if l.Local {
			// GNU parallel's ":" is this machine: workers as --mode process.
			h.Name = ""
			h.Launcher = func(int) []string { return []string{exe} }
			hosts = append(hosts, h)
			continue
		}
		if s, ok := launchers[i].(*remote.SSH); ok && errs[s] != nil {
			notify(fmt.Sprintf("%v: running without it", errs[s]))
			down = append(down, errs[s])
			continue
		}
		h.Remote = true
		if h.Name == "" {
			h.Name = "worker-cmd" // --worker-cmd alone: {host} is empty
		}
		lc := launchers[i]
		worker := ipc.WorkerCommand(workerExe)
		h.Launcher = func(slot int) []string { return lc.Command(slot, worker...) }
		if cfg.files.Active() {
			files := cfg.files
			h.Before = func(ctx context.Context, t *sched.Task) error {
				return files.Send(ctx, lc, l.Raw, t.Slot, t.Job)
			}
			h.After = func(ctx context.Context, t *sched.Task) error {
				return files.Fetch(ctx, lc, l.Raw, t.Slot, t.Job)
			}
		}
		hosts = append(hosts, h)
	}
	if len(hosts) == 0 {
		return nil, closeHosts, fmt.Errorf("no host can be reached: %w", errors.Join(down...))
	}
	return hosts, closeHosts, nil
}
