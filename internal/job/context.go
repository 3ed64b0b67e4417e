package job

import "strings"

// WithContext returns the template as GNU's -X reads it ("context
// replace"): a word of the command that holds {} is repeated once per
// value, each time with that value alone, so "pre-{}-post" with a b gives
// "pre-a-post pre-b-post"; other words stay as they are.
func (t *Template) WithContext() *Template {
	if t == nil {
		return nil // no template: nothing to repeat (FillByLength says so)
	}
	c := *t
	c.ctx = nil
	for _, f := range shellFields(t.src) {
		c.ctx = append(c.ctx, parseSegments(f, t.sp))
	}
	if t.appended {
		c.ctx = append(c.ctx, []segment{{kind: kAll}})
	}
	return &c
}

// eachValue calls f with v for a word without {}, and for a word with {}
// once per value of {}, with that value alone.
func eachValue(w []segment, v *Values, f func(*Values)) {
	if !holdsWhole(w) {
		f(v)
		return
	}
	one := *v
	for _, val := range v.Whole {
		one.Whole = []string{val}
		f(&one)
	}
}

// expandText is one word of the shell line: its literal text, and each
// replacement string's values quoted (unless raw) and joined by spaces.
func (t *Template) expandText(w []segment, v *Values) string {
	var b strings.Builder
	for _, s := range w {
		if s.kind == kLiteral {
			b.WriteString(s.text)
			continue
		}
		for i, val := range s.values(v) {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(t.quote(val))
		}
	}
	return b.String()
}

// quote quotes a substituted value for the shell line, unless the values
// are shell code (raw).
func (t *Template) quote(val string) string {
	if t.raw {
		return val
	}
	return Quote(val)
}
