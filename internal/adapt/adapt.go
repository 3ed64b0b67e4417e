// Package adapt is the control rule behind parrun -j auto: how many jobs
// may run at once, adapted to what the run measures. It is pure logic: the
// scheduler measures a window of the run, hands it to Observe and uses the
// limit it returns; nothing here starts goroutines, reads clocks or /proc.
//
// The rule, in plain words:
//
// The run is measured in windows. A window ends once it has lasted at least
// half a second and as many jobs have finished in it as the limit lets run
// at once (twice as many in steady state, whose steps are smaller), or
// after ten seconds whatever the count. Its throughput is the number of
// jobs that finished per second.
//
//   - Slow start. From the starting limit, after each window whose
//     throughput beat the previous limit's by 10% or more, the limit
//     doubles (TCP's slow start). The first window has nothing to
//     compare with, so it grows too. A raise that gained less than 10% in
//     two windows running is undone (one window alone may be a stall of a
//     shared machine), and the limit settles into steady state.
//   - Steady state. Three windows follow the throughput at the current
//     limit (a moving average, so that ±10% of noise between windows does
//     not move the limit); the fourth tries one job more per eight (at least
//     one). The try is kept if throughput rose by 5% or more, and undone
//     otherwise.
//   - Pressure. When memory pressure (PSI "some avg10") is over 10%, the
//     limit is halved and steady state begins. When CPU pressure is over 40%
//     and the limit is above the machine's cores, the limit drops by a
//     quarter, but CPU pressure never pushes it under the cores.
//   - Failures. When, in any window at a raised limit (until the next
//     raise), the share of failed jobs is more than 0.2 above that of the
//     last window before the raise, the raise is undone: a remote service
//     that refuses work under load sets the limit.
//   - Windows that say nothing. A window in which another throttle
//     (--memfree, --load, --noswap, --limit) held a start back never raises
//     the limit; it lowers it to the number of jobs that were running on
//     average (rounded up), so that the limit follows what, for instance,
//     memory allows. A window in which fewer than 80% of the limit's jobs
//     were running on average (the input is slow) neither raises nor lowers
//     it.
//   - The limit is never above the ceiling (-j auto's maximum) and never
//     below one job.
package adapt

import (
	"math"
	"time"
)

// The window bounds: see Controller.WindowDone.
const (
	// MinWindow is the shortest window Observe should be given.
	MinWindow = 500 * time.Millisecond
	// MaxWindow ends a window whatever its count of completions, so that
	// slow jobs still move the limit.
	MaxWindow = 10 * time.Second
)

// The rule's tuning knobs.
const (
	// raiseGain is the throughput gain a slow-start raise must bring to be
	// kept and followed by another.
	raiseGain = 0.10
	// probeGain is the gain a steady-state probe must bring to be kept; it is
	// lower than raiseGain because a probe adds far fewer jobs.
	probeGain = 0.05
	// probeEvery: every probeEvery-th steady-state window is a probe.
	probeEvery = 4
	// probeDiv: a probe adds limit/probeDiv jobs, at least one.
	probeDiv = 8
	// trackWeight is the weight of the newest window in the throughput
	// tracked between probes (an exponentially weighted mean).
	trackWeight = 0.25
	// memPressureMax and cpuPressureMax are the PSI "some avg10"
	// percentages above which the limit is lowered.
	memPressureMax = 10.0
	cpuPressureMax = 40.0
	// failJump is the rise in the share of failed jobs that undoes a raise.
	failJump = 0.2
	// busyShare: a window with fewer jobs running on average than busyShare
	// of the limit says nothing about a higher limit.
	busyShare = 0.8
)

// Sample is what one measuring window of the run saw.
type Sample struct {
	Elapsed   time.Duration // the window's length
	Completed int           // jobs that finished in the window
	Failed    int           // of them, failed
	// Busy is the mean number of jobs running over the window; a window
	// with Busy well under the limit (input starved, or another throttle such as
	// --memfree holding starts back) says nothing about a higher limit.
	Busy float64
	// Held is true when another throttle (--memfree, --load, --noswap, --limit)
	// held a start back during the window.
	Held bool
	// CPUPressure and MemPressure are PSI "some avg10" percentages (0..100), or -1 when unknown.
	CPUPressure, MemPressure float64
}

