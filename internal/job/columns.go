package job

import (
	"regexp"
	"strconv"
)

// NumberColumns puts each column's number where texts and the strings of
// lists name it (numberColumns).
func NumberColumns(names []string, texts []*string, lists ...[]string) {
	for _, l := range lists {
		for i := range l {
			texts = append(texts, &l[i])
		}
	}
	for _, s := range texts {
		*s = numberColumns(*s, names)
	}
}

// numberColumns puts each column's number where s names it, as GNU
// parallel does with --header's names before it reads a template:
// {name} becomes {N}, and so do {name/}, {name//}, {name.} and {name/.},
// N counting names from 1. As in GNU, the names are put in one after
// the other, and a name that is empty names nothing.
func numberColumns(s string, names []string) string {
	for i, name := range names {
		if name == "" {
			continue
		}
		re := regexp.MustCompile(`\{` + regexp.QuoteMeta(name) + `(|/|//|\.|/\.)\}`)
		s = re.ReplaceAllString(s, "{"+strconv.Itoa(i+1)+"${1}}")
	}
	return s
}
