package input

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args    string
		words   []string
		sources []Source
		err     string
	}{
		{"echo {}", []string{"echo", "{}"}, nil, ""},
		{"echo ::: a b ::: 1", []string{"echo"}, []Source{{Values: []string{"a", "b"}}, {Values: []string{"1"}}}, ""},
		{"::: a :::+ 1", []string{}, []Source{{Values: []string{"a"}}, {Values: []string{"1"}, Link: true}}, ""},
		{"cat :::: f g ::::+ h", []string{"cat"}, []Source{{File: "f", IsFile: true}, {File: "g", IsFile: true}, {File: "h", IsFile: true, Link: true}}, ""},
		{"echo :::", []string{"echo"}, []Source{{Values: []string{}}}, ""},
		// An empty group beside a non-empty one is left out (GNU).
		{"echo ::: a b :::", []string{"echo"}, []Source{{Values: []string{"a", "b"}}}, ""},
		{"echo ::: ::: a", []string{"echo"}, []Source{{Values: []string{"a"}}}, ""},
		{"echo ::: :::: f", []string{"echo"}, []Source{{File: "f", IsFile: true}}, ""},
		{"echo ::: :::", []string{"echo"}, []Source{{Values: []string{}}, {Values: []string{}}}, ""},
		{"echo ::::", nil, nil, ":::: needs at least one file"},
	}
	for _, tt := range tests {
		words, sources, err := ParseArgs(strings.Fields(tt.args), "", "")
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseArgs(%q): err %v; want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(words, tt.words) || !reflect.DeepEqual(sources, tt.sources) {
			t.Errorf("ParseArgs(%q) = %q, %+v, %v; want %q, %+v", tt.args, words, sources, err, tt.words, tt.sources)
		}
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{`,`, ",", false},
		{`\t`, "\t", false},
		{`\0`, "\x00", false},
		{`\n\r\\`, "\n\r\\", false},
		{`\a\b\f\v`, "\a\b\f\v", false},
		{`\x41B`, "AB", false},
		{`\101`, "A", false},
		{`::`, "::", false},
		{`a\`, `a\`, false},
		{`\x4`, "", true},
		{`\q`, "", true},
		{`\777`, "", true},
	}
	for _, tt := range tests {
		got, err := Unescape(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("Unescape(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// FuzzUnescape: Unescape never panics; text without a backslash is
// itself; an escaped result never grows.
func FuzzUnescape(f *testing.F) {
	for _, s := range []string{``, `,`, `\t`, `\0`, `\x41`, `\101`, `\777`, `a\`, `\x`, `\\\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Unescape(s)
		if err != nil {
			return
		}
		if !strings.Contains(s, `\`) && got != s {
			t.Errorf("Unescape(%q) = %q; want it unchanged", s, got)
		}
		if len(got) > len(s) {
			t.Errorf("Unescape(%q) = %q: longer than its input", s, got)
		}
	})
}
