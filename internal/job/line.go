package job

// A Line measures the command line a template makes for one job as values
// are added to it, for GNU's -m, -X and --xargs: as many values as fit in
// max bytes (-s, --max-chars), counting the line and its terminating NUL
// as GNU does. Values reach {} only; {N} and the like are counted empty.
type Line struct {
	t      *Template
	max    int
	n      int // values added
	length int
}

// NewLine starts measuring a job's line of at most max bytes; v gives its
// {#}, {%} and {id}.
func (t *Template) NewLine(max int, v *Values) *Line {
	base := *v
	base.Whole, base.Args = nil, nil
	return &Line{t: t, max: max, length: len(t.ExpandLine(&base)) + 1}
}

// Add adds a record's values if the line still fits with them, and
// reports whether it did; the first record is always added, fitting or
// not (one record is the least a job can have).
func (l *Line) Add(vals []string) bool {
	grow := 0
	for i, val := range vals {
		grow += l.t.grow(val, l.n+i)
	}
	if l.n > 0 && l.length+grow > l.max {
		return false
	}
	l.n += len(vals)
	l.length += grow
	return true
}

// grow is how many bytes the nth value (from 0) adds to the line: its
// quoted text at each {} (each word holding {} under -X), and a space
// before it but for the first.
func (t *Template) grow(val string, n int) int {
	one := &Values{Whole: []string{val}}
	sum := 0
	if t.ctx != nil {
		for _, w := range t.ctx {
			if holdsWhole(w) {
				sum += len(t.expandText(w, one)) + 1 // and the space between words
			}
		}
		return sum
	}
	for _, s := range t.line {
		if s.kind == kAll && s.col == 0 {
			sum += len(t.quote(applyMod(s.mod, val)))
			if n > 0 {
				sum++
			}
		}
	}
	return sum
}

// holdsWhole reports whether a word holds {} (with any path modifier).
func holdsWhole(w []segment) bool {
	for _, s := range w {
		if s.kind == kAll && s.col == 0 {
			return true
		}
	}
	return false
}
