package job

import "strings"

// A Pattern is one file name with replacement strings, such as the
// "{.}.out" of --return: expanded per job into plain text, never quoted,
// and with nothing appended when it has no replacement string. The zero
// Pattern expands to "".
type Pattern struct {
	segs []segment
}

// ParsePattern parses a file-name pattern; every string is valid.
func ParsePattern(s string) Pattern { return ParsePatternWith(s, nil) }

// ParsePatternWith is ParsePattern with the replacement strings spelt as
// r says (-I, --plus …), as GNU spells them in every template it fills.
func ParsePatternWith(s string, r *Replacements) Pattern {
	return Pattern{segs: parseSegments(s, r.spelling())}
}

// NeedsTotal reports whether the pattern counts the jobs ({##}, {0#}):
// the input must then be read whole before the first job, as GNU does.
func (p Pattern) NeedsTotal() bool {
	for _, s := range p.segs {
		if s.kind == kTotal || s.kind == kSeqPad {
			return true
		}
	}
	return false
}

// Literal reports whether the pattern holds no replacement string.
func (p Pattern) Literal() bool {
	for _, s := range p.segs {
		if s.kind != kLiteral {
			return false
		}
	}
	return true
}

// Expand returns the pattern for the job in the given slot. Several values
// (a -n group) are joined with spaces, as {} shows them.
func (p Pattern) Expand(j *Job, slot int) string {
	v := j.values(slot)
	var b strings.Builder
	for _, s := range p.segs {
		if s.kind == kLiteral {
			b.WriteString(s.text)
			continue
		}
		b.WriteString(strings.Join(s.values(v), " "))
	}
	return b.String()
}
