package job

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// GNU parallel's --plus replacement strings, as GNU 20221122 defines them
// (%Global::plus): fixed ones ({..}, {+/}, {##}, {0#}, {0%} …) and the
// bash-inspired ones that take a pattern ({:-x}, {#re}, {/re/s} …). Each
// may be positional, {2..}, {-1:-x}, as in GNU. GNU's patterns are perl
// regular expressions; parrun's are Go's (RE2), the same for the patterns
// people write in a file name; one Go cannot compile leaves the value as
// it is.

// A plusOp is what a --plus string does to each value.
type plusOp struct {
	apply func(string) string
}

// plusFixed are the --plus strings that take no pattern and change a
// value; {##}, {0#} and {0%} are kinds of their own.
var plusFixed = map[string]*plusOp{
	"..":   {subOrKeep(`\.[^/.]*\.[^/.]*$`)},
	"...":  {subOrKeep(`\.[^/.]*\.[^/.]*\.[^/.]*$`)},
	"/..":  {func(s string) string { return subOrKeep(`\.[^/.]*\.[^/.]*$`)(base(s)) }},
	"/...": {func(s string) string { return subOrKeep(`\.[^/.]*\.[^/.]*\.[^/.]*$`)(base(s)) }},
	"+/":   {subOrEmpty(`/[^/]*$`, "")},
	"+.":   {subOrEmpty(`.*\.`, "")},
	"+..":  {subOrEmpty(`.*\.([^/.]*\.[^/.]*)$`, "$1")},
	"+...": {subOrEmpty(`.*\.([^/.]*\.[^/.]*\.[^/.]*)$`, "$1")},
}

// PlusUnsupported are GNU's --plus strings parrun lacks: left as text they
// would run as something else, so callers refuse them (CheckWords).
var PlusUnsupported = []string{"{choose_k}", "{uniq}", "{slot}", "{host}", "{sshlogin}", "{hgrp}", "{agrp}"}

// subOrKeep is perl's s:re:: — the first match removed, if any.
func subOrKeep(re string) func(string) string {
	rx := regexp.MustCompile(re)
	return func(s string) string { return cut(rx, s) }
}

// subOrEmpty is perl's s:re:repl: || s:.*$:: — the first match replaced
// by repl ($1 its group), and "" when there is none.
func subOrEmpty(re, repl string) func(string) string {
	rx := regexp.MustCompile(re)
	return func(s string) string {
		m := rx.FindStringSubmatchIndex(s)
		if m == nil {
			return ""
		}
		return s[:m[0]] + string(rx.ExpandString(nil, repl, s, m)) + s[m[1]:]
	}
}

// parsePlus parses the inside of braces as a --plus string, positional
// ({2..}) or not; slots is -j, the width of {0%}.
func parsePlus(in string, slots int) (segment, bool) {
	switch in {
	case "##":
		return segment{kind: kTotal}, true
	case "0#":
		return segment{kind: kSeqPad}, true
	case "0%":
		return segment{kind: kSlotPad, col: max(slots, 1)}, true
	}
	col, rest := plusColumn(in)
	if op, ok := plusFixed[rest]; ok {
		return segment{kind: kAll, col: col, plus: op}, true
	}
	if op := plusPattern(rest); op != nil {
		return segment{kind: kAll, col: col, plus: op}, true
	}
	return segment{}, false
}

// plusColumn splits GNU's positional prefix, -?N and blanks, off in.
func plusColumn(in string) (col int, rest string) {
	i := 0
	if strings.HasPrefix(in, "-") {
		i = 1
	}
	j := i
	for j < len(in) && '0' <= in[j] && in[j] <= '9' {
		j++
	}
	if j == i || j-i > 9 {
		return 0, in
	}
	col, _ = strconv.Atoi(in[:j])
	return col, strings.TrimLeft(in[j:], " \t")
}

// padded is n zero-padded to the width perl's 1+int(log(of)/log(10))
// gives, as GNU's {0#} and {0%} (floating point and all).
func padded(n, of int64) string {
	w := 1
	if of > 0 {
		w = 1 + int(math.Log(float64(of))/math.Log(10))
	}
	s := strconv.FormatInt(n, 10)
	if len(s) < w {
		s = strings.Repeat("0", w-len(s)) + s
	}
	return s
}
