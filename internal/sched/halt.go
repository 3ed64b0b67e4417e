package sched

import (
	"errors"
	"fmt"
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

// ParseHalt parses "never", or "soon|now,fail|success|done=N|P%". As in GNU
// parallel, a bare number N is "now,fail=N" for N > 0.
func ParseHalt(s string) (Halt, error) {
	bad := func(why string) (Halt, error) {
		return Halt{}, fmt.Errorf("--halt %q: %s; want never, or soon|now,fail|success|done=N or =P%%", s, why)
	}
	if s == "" || s == "never" || s == "0" {
		return Halt{}, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return Halt{Now: true, On: "fail", Count: n}, nil
	}
	when, cond, ok := strings.Cut(s, ",")
	if !ok {
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
}

// checkHalt applies --halt after a job ended. It is called from the
// goroutines that run jobs.
func (r *run) checkHalt(failed bool) {
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
	if pol.Now {
		r.cancel(fmt.Errorf("--halt %s reached: %w", pol, ErrHaltNow))
	} else {
		r.stopStarting(fmt.Errorf("--halt %s reached: %w", pol, ErrHaltSoon))
	}
}
