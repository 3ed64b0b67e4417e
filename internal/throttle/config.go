package throttle

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	osexec "os/exec"
	"strconv"
	"strings"
	"time"
)

// Config is the throttle flags as typed: GNU parallel's --memfree,
// --memsuspend, --load, --noswap and --limit.
type Config struct {
	MemFree, MemSuspend string // sizes: 1G, 500M, 2Gi, 1g (10^9)
	Load                string // N, N%, +N, -N
	NoSwap              bool
	Limit               string // a shell command, or "mem SIZE", "load N"
	// Shell runs the --limit command (GNU: the user's $SHELL, -c).
	Shell string
	// Env is the --limit command's environment.
	Env []string
}

// Active reports whether any throttle flag is set.
func (c Config) Active() bool {
	return c.MemFree != "" || c.MemSuspend != "" || c.Load != "" || c.NoSwap || c.Limit != ""
}

// Gate builds the gates the flags ask for, reading the machine once to
// check each can be read here; nil when none is set. cores is what N%
// of --load counts against.
func (c Config) Gate(m Machine, cores int) (Gate, error) {
	var gs Gates
	var free int64
	if flag := c.memFlag(); flag != "" {
		if _, err := m.MemAvailable(); err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
	}
	if c.MemFree != "" {
		n, err := ParseSize(c.MemFree)
		if err != nil {
			return nil, fmt.Errorf("--memfree %q: %w", c.MemFree, err)
		}
		free = n
		gs = append(gs, MemFree{Size: n, Mem: m.MemAvailable})
	}
	if c.MemSuspend != "" {
		n, err := ParseSize(c.MemSuspend)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("--memsuspend %q: %w", c.MemSuspend, cmpErr(err, errors.New("must be more than 0")))
		}
		gs = append(gs, MemSuspend{Size: n, Free: free, Mem: m.MemAvailable})
	}
	if c.Load != "" {
		g, err := c.load(c.Load, "--load", m, cores)
		if err != nil {
			return nil, err
		}
		gs = append(gs, g)
	}
	if c.NoSwap {
		if _, _, err := m.Swapped(); err != nil {
			return nil, fmt.Errorf("--noswap: %w", err)
		}
		gs = append(gs, &NoSwap{Swapped: m.Swapped, Every: time.Second})
	}
	if c.Limit != "" {
		g, err := c.limit(m, cores)
		if err != nil {
			return nil, err
		}
		gs = append(gs, g)
	}
	if len(gs) == 0 {
		return nil, nil
	}
	return gs, nil
}

// memFlag names the first flag that reads free memory, "" when none does.
func (c Config) memFlag() string {
	switch {
	case c.MemFree != "":
		return "--memfree"
	case c.MemSuspend != "":
		return "--memsuspend"
	case strings.HasPrefix(strings.TrimSpace(c.Limit), "mem "):
		return "--limit mem"
	}
	return ""
}

func (c Config) load(s, flag string, m Machine, cores int) (Gate, error) {
	n, err := ParseLoad(s, cores)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", flag, s, err)
	}
	if _, err := m.Runnable(); err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return Load{Max: n, Runnable: m.Runnable}, nil
}

// limit is --limit: GNU's predefined "mem SIZE" and "load N" are the
// gates of --memfree and --load; "io N" needs iostat's figures, which
// parrun does not read; anything else is a shell command.
func (c Config) limit(m Machine, cores int) (Gate, error) {
	name, arg, _ := strings.Cut(strings.TrimSpace(c.Limit), " ")
	arg = strings.TrimSpace(arg)
	switch {
	case name == "mem" && arg != "":
		n, err := ParseSize(arg)
		if err != nil {
			return nil, fmt.Errorf("--limit %q: %w", c.Limit, err)
		}
		return MemFree{Size: n, Mem: m.MemAvailable}, nil
	case name == "load" && arg != "":
		return c.load(arg, "--limit load", m, cores)
	case name == "io" && arg != "":
		return nil, fmt.Errorf("--limit %q: GNU parallel's predefined io limit is not supported by parrun", c.Limit)
	}
	return Limit{Cmd: c.Limit, Run: c.runLimit}, nil
}

// limitTimeout bounds one run of a --limit command: one that hangs holds
// starts back (wait) rather than the whole run.
const limitTimeout = 30 * time.Second

// runLimit runs the --limit command once, as GNU parallel does: through
// the shell, with SSHLOGIN set to ":" (this machine), its output on
// parrun's stderr. It is parrun's own probe, not a job.
func (c Config) runLimit() (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limitTimeout)
	defer cancel()
	cmd := osexec.CommandContext(ctx, c.Shell, "-c", c.Limit)
	cmd.Env = append(append([]string(nil), c.Env...), "SSHLOGIN=:")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	err := cmd.Run()
	var ee *osexec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case ctx.Err() != nil:
		return 0, fmt.Errorf("still running after %v", limitTimeout)
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return ee.ExitCode(), nil
	}
	return 0, err
}

func cmpErr(err, or error) error {
	if err != nil {
		return err
	}
	return or
}

// ParseSize parses a size as GNU parallel's --memfree does (its UNIT
// PREFIX): K, M, G, T, P and Ki, Mi, … (either case) are powers of 1024;
// k, m, g, t, p are powers of 1000. A fraction is allowed: 1.5G.
func ParseSize(s string) (int64, error) {
	bad := errors.New("want a size such as 500M, 2G, 1.5Gi or 1g (10^9)")
	num := strings.TrimRight(s, "KMGTPkmgtpIi")
	unit := s[len(num):]
	mult := 1.0
	if unit != "" {
		const letters = "kmgtp"
		i := strings.IndexByte(letters, strings.ToLower(unit[:1])[0])
		if i < 0 || len(unit) > 2 || len(unit) == 2 && unit[1] != 'i' && unit[1] != 'I' {
			return 0, bad
		}
		base := 1024.0
		if len(unit) == 1 && unit[0] >= 'a' {
			base = 1000
		}
		mult = math.Pow(base, float64(i+1))
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || !(f >= 0) || f*mult > 1<<62 {
		return 0, bad
	}
	return int64(f * mult), nil
}
