package sched

import (
	"errors"
	"fmt"
	"github.com/parrun/parrun/internal/job"
	"math"
	"strconv"
	"strings"
	"sync"
)

// Halt is a --halt policy in GNU parallel's syntax (SPEC §6): when Count
// jobs (or Percent of all jobs) have ended with On, stop starting jobs
// (Soon) or also stop the running ones (Now). The zero Halt never halts.
type Halt struct {
	Now     bool    // now: kill running jobs; otherwise soon: let them finish
	On      string  // "fail", "success" or "done"
	Count   int     // threshold in jobs, when Percent is 0
	Percent float64 // threshold in percent of all jobs, when > 0
}

// Causes of a halted run, for context.Cause.
var (
	ErrHaltSoon = errors.New("halted (soon): no new jobs started")
	ErrHaltNow  = errors.New("halted (now): running jobs stopped")
)

// legacyHalt are GNU parallel's numeric --halt forms.
var legacyHalt = map[string]string{
	"0": "never", "1": "soon,fail=1", "2": "now,fail=1",
	"-1": "soon,success=1", "-2": "now,success=1",
}

// ParseHalt parses "never", or "soon|now,fail|success|done=N|P%", and GNU
// parallel's legacy forms: 0, 1, 2, -1, -2 (legacyHalt) and P% (soon,fail=P%).
func ParseHalt(s string) (Halt, error) {
	bad := func(why string) (Halt, error) {
		return Halt{}, fmt.Errorf("--halt %q: %s; want never, or soon|now,fail|success|done=N or =P%%", s, why)
	}
	orig := s
	if long, ok := legacyHalt[s]; ok {
		s = long
	} else if p, ok := strings.CutSuffix(s, "%"); ok && p != "" && strings.Trim(p, "0123456789.") == "" {
		s = "soon,fail=" + s
	}
	if s == "" || s == "never" {
		return Halt{}, nil
	}
	when, cond, ok := strings.Cut(s, ",")
	if !ok {
		if _, err := strconv.Atoi(orig); err == nil {
			return bad("a number means 0, 1, 2, -1 or -2, as in GNU parallel")
		}
		return bad("missing condition")
	}
	var h Halt
	switch when {
	case "soon":
	case "now":
		h.Now = true
	default:
		return bad("unknown " + strconv.Quote(when))
	}
	on, val, ok := strings.Cut(cond, "=")
	if !ok {
		return bad("missing =")
	}
	switch on {
	case "fail", "success", "done":
		h.On = on
	default:
		return bad("unknown condition " + strconv.Quote(on))
	}
	if p, isPct := strings.CutSuffix(val, "%"); isPct {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || f <= 0 || f > 100 {
			return bad("percentage must be in (0, 100]")
		}
		h.Percent = f
		return h, nil
	}
	n, err := strconv.Atoi(val)
	if err != nil || n < 1 {
		return bad("count must be a whole number from 1")
	}
	h.Count = n
	return h, nil
}

// Active reports whether the policy can halt a run.
func (h Halt) Active() bool { return h.On != "" }

// String returns the policy in --halt syntax.
func (h Halt) String() string {
	if !h.Active() {
		return "never"
	}
	when := "soon"
	if h.Now {
		when = "now"
	}
	if h.Percent > 0 {
		return fmt.Sprintf("%s,%s=%g%%", when, h.On, h.Percent)
	}
	return fmt.Sprintf("%s,%s=%d", when, h.On, h.Count)
}

// reached reports whether the threshold is met, given how many jobs ended
// with the policy's condition and the total to take a percentage of.
func (h Halt) reached(n, total int) bool {
	if h.Percent > 0 {
		return total > 0 && float64(n)*100 >= h.Percent*float64(total)
	}
	return n >= h.Count
}

// halter counts what --halt counts. Its zero value is ready.
type halter struct {
	mu                     sync.Mutex
	nSuccess, nFail, nDone int
	halted                 bool
	status                 int // the exit status fixed when halted
}

// checkHalt applies --halt after a job ended. It is called from the
// goroutines that run jobs.
func (r *run) checkHalt(d *job.Done) {
	failed := d.Failed()
	pol := r.opts.Halt
	if !pol.Active() {
		return
	}
	h := &r.halt
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.halted {
		return
	}
	h.nDone++
	if failed {
		h.nFail++
	} else {
		h.nSuccess++
	}
	n := h.nDone
	switch pol.On {
	case "fail":
		n = h.nFail
	case "success":
		n = h.nSuccess
	}
	// A percentage is of all jobs: known once input has ended; until
	// then, of the jobs read so far (README).
	total := int(r.nRead.Load() - r.nSkipped.Load())
	if !pol.reached(n, total) {
		return
	}
	h.halted = true
	h.status = haltStatus(pol, h.nFail, total, d)
	if pol.Now {
		r.cancel(fmt.Errorf("--halt %s reached: %w", pol, ErrHaltNow))
	} else {
		r.stopStarting(fmt.Errorf("--halt %s reached: %w", pol, ErrHaltSoon))
	}
}

// haltStatus is the exit status GNU parallel fixes when --halt is reached
// (its EXIT STATUS rules): 0 for success=; for fail= and done=, the
// percentage of all jobs that failed with =P%, else the failed count, or
// with =1 the exit status of the job that reached it (128+n for a signal).
func haltStatus(pol Halt, failed, total int, d *job.Done) int {
	count := float64(pol.Count)
	if pol.Percent > 0 {
		count = float64(total) * pol.Percent / 100 // GNU turns P% into a count
	}
	switch {
	case pol.On == "success":
		return 0
	case count == 1:
		if r := d.Result; r.ExitCode > 0 {
			return r.ExitCode
		} else if r.Signal != 0 {
			return 128 + int(r.Signal)
		}
		return 1 // failed without an exit status of its own (not run, output lost)
	case pol.Percent > 0:
		return pctFailed(failed, total)
	}
	return min(failed, 101)
}

// pctFailed is ceil(100 × failed / total), as GNU computes it.
func pctFailed(failed, total int) int {
	return int(math.Ceil(float64(failed) * 100 / float64(max(total, 1))))
}

// ExitStatus is the run's exit status under --halt, by GNU parallel's
// rules, and whether the policy decides it: the status fixed when the
// policy was reached, else, for a fail or done policy never reached, the
// percentage of jobs that failed (=P%) or their count. Jobs --halt now
// killed after that do not change it.
func (s Stats) ExitStatus(pol Halt) (int, bool) {
	switch {
	case !pol.Active():
		return 0, false
	case s.halted:
		return s.haltStatus, true
	case pol.Percent > 0 && pol.On != "success":
		return pctFailed(s.Failed, s.Jobs), true
	}
	return 0, false
}
