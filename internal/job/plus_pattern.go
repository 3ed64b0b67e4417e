package job

import (
	"regexp"
	"strconv"
	"strings"
)

// plusPattern parses a --plus string that takes a pattern (the inside of
// the braces, after any position), trying GNU's in GNU's order: longest
// definition first. It returns nil for none.
func plusPattern(r string) *plusOp {
	if len(r) < 2 {
		return nil
	}
	switch {
	case r[0] == '/' && !strings.ContainsAny(r[1:2], "#%/"):
		return plusReplace(r[1:], func(re string) bool { return !strings.ContainsAny(re, "#%") }, "", "", false)
	case strings.HasPrefix(r, "/#") && len(r) > 2:
		return plusReplace(r[2:], nil, "^(?:", ")", true)
	case strings.HasPrefix(r, "/%") && len(r) > 2:
		return plusReplace(r[2:], nil, "(?:", ")$", true)
	case strings.HasPrefix(r, "//") && len(r) > 2:
		return plusReplace(r[2:], nil, "(?:", ")", true)
	case strings.HasPrefix(r, "##") && len(r) > 2 && r[2] != '#':
		return plusRegexp("^(?:"+r[2:]+")", func(rx *regexp.Regexp, s string) string { return cut(rx, s) })
	case r[0] == '#' && r[1] != '#':
		return plusRegexp("^(?:"+ungreedy(r[1:])+")", func(rx *regexp.Regexp, s string) string { return cut(rx, s) })
	case r[0] == ':':
		return plusColon(r[1:])
	case strings.HasPrefix(r, "%%") && len(r) > 2:
		return plusRegexp("(?:"+r[2:]+")$", func(rx *regexp.Regexp, s string) string { return cut(rx, s) })
	case r[0] == '%':
		return plusRegexp("^(.*)(?:"+ungreedy(r[1:])+")$", func(rx *regexp.Regexp, s string) string {
			if m := rx.FindStringSubmatch(s); m != nil {
				return m[1]
			}
			return s
		})
	case r[0] == '^' || r[0] == ',':
		return plusCase(r)
	}
	return nil
}

// plusRegexp compiles re and returns the op that applies f with it. A
// pattern Go cannot compile changes nothing: GNU 20221122 gives {##*}'s
// value unchanged (perl's ^* matches nothing), and one perl cannot
// compile either makes GNU fail every job.
func plusRegexp(re string, f func(*regexp.Regexp, string) string) *plusOp {
	rx, err := regexp.Compile(re)
	if err != nil {
		return &plusOp{func(s string) string { return s }}
	}
	return &plusOp{func(s string) string { return f(rx, s) }}
}

// cut removes rx's first match from s.
func cut(rx *regexp.Regexp, s string) string {
	if loc := rx.FindStringIndex(s); loc != nil {
		return s[:loc[0]] + s[loc[1]:]
	}
	return s
}

// plusReplace is {/re/str} and its kin: pr is "re/str", re the shortest
// text up to a "/" (ok, when set, must accept it), wrapped in pre and
// post; str replaces the first match, or every one with all, literally.
func plusReplace(pr string, ok func(string) bool, pre, post string, all bool) *plusOp {
	k := strings.IndexByte(pr[1:], '/') + 1
	if k == 0 || (ok != nil && !ok(pr[:k])) {
		return nil
	}
	str := pr[k+1:]
	return plusRegexp(pre+pr[:k]+post, func(rx *regexp.Regexp, s string) string {
		if all {
			return rx.ReplaceAllLiteralString(s, str)
		}
		if loc := rx.FindStringIndex(s); loc != nil {
			return s[:loc[0]] + str + s[loc[1]:]
		}
		return s
	})
}

// plusColon is {:-str} (str for a value perl calls false: "" or "0"),
// {:N} (the value less its first N bytes) and {:N:M} (M bytes from N).
func plusColon(r string) *plusOp {
	if def, ok := strings.CutPrefix(r, "-"); ok {
		return &plusOp{func(s string) string {
			if s == "" || s == "0" {
				return def
			}
			return s
		}}
	}
	a, b, two := strings.Cut(r, ":")
	from, ok1 := digits(a)
	n, ok2 := digits(b)
	if !ok1 || (two && !ok2) {
		return nil
	}
	return &plusOp{func(s string) string {
		if from >= len(s) {
			return ""
		}
		if !two {
			return s[from:]
		}
		return s[from:min(len(s), from+n)]
	}}
}

// digits parses a run of decimal digits; a number too big for an int is
// the largest int, longer than any value.
func digits(s string) (int, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		n = int(^uint(0) >> 1)
	}
	return n, true
}

// plusCase is {^re} and {^^re} (the match at the start, or every match,
// in upper case) and {,re}, {,,re} (lower case), ASCII letters only, as
// perl's uc and lc on bytes.
func plusCase(r string) *plusOp {
	conv := func(s string) string { return strings.Map(upper, s) }
	if r[0] == ',' {
		conv = func(s string) string { return strings.Map(lower, s) }
	}
	if len(r) > 2 && r[1] == r[0] {
		return plusRegexp(r[2:], func(rx *regexp.Regexp, s string) string { return rx.ReplaceAllStringFunc(s, conv) })
	}
	return plusRegexp("^(?:"+r[1:]+")", func(rx *regexp.Regexp, s string) string {
		if loc := rx.FindStringIndex(s); loc != nil {
			return conv(s[:loc[1]]) + s[loc[1]:]
		}
		return s
	})
}

func upper(r rune) rune {
	if 'a' <= r && r <= 'z' {
		return r - 'a' + 'A'
	}
	return r
}

func lower(r rune) rune {
	if 'A' <= r && r <= 'Z' {
		return r - 'A' + 'a'
	}
	return r
}

// ungreedy is GNU's make_regexp_ungreedy: every quantifier (*, +, {n,m})
// made lazy, so {#re} and {%re} remove the shortest match, as bash's ${a#re}.
func ungreedy(re string) string {
	var b strings.Builder
	class, escape, found := false, false, false
	for i := 0; i < len(re); i++ {
		c := re[i]
		if found {
			if c != '?' {
				b.WriteByte('?')
			}
			found = false
		}
		b.WriteByte(c)
		switch {
		case escape:
			escape = false
		case c == '\\':
			escape = true
		case c == '[':
			class = true
		case class:
			class = c != ']'
		case c == '*' || c == '}' || c == '+':
			found = true
		}
	}
	if found {
		b.WriteByte('?')
	}
	return b.String()
}
