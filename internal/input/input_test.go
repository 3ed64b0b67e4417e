package input

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/parrun/parrun/internal/job"
)

// readJobs opens cfg and returns every job until io.EOF, failing the test
// on any other error.
func readJobs(t *testing.T, cfg Config) []*job.Job {
	t.Helper()
	r, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	defer r.Close()
	var jobs []*job.Job
	for {
		j, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next() after %d jobs = %v", len(jobs), err)
		}
		jobs = append(jobs, j)
	}
	// After the end the Reader stays at the end.
	if j, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("Next() after io.EOF = %v, %v; want nil, io.EOF", j, err)
	}
	return jobs
}

// wholes returns each job's {} values, or "ERR" for a job with Err set.
func wholes(jobs []*job.Job) [][]string {
	var out [][]string
	for _, j := range jobs {
		if j.Err != nil {
			out = append(out, []string{"ERR"})
			continue
		}
		out = append(out, j.Whole)
	}
	return out
}

func args(jobs []*job.Job) [][]string {
	var out [][]string
	for _, j := range jobs {
		out = append(out, j.Args)
	}
	return out
}

func equal2(a, b [][]string) bool {
	return slices.EqualFunc(a, b, func(x, y []string) bool { return slices.Equal(x, y) })
}

// checkSeq checks that jobs are numbered 1, 2, … in order and carry the
// "use the run's default" retries.
func checkSeq(t *testing.T, jobs []*job.Job) {
	t.Helper()
	for i, j := range jobs {
		if j.Seq != int64(i+1) {
			t.Errorf("job %d: Seq = %d; want %d", i, j.Seq, i+1)
		}
		if j.Retries != 0 {
			t.Errorf("job %d: Retries = %d; want 0 (take --retries)", i, j.Retries)
		}
	}
}

func vals(s ...string) Source { return Source{Values: s} }
func link(s ...string) Source { return Source{Values: s, Link: true} }

func TestStdinRecords(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		delim string
		want  [][]string
	}{
		{"lines", "a\nb c\n", "", [][]string{{"a"}, {"b c"}}},
		{"no final newline", "a\nb", "", [][]string{{"a"}, {"b"}}},
		{"empty lines are records", "a\n\nb\n", "", [][]string{{"a"}, {""}, {"b"}}},
		{"empty input", "", "", nil},
		{"-0 keeps newlines", "a\nb\x00c\n\x00", "\x00", [][]string{{"a\nb"}, {"c\n"}}},
		{"-d multi-char", "a::b::c", "::", [][]string{{"a"}, {"b"}, {"c"}}},
		{"-d tab", "a\tb\t", "\t", [][]string{{"a"}, {"b"}}},
	}
	for _, tt := range tests {
		jobs := readJobs(t, Config{Stdin: strings.NewReader(tt.in), Delim: tt.delim, Template: true})
		checkSeq(t, jobs)
		if got := wholes(jobs); !equal2(got, tt.want) {
			t.Errorf("%s: {} values = %q; want %q", tt.name, got, tt.want)
		}
		if got := args(jobs); !equal2(got, tt.want) {
			t.Errorf("%s: {1} values = %q; want %q", tt.name, got, tt.want)
		}
		for i, j := range jobs {
			if j.Line != int64(i+1) {
				t.Errorf("%s: job %d Line = %d; want %d", tt.name, i, j.Line, i+1)
			}
			if j.Cmd != nil {
				t.Errorf("%s: job %d has its own command %q; want the template's", tt.name, i, j.Cmd.Argv)
			}
		}
	}
}

func TestNilStdin(t *testing.T) {
	if jobs := readJobs(t, Config{Template: true}); len(jobs) != 0 {
		t.Errorf("jobs from a nil Stdin = %d; want 0", len(jobs))
	}
}

