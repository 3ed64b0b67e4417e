package remote

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/parrun/parrun/internal/ipc"
	"github.com/parrun/parrun/internal/sched"
)

// Config is what the scale-out flags ask for (SPEC §8).
type Config struct {
	// Logins are the --ssh and --ssh-file hosts, in order.
	Logins []Login
	// WorkerCmd is the --worker-cmd template, "" for none.
	WorkerCmd string
	// Slurm says WorkerCmd is --slurm's SlurmLauncher.
	Slurm bool
	// Workdir is --workdir on the hosts: made there before the first job
	// (TempWorkdir: a fresh one, removed at the end); "" is the login
	// directory.
	Workdir string
	// RemoteParrun is the worker binary the launchers start: "" is
	// parrun on the remote PATH, or Exe for --worker-cmd alone.
	RemoteParrun string
	// Exe is this parrun's own executable, for local slots.
	Exe string
	// Files is what moves with each remote job, and --basefile's files.
	Files Files
	// Slots is -j: the slots of --worker-cmd alone.
	Slots int
}

// Active reports whether the run has hosts to set up.
func (c *Config) Active() bool { return len(c.Logins) > 0 || c.WorkerCmd != "" }

// Check reports flags that make no sense together: moving files, or
// naming the remote parrun, without hosts to do it on.
func (c *Config) Check() error {
	moves := c.Files.Transfer || len(c.Files.Return) > 0 || len(c.Files.Base) > 0 || c.Workdir == TempWorkdir
	switch {
	case !c.Active() && (moves || c.Files.Cleanup):
		return errors.New("--transfer, --return, --basefile and --cleanup move files to and from other machines: they need --ssh or --worker-cmd")
	case !c.Active() && c.RemoteParrun != "":
		return errors.New("--remote-parrun names the parrun that --ssh or --worker-cmd starts: it needs one of them")
	case c.Slurm && len(c.Logins) > 0:
		return errors.New("--slurm starts workers on the nodes of the Slurm allocation: it takes no --ssh hosts")
	case c.Files.Cleanup && !moves:
		return errors.New("--cleanup removes the files of --transfer, --return and --basefile, and --workdir ...'s directories: it needs one of them")
	}
	if c.Workdir == "." {
		return errors.New("--workdir . (GNU: this directory's path below $HOME, on every host) is not supported by parrun yet")
	}
	for _, path := range c.Files.Base {
		if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
			return fmt.Errorf("--basefile %s: not a file parrun can read", path)
		}
	}
	return nil
}

// LoginSlots is the sum of the logins' slots: the run's -j when there are
// logins, 0 without.
func (c *Config) LoginSlots() int {
	n := 0
	for _, l := range c.Logins {
		n += l.Slots
	}
	return n
}

// ParseLoginLists parses --ssh values, each a comma-separated list; an
// entry without N/ gets perHost slots.
func ParseLoginLists(lists []string, perHost int) ([]Login, error) {
	var out []Login
	for _, list := range lists {
		ls, err := ParseLogins(list, perHost)
		if err != nil {
			return nil, fmt.Errorf("--ssh: %w", err)
		}
		out = append(out, ls...)
	}
	return out, nil
}

// ReadLoginFile reads an --ssh-file; "" is none. An entry without N/ gets
// perHost slots; a file without a login is an error.
func ReadLoginFile(file string, perHost int) ([]Login, error) {
	if file == "" {
		return nil, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("--ssh-file: %w", err)
	}
	defer f.Close()
	ls, err := ReadLogins(f, file, perHost)
	if err != nil {
		return nil, fmt.Errorf("--ssh-file: %w", err)
	}
	if len(ls) == 0 {
		return nil, fmt.Errorf("--ssh-file %s: no logins in it", file)
	}
	return ls, nil
}

// Hosts are the hosts of a scale-out run, set up: what sched.Process
// spreads its slots over.
type Hosts struct {
	// List is in slot order: the first host's Slots are slots 1….
	List []*sched.Host
	// Slots is the sum of the hosts' slots: the run's -j.
	Slots int

	sshs []*SSH
	// leftovers are removed at the end: --basefile's files (--cleanup) and
	// the "..." --workdir directories.
	leftovers []leftover
	notify    func(string)
}

// Close removes the --basefile files (with --cleanup) and the "..."
// --workdir directories, then stops the
// hosts' master connections and reaps them. Call it after the workers
// have been closed (their sessions run over the masters), on every path;
// a nil Hosts is fine.
func (h *Hosts) Close() {
	if h == nil {
		return
	}
	removeAll(h.leftovers, h.notify)
	for _, s := range h.sshs {
		s.Close()
	}
}

