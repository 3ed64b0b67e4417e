package sched

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/job"
)

// ParseTimeout reads --timeout: a duration (job.ParseDuration), or GNU
// parallel's N% — N percent of the median run time of the jobs that
// succeeded so far — which sets o.TimeoutPct and returns 0. Bound to o,
// it is the --timeout flag's parser.
func (o *Options) ParseTimeout(s string) (time.Duration, error) {
	o.TimeoutPct = 0
	n, ok := strings.CutSuffix(s, "%")
	if !ok {
		return job.ParseDuration(s)
	}
	pct, err := strconv.ParseFloat(n, 64)
	if err != nil || !percent.MatchString(n) {
		return 0, fmt.Errorf("bad time-out %q: want a duration (1.5s, 200ms, seconds) or N%% of the median run time (200%%)", s)
	}
	o.TimeoutPct = pct / 100
	return 0, nil
}

// percent is GNU's N of --timeout N%.
var percent = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// A relTimeout is GNU parallel's --timeout N%: an attempt is stopped,
// with cause exec.ErrTimedOut, once it has run longer than N% of the
// median run time of the jobs that succeeded so far (the lower median,
// as GNU's). Until one has succeeded there is no limit. The limit follows
// the median while jobs run, as GNU's does: a job started before the
// first success is stopped as soon as the median says so. One goroutine,
// watch, owned by the run, does the stopping.
type relTimeout struct {
	frac float64
	wake chan struct{} // the limit changed

	mu      sync.Mutex
	med     median
	running map[*relClock]struct{}
}

// A relClock is one running attempt's start and the cancel of its
// context.
type relClock struct {
	start  time.Time
	cancel context.CancelCauseFunc
}

func newRelTimeout(frac float64) *relTimeout {
	return &relTimeout{frac: frac, wake: make(chan struct{}, 1), running: map[*relClock]struct{}{}}
}

// track starts an attempt's clock and returns the context it runs under.
// done, called with the attempt's result, stops the clock: it marks the
// result timed out when the limit stopped it (process mode's workers see
// only a cancel) and counts a success's run time into the median.
func (rt *relTimeout) track(ctx context.Context) (_ context.Context, done func(*exec.Result)) {
	ctx, cancel := context.WithCancelCause(ctx)
	c := &relClock{start: time.Now(), cancel: cancel}
	rt.mu.Lock()
	rt.running[c] = struct{}{}
	rt.mu.Unlock()
	rt.poke() // the watch times this attempt too
	return ctx, func(res *exec.Result) {
		timedOut := errors.Is(context.Cause(ctx), exec.ErrTimedOut)
		cancel(nil)
		rt.mu.Lock()
		delete(rt.running, c)
		if timedOut && res.Killed {
			res.TimedOut = true
		}
		succeeded := !res.Failed()
		if succeeded {
			rt.med.add(res.Duration)
		}
		rt.mu.Unlock()
		if succeeded {
			rt.poke()
		}
	}
}

func (rt *relTimeout) poke() {
	select {
	case rt.wake <- struct{}{}:
	default:
	}
}

// watch stops the attempts that ran past the limit, until stop is closed.
func (rt *relTimeout) watch(stop <-chan struct{}) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if next, ok := rt.expire(time.Now()); ok {
			timer.Reset(time.Until(next))
		} else {
			timer.Stop()
		}
		select {
		case <-stop:
			return
		case <-rt.wake:
		case <-timer.C:
		}
	}
}

// expire stops every attempt past the limit at now, and returns when the
// next one will be (ok false: none, or no limit yet).
func (rt *relTimeout) expire(now time.Time) (next time.Time, ok bool) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	m, known := rt.med.value()
	if !known {
		return time.Time{}, false
	}
	limit := time.Duration(rt.frac * float64(m))
	for c := range rt.running {
		end := c.start.Add(limit)
		if !end.After(now) {
			c.cancel(exec.ErrTimedOut)
			delete(rt.running, c)
			continue
		}
		if !ok || end.Before(next) {
			next, ok = end, true
		}
	}
	return next, ok
}

// median keeps the lower median of the durations added, in O(log n) an
// add: the lower half in a max-heap (stored negated), the upper half in a
// min-heap, the lower never smaller.
type median struct {
	low, high durations
}

func (m *median) add(d time.Duration) {
	if len(m.low) == 0 || d <= -m.low[0] {
		heap.Push(&m.low, -d)
	} else {
		heap.Push(&m.high, d)
	}
	switch {
	case len(m.low) > len(m.high)+1:
		heap.Push(&m.high, -heap.Pop(&m.low).(time.Duration))
	case len(m.high) > len(m.low):
		heap.Push(&m.low, -heap.Pop(&m.high).(time.Duration))
	}
}

// value is the lower median; ok is false before the first add.
func (m *median) value() (d time.Duration, ok bool) {
	if len(m.low) == 0 {
		return 0, false
	}
	return -m.low[0], true
}

// durations is a min-heap (container/heap).
type durations []time.Duration

func (h durations) Len() int           { return len(h) }
func (h durations) Less(i, j int) bool { return h[i] < h[j] }
func (h durations) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *durations) Push(x any)        { *h = append(*h, x.(time.Duration)) }
func (h *durations) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
