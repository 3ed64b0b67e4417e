package input

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestCSVFields checks --csv's fields as perl's Text::CSV (binary, its
// defaults) reads them for GNU parallel.
func TestCSVFields(t *testing.T) {
	tests := []struct {
		in, sep string
		want    []string // nil: an error
	}{
		{"a,b,c", ",", []string{"a", "b", "c"}},
		{"", ",", []string{""}},
		{"a,,c,", ",", []string{"a", "", "c", ""}},
		{`"Smith, J","said ""hi"""`, ",", []string{"Smith, J", `said "hi"`}},
		{"\"b\nc\",d", ",", []string{"b\nc", "d"}},
		{`""`, ",", []string{""}},
		{`"",x`, ",", []string{"", "x"}},
		{" a , b ", ",", []string{" a ", " b "}},
		{"a,b\r", ",", []string{"a", "b"}},
		{`"a"` + "\r", ",", []string{"a"}},
		{`a;"b;c"`, ";", []string{"a", "b;c"}},
		{`a::"b::c"::d`, "::", []string{"a", "b::c", "d"}},
		{`a,b"c`, ",", nil},
		{`"abc`, ",", nil},
		{`"a"b,c`, ",", nil},
		{`"a" ,c`, ",", nil},
	}
	for _, tt := range tests {
		got, err := csvFields(tt.in, tt.sep)
		if tt.want == nil {
			if err == nil {
				t.Errorf("csvFields(%q) = %q, nil; want an error", tt.in, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("csvFields(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// TestCSVRecords checks that a quoted field's newline does not end its
// record, and that a bad record is a failed job of its own. As in GNU, a
// record with an odd number of quotes runs on to the line that evens
// them: lines 3 to 5 here are one record.
func TestCSVRecords(t *testing.T) {
	cfg := Config{CSV: true, Stdin: strings.NewReader("a,\"b\nc\",d\ne,f\"g\nh,i\n\"j\n")}
	jobs := readJobs(t, cfg)
	want := [][]string{{"a", "b\nc", "d"}, {"ERR"}}
	if got := wholes(jobs); !equal2(got, want) {
		t.Fatalf("jobs = %q; want %q", got, want)
	}
	if jobs[1].Line != 3 || !strings.Contains(jobs[1].Err.Error(), "record 3: not CSV") {
		t.Errorf("job 2: line %d, %v; want record 3's CSV error", jobs[1].Line, jobs[1].Err)
	}
	cfg = Config{CSV: true, Colsep: regexp.MustCompile(";"), Stdin: strings.NewReader("x;\"y;z\"\n")}
	if got := wholes(readJobs(t, cfg)); !equal2(got, [][]string{{"x", "y;z"}}) {
		t.Errorf("--csv --colsep ';': %q", got)
	}
}

// csvQuote writes fields as one CSV record, every field quoted.
func csvQuote(fields []string, sep string) string {
	q := make([]string, len(fields))
	for i, f := range fields {
		q[i] = `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
	}
	return strings.Join(q, sep)
}

// FuzzCSVFields checks the CSV parser on any input: it never panics, and
// whatever it reads, written back quoted, reads back the same.
func FuzzCSVFields(f *testing.F) {
	for _, s := range []string{"a,b", `"a,""b""",c`, "\"x\ny\",", `a"b`, "", ",,", "\"a\"\r"} {
		f.Add(s, ",")
	}
	f.Add(`a;"b;c"`, ";")
	f.Fuzz(func(t *testing.T, in, sep string) {
		if sep == "" || strings.Contains(sep, `"`) {
			return
		}
		fields, err := csvFields(in, sep)
		if err != nil {
			return
		}
		again, err := csvFields(csvQuote(fields, sep), sep)
		if err != nil || !slices.Equal(again, fields) {
			t.Fatalf("csvFields(%q, %q) = %q; quoted back it reads %q, %v", in, sep, fields, again, err)
		}
	})
}
