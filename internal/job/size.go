package job

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ParseSize parses a byte count with an optional K, M or G suffix (powers
// of 1024, either case), as --buffer-size takes it. Sizes above 1 TiB, and
// negative ones, are an error.
func ParseSize(s string) (int, error) {
	if s == "" {
		return 0, errors.New("empty size: want one such as 65536, 64K or 1M")
	}
	bad := fmt.Errorf("bad size %q: want one such as 65536, 64K or 1M", s)
	mult := 1
	switch strings.ToUpper(s[len(s)-1:]) {
	case "K":
		mult = 1 << 10
	case "M":
		mult = 1 << 20
	case "G":
		mult = 1 << 30
	}
	if mult > 1 {
		s = s[:len(s)-1]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > (1<<40)/mult {
		return 0, bad
	}
	return n * mult, nil
}
