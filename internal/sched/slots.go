package sched

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxSlots bounds -j: beyond it, a fixed pool is the wrong tool and
// --mode coroutine is the right one.
const MaxSlots = 1 << 16

// ParseSlots parses -j as GNU parallel does: N, N% of the cores, and +N or
// -N relative to them; "" is the cores. 0 means as many as possible:
// DefaultConcurrency (1024). The result is at least 1.
func ParseSlots(s string, cores int) (int, error) {
	if s == "" {
		return cores, nil
	}
	var n int
	switch {
	case strings.HasSuffix(s, "%"):
		p, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil || !(p > 0) {
			return 0, errors.New("want a positive percentage of the cores")
		}
		n = int(min(float64(cores)*p/100, MaxSlots+1))
	case strings.HasPrefix(s, "+"), strings.HasPrefix(s, "-"):
		d, err := strconv.Atoi(s)
		if err != nil {
			return 0, errors.New("want +N or -N cores")
		}
		n = cores + max(min(d, MaxSlots+1), -cores)
	default:
		var err error
		n, err = strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, errors.New("want N, N%, +N or -N")
		}
		if n == 0 {
			// GNU parallel's "as many as possible": a pool of
			// DefaultConcurrency, as coroutine mode.
			return DefaultConcurrency, nil
		}
	}
	if n > MaxSlots {
		return 0, fmt.Errorf("%d workers: at most %d", n, MaxSlots)
	}
	return max(n, 1), nil
}
