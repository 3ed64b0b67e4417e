package job

import "strings"

// Replacements are other spellings of the replacement strings, GNU
// parallel's -I/--replace ({}), --extensionreplace ({.}),
// --basenamereplace ({/}), --dirnamereplace ({//}),
// --basenameextensionreplace ({/.}), --seqreplace ({#}) and --slotreplace
// ({%}). Each one set stands for its replacement string, which is then
// literal text: with -I @, "@ {}" gives "a {}". The zero value changes
// nothing; {N}, {-N}, {N.} and the rest keep their meaning.
type Replacements struct {
	Whole, NoExt, Base, Dir, BaseNoExt, Seq, Slot string
	// Plus adds GNU's --plus replacement strings ({..}, {+/}, {##}, {0#},
	// {:-x}, {/re/s} …, see plus.go); Slots (-j) is then the width of
	// {0%}.
	Plus  bool
	Slots int
	// NoAppend leaves a template without replacement strings as it is:
	// under --pipe the input goes to the job's stdin, not on its line.
	NoAppend bool
}

// spelling is how a template spells its replacement strings: the
// Replacements' tokens, and whether --plus's count. nil is the built-in
// spellings only.
type spelling struct {
	tokens []token
	plus   bool
	slots  int
}

// spelling returns r's spelling; nil for nil.
func (r *Replacements) spelling() *spelling {
	if r == nil {
		return nil
	}
	return &spelling{tokens: r.tokens(), plus: r.Plus, slots: r.Slots}
}

// tokens are the set spellings with the segment each stands for, longest
// first, so that a spelling that starts another is tried after it.
func (r *Replacements) tokens() []token {
	var ts []token
	for _, t := range []token{
		{r.Whole, segment{kind: kAll}}, {r.NoExt, segment{kind: kAll, mod: modNoExt}},
		{r.Base, segment{kind: kAll, mod: modBase}}, {r.Dir, segment{kind: kAll, mod: modDir}},
		{r.BaseNoExt, segment{kind: kAll, mod: modBaseNoExt}},
		{r.Seq, segment{kind: kSeq}}, {r.Slot, segment{kind: kSlot}},
	} {
		if t.text != "" {
			ts = append(ts, t)
		}
	}
	for i := 1; i < len(ts); i++ { // insertion sort: at most seven
		for j := i; j > 0 && len(ts[j].text) > len(ts[j-1].text); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
	return ts
}

type token struct {
	text string
	seg  segment
}

// respelt reports whether the built-in spelling of seg ({}, {.}, {#} …)
// is replaced by one of sp's tokens, and so is literal text.
func respelt(sp *spelling, seg segment) bool {
	if seg.col != 0 || sp == nil {
		return false
	}
	for _, t := range sp.tokens {
		if t.seg == seg {
			return true
		}
	}
	return false
}

// blanks reports whether a spelling holds a blank, which splitting the
// command line into words for a direct exec would cut.
func blanks(sp *spelling) bool {
	if sp == nil {
		return false
	}
	for _, t := range sp.tokens {
		if strings.ContainsAny(t.text, " \t") {
			return true
		}
	}
	return false
}

// matchToken returns the spelling that starts s, if any.
func matchToken(sp *spelling, s string) (token, bool) {
	if sp == nil {
		return token{}, false
	}
	for _, t := range sp.tokens {
		if strings.HasPrefix(s, t.text) {
			return t, true
		}
	}
	return token{}, false
}
