package exec

import (
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in   string
		want syscall.Signal
		err  bool
	}{
		{"TERM", syscall.SIGTERM, false},
		{"SIGINT", syscall.SIGINT, false},
		{"kill", syscall.SIGKILL, false},
		{" hup ", syscall.SIGHUP, false},
		{"9", syscall.SIGKILL, false},
		{"0", 0, true},
		{"256", 0, true},
		{"NOPE", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSignal(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseSignal(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL, syscall.SIGUSR1, 40} {
		if got, err := ParseSignal(SignalName(sig)); err != nil || got != sig {
			t.Errorf("ParseSignal(SignalName(%d)) = %v, %v", sig, got, err)
		}
	}
}

func TestParseTermSeq(t *testing.T) {
	got, err := ParseTermSeq("TERM,200,SIGINT,100,KILL,25")
	want := []Step{{Signal: syscall.SIGTERM, Wait: 200 * time.Millisecond}, {Signal: syscall.SIGINT, Wait: 100 * time.Millisecond}, {Signal: syscall.SIGKILL, Wait: 25 * time.Millisecond}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseTermSeq = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"TERM", "TERM,x", "NOPE,10", "TERM,-1", ""} {
		if _, err := ParseTermSeq(bad); err == nil {
			t.Errorf("ParseTermSeq(%q): no error", bad)
		}
	}
}

// FuzzParseTermSeq: never panics; a sequence it accepts has one step per
// pair, each a real signal and a wait that is not negative, and it
// formats back to a sequence that parses the same.
func FuzzParseTermSeq(f *testing.F) {
	for _, s := range []string{"TERM,200,TERM,100,KILL,25", "INT,0", "9,1", "TERM", ",", "SIGTERM,99999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		steps, err := ParseTermSeq(s)
		if err != nil {
			return
		}
		if len(steps) != (strings.Count(s, ",")+1)/2 {
			t.Fatalf("ParseTermSeq(%q) = %d steps", s, len(steps))
		}
		var parts []string
		for _, st := range steps {
			if st.Signal < 1 || st.Signal > 255 || st.Wait < 0 {
				t.Fatalf("ParseTermSeq(%q): step %+v", s, st)
			}
			parts = append(parts, SignalName(st.Signal), strconvMs(st.Wait))
		}
		again, err := ParseTermSeq(strings.Join(parts, ","))
		if err != nil || !slices.Equal(again, steps) {
			t.Fatalf("ParseTermSeq(%q) = %v; formatted back it parses as %v, %v", s, steps, again, err)
		}
	})
}

func strconvMs(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