// Controller is -j auto's state. The zero value is not usable: use New.
// A Controller is not safe for concurrent use; the scheduler owns it.
type Controller struct {
	limit, ceiling, cores, peak int

	steady bool // slow start is over
	// trial is true while the current limit is a raise (slow start) or a
	// probe (steady state) whose throughput has not been judged yet.
	trial bool
	// back is the limit before the last raise or probe, 0 once that raise
	// has been undone or superseded by a cut; backTput is the throughput
	// measured there and backFail its last window's share of failed jobs.
	back               int
	backTput, backFail float64

	tput    float64 // steady state: the tracked throughput at limit
	hasTput bool    // tput holds a measurement
	tracked int     // steady-state windows since the last probe
	// doubt is set when a slow-start raise's first window gained too
	// little: one more window decides, so that one noisy window does not
	// end slow start far below where the run scales to.
	doubt bool
}

// window is a sanitised Sample.
type window struct {
	tput, fail float64
	busy       float64
	busyKnown  bool // Busy was a number
	// judged is true when the window tells the throughput at the limit:
	// something finished, nothing held a start back, the slots were busy.
	judged bool
}

// New returns a controller starting at start jobs, never above ceiling nor below 1;
// cores is the machine's usable cores (the level CPU pressure cannot push it under).
// It panics if ceiling < 1.
func New(start, ceiling, cores int) *Controller {
	if ceiling < 1 {
		panic("adapt.New: ceiling < 1")
	}
	c := &Controller{ceiling: ceiling, cores: max(cores, 1)}
	c.set(start)
	return c
}

// Limit is how many jobs may run at once now.
func (c *Controller) Limit() int { return c.limit }

// Peak is the highest limit used so far.
func (c *Controller) Peak() int { return c.peak }

// WindowDone reports whether a window of elapsed length with completed jobs is long enough
// to judge: at least MinWindow (500ms) and at least Limit completions (2×Limit in steady
// state), or at most MaxWindow (10s) whatever the count.
func (c *Controller) WindowDone(elapsed time.Duration, completed int) bool {
	if elapsed >= MaxWindow {
		return true
	}
	need := c.limit // slow start judges on one round of the limit's jobs
	if c.steady {
		need = 2 * c.limit
	}
	return elapsed >= MinWindow && completed >= need
}

// Observe takes one window's sample and returns the new limit.
// Any sample is accepted: a zero Elapsed, negative counts or NaN values
// make a window that says nothing rather than a panic.
func (c *Controller) Observe(s Sample) int {
	w := c.read(s)
	switch {
	case c.pressed(s):
	case s.Held:
		c.held(w)
	case !w.judged:
		// Input starved or nothing finished: nothing to learn, and a
		// pending raise waits for a window that can judge it.
	case c.back > 0 && w.fail > c.backFail+failJump:
		// Watched in every window at the raised level, not only the first:
		// one lucky window (few failures by chance) would otherwise keep a
		// failing level, and from there failures no longer jump while
		// throughput still rises with each probe, so the limit would climb
		// to the ceiling (TestSimFailing, seeds 5, 7, 10, 11 and 19).
		c.undo()
	case c.steady:
		c.steadyWindow(w)
	default:
		c.slowStart(w)
	}
	return c.limit
}

// read sanitises s against the current limit.
func (c *Controller) read(s Sample) window {
	var w window
	if !math.IsNaN(s.Busy) {
		// Busy cannot exceed the limit; clamping also tames ±Inf.
		w.busy, w.busyKnown = min(max(s.Busy, 0), float64(c.limit)), true
	}
	done := max(s.Completed, 0)
	if s.Elapsed <= 0 || done == 0 {
		return w
	}
	w.tput = float64(done) / s.Elapsed.Seconds()
	w.fail = float64(min(max(s.Failed, 0), done)) / float64(done)
	w.judged = w.busyKnown && !s.Held && w.busy >= busyShare*float64(c.limit)
	return w
}

