package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/job"
)

// TestArgsDir checks GNU parallel's args_as_dirname: a level per value,
// numbered within its record, the value escaped as one name.
func TestArgsDir(t *testing.T) {
	tests := []struct {
		args    []string
		records []int
		want    string
	}{
		{[]string{"a"}, nil, "1/a"},
		{[]string{"a", "x"}, nil, "1/a/2/x"},
		{[]string{"a", "b"}, []int{1, 1}, "1/a/1/b"},
		{[]string{"a", "b", "c"}, []int{2, 1}, "1/a/2/b/1/c"},
		{[]string{"a/b"}, nil, `1/a\_b`},
		{[]string{`a\b`}, nil, `1/a\\b`},
		{[]string{"a\tb\x00c"}, nil, `1/a\tb\0c`},
		{[]string{"c d"}, nil, "1/c d"},
		{[]string{".."}, nil, `1/\.\.`},
		{[]string{"."}, nil, `1/\.`},
		{[]string{""}, nil, "1"},
		{[]string{strings.Repeat("x", 300)}, nil, "1/" + strings.Repeat("x", maxName)},
		{nil, nil, "seq/7"},
	}
	for _, tt := range tests {
		j := &job.Job{Seq: 7, Args: tt.args, RecordArgs: tt.records}
		if got := argsDir(j, nil); got != filepath.FromSlash(tt.want) {
			t.Errorf("argsDir(%q, %v) = %q; want %q", tt.args, tt.records, got, tt.want)
		}
	}
}

// TestArgsDirColumns checks --header's names in the directories: in the
// order of the names, numbers first as perl compares them (GNU's
// header_indexes_sorted), a column without a name by its number.
func TestArgsDirColumns(t *testing.T) {
	tests := []struct {
		args, columns []string
		records       []int
		want          string
	}{
		{[]string{"1", "x"}, []string{"b", "a"}, nil, "a/x/b/1"},
		{[]string{"p", "q"}, []string{"x"}, nil, "x/p/2/q"}, // perl: "x" is 0, before 2
		{[]string{"p", "q", "r"}, []string{"10", "9", "9a"}, nil, "9/q/9a/r/10/p"},
		{[]string{"p", "q"}, []string{"b", "a"}, []int{1, 1}, "b/p/b/q"},
		{[]string{"p", "q"}, []string{"f1", "g"}, nil, "f1/p/g/q"},
	}
	for _, tt := range tests {
		j := &job.Job{Seq: 1, Args: tt.args, RecordArgs: tt.records}
		if got := argsDir(j, tt.columns); got != filepath.FromSlash(tt.want) {
			t.Errorf("argsDir(%q, %q) = %q; want %q", tt.args, tt.columns, got, tt.want)
		}
	}
}

// TestResultsPaths checks where each --results form puts a job's files.
func TestResultsPaths(t *testing.T) {
	dir := t.TempDir()
	j := &job.Job{Seq: 3, Whole: []string{"a"}, Args: []string{"a"}}
	tests := []struct {
		spec string
		want resultPaths
	}{
		{filepath.Join(dir, "out"), resultPaths{dir: dir + "/out/1/a", stdout: dir + "/out/1/a/stdout", stderr: dir + "/out/1/a/stderr", seq: dir + "/out/1/a/seq", record: dir + "/out/1/a/result.json"}},
		{dir + "/d_{}/", resultPaths{dir: dir + "/d_a", stdout: dir + "/d_a/stdout", stderr: dir + "/d_a/stderr", seq: dir + "/d_a/seq", record: dir + "/d_a/result.json"}},
		{dir + "/f_{}", resultPaths{dir: dir, stdout: dir + "/f_a", stderr: dir + "/f_a.err", seq: dir + "/f_a.seq", record: dir + "/f_a.result.json"}},
	}
	for _, tt := range tests {
		rs, err := OpenResults(tt.spec, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := rs.paths(j, 1); got == nil || *got != tt.want {
			t.Errorf("--results %s: paths %+v; want %+v", tt.spec, got, tt.want)
		}
	}
	rs, err := OpenResults("-.CSV", nil, nil, nil)
	if err != nil || rs.paths(j, 1) != nil || !rs.onStdout() {
		t.Errorf("--results -.CSV: %v, paths %v, on stdout %v; want a table on stdout", err, rs.paths(j, 1), rs.onStdout())
	}
}

// TestTableRows checks the CSV, TSV and JSON rows against GNU parallel's
// combine_ref and jsonquote.
func TestTableRows(t *testing.T) {
	d := &job.Done{Job: &job.Job{Seq: 1, Args: []string{"a,b", `q"`}},
		Command: job.ArgvCommand([]string{"echo", "x"}),
		Result:  &exec.Result{Start: time.UnixMilli(1700000000123), Duration: 1500 * time.Millisecond, ExitCode: 2}}
	tests := []struct {
		sep  byte
		want string
	}{
		{',', "Seq,Host,Starttime,JobRuntime,Send,Receive,Exitval,Signal,Command,V1,V2,Stdout,Stderr\n" +
			"1,:,1700000000.123,1.500,0,4,2,0,\"echo x\",\"a,b\",\"q\"\"\",\"o\tk\n\",\n"},
		{'\t', "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\tV1\tV2\tStdout\tStderr\n" +
			"1\t:\t1700000000.123\t1.500\t0\t4\t2\t0\t\"echo x\"\ta,b\t\"q\"\"\"\t\"o\tk\n\"\t\n"},
		{0, `{ "Seq": 1, "Host": ":", "Starttime": 1700000000.123, "JobRuntime": 1.500, "Send": 0, "Receive": 4, "Exitval": 2, "Signal": 0, "Command": "echo x", "V": [ "a,b","q\"" ], "Stdout": "o\u0009k\u000a", "Stderr": "" }` + "\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		tb := &table{w: &b, sep: tt.sep}
		if err := tb.row(d, []byte("o\tk\n"), nil); err != nil {
			t.Fatal(err)
		}
		if got := b.String(); got != tt.want {
			t.Errorf("sep %q: row\n%q\nwant\n%q", tt.sep, got, tt.want)
		}
	}
}