// Setup turns cfg into the hosts of a process-mode run. Each ssh host
// gets its master connection first, all at once; a host that cannot be
// reached is left out with a notice, and the run goes on while any host
// is left. The returned Hosts must be closed, also with an error.
func Setup(ctx context.Context, cfg Config, notify func(string)) (*Hosts, error) {
	logins := cfg.Logins
	if len(logins) == 0 {
		// --worker-cmd alone: one host of -j slots, "worker-cmd" below.
		logins = []Login{{Slots: cfg.Slots}}
	}
	h := &Hosts{}
	launchers := make([]Launcher, len(logins))
	for i, l := range logins {
		switch {
		case l.Local:
		case cfg.WorkerCmd != "":
			launchers[i] = &WorkerCmd{Template: cfg.WorkerCmd, Host: l.Raw}
		default:
			s := &SSH{Login: l}
			h.sshs = append(h.sshs, s)
			launchers[i] = s
		}
	}
	errs, notes := connectAll(ctx, h.sshs)
	if err := context.Cause(ctx); err != nil {
		return h, err
	}
	for _, s := range h.sshs {
		if notes[s] != "" {
			notify(notes[s])
		}
	}
	var down []error
	h.notify = notify
	dirs, prepErrs := prepareAll(ctx, cfg, logins, launchers, errs)
	if err := context.Cause(ctx); err != nil {
		return h, err
	}
	for i, l := range logins {
		err := prepErrs[i]
		if s, ok := launchers[i].(*SSH); ok && errs[s] != nil {
			err = errs[s]
		}
		if err != nil {
			notify(fmt.Sprintf("%v: running without it", err))
			down = append(down, err)
			continue
		}
		h.leftovers = append(h.leftovers, cfg.leftovers(l.Raw, launchers[i])...)
		host := cfg.host(l, launchers[i], dirs[i])
		h.List = append(h.List, host)
		h.Slots += host.Slots
	}
	if len(h.List) == 0 {
		return h, fmt.Errorf("no host can be reached: %w", errors.Join(down...))
	}
	return h, nil
}

// leftovers are what the end of the run removes from a ready host: the
// --basefile files with --cleanup.
func (c *Config) leftovers(host string, l Launcher) []leftover {
	var out []leftover
	if l != nil && c.Files.Cleanup && len(c.Files.Base) > 0 {
		out = append(out, leftover{host, l.Command(0, append([]string{"rm", "-f", "--"}, c.Files.Base...)...), "--cleanup: the --basefile files are"})
	}
	return out
}

// connectAll connects to the ssh hosts in parallel, so that a slow host
// does not hold up the others, and returns the errors of those that
// cannot be reached and the notes of those reached another way.
func connectAll(ctx context.Context, sshs []*SSH) (errs map[*SSH]error, notes map[*SSH]string) {
	errs, notes = make(map[*SSH]error), make(map[*SSH]string)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, s := range sshs {
		wg.Go(func() {
			note, err := s.Connect(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[s] = err
			}
			if note != "" {
				notes[s] = note
			}
		})
	}
	wg.Wait()
	return errs, notes
}

// host is the sched.Host of one login, reached through lc (nil for ":"),
// its jobs run in dir ("" the login directory).
func (c *Config) host(l Login, lc Launcher, dir string) *sched.Host {
	h := &sched.Host{Name: l.Raw, Slots: l.Slots, Dir: dir}
	if l.Local {
		// GNU parallel's ":" is this machine: workers as --mode process.
		h.Name = ""
		h.Launcher = func(int) []string { return []string{c.Exe} }
		c.hooks(h, here{}, l.Raw, false)
		return h
	}
	h.Remote = true
	switch {
	case h.Name == "" && c.Slurm:
		h.Name = "slurm"
	case h.Name == "":
		h.Name = "worker-cmd" // --worker-cmd alone: {host} is empty
	}
	worker := ipc.WorkerCommand(c.workerExe())
	h.Launcher = func(slot int) []string { return lc.Command(slot, worker...) }
	c.hooks(h, lc, l.Raw, c.Files.Active())
	return h
}

// hooks sets what runs on the host around each job: a fresh "..."
// --workdir directory (removed after the job with --cleanup, as GNU
// does), and with files the job's --transfer and --return files, relative
// to its directory.
func (c *Config) hooks(h *sched.Host, l Launcher, raw string, files bool) {
	temp := c.Workdir == TempWorkdir
	if !temp && !files {
		return
	}
	f := c.Files
	h.Before = func(ctx context.Context, t *sched.Task) error {
		if temp && t.Dir == "" {
			t.Dir = jobDir(t.Job.Seq)
			if err := makeWorkdir(ctx, l, t.Slot, raw, t.Dir); err != nil {
				return err
			}
		}
		if !files {
			return nil
		}
		return f.Send(ctx, inDir{l, cmp.Or(t.Dir, h.Dir)}, raw, t.Slot, t.Job)
	}
	h.After = func(ctx context.Context, t *sched.Task) error {
		var err error
		if files {
			err = f.Fetch(ctx, inDir{l, cmp.Or(t.Dir, h.Dir)}, raw, t.Slot, t.Job)
		}
		if temp && f.Cleanup && t.Dir == jobDir(t.Job.Seq) {
			if rmErr := run(ctx, l.Command(t.Slot, "rm", "-rf", "--", t.Dir), nil, nil); err == nil && rmErr != nil {
				err = fmt.Errorf("--cleanup of --workdir %s on %s: %w", t.Dir, hostName(raw), rmErr)
			}
		}
		return err
	}
}

// workerExe is the parrun binary a launcher starts.
func (c *Config) workerExe() string {
	switch {
	case c.RemoteParrun != "":
		return c.RemoteParrun
	case c.WorkerCmd != "" && len(c.Logins) == 0:
		return c.Exe // a launcher on this machine, or one sharing its file system
	}
	return "parrun"
}
