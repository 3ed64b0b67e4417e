package report

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOutputsCheck(t *testing.T) {
	tests := []struct {
		name string
		f    Outputs
		o    Options
		want string // "" for no error, else a part of it
	}{
		{"nothing", Outputs{}, Options{}, ""},
		{"resume with file", Outputs{Joblog: "log", Resume: true}, Options{}, ""},
		{"resume without joblog", Outputs{Resume: true}, Options{}, "--resume needs --joblog FILE"},
		{"resume-failed on stdout", Outputs{Joblog: "-", ResumeFailed: true}, Options{}, "--resume needs --joblog FILE"},
		{"resume on +", Outputs{Joblog: "+", Resume: true}, Options{}, "--resume needs --joblog FILE"},
		{"joblog - and json", Outputs{Joblog: "-"}, Options{JSON: true}, "--joblog - and --json"},
		{"files and json", Outputs{}, Options{Files: true, JSON: true}, "--files and --json"},
		{"files and results", Outputs{Results: "dir"}, Options{Files: true}, "--files and --json or --results"},
		{"results on stdout and json", Outputs{Results: "-.csv"}, Options{JSON: true}, "--results -.csv and --json"},
		{"results file and json", Outputs{Results: "out.csv"}, Options{JSON: true}, ""},
	}
	for _, tt := range tests {
		err := tt.f.Check(tt.o)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

// TestOutputsOpen checks that Open fills the options, that closeAll can be
// called more than once, and that it is safe after a failed Open.
func TestOutputsOpen(t *testing.T) {
	dir := t.TempDir()
	var o Options
	f := Outputs{Joblog: filepath.Join(dir, "log"), Results: filepath.Join(dir, "out.csv")}
	skip, closeAll, err := f.Open(&o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if skip != nil || o.Joblog == nil || o.Results == nil {
		t.Fatalf("Open: skip %v, joblog %v, results %v; want no skip and both opened", skip != nil, o.Joblog, o.Results)
	}
	if err := closeAll(); err != nil {
		t.Fatal(err)
	}
	if err := closeAll(); err != nil {
		t.Fatalf("second closeAll: %v", err)
	}
	for _, name := range []string{"log", "out.csv"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s not created: %v", name, err)
		}
	}

	var o2 Options
	bad := Outputs{Joblog: filepath.Join(dir, "no", "such", "dir", "log")}
	_, closeAll, err = bad.Open(&o2, io.Discard)
	if err == nil {
		t.Fatal("Open of a joblog in a missing directory: no error")
	}
	if err := closeAll(); err != nil {
		t.Fatalf("closeAll after a failed Open: %v", err)
	}
}
