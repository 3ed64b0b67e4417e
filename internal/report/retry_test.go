package report

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFailedCommands checks what --retry-failed runs from a joblog: the
// last entry of each job decides; a success is "true" (skipped by the
// --resume-failed filter), a number the joblog skips an empty command, a
// NUL in a command a newline; the header and torn lines are left out.
func TestFailedCommands(t *testing.T) {
	log := strings.Join([]string{
		"Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand",
		"1\t:\t1.0\t0.1\t0\t0\t0\t0\techo ok",
		"2\t:\t1.0\t0.1\t0\t0\t1\t0\techo a\x00exit 1",
		"4\t:\t1.0\t0.1\t0\t0\t0\t15\tsleep 9",
		"5\t:\t1.0\t0.1\t0\t0\t2\t0\tfalse",
		"5\t:\t1.0\t0.1\t0\t0\t0\t0\ttrue again",
		"6\t:\t1.0\t0.1\t0\t0\t-1\t0\tkilled\tcommand\twith tabs",
		"7\t:\t1.0",
	}, "\n") + "\n"
	jl := filepath.Join(t.TempDir(), "jl")
	if err := os.WriteFile(jl, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []string{"true", "echo a\nexit 1", "", "sleep 9", "true", "killed\tcommand\twith tabs"}
	for _, spec := range []string{jl, "+" + jl} {
		got, err := Outputs{Joblog: spec, RetryFailed: true}.FailedCommands()
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("FailedCommands(%s) = %q, %v; want %q", spec, got, err, want)
		}
	}
	for _, spec := range []string{"", "-", "+", filepath.Join(t.TempDir(), "missing")} {
		if got, err := (Outputs{Joblog: spec, RetryFailed: true}).FailedCommands(); err == nil {
			t.Errorf("FailedCommands(%q) = %q, nil; want an error", spec, got)
		}
	}
}