// pressed applies the pressure ceiling and reports whether it lowered the
// limit. NaN pressures compare false, as unknown (-1) ones do.
func (c *Controller) pressed(s Sample) bool {
	switch {
	case s.MemPressure > memPressureMax:
		c.set(c.limit / 2) // set keeps it at 1 or more
	case s.CPUPressure > cpuPressureMax && c.limit > c.cores:
		// limit*3/4 without overflow.
		c.set(max(c.cores, c.limit/4*3+c.limit%4*3/4))
	default:
		return false
	}
	c.restart()
	return true
}

// held follows a window in which another throttle held a start back: the
// limit comes down to the jobs that were running, and never goes up.
func (c *Controller) held(w window) {
	if !w.busyKnown {
		return
	}
	// w.busy is in [0, limit], so the conversion is safe.
	if n := max(1, int(math.Ceil(w.busy))); n < c.limit {
		c.set(n)
		c.restart()
	}
}

// slowStart judges a window of slow start: it doubles the limit
// while raises pay, and settles into steady state when one does not.
func (c *Controller) slowStart(w window) {
	if c.trial && !rose(w.tput, c.backTput, raiseGain) {
		if !c.doubt {
			c.doubt = true
			return
		}
		c.doubt = false
		c.undo()
		return
	}
	c.doubt = false
	step := min(c.limit, c.ceiling-c.limit) // doubling, capped
	if step <= 0 {
		// At the ceiling: nothing left to try but steady state. back stays,
		// so failures at this level can still undo the last raise.
		c.settle(w.tput)
		return
	}
	c.raise(c.limit+step, w, w.tput)
}

// steadyWindow judges a window of steady state: a probe's window keeps or
// undoes the probe; other windows track the throughput, and every
// probeEvery-th window starts a probe.
func (c *Controller) steadyWindow(w window) {
	if c.trial {
		if rose(w.tput, c.backTput, probeGain) {
			c.settle(w.tput)
		} else {
			c.undo()
		}
		return
	}
	if c.hasTput {
		c.tput += trackWeight * (w.tput - c.tput)
	} else {
		c.tput, c.hasTput = w.tput, true
	}
	c.tracked++
	if c.tracked < probeEvery-1 {
		return
	}
	c.tracked = 0
	if step := min(max(1, c.limit/probeDiv), c.ceiling-c.limit); step > 0 {
		c.raise(c.limit+step, w, c.tput)
	}
}

// raise moves the limit up to n after window w, remembering the level it
// leaves, where throughput was tput.
func (c *Controller) raise(n int, w window, tput float64) {
	c.trial = true
	c.back, c.backTput, c.backFail = c.limit, tput, w.fail
	c.set(n)
}

// undo goes back to the limit before the last raise and settles there.
func (c *Controller) undo() {
	c.set(c.back)
	c.settle(c.backTput)
	c.back = 0
}

// settle enters (or stays in) steady state at the current limit, whose
// throughput is tput.
func (c *Controller) settle(tput float64) {
	c.steady, c.trial = true, false
	c.tput, c.hasTput, c.tracked = tput, true, 0
}

// restart enters steady state after a cut: the throughput at the new
// limit is unknown, and the last raise is history.
func (c *Controller) restart() {
	c.steady, c.trial, c.back = true, false, 0
	c.hasTput, c.tracked = false, 0
}

// rose reports whether throughput tput is at least share above base. The
// ratio keeps the boundary exact (44/40 is 1+0.10; 40*1.10 is above 44).
// base is never 0: judged windows have a completion in a finite time.
func rose(tput, base, share float64) bool {
	return tput/base >= 1+share
}

// set makes n, clamped to [1, ceiling], the limit.
func (c *Controller) set(n int) {
	c.limit = min(max(n, 1), c.ceiling)
	c.peak = max(c.peak, c.limit)
}
