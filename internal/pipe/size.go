package pipe

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// sizePattern is GNU's --block: a number, then K M G T P (powers of 1024,
// also spelt Ki, Mi …) or k m g t p (powers of 1000).
var sizePattern = regexp.MustCompile(`^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)([KMGTPkmgtp]i?)?$`)

// ParseSize reads --block's size as GNU parallel does: 1M is 1048576, 1m
// 1000000, 1.5K 1536; a size must be at least one byte and below 2 GiB.
// A negative whole number -N is --pipe-part's "N blocks a job slot",
// returned as it is. GNU's arithmetic (1M-12*2k) is not taken.
func ParseSize(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil && n < 0 {
		return n, nil
	}
	m := sizePattern.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("bad size %q: want bytes, or a number with K, M, G (1024s) or k, m, g (1000s): 10M, 512k", s)
	}
	f, _ := strconv.ParseFloat(m[1], 64)
	if m[2] != "" {
		base := 1000.0
		if m[2][0] < 'a' || len(m[2]) == 2 {
			base = 1024
		}
		f *= math.Pow(base, float64(1+strings.IndexByte("kmgtp", m[2][0]|0x20)))
	}
	if f < 1 || f > maxBlock {
		return 0, fmt.Errorf("size %q out of range: want 1 byte to 2 GiB", s)
	}
	return int(f), nil
}
