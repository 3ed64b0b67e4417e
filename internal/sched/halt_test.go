package sched

import "testing"

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
		{"2", Halt{Now: true, On: "fail", Count: 2}, false},
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
