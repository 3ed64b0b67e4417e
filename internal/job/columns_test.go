package job

import "testing"

func TestNumberColumns(t *testing.T) {
	tests := []struct {
		s     string
		names []string
		want  string
	}{
		{"echo {name} is {age}", []string{"name", "age", "city"}, "echo {1} is {2}"},
		{"{a.} {a/} {a//} {a/.} {a}", []string{"a"}, "{1.} {1/} {1//} {1/.} {1}"},
		{"{ab} {a} {a..} {a#}", []string{"a"}, "{ab} {1} {a..} {a#}"}, // only GNU's five forms
		{"{x}{y}", []string{"y", "x"}, "{2}{1}"},
		{"{a.b}", []string{"a.b"}, "{1}"}, // a name is text, not a pattern
		{"{a*}", []string{"a*"}, "{1}"},
		{"{}", []string{""}, "{}"}, // an empty name names nothing
		{"{x}", nil, "{x}"},
		// One after the other, as GNU: {x} becomes {1}, which the name "1" then takes.
		{"{x}", []string{"x", "1"}, "{2}"},
	}
	for _, tt := range tests {
		if got := numberColumns(tt.s, tt.names); got != tt.want {
			t.Errorf("numberColumns(%q, %q) = %q, want %q", tt.s, tt.names, got, tt.want)
		}
	}
}

// TestNumberColumnsEverywhere checks that each text and every string of
// each list is rewritten.
func TestNumberColumnsEverywhere(t *testing.T) {
	tag, words, ret := "{b}:", []string{"echo", "{a}", "{b/}"}, []string{"{a}.out"}
	NumberColumns([]string{"a", "b"}, []*string{&tag}, words, ret)
	if tag != "{2}:" || words[1] != "{1}" || words[2] != "{2/}" || ret[0] != "{1}.out" {
		t.Errorf("got %q %q %q", tag, words, ret)
	}
}
