package report

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/job"
)

func TestExitval(t *testing.T) {
	cmd := job.ArgvCommand([]string{"true"})
	tests := []struct {
		name string
		d    *job.Done
		lost bool
		want int
	}{
		{"success", &job.Done{Job: &job.Job{Seq: 1}, Command: cmd, Result: &exec.Result{}}, false, 0},
		{"exit 3", &job.Done{Job: &job.Job{Seq: 1}, Command: cmd, Result: &exec.Result{ExitCode: 3}}, false, 3},
		{"signal", &job.Done{Job: &job.Job{Seq: 1}, Command: cmd, Result: &exec.Result{ExitCode: 137, Signal: syscall.SIGKILL}}, false, 0},
		{"stopped", &job.Done{Job: &job.Job{Seq: 1}, Command: cmd, Result: &exec.Result{ExitCode: 143, Signal: syscall.SIGTERM, Killed: true}}, false, -1},
		{"output lost", &job.Done{Job: &job.Job{Seq: 1}, Command: cmd, Result: &exec.Result{}}, true, -1},
		{"spill failed", &job.Done{Job: &job.Job{Seq: 1}, Command: cmd, Result: &exec.Result{Err: exec.ErrSpill}}, false, -1},
		{"never started", &job.Done{Job: &job.Job{Seq: 1}, Command: cmd, Result: &exec.Result{ExitCode: -1, Err: errors.New("worker exited")}}, false, -1},
		{"bad record", &job.Done{Job: &job.Job{Seq: 1, Err: errors.New("bad JSON")}, Result: &exec.Result{ExitCode: -1, Err: errors.New("bad JSON")}}, false, 255},
	}
	for _, tt := range tests {
		if got := exitval(tt.d, tt.lost); got != tt.want {
			t.Errorf("%s: Exitval %d; want %d", tt.name, got, tt.want)
		}
	}
}

// TestResumeAfterTornLine: appending to a joblog whose last line a crash
// cut short first ends that line, so the next entry is read back.
func TestResumeAfterTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jl")
	torn := JoblogHeader + "1\t:\t1.000\t0.001\t0\t0\t0\t0\ttrue 1\n2\t:\t1.0"
	if err := os.WriteFile(path, []byte(torn), 0o644); err != nil {
		t.Fatal(err)
	}
	jl, err := OpenJoblog(path, true)
	if err != nil {
		t.Fatal(err)
	}
	d := &job.Done{Job: &job.Job{Seq: 3}, Command: job.ArgvCommand([]string{"true"}), Result: &exec.Result{Start: time.Now()}}
	if err := jl.Write(d, false); err != nil {
		t.Fatal(err)
	}
	jl.Close()
	got, err := ReadJoblog(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got[3]; !ok || len(got) != 2 {
		t.Errorf("entries %v; want jobs 1 and 3 (2 was torn)", got)
	}
}

// TestReadJoblogLongLine: a line far longer than any buffer (a 20 MB
// command) is read, and so are the lines after it.
func TestReadJoblogLongLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jl")
	long := "1\t:\t1.000\t0.001\t0\t0\t0\t0\techo " + strings.Repeat("x", 20<<20) + "\n"
	data := JoblogHeader + long + "2\t:\t1.000\t0.001\t0\t0\t1\t0\tfalse\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJoblog(path)
	if err != nil {
		t.Fatal(err)
	}
	if got[1] != (JoblogEntry{}) || got[2] != (JoblogEntry{Exitval: 1}) || len(got) != 2 {
		t.Errorf("entries %v; want 1 (exit 0) and 2 (exit 1)", got)
	}
}

// TestStdoutJoblog: --joblog - writes the header at once and each line
// as the job ends, to the stream it is given, which Close leaves open.
func TestStdoutJoblog(t *testing.T) {
	var out strings.Builder
	jl, _, err := OpenRunJoblog("-", false, false, &out)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != JoblogHeader || !jl.onStdout() {
		t.Fatalf("after open: %q, onStdout %v; want the header, true", out.String(), jl.onStdout())
	}
	d := &job.Done{Job: &job.Job{Seq: 1}, Command: job.ArgvCommand([]string{"true"}), Result: &exec.Result{Start: time.Now()}}
	if err := jl.Write(d, false); err != nil {
		t.Fatal(err)
	}
	if err := jl.Close(); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(out.String(), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[1], "1\t:\t") || !strings.HasSuffix(lines[1], "\ttrue") {
		t.Errorf("joblog on stdout = %q; want the header and job 1's line", out.String())
	}
}
