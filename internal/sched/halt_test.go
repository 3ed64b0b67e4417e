package sched

import (
	"testing"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/job"
)

func TestParseHalt(t *testing.T) {
	tests := []struct {
		in   string
		want Halt
		err  bool
	}{
		{"never", Halt{}, false},
		{"", Halt{}, false},
		{"0", Halt{}, false},
		{"now,fail=1", Halt{Now: true, On: "fail", Count: 1}, false},
		{"soon,success=3", Halt{On: "success", Count: 3}, false},
		{"soon,done=20%", Halt{On: "done", Percent: 20}, false},
		// GNU parallel's legacy numeric forms.
		{"1", Halt{On: "fail", Count: 1}, false},
		{"2", Halt{Now: true, On: "fail", Count: 1}, false},
		{"-1", Halt{On: "success", Count: 1}, false},
		{"-2", Halt{Now: true, On: "success", Count: 1}, false},
		{"20%", Halt{On: "fail", Percent: 20}, false},
		{"3", Halt{}, true},
		{"%", Halt{}, true},
		{"later,fail=1", Halt{}, true},
		{"now,oops=1", Halt{}, true},
		{"now,fail=0", Halt{}, true},
		{"now,fail=101%", Halt{}, true},
		{"now,fail", Halt{}, true},
		{"now", Halt{}, true},
	}
	for _, tt := range tests {
		got, err := ParseHalt(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseHalt(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// TestHaltExitStatus checks GNU parallel's EXIT STATUS rules under --halt,
// with the figures GNU 20221122 gave (testdata/gnu/expected/halt_*).
func TestHaltExitStatus(t *testing.T) {
	fail := func(code int) *job.Done { return &job.Done{Result: &exec.Result{ExitCode: code}} }
	for _, tc := range []struct {
		name          string
		pol           string
		failed, total int
		d             *job.Done
		want          int
	}{
		{"fail=1: the failing job's status", "now,fail=1", 1, 5, fail(7), 7},
		{"fail=1: a signal is 128+n", "soon,fail=1", 1, 5, &job.Done{Result: &exec.Result{Signal: 9}}, 137},
		{"fail=2: the count", "now,fail=2", 2, 6, fail(2), 2},
		{"done=2: the failed count", "now,done=2", 1, 4, fail(0), 1},
		{"success: 0", "soon,success=1", 1, 3, fail(0), 0},
		{"fail=20% reached by one job: its status", "20%", 1, 5, fail(1), 1},
		{"fail=50%: ceil of the percentage", "soon,fail=50%", 3, 8, fail(1), 38},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol, err := ParseHalt(tc.pol)
			if err != nil {
				t.Fatal(err)
			}
			if got := haltStatus(pol, tc.failed, tc.total, tc.d); got != tc.want {
				t.Errorf("haltStatus(%s, %d failed of %d) = %d, want %d", tc.pol, tc.failed, tc.total, got, tc.want)
			}
		})
	}
	pol, _ := ParseHalt("soon,fail=50%")
	if got, ok := (Stats{Jobs: 8, Failed: 3}).ExitStatus(pol); !ok || got != 38 {
		t.Errorf("never reached fail=50%%, 3 of 8 failed: ExitStatus = %d, %v; want 38 (GNU)", got, ok)
	}
	pol, _ = ParseHalt("now,fail=2")
	if _, ok := (Stats{Jobs: 8, Failed: 1}).ExitStatus(pol); ok {
		t.Error("never reached fail=2: ExitStatus decides; want the failed count")
	}
}

// FuzzParseHalt: never panics, and what it accepts formats back (String)
// to a policy that parses the same.
func FuzzParseHalt(f *testing.F) {
	for _, s := range []string{"never", "now,fail=1", "soon,success=3", "soon,done=20%", "2", "now,fail=0.5%", "x,y=z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHalt(s)
		if err != nil {
			return
		}
		again, err := ParseHalt(h.String())
		if err != nil || again != h {
			t.Errorf("ParseHalt(%q) = %+v; its String %q parses as %+v, %v", s, h, h.String(), again, err)
		}
	})
}