// TestSources checks ::: groups: one group in order, several as their
// cartesian product with the first group slowest, and :::+ linking a group
// element-wise to the one before it, the shorter wrapping around.
func TestSources(t *testing.T) {
	tests := []struct {
		name string
		srcs []Source
		want [][]string
	}{
		{"one group", []Source{vals("a", "b", "c")}, [][]string{{"a"}, {"b"}, {"c"}}},
		{
			"product, first slowest",
			[]Source{vals("a", "b"), vals("1", "2", "3")},
			[][]string{{"a", "1"}, {"a", "2"}, {"a", "3"}, {"b", "1"}, {"b", "2"}, {"b", "3"}},
		},
		{
			"three-way product",
			[]Source{vals("a", "b"), vals("1", "2"), vals("x", "y")},
			[][]string{
				{"a", "1", "x"}, {"a", "1", "y"}, {"a", "2", "x"}, {"a", "2", "y"},
				{"b", "1", "x"}, {"b", "1", "y"}, {"b", "2", "x"}, {"b", "2", "y"},
			},
		},
		{"product with a single value", []Source{vals("a"), vals("1", "2")}, [][]string{{"a", "1"}, {"a", "2"}}},
		{
			"link equal lengths",
			[]Source{vals("a", "b", "c"), link("1", "2", "3")},
			[][]string{{"a", "1"}, {"b", "2"}, {"c", "3"}},
		},
		{
			"link stops at the shorter second (GNU :::+)",
			[]Source{vals("a", "b", "c", "d", "e"), link("1", "2")},
			[][]string{{"a", "1"}, {"b", "2"}},
		},
		{
			"link stops at the shorter first",
			[]Source{vals("a"), link("1", "2", "3")},
			[][]string{{"a", "1"}},
		},
		{
			"three linked",
			[]Source{vals("a", "b"), link("1", "2", "3"), link("p")},
			[][]string{{"a", "1", "p"}},
		},
		{
			"product of a group and a linked pair",
			[]Source{vals("x", "y"), vals("a", "b", "c"), link("1", "2")},
			[][]string{
				{"x", "a", "1"}, {"x", "b", "2"},
				{"y", "a", "1"}, {"y", "b", "2"},
			},
		},
		{
			"product of a linked pair and a group",
			[]Source{vals("a", "b"), link("1", "2"), vals("x", "y")},
			[][]string{{"a", "1", "x"}, {"a", "1", "y"}, {"b", "2", "x"}, {"b", "2", "y"}},
		},
		{"empty group", []Source{vals()}, nil},
		{"empty group in a product", []Source{vals("a", "b"), vals()}, nil},
		{"empty linked group", []Source{vals("a", "b"), link()}, nil},
		{"empty values are values", []Source{vals("", "x")}, [][]string{{""}, {"x"}}},
	}
	for _, tt := range tests {
		jobs := readJobs(t, Config{Sources: tt.srcs, Template: true})
		checkSeq(t, jobs)
		if got := wholes(jobs); !equal2(got, tt.want) {
			t.Errorf("%s: {} values = %q; want %q", tt.name, got, tt.want)
		}
		// {1}, {2}, … are the groups.
		if got := args(jobs); !equal2(got, tt.want) {
			t.Errorf("%s: {N} values = %q; want %q", tt.name, got, tt.want)
		}
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFileSources(t *testing.T) {
	f1 := writeFile(t, "f1", "a\nb\n")
	f2 := writeFile(t, "f2", "1\n2")
	nul := writeFile(t, "nul", "x y\x00z\n\x00")
	tests := []struct {
		name  string
		srcs  []Source
		stdin string
		delim string
		want  [][]string
	}{
		{"one file, streamed", []Source{{File: f1, IsFile: true}}, "", "", [][]string{{"a"}, {"b"}}},
		{"- is stdin", []Source{{File: "-", IsFile: true}}, "s\nt\n", "", [][]string{{"s"}, {"t"}}},
		{
			"product of files",
			[]Source{{File: f1, IsFile: true}, {File: f2, IsFile: true}},
			"", "",
			[][]string{{"a", "1"}, {"a", "2"}, {"b", "1"}, {"b", "2"}},
		},
		{
			"::: then a file",
			[]Source{vals("x"), {File: f2, IsFile: true}},
			"", "",
			[][]string{{"x", "1"}, {"x", "2"}},
		},
		{
			"linked file",
			[]Source{{File: f1, IsFile: true}, {File: f2, IsFile: true, Link: true}},
			"", "",
			[][]string{{"a", "1"}, {"b", "2"}},
		},
		{
			"stdin in a product",
			[]Source{{File: "-", IsFile: true}, vals("p", "q")},
			"s\n", "",
			[][]string{{"s", "p"}, {"s", "q"}},
		},
		{"-0 file", []Source{{File: nul, IsFile: true}}, "", "\x00", [][]string{{"x y"}, {"z\n"}}},
	}
	for _, tt := range tests {
		jobs := readJobs(t, Config{Sources: tt.srcs, Stdin: strings.NewReader(tt.stdin), Delim: tt.delim, Template: true})
		checkSeq(t, jobs)
		if got := wholes(jobs); !equal2(got, tt.want) {
			t.Errorf("%s: {} values = %q; want %q", tt.name, got, tt.want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	f := writeFile(t, "f", "a\n")
	tests := []struct {
		name string
		cfg  Config
		want string // in the error
	}{
		{"missing file", Config{Sources: []Source{{File: missing, IsFile: true}}}, "missing"},
		{"missing file in a product", Config{Sources: []Source{vals("a"), {File: missing, IsFile: true}}}, "missing"},
		{"link first", Config{Sources: []Source{link("a")}}, ":::+"},
		{"negative -n", Config{MaxArgs: -1}, "-n"},
		{"jsonl with two sources", Config{JSONL: true, Sources: []Source{vals("a"), vals("b")}}, "--jsonl"},
		{"jsonl with -n", Config{JSONL: true, MaxArgs: 2}, "--jsonl"},
		{"jsonl with colsep", Config{JSONL: true, Colsep: regexp.MustCompile(",")}, "--jsonl"},
		{"jsonl with file and :::", Config{JSONL: true, Sources: []Source{{File: f, IsFile: true}, vals("b")}}, "--jsonl"},
	}
	for _, tt := range tests {
		r, err := Open(tt.cfg)
		if err == nil {
			r.Close()
			t.Errorf("%s: Open() = nil error; want one mentioning %q", tt.name, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Open() = %q; want an error mentioning %q", tt.name, err, tt.want)
		}
	}
}

func TestClose(t *testing.T) {
	f := writeFile(t, "f", "a\n")
	r, err := Open(Config{Sources: []Source{{File: f, IsFile: true}}, Template: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close() = %v; want nil", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close() = %v; want nil", err)
	}
}

// TestMaxArgs checks -n batching: N records per job, the last batch
// shorter, and the job numbered by its first record.
func TestMaxArgs(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		want      [][]string
		wantLines []int64
	}{
		{
			name:      "-n 2, short last batch",
			cfg:       Config{Stdin: strings.NewReader("1\n2\n3\n4\n5\n"), MaxArgs: 2},
			want:      [][]string{{"1", "2"}, {"3", "4"}, {"5"}},
			wantLines: []int64{1, 3, 5},
		},
		{
			name:      "-n 3, exact",
			cfg:       Config{Stdin: strings.NewReader("1\n2\n3\n4\n5\n6\n"), MaxArgs: 3},
			want:      [][]string{{"1", "2", "3"}, {"4", "5", "6"}},
			wantLines: []int64{1, 4},
		},
		{
			name:      "-n larger than the input",
			cfg:       Config{Stdin: strings.NewReader("1\n2\n"), MaxArgs: 10},
			want:      [][]string{{"1", "2"}},
			wantLines: []int64{1},
		},
		{
			name:      "-n 1",
			cfg:       Config{Stdin: strings.NewReader("1\n2\n"), MaxArgs: 1},
			want:      [][]string{{"1"}, {"2"}},
			wantLines: []int64{1, 2},
		},
		{
			name:      "-n 0 means 1",
			cfg:       Config{Stdin: strings.NewReader("1\n2\n")},
			want:      [][]string{{"1"}, {"2"}},
			wantLines: []int64{1, 2},
		},
		{
			name:      "-n with ::: ",
			cfg:       Config{Sources: []Source{vals("a", "b", "c")}, MaxArgs: 2},
			want:      [][]string{{"a", "b"}, {"c"}},
			wantLines: []int64{1, 3},
		},
		{
			name:      "-n with a product: whole tuples per job",
			cfg:       Config{Sources: []Source{vals("a", "b"), vals("1", "2")}, MaxArgs: 3},
			want:      [][]string{{"a", "1", "a", "2", "b", "1"}, {"b", "2"}},
			wantLines: []int64{1, 4},
		},
	}
	for _, tt := range tests {
		tt.cfg.Template = true
		jobs := readJobs(t, tt.cfg)
		checkSeq(t, jobs)
		if got := wholes(jobs); !equal2(got, tt.want) {
			t.Errorf("%s: {} values = %q; want %q", tt.name, got, tt.want)
		}
		if got := args(jobs); !equal2(got, tt.want) {
			t.Errorf("%s: {N} values = %q; want %q", tt.name, got, tt.want)
		}
		var lines []int64
		for _, j := range jobs {
			lines = append(lines, j.Line)
		}
		if !slices.Equal(lines, tt.wantLines) {
			t.Errorf("%s: Line = %v; want %v", tt.name, lines, tt.wantLines)
		}
	}
}

// TestBadRecordInBatch checks that a record that cannot be read, met while
// filling a -n batch, becomes a failed job of its own after the batch so
// far, and that nothing else is dropped.
func TestBadRecordInBatch(t *testing.T) {
	t.Run("read error", func(t *testing.T) {
		in := io.MultiReader(strings.NewReader("a\nb\n"), iotest.ErrReader(errBoom))
		jobs := readJobs(t, Config{Stdin: in, MaxArgs: 3, Template: true})
		checkSeq(t, jobs)
		want := [][]string{{"a", "b"}, {"ERR"}}
		if got := wholes(jobs); !equal2(got, want) {
			t.Fatalf("{} values = %q; want %q", got, want)
		}
		bad := jobs[1]
		if !errors.Is(bad.Err, errBoom) || !strings.Contains(bad.Err.Error(), "standard input") {
			t.Errorf("bad job Err = %v; want one wrapping %v and naming standard input", bad.Err, errBoom)
		}
		if bad.Line != 3 {
			t.Errorf("bad job Line = %d; want 3", bad.Line)
		}
	})
	t.Run("record too long", func(t *testing.T) {
		if testing.Short() {
			t.Skip("allocates a MaxRecord-sized buffer")
		}
		in := io.MultiReader(
			strings.NewReader("a\n"),
			xs(MaxRecord+100<<10), strings.NewReader("\n"),
			strings.NewReader("b\nc\nd\n"),
		)
		jobs := readJobs(t, Config{Stdin: in, MaxArgs: 2, Template: true})
		checkSeq(t, jobs)
		want := [][]string{{"a"}, {"ERR"}, {"b", "c"}, {"d"}}
		if got := wholes(jobs); !equal2(got, want) {
			t.Fatalf("{} values = %q; want %q", got, want)
		}
		bad := jobs[1]
		if !errors.Is(bad.Err, errTooLong) || bad.Line != 2 {
			t.Errorf("bad job = Err %v, Line %d; want Err wrapping %v, Line 2", bad.Err, bad.Line, errTooLong)
		}
		if bad.Cmd != nil || bad.Whole != nil {
			t.Errorf("bad job has Cmd %v, Whole %q; want neither", bad.Cmd, bad.Whole)
		}
		wantLines := []int64{1, 2, 3, 5}
		for i, j := range jobs {
			if j.Line != wantLines[i] {
				t.Errorf("job %d Line = %d; want %d", i+1, j.Line, wantLines[i])
			}
		}
	})
	t.Run("first record bad", func(t *testing.T) {
		in := iotest.ErrReader(errBoom)
		jobs := readJobs(t, Config{Stdin: in, MaxArgs: 2, Template: true})
		checkSeq(t, jobs)
		if got, want := wholes(jobs), [][]string{{"ERR"}}; !equal2(got, want) {
			t.Fatalf("{} values = %q; want %q", got, want)
		}
	})
}

func TestColsep(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		wantArgs [][]string // {1}, {2}, … and {} alike (GNU: {} is the columns)
	}{
		{
			name:     "comma",
			cfg:      Config{Stdin: strings.NewReader("a,b,c\nd\n"), Colsep: regexp.MustCompile(",")},
			wantArgs: [][]string{{"a", "b", "c"}, {"d"}},
		},
		{
			name:     "regexp",
			cfg:      Config{Stdin: strings.NewReader("a \t b  c\n"), Colsep: regexp.MustCompile(`\s+`)},
			wantArgs: [][]string{{"a", "b", "c"}},
		},
		{
			name:     "empty columns kept",
			cfg:      Config{Stdin: strings.NewReader(",x,\n"), Colsep: regexp.MustCompile(",")},
			wantArgs: [][]string{{"", "x", ""}},
		},
		{
			name:     "-0 and tab columns",
			cfg:      Config{Stdin: strings.NewReader("a\tb\nc\x00"), Delim: "\x00", Colsep: regexp.MustCompile("\t")},
			wantArgs: [][]string{{"a", "b\nc"}},
		},
		{
			name:     "with -n the columns of every record",
			cfg:      Config{Stdin: strings.NewReader("a,b\nc,d\ne\n"), Colsep: regexp.MustCompile(","), MaxArgs: 2},
			wantArgs: [][]string{{"a", "b", "c", "d"}, {"e"}},
		},
	}
	for _, tt := range tests {
		tt.cfg.Template = true
		jobs := readJobs(t, tt.cfg)
		checkSeq(t, jobs)
		if got := args(jobs); !equal2(got, tt.wantArgs) {
			t.Errorf("%s: {N} values = %q; want %q", tt.name, got, tt.wantArgs)
		}
		if got := wholes(jobs); !equal2(got, tt.wantArgs) {
			t.Errorf("%s: {} values = %q; want %q", tt.name, got, tt.wantArgs)
		}
	}
}

// TestRecordsAsCommands checks that without a template each record (or -n
// batch, joined by spaces) is a whole command line.
func TestRecordsAsCommands(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want [][]string
	}{
		{
			name: "lines",
			cfg:  Config{Stdin: strings.NewReader("sleep 1\necho 'a b' | wc\n")},
			want: [][]string{{"sleep", "1"}, {"/bin/sh", "-c", "echo 'a b' | wc"}},
		},
		{
			name: "-n joins records",
			cfg:  Config{Stdin: strings.NewReader("sleep\n1\nls\n"), MaxArgs: 2},
			want: [][]string{{"sleep", "1"}, {"ls"}},
		},
		{
			name: "::: values",
			cfg:  Config{Sources: []Source{vals("true", "exit 3")}},
			want: [][]string{{"true"}, {"/bin/sh", "-c", "exit 3"}},
		},
	}
	for _, tt := range tests {
		tt.cfg.Shell = "/bin/sh"
		jobs := readJobs(t, tt.cfg)
		checkSeq(t, jobs)
		var got [][]string
		for _, j := range jobs {
			if j.Cmd == nil {
				t.Fatalf("%s: job %d has no command", tt.name, j.Seq)
			}
			got = append(got, j.Cmd.Argv)
		}
		if !equal2(got, tt.want) {
			t.Errorf("%s: commands = %q; want %q", tt.name, got, tt.want)
		}
	}
}

// TestStreaming checks that the Reader hands out the first job before the
// input has ended: parrun starts jobs while it is still reading.
func TestStreaming(t *testing.T) {
	pr, pw := io.Pipe()
	r, err := Open(Config{Stdin: pr, Template: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.WriteString(pw, "first\n")
		// The writer blocks here until the reader has taken "first";
		// then the Reader must already have returned its job.
	}()
	j, err := r.Next()
	if err != nil || !slices.Equal(j.Whole, []string{"first"}) {
		t.Fatalf("Next() = %v, %v; want the job for \"first\"", j, err)
	}
	<-done
	pw.Close()
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("Next() after the writer closed = %v; want io.EOF", err)
	}
}

// TestTrim checks --trim on values, columns and ::: arguments, and GNU's
// default: lr with --colsep, n without.
func TestTrim(t *testing.T) {
	comma := regexp.MustCompile(",")
	tests := []struct {
		name string
		cfg  Config
		want [][]string
	}{
		{"default n", Config{Stdin: strings.NewReader(" a \n")}, [][]string{{" a "}}},
		{"lr", Config{Stdin: strings.NewReader(" a \t\n"), Trim: "lr"}, [][]string{{"a"}}},
		{"rl", Config{Stdin: strings.NewReader("\ta\v\n"), Trim: "rl"}, [][]string{{"a"}}},
		{"l", Config{Stdin: strings.NewReader(" a \n"), Trim: "l"}, [][]string{{"a "}}},
		{"r", Config{Stdin: strings.NewReader(" a \n"), Trim: "r"}, [][]string{{" a"}}},
		{"colsep default lr", Config{Stdin: strings.NewReader("  a , b  \n"), Colsep: comma}, [][]string{{"a", "b"}}},
		{"colsep n", Config{Stdin: strings.NewReader(" a ,b \n"), Colsep: comma, Trim: "n"}, [][]string{{" a ", "b "}}},
		{"::: values", Config{Sources: []Source{{Values: []string{" x ", "y"}}}, Trim: "lr"}, [][]string{{"x"}, {"y"}}},
	}
	for _, tt := range tests {
		tt.cfg.Template = true
		if got := args(readJobs(t, tt.cfg)); !equal2(got, tt.want) {
			t.Errorf("%s: values %q; want %q", tt.name, got, tt.want)
		}
	}
	if err := (&Config{Trim: "x"}).Check(); err == nil || !strings.Contains(err.Error(), "want n, l, r, lr or rl") {
		t.Errorf("--trim x: Check() = %v; want the choices", err)
	}
}

// TestSkipBlank checks -r: a record of only blanks is no job, in a -n
// batch too, and the jobs keep consecutive numbers.
func TestSkipBlank(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want [][]string
	}{
		{"lines", Config{Stdin: strings.NewReader("a\n\n \t\nb\n")}, [][]string{{"a"}, {"b"}}},
		{"-n 2", Config{Stdin: strings.NewReader("a\n\n  \nb\nc\n"), MaxArgs: 2}, [][]string{{"a", "b"}, {"c"}}},
		{"::: values", Config{Sources: []Source{{Values: []string{"", " ", "a"}}}}, [][]string{{"a"}}},
		{"only blanks", Config{Stdin: strings.NewReader("\n\n")}, nil},
		{"a blank column is not a blank record", Config{Stdin: strings.NewReader(" ,\n"), Colsep: regexp.MustCompile(",")}, [][]string{{"", ""}}},
	}
	for _, tt := range tests {
		tt.cfg.Template, tt.cfg.SkipBlank = true, true
		jobs := readJobs(t, tt.cfg)
		checkSeq(t, jobs)
		if got := wholes(jobs); !equal2(got, tt.want) {
			t.Errorf("%s: jobs %q; want %q", tt.name, got, tt.want)
		}
	}
}

// TestNoValues checks -n 0 and GNU's -N0: a job per record, with nothing
// to substitute.
func TestNoValues(t *testing.T) {
	jobs := readJobs(t, Config{Stdin: strings.NewReader("a\nb\n"), Template: true, NoValues: true, MaxArgs: 1})
	checkSeq(t, jobs)
	if len(jobs) != 2 || len(jobs[0].Whole) != 0 || len(jobs[1].Args) != 0 {
		t.Errorf("jobs %q / %q; want two jobs with no values", wholes(jobs), args(jobs))
	}
}

// TestShuffle checks --shuf: every job once, numbered 1..n in the new
// order, and (with 20 jobs, 1 in 20! to fail) not in input order.
func TestShuffle(t *testing.T) {
	var vals []string
	for i := range 20 {
		vals = append(vals, strconv.Itoa(i+1))
	}
	jobs := readJobs(t, Config{Sources: []Source{{Values: vals}}, Template: true, Shuffle: true})
	checkSeq(t, jobs)
	got := map[string]bool{}
	inOrder := true
	for i, j := range jobs {
		got[j.Whole[0]] = true
		inOrder = inOrder && j.Whole[0] == vals[i]
	}
	if len(got) != 20 || len(jobs) != 20 {
		t.Errorf("%d jobs, %d distinct; want each of the 20 once", len(jobs), len(got))
	}
	if inOrder {
		t.Errorf("--shuf left the jobs in input order")
	}
}

// fitN is a Fitter that takes up to n values a job.
type fitN struct{ n, have int }

func (f *fitN) Add(vals []string) bool {
	if f.have > 0 && f.have+len(vals) > f.n {
		return false
	}
	f.have += len(vals)
	return true
}

// TestFit checks -m/-X/--xargs batching: records join a job while the
// Fitter takes them, and with Spread an even share of the input.
func TestFit(t *testing.T) {
	seven := func() []Source { return []Source{{Values: strings.Fields("a b c d e f g")}} }
	tests := []struct {
		name   string
		fit    int
		spread int
		want   [][]string
	}{
		{"fit 3", 3, 0, [][]string{{"a", "b", "c"}, {"d", "e", "f"}, {"g"}}},
		{"all fit", 100, 0, [][]string{{"a", "b", "c", "d", "e", "f", "g"}}},
		{"spread over 2", 100, 2, [][]string{{"a", "b", "c", "d"}, {"e", "f", "g"}}},
		{"spread, fit wins", 2, 2, [][]string{{"a", "b"}, {"c", "d"}, {"e", "f"}, {"g"}}},
	}
	for _, tt := range tests {
		cfg := Config{Sources: seven(), Template: true, Spread: tt.spread,
			Fit: func(*job.Job) Fitter { return &fitN{n: tt.fit} }}
		jobs := readJobs(t, cfg)
		checkSeq(t, jobs)
		if got := wholes(jobs); !equal2(got, tt.want) {
			t.Errorf("%s: jobs %q; want %q", tt.name, got, tt.want)
		}
	}
}
