package sched

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/parrun/parrun/internal/adapt"
	"github.com/parrun/parrun/internal/throttle"
)

// FileLevel is GNU's -j procfile: the file holds a -j value (N, N%, +N,
// -N, 0), read again whenever it changes, so that a long run can be
// slowed or sped up from outside. Notify (the run's, when nil) says when
// the level moves; a value that does not parse keeps the level as it was,
// and Notify says so once per change of the file.
type FileLevel struct {
	Path   string
	Cores  int
	Notify func(string)

	mtime time.Time
	size  int64
	level int
}

// NewFileLevel reads the file once: a file that cannot be read or does
// not hold a -j value is an error now, not a surprise later.
func NewFileLevel(path string, cores int) (*FileLevel, error) {
	f := &FileLevel{Path: path, Cores: cores}
	n, err := f.read()
	if err != nil {
		return nil, err
	}
	f.level = n
	return f, nil
}

func (f *FileLevel) read() (int, error) {
	fi, err := os.Stat(f.Path)
	if err != nil {
		return 0, fmt.Errorf("-j %s: %w", f.Path, err)
	}
	b, err := os.ReadFile(f.Path)
	if err != nil {
		return 0, fmt.Errorf("-j %s: %w", f.Path, err)
	}
	f.mtime, f.size = fi.ModTime(), fi.Size()
	v := strings.TrimSpace(string(b))
	n, err := ParseSlots(v, f.Cores)
	if err != nil {
		return 0, fmt.Errorf("-j %s holds %q: %w", f.Path, v, err)
	}
	return n, nil
}

// Start implements Level.
func (f *FileLevel) Start() int { return f.level }

// Tick implements Level: the file's value, read again if it changed.
func (f *FileLevel) Tick(Tally) int {
	fi, err := os.Stat(f.Path)
	if err != nil || (fi.ModTime().Equal(f.mtime) && fi.Size() == f.size) {
		return f.level
	}
	n, err := f.read()
	if err != nil {
		if f.Notify != nil {
			f.Notify(err.Error() + ": running at most " + fmt.Sprint(f.level) + " at once, as before")
		}
		return f.level
	}
	if n != f.level && f.Notify != nil {
		f.Notify(fmt.Sprintf("-j %s: running at most %d at once (was %d)", f.Path, n, f.level))
	}
	f.level = n
	return n
}

// AutoLevel is -j auto: adapt's control rule, fed one window at a time
// with what the run did and the machine's CPU and memory pressure.
type AutoLevel struct {
	c       *adapt.Controller
	machine throttle.Machine

	mu    sync.Mutex // Limit and Peak may be read while the run goes
	acc   Tally
	busy  float64 // ∫ running dt over the window, in job·seconds
	start int
}

// NewAutoLevel starts at start jobs at once, never above ceiling; cores
// is the floor CPU pressure cannot push it under.
func NewAutoLevel(start, ceiling, cores int) *AutoLevel {
	return &AutoLevel{c: adapt.New(start, ceiling, cores), start: start}
}

// Watch makes m the machine whose pressure the level reads (by default
// this one's /proc and cgroup): --memfree's and --load's view of it.
func (a *AutoLevel) Watch(m throttle.Machine) { a.machine = m }

// Start implements Level.
func (a *AutoLevel) Start() int { return a.c.Limit() }

// Tick implements Level: it adds the tick to the window, and judges the
// window once it is long enough.
func (a *AutoLevel) Tick(t Tally) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.acc.Elapsed += t.Elapsed
	a.acc.Completed += t.Completed
	a.acc.Failed += t.Failed
	a.acc.Held = a.acc.Held || t.Held
	a.busy += float64(t.Running) * t.Elapsed.Seconds()
	if !a.c.WindowDone(a.acc.Elapsed, a.acc.Completed) {
		return a.c.Limit()
	}
	s := adapt.Sample{
		Elapsed: a.acc.Elapsed, Completed: a.acc.Completed, Failed: a.acc.Failed,
		Busy: a.busy / a.acc.Elapsed.Seconds(), Held: a.acc.Held,
		CPUPressure: a.pressure("cpu"), MemPressure: a.pressure("memory"),
	}
	a.acc, a.busy = Tally{}, 0
	return a.c.Observe(s)
}

func (a *AutoLevel) pressure(resource string) float64 {
	if p, ok := a.machine.Pressure(resource); ok {
		return p
	}
	return -1
}

// String says where the level is, for the end of the run: "-j auto ran 12
// jobs at once at the end (peak 16, from 2)".
func (a *AutoLevel) String() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return fmt.Sprintf("-j auto ran %d jobs at once at the end (peak %d, from %d)", a.c.Limit(), a.c.Peak(), a.start)
}

// autoCeiling × the cores (at most DefaultConcurrency, -j 0's pool) is how
// far -j auto may go without N in Nauto: far enough for jobs that mostly
// wait, bounded for a run whose pressure cannot be read.
const autoCeiling = 64

// ParseJobs parses -j: ParseSlots's forms; "auto", or GNU's newer "Nauto"
// (auto, never above N); or, as GNU's procfile, the name of a file that
// holds one of ParseSlots's forms. A -j that moves returns its Level, and
// its ceiling as slots: autoCeiling × cores for auto (at most
// DefaultConcurrency), DefaultConcurrency for a file.
func ParseJobs(s string, cores int) (int, Level, error) {
	if fi, err := os.Stat(s); s != "" && err == nil && !fi.IsDir() {
		f, err := NewFileLevel(s, cores)
		if err != nil {
			return 0, nil, err
		}
		return DefaultConcurrency, f, nil
	}
	if n, ok := strings.CutSuffix(s, "auto"); ok {
		ceiling := min(autoCeiling*cores, DefaultConcurrency)
		if n != "" {
			var err error
			if ceiling, err = ParseSlots(n, cores); err != nil {
				return 0, nil, fmt.Errorf("-j %s: want auto, or Nauto (at most N at once): %w", s, err)
			}
		}
		ceiling = min(ceiling, MaxSlots)
		return ceiling, NewAutoLevel(min(cores, ceiling), ceiling, cores), nil
	}
	n, err := ParseSlots(s, cores)
	if err != nil {
		return 0, nil, fmt.Errorf("-j %s: %w", s, err)
	}
	return n, nil, nil
}

// StartLevel is how many jobs run at once when the run starts: Level's
// start when -j moves, else Slots.
func (o *Options) StartLevel() int {
	if o.Level != nil {
		return min(max(o.Level.Start(), 1), o.Slots)
	}
	return o.Slots
}
