package input

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestTakeHeader checks --header's names and that the jobs start after
// the header: in ::: groups, on stdin (the rest read through the same
// buffer), in files, with a tab as the default separator and without
// --colsep's trimming, and GNU's --header 0 naming files by their names.
func TestTakeHeader(t *testing.T) {
	f := writeFile(t, "f.csv", "name,age\nann,30\nbob,25\n")
	tests := []struct {
		name      string
		cfg       Config
		spec      string
		wantNames []string
		wantJobs  [][]string
	}{
		{"groups", Config{Sources: []Source{vals("x", "1", "2"), vals("y", "a")}}, ":",
			[]string{"x", "y"}, [][]string{{"1", "a"}, {"2", "a"}}},
		{"stdin tab", Config{Stdin: strings.NewReader("p\tq\n a \tb\n")}, ":",
			[]string{"p", "q"}, [][]string{{" a ", "b"}}},
		{"stdin colsep trims", Config{Stdin: strings.NewReader("p,q\n a ,b\n"), Colsep: regexp.MustCompile(",")}, ":",
			[]string{"p", "q"}, [][]string{{"a", "b"}}},
		{"file", Config{Sources: []Source{{File: f, IsFile: true}}, Colsep: regexp.MustCompile(",")}, "anything",
			[]string{"name", "age"}, [][]string{{"ann", "30"}, {"bob", "25"}}},
		{"file and stdin", Config{Sources: []Source{{File: f, IsFile: true}, {File: "-", IsFile: true}},
			Colsep: regexp.MustCompile(","), Stdin: strings.NewReader("z\r\n1\n")}, ":",
			[]string{"name", "age", "z"}, [][]string{{"ann", "30", "1"}, {"bob", "25", "1"}}},
		{"header only", Config{Stdin: strings.NewReader("p q\n")}, ":", []string{"p q"}, nil},
		{"empty input", Config{Stdin: strings.NewReader("")}, ":", nil, nil},
		{"trailing separators", Config{Stdin: strings.NewReader("a,b,,\n1,2\n"), Colsep: regexp.MustCompile(",")}, ":",
			[]string{"a", "b"}, [][]string{{"1", "2"}}},
		{"csv", Config{Stdin: strings.NewReader("\"a,b\",c\n1,2\n"), CSV: true}, ":",
			[]string{"a,b", "c"}, [][]string{{"1", "2"}}},
		{"zero", Config{Sources: []Source{{File: f, IsFile: true}, vals("v")}, Colsep: regexp.MustCompile(",")}, "0",
			[]string{f}, [][]string{{"name", "age", "v"}, {"ann", "30", "v"}, {"bob", "25", "v"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			names, err := cfg.TakeHeader(tt.spec)
			if err != nil {
				t.Fatalf("TakeHeader(%q) = %v", tt.spec, err)
			}
			if !slices.Equal(names, tt.wantNames) {
				t.Errorf("names = %q; want %q", names, tt.wantNames)
			}
			if got := args(readJobs(t, cfg)); !equal2(got, tt.wantJobs) {
				t.Errorf("jobs = %q; want %q", got, tt.wantJobs)
			}
		})
	}
}

// TestTakeHeaderErrors checks what --header refuses.
func TestTakeHeaderErrors(t *testing.T) {
	for _, cfg := range []Config{
		{JSONL: true, Stdin: strings.NewReader("{}\n")},
		{Sources: []Source{{File: filepath.Join(t.TempDir(), "missing"), IsFile: true}}},
	} {
		if names, err := cfg.TakeHeader(":"); err == nil {
			t.Errorf("TakeHeader(%+v) = %q, nil; want an error", cfg, names)
		}
	}
}
