package throttle

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Action is what a Gate says to do about the run's jobs.
type Action int

// The actions, from the mildest.
const (
	// Start: a job may start now.
	Start Action = iota
	// Wait: start no job now.
	Wait
	// Kill: start no job, and stop the youngest running job to run it
	// again later (GNU's --memfree below half, --limit exit 2).
	Kill
)

// Verdict is a Gate's answer.
type Verdict struct {
	Action Action
	// Why says, when Action is not Start, what holds the run back, for
	// the display: "memory 180 MiB free < 1 GiB".
	Why string
	// Run, when not negative, is how many of the running jobs may go on
	// running; the others are suspended until it rises (--memsuspend).
	Run int
}

// Go is the verdict of a gate that holds nothing back.
var Go = Verdict{Action: Start, Run: -1}

// A Gate says whether a job may start now. Check is called before every
// start and periodically while jobs run, from one goroutine at a time.
type Gate interface {
	Check() Verdict
}

// Gates is the strictest verdict of several gates.
type Gates []Gate

// Check implements Gate: the strictest Action and the lowest Run; Why is
// that of the gate whose Action won.
func (gs Gates) Check() Verdict {
	v := Go
	for _, g := range gs {
		w := g.Check()
		if w.Action > v.Action {
			v.Action, v.Why = w.Action, w.Why
		}
		if w.Run >= 0 && (v.Run < 0 || w.Run < v.Run) {
			v.Run = w.Run
		}
	}
	return v
}

// MemFree is GNU's --memfree: start a job only while more than Size
// bytes are available; below half of Size, kill the youngest job.
type MemFree struct {
	Size int64
	Mem  func() (int64, error) // Machine.MemAvailable
}

// Check implements Gate.
func (m MemFree) Check() Verdict {
	free, err := m.Mem()
	switch {
	case err != nil:
		return Verdict{Action: Wait, Why: fmt.Sprintf("free memory unknown (%v)", err), Run: -1}
	case free < m.Size/2:
		return Verdict{Action: Kill, Why: fmt.Sprintf("memory %s free < half of --memfree %s", Bytes(free), Bytes(m.Size)), Run: -1}
	case free < m.Size:
		return Verdict{Action: Wait, Why: fmt.Sprintf("memory %s free < %s", Bytes(free), Bytes(m.Size)), Run: -1}
	}
	return Go
}

// MemSuspend is GNU's --memsuspend: start a job only while more than Size
// (plus Free, --memfree's size) bytes are available; below 2×Size,
// suspend the youngest jobs, fewer the less is free, down to one below
// Size; resume them as memory comes back.
type MemSuspend struct {
	Size, Free int64
	Mem        func() (int64, error)
}

// Check implements Gate, with GNU parallel's rule for how many run: with
// f = free/Size < 2, 1 + ⌊1/(2−f)⌋ (1 below Size, 3 at 1.5×Size, 5 at
// 1.75×Size).
func (m MemSuspend) Check() Verdict {
	free, err := m.Mem()
	if err != nil {
		return Verdict{Action: Wait, Why: fmt.Sprintf("free memory unknown (%v)", err), Run: -1}
	}
	v := Go
	if free < m.Size+m.Free {
		v = Verdict{Action: Wait, Why: fmt.Sprintf("memory %s free < %s", Bytes(free), Bytes(m.Size+m.Free)), Run: -1}
	}
	if f := float64(free) / float64(m.Size); f < 2 {
		v.Run = 1
		if f > 1 {
			v.Run += int(min(1/(2-f), 1<<20))
		}
	}
	return v
}

// Load is GNU's --load: start a job only while fewer than Max processes
// are running or waiting for the CPU or a disk (Machine.Runnable).
type Load struct {
	Max      float64
	Runnable func() (int, error)
}

