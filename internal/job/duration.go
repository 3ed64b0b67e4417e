package job

import (
	"fmt"
	"strconv"
	"time"
)

// ParseDuration parses Go duration syntax ("1.5s", "200ms", "2m") or a bare
// number of seconds ("1", "0.2"), as GNU parallel users type them (SPEC §9).
// Negative durations are an error.
func ParseDuration(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		// !(f >= 0) also rejects NaN.
		if !(f >= 0) || f > float64(1<<62)/float64(time.Second) {
			return 0, fmt.Errorf("duration %q out of range", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q: want Go syntax (1.5s, 200ms) or seconds", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	return d, nil
}
