package adapt

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The simulator plays a workload model against a Controller, window by
// window, with no real time: a window grows in simTick steps until
// WindowDone accepts it, as the scheduler's sampler would.
const (
	simTick    = 100 * time.Millisecond
	simNoise   = 0.10 // ± multiplicative noise on each window's throughput
	simWindows = 60
	simSeeds   = 20 // each model runs once per seed 1..simSeeds
)

// load is what a workload does at a given limit.
type load struct {
	rate     float64 // jobs finished per second, before noise
	fail     float64 // chance that a finished job failed
	busy     float64 // mean jobs running
	held     bool    // another throttle held a start back
	cpu, mem float64 // PSI some avg10, -1 for unknown
	cpuNoise float64 // ± noise added to cpu when it is above 0
}

// model is a workload and the controller's parameters.
type model struct {
	start, ceiling, cores int
	at                    func(limit int) load
}

// ioBound is `sleep 1`: throughput is the limit per second up to a spawn
// cost of 400 jobs/s; no pressure.
func ioBound(limit int) load {
	return load{rate: min(float64(limit), 400), busy: float64(limit), cpu: 0, mem: 0}
}

// cpuBound is 0.2 s of CPU per job on 2 cores: beyond 2 jobs the
// throughput stays put and CPU pressure shows.
func cpuBound(limit int) load {
	l := load{rate: float64(min(limit, 2)) / 0.2, busy: float64(limit), cpu: 0, mem: 0}
	if limit > 2 {
		l.cpu, l.cpuNoise = 60, 10
	}
	return l
}

// memHungry is 1 s jobs of 300 MiB each under --memfree with 1 GiB above
// the threshold: 3 fit, and --memfree holds the 4th back.
func memHungry(limit int) load {
	fit := min(limit, 3)
	return load{rate: float64(fit), busy: float64(fit), held: limit > 3, cpu: 0, mem: 0}
}

// failing is 1 s jobs against a service that fails half of them when more
// than 6 run at once (and 2% anyway).
func failing(limit int) load {
	l := ioBound(limit)
	l.fail = 0.02
	if limit > 6 {
		l.fail = 0.5
	}
	return l
}

// simulate runs m for n windows and returns the controller and the limit
// in force during each window.
func simulate(m model, n int, seed uint64) (*Controller, []int) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	c := New(m.start, m.ceiling, m.cores)
	traj := make([]int, 0, n)
	for range n {
		traj = append(traj, c.Limit())
		c.Observe(window1(c, m.at(c.Limit()), r))
	}
	return c, traj
}

// window1 produces one window's Sample of load l.
func window1(c *Controller, l load, r *rand.Rand) Sample {
	rate := l.rate * (1 + simNoise*(2*r.Float64()-1))
	var elapsed time.Duration
	var done int
	for {
		elapsed += simTick
		done = int(rate * elapsed.Seconds())
		if c.WindowDone(elapsed, done) {
			break
		}
	}
	failed := 0
	for range done {
		if r.Float64() < l.fail {
			failed++
		}
	}
	cpu := l.cpu
	if cpu > 0 {
		cpu += l.cpuNoise * (2*r.Float64() - 1)
	}
	return Sample{Elapsed: elapsed, Completed: done, Failed: failed, Busy: l.busy,
		Held: l.held, CPUPressure: cpu, MemPressure: l.mem}
}

// runSeeds simulates m once per seed, logs each trajectory and hands it
// to check, which returns a complaint or "".
func runSeeds(t *testing.T, m model, check func(c *Controller, traj []int) string) {
	t.Helper()
	for seed := uint64(1); seed <= simSeeds; seed++ {
		c, traj := simulate(m, simWindows, seed)
		t.Logf("seed %2d: %s -> %d (peak %d)", seed, fmtTraj(traj), c.Limit(), c.Peak())
		if msg := check(c, traj); msg != "" {
			t.Errorf("seed %d: %s", seed, msg)
		}
	}
}

func fmtTraj(traj []int) string {
	var b strings.Builder
	for i, l := range traj {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, l)
	}
	return b.String()
}

// within returns a complaint if some traj[from:] is outside [lo, hi].
func within(traj []int, from, lo, hi int) string {
	for i := from; i < len(traj); i++ {
		if traj[i] < lo || traj[i] > hi {
			return fmt.Sprintf("window %d: limit %d; want [%d,%d] from window %d on", i, traj[i], lo, hi, from)
		}
	}
	return ""
}

func TestSimIOBound(t *testing.T) {
	runSeeds(t, model{start: 2, ceiling: 64, cores: 2, at: ioBound}, func(c *Controller, traj []int) string {
		first := -1
		for i, l := range traj {
			if l >= 32 {
				first = i
				break
			}
		}
		// traj[i] is the limit after i windows.
		if first < 0 || first > 15 {
			return fmt.Sprintf("limit first reached 32 after %d windows; want ≤ 15", first)
		}
		return within(traj, first, 32, 64)
	})
}

func TestSimCPUBound(t *testing.T) {
	runSeeds(t, model{start: 2, ceiling: 64, cores: 2, at: cpuBound}, func(c *Controller, traj []int) string {
		if msg := within(traj, 30, 2, 3); msg != "" {
			return msg
		}
		sum := 0
		for _, l := range traj[10:60] {
			sum += l
		}
		if mean := float64(sum) / 50; mean > 2.5 {
			return fmt.Sprintf("mean limit over windows 10-60 = %.2f; want ≤ 2.5", mean)
		}
		return ""
	})
}

func TestSimMemHungry(t *testing.T) {
	runSeeds(t, model{start: 2, ceiling: 64, cores: 8, at: memHungry}, func(c *Controller, traj []int) string {
		return within(traj, 10, 3, 4)
	})
}

func TestSimCeiling(t *testing.T) {
	runSeeds(t, model{start: 2, ceiling: 8, cores: 2, at: ioBound}, func(c *Controller, traj []int) string {
		if msg := within(traj, 0, 1, 8); msg != "" {
			return msg
		}
		if c.Peak() != 8 {
			return fmt.Sprintf("Peak() = %d; want 8", c.Peak())
		}
		return ""
	})
}

func TestSimFailing(t *testing.T) {
	runSeeds(t, model{start: 2, ceiling: 64, cores: 4, at: failing}, func(c *Controller, traj []int) string {
		return within(traj, 10, 4, 7)
	})
}

// TestSimHiccup: one window of a shared machine's stall (throughput at
// 40%) in the middle of slow start does not end it: the I/O-bound run
// still reaches its ceiling, rather than probing its way up by one job in
// eight every four windows.
func TestSimHiccup(t *testing.T) {
	window := 0
	hiccup := func(limit int) load {
		l := ioBound(limit)
		if window%simWindows == 4 {
			l.rate *= 0.4
		}
		window++
		return l
	}
	runSeeds(t, model{start: 2, ceiling: 64, cores: 2, at: hiccup}, func(c *Controller, traj []int) string {
		for i, l := range traj[:12] {
			if l == 64 {
				return within(traj, i, 32, 64)
			}
		}
		return "limit did not reach the ceiling of 64 within 12 windows"
	})
}