// ParseLoad parses --load as GNU parallel does, with -j's syntax (N, N% of
// the cores, +N, -N), where 0 means 0.01. The caller names the flag.
func ParseLoad(s string, cores int) (float64, error) {
	bad := fmt.Errorf("want N, N%%, +N or -N (of the %d cores)", cores)
	var n float64
	var err error
	switch {
	case strings.HasSuffix(s, "%"):
		n, err = strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		n = n * float64(cores) / 100
	case strings.HasPrefix(s, "+"), strings.HasPrefix(s, "-"):
		n, err = strconv.ParseFloat(s, 64)
		n = max(n+float64(cores), 0) // GNU: -N beyond the cores is 0, so 0.01
	default:
		n, err = strconv.ParseFloat(s, 64)
	}
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) || n < 0 {
		return 0, bad
	}
	return max(n, 0.01), nil
}

// Check implements Gate.
func (l Load) Check() Verdict {
	n, err := l.Runnable()
	switch {
	case err != nil:
		// GNU parallel: an unknown load is too high.
		return Verdict{Action: Wait, Why: fmt.Sprintf("load unknown (%v)", err), Run: -1}
	case float64(n) >= l.Max:
		return Verdict{Action: Wait, Why: fmt.Sprintf("load %d ≥ --load %s", n, strconv.FormatFloat(l.Max, 'f', -1, 64)), Run: -1}
	}
	return Go
}

// NoSwap is GNU's --noswap: start no job while the machine swaps both in
// and out, measured over at least Every (GNU samples over a second).
type NoSwap struct {
	Swapped func() (in, out uint64, err error)
	Every   time.Duration
	Now     func() time.Time // time.Now when nil

	mu      sync.Mutex
	at      time.Time // when last sampled, good or bad
	have    bool      // in and out hold a good sample
	in, out uint64
	last    Verdict
}

// Check implements Gate: the verdict of the last full interval.
func (s *NoSwap) Check() Verdict {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	if !s.at.IsZero() && now.Sub(s.at) < s.Every {
		return s.last
	}
	in, out, err := s.Swapped()
	switch {
	case err != nil:
		// Keep no counters: the next good sample starts afresh.
		s.last = Verdict{Action: Wait, Why: fmt.Sprintf("swap activity unknown (%v)", err), Run: -1}
		s.at, s.have = now, false
		return s.last
	case !s.have:
		s.last = Go // the first sample: nothing to compare with yet
	case in > s.in && out > s.out: // a counter that went back (reset) is no swapping
		s.last = Verdict{Action: Wait, Why: fmt.Sprintf("swapping: %d pages in, %d out in %v", in-s.in, out-s.out, now.Sub(s.at).Round(time.Millisecond)), Run: -1}
	default:
		s.last = Go
	}
	s.at, s.have, s.in, s.out = now, true, in, out
	return s.last
}

// Limit is GNU's --limit "command args": Run runs the command before each
// start; its exit status 0 is start, 1 is wait, 2 is kill the youngest
// job. Any other status, or a command that cannot run, is wait.
type Limit struct {
	Cmd string
	Run func() (exit int, err error)
}

// Check implements Gate.
func (l Limit) Check() Verdict {
	code, err := l.Run()
	switch {
	case err != nil:
		return Verdict{Action: Wait, Why: fmt.Sprintf("--limit %q: %v", l.Cmd, err), Run: -1}
	case code == 0:
		return Go
	case code == 2:
		return Verdict{Action: Kill, Why: fmt.Sprintf("--limit %q exited 2: way over the limit", l.Cmd), Run: -1}
	}
	return Verdict{Action: Wait, Why: fmt.Sprintf("--limit %q exited %d: over the limit", l.Cmd, code), Run: -1}
}

// Bytes writes n bytes as people read them: 180 MiB, 1 GiB, 512 B.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit && n > -unit {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n), 0
	for math.Abs(f) >= unit && i < 5 {
		f /= unit
		i++
	}
	s := strconv.FormatFloat(f, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + [...]string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}[i]
}
