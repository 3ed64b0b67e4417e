package remote

import (
	"context"
	"fmt"
	"os"
	"sync"
)

// TempWorkdir is GNU's --workdir value for a fresh directory for each
// job, .parallel/tmp/HOST-PID-SEQ below the login directory (HOST and PID
// this machine's and parrun's), removed after the job with --cleanup.
const TempWorkdir = "..."

// here runs commands on this machine: the ":" login's launcher, for
// readying its --workdir.
type here struct{}

func (here) Command(_ int, words ...string) []string { return words }

// inDir runs commands in dir on the host (a relative dir is below the
// login directory): --transfer and --return paths are relative to the
// --workdir there, as in GNU.
type inDir struct {
	l   Launcher
	dir string
}

func (d inDir) Command(slot int, words ...string) []string {
	if d.dir == "" {
		return d.l.Command(slot, words...)
	}
	return d.l.Command(slot, append([]string{"sh", "-c", `cd -- "$1" && shift && exec "$@"`, "sh", d.dir}, words...)...)
}

// makeWorkdir makes the --workdir directory dir on the host (mkdir -p, as
// GNU does).
func makeWorkdir(ctx context.Context, l Launcher, slot int, host, dir string) error {
	if err := run(ctx, l.Command(slot, "mkdir", "-p", "--", dir), nil, nil); err != nil {
		return fmt.Errorf("--workdir %s on %s: %w", dir, hostName(host), err)
	}
	return nil
}

// jobDir is the "..." --workdir directory of job seq.
func jobDir(seq int64) string {
	name, _ := os.Hostname()
	return fmt.Sprintf(".parallel/tmp/%s-%d-%d", name, os.Getpid(), seq)
}

// hostName is how a message names the host of a login.
func hostName(raw string) string {
	switch raw {
	case "":
		return "the launcher's machine"
	case ":":
		return "this machine"
	}
	return "host " + raw
}

// prepareAll readies every host that was reached (sshErrs holds the ssh
// hosts that were not), all at once, before any job: the --basefile files,
// then the --workdir directory. dirs[i] is the directory of logins[i]'s
// jobs, errs[i] why it cannot take any.
func prepareAll(ctx context.Context, cfg Config, logins []Login, launchers []Launcher, sshErrs map[*SSH]error) (dirs []string, errs []error) {
	dirs, errs = make([]string, len(logins)), make([]error, len(logins))
	if len(cfg.Files.Base) == 0 && cfg.Workdir == "" {
		return dirs, errs
	}
	var wg sync.WaitGroup
	for i, l := range launchers {
		if s, ok := l.(*SSH); ok && sshErrs[s] != nil {
			continue
		}
		wg.Go(func() { dirs[i], errs[i] = cfg.prepare(ctx, l, logins[i].Raw) })
	}
	wg.Wait()
	return dirs, errs
}

// prepare readies one host; l is nil for ":", which needs no copies.
func (c *Config) prepare(ctx context.Context, l Launcher, host string) (string, error) {
	if l == nil {
		l = here{}
	} else if err := c.Files.SendBase(ctx, l, host); err != nil {
		return "", err
	}
	if c.Workdir == "" || c.Workdir == TempWorkdir {
		return "", nil // "..." is made before each job
	}
	return c.Workdir, makeWorkdir(ctx, l, 0, host, c.Workdir)
}
