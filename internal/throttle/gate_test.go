package throttle_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/parrun/parrun/internal/throttle"
)

const gib = 1 << 30

// mem returns a fake Machine.MemAvailable that reports free bytes, or err.
func mem(free int64, err error) func() (int64, error) {
	return func() (int64, error) { return free, err }
}

var errReading = errors.New("disk on fire")

// checkVerdict compares a verdict with the wanted Action and Run, and
// wants Why to contain why ("" wants Why empty).
func checkVerdict(t *testing.T, got throttle.Verdict, action throttle.Action, run int, why string) {
	t.Helper()
	if got.Action != action || got.Run != run {
		t.Errorf("Check() = %+v; want Action %d, Run %d", got, action, run)
	}
	if why == "" && got.Why != "" || !strings.Contains(got.Why, why) {
		t.Errorf("Check().Why = %q; want %q in it", got.Why, why)
	}
}

func TestMemFree(t *testing.T) {
	tests := []struct {
		name   string
		free   int64
		err    error
		action throttle.Action
		why    string
	}{
		{"plenty", 2 * gib, nil, throttle.Start, ""},
		{"just enough", gib, nil, throttle.Start, ""},
		{"below size", 720 << 20, nil, throttle.Wait, "memory 720 MiB free < 1 GiB"},
		{"at half", gib / 2, nil, throttle.Wait, "memory 512 MiB free < 1 GiB"},
		{"below half", 180 << 20, nil, throttle.Kill, "memory 180 MiB free < half of --memfree 1 GiB"},
		{"none", 0, nil, throttle.Kill, "memory 0 B free"},
		{"unknown", 0, errReading, throttle.Wait, "free memory unknown (disk on fire)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := throttle.MemFree{Size: gib, Mem: mem(tt.free, tt.err)}
			checkVerdict(t, g.Check(), tt.action, -1, tt.why)
		})
	}
}

func TestMemSuspend(t *testing.T) {
	tests := []struct {
		name       string
		free, memf int64 // memf: --memfree's size (MemSuspend.Free)
		err        error
		action     throttle.Action
		run        int
		why        string
	}{
		{"twice size", 2 * gib, 0, nil, throttle.Start, -1, ""},
		{"more", 5 * gib, 0, nil, throttle.Start, -1, ""},
		// GNU: 1 + ⌊1/(2 − free/size)⌋ jobs run.
		{"1.5 size", gib * 3 / 2, 0, nil, throttle.Start, 3, ""},
		{"1.75 size", gib * 7 / 4, 0, nil, throttle.Start, 5, ""},
		{"1.25 size", gib * 5 / 4, 0, nil, throttle.Start, 2, ""},
		{"below size", gib / 2, 0, nil, throttle.Wait, 1, "memory 512 MiB free < 1 GiB"},
		{"none", 0, 0, nil, throttle.Wait, 1, "memory 0 B free < 1 GiB"},
		{"below size plus memfree", gib * 5 / 4, gib / 2, nil, throttle.Wait, 2, " GiB free < 1.5 GiB"},
		{"above size plus memfree", gib * 7 / 4, gib / 2, nil, throttle.Start, 5, ""},
		{"unknown", 0, 0, errReading, throttle.Wait, -1, "free memory unknown (disk on fire)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := throttle.MemSuspend{Size: gib, Free: tt.memf, Mem: mem(tt.free, tt.err)}
			checkVerdict(t, g.Check(), tt.action, tt.run, tt.why)
		})
	}
}

// fixed is a gate whose verdict never changes.
type fixed throttle.Verdict

func (f fixed) Check() throttle.Verdict { return throttle.Verdict(f) }

func TestGates(t *testing.T) {
	var (
		start  = fixed{Action: throttle.Start, Run: -1}
		waitA  = fixed{Action: throttle.Wait, Why: "a", Run: -1}
		waitB  = fixed{Action: throttle.Wait, Why: "b", Run: -1}
		killC  = fixed{Action: throttle.Kill, Why: "c", Run: -1}
		run3   = fixed{Action: throttle.Start, Run: 3}
		run2   = fixed{Action: throttle.Start, Run: 2}
		run0   = fixed{Action: throttle.Start, Run: 0}
		wait5  = fixed{Action: throttle.Wait, Why: "w5", Run: 5}
		killD1 = fixed{Action: throttle.Kill, Why: "d", Run: 1}
	)
	tests := []struct {
		name  string
		gates throttle.Gates
		want  throttle.Verdict
	}{
		{"none", nil, throttle.Go},
		{"start", throttle.Gates{start}, throttle.Go},
		{"wait then kill", throttle.Gates{waitA, killC}, throttle.Verdict{Action: throttle.Kill, Why: "c", Run: -1}},
		{"kill then wait", throttle.Gates{killC, waitA}, throttle.Verdict{Action: throttle.Kill, Why: "c", Run: -1}},
		{"first of equals", throttle.Gates{waitA, waitB}, throttle.Verdict{Action: throttle.Wait, Why: "a", Run: -1}},
		{"start does not clear wait", throttle.Gates{waitB, start}, throttle.Verdict{Action: throttle.Wait, Why: "b", Run: -1}},
		{"lowest run", throttle.Gates{run3, start, run2}, throttle.Verdict{Action: throttle.Start, Run: 2}},
		{"run 0 counts", throttle.Gates{run3, run0}, throttle.Verdict{Action: throttle.Start, Run: 0}},
		{"run of another gate", throttle.Gates{wait5, killD1, run3}, throttle.Verdict{Action: throttle.Kill, Why: "d", Run: 1}},
		{"run with a start", throttle.Gates{waitA, run2}, throttle.Verdict{Action: throttle.Wait, Why: "a", Run: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.gates.Check(); got != tt.want {
				t.Errorf("Check() = %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestParseLoad(t *testing.T) {
	tests := []struct {
		s     string
		cores int
		want  float64
	}{
		{"2", 4, 2},
		{"1.5", 4, 1.5},
		{"0", 4, 0.01},
		{"0%", 4, 0.01},
		{"50%", 4, 2},
		{"150%", 2, 3},
		{"+1", 2, 3},
		{"+0", 2, 2},
		{"-1", 2, 1},
		{"-2", 2, 0.01},
		{"-3", 2, 0.01},
		{"-100", 8, 0.01},
	}
	for _, tt := range tests {
		got, err := throttle.ParseLoad(tt.s, tt.cores)
		if err != nil || got != tt.want {
			t.Errorf("ParseLoad(%q, %d) = %v, %v; want %v, nil", tt.s, tt.cores, got, err, tt.want)
		}
	}
	for _, s := range []string{"", "x", "%", "1x", "-1%", "50%%", "++1", "NaN", "Inf", "+Inf"} {
		if got, err := throttle.ParseLoad(s, 2); err == nil {
			t.Errorf("ParseLoad(%q, 2) = %v, nil; want an error", s, got)
		} else if !strings.Contains(err.Error(), "want N, N%, +N or -N (of the 2 cores)") {
			t.Errorf("ParseLoad(%q, 2) error %q; want it to say what it takes", s, err)
		}
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name     string
		max      float64
		runnable int
		err      error
		action   throttle.Action
		why      string
	}{
		{"below", 3, 2, nil, throttle.Start, ""},
		{"idle", 3, 0, nil, throttle.Start, ""},
		{"at max", 3, 3, nil, throttle.Wait, "load 3 ≥ --load 3"},
		{"above max", 2.5, 7, nil, throttle.Wait, "load 7 ≥ --load 2.5"},
		{"0 is 0.01: idle", 0.01, 0, nil, throttle.Start, ""},
		{"0 is 0.01: one", 0.01, 1, nil, throttle.Wait, "load 1 ≥ --load 0.01"},
		{"unknown", 3, 0, errReading, throttle.Wait, "load unknown (disk on fire)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := throttle.Load{Max: tt.max, Runnable: func() (int, error) { return tt.runnable, tt.err }}
			checkVerdict(t, g.Check(), tt.action, -1, tt.why)
		})
	}
}

// fakeSwap is a NoSwap's Swapped and Now: counters and a clock the test
// sets, and a count of the samples taken.
type fakeSwap struct {
	in, out uint64
	err     error
	now     time.Time
	calls   int
}

func (f *fakeSwap) swapped() (uint64, uint64, error) {
	f.calls++
	return f.in, f.out, f.err
}

func TestNoSwap(t *testing.T) {
	type step struct {
		at      time.Duration // since the first Check
		in, out uint64
		action  throttle.Action
		calls   int // Swapped calls so far
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"first sample starts", []step{{0, 100, 100, throttle.Start, 1}}},
		{"both rising", []step{{0, 100, 100, throttle.Start, 1}, {time.Second, 110, 105, throttle.Wait, 2}}},
		{"both rising over longer", []step{{0, 100, 100, throttle.Start, 1}, {3 * time.Second, 101, 101, throttle.Wait, 2}}},
		{"only in rising", []step{{0, 100, 100, throttle.Start, 1}, {time.Second, 110, 100, throttle.Start, 2}}},
		{"only out rising", []step{{0, 100, 100, throttle.Start, 1}, {time.Second, 100, 110, throttle.Start, 2}}},
		{"neither rising", []step{{0, 100, 100, throttle.Start, 1}, {time.Second, 100, 100, throttle.Start, 2}}},
		{"within Every reuses the first verdict", []step{
			{0, 100, 100, throttle.Start, 1},
			{999 * time.Millisecond, 200, 200, throttle.Start, 1},
			{time.Second, 200, 200, throttle.Wait, 2},
		}},
		{"within Every reuses a wait", []step{
			{0, 100, 100, throttle.Start, 1},
			{time.Second, 110, 110, throttle.Wait, 2},
			{1500 * time.Millisecond, 110, 110, throttle.Wait, 2},
			{2 * time.Second, 110, 110, throttle.Start, 3},
		}},
		{"counters reset (reboot of the counter) is no swapping", []step{
			{0, 1 << 40, 1 << 40, throttle.Start, 1},
			{time.Second, 5, 5, throttle.Start, 2},
			{2 * time.Second, 6, 6, throttle.Wait, 3},
		}},
		{"one counter reset, the other rising", []step{
			{0, 100, 1 << 40, throttle.Start, 1},
			{time.Second, 200, 5, throttle.Start, 2},
		}},
		{"swapping stops", []step{
			{0, 100, 100, throttle.Start, 1},
			{time.Second, 110, 110, throttle.Wait, 2},
			{2 * time.Second, 120, 110, throttle.Start, 3},
			{3 * time.Second, 130, 120, throttle.Wait, 4},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSwap{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
			start := f.now
			g := &throttle.NoSwap{Swapped: f.swapped, Every: time.Second, Now: func() time.Time { return f.now }}
			for i, st := range tt.steps {
				f.now, f.in, f.out = start.Add(st.at), st.in, st.out
				v := g.Check()
				if v.Action != st.action || v.Run != -1 {
					t.Errorf("step %d (%v: in %d, out %d): Check() = %+v; want Action %d, Run -1", i, st.at, st.in, st.out, v, st.action)
				}
				if v.Action == throttle.Wait && !strings.Contains(v.Why, "swapping") {
					t.Errorf("step %d: Why = %q; want it to say swapping", i, v.Why)
				}
				if f.calls != st.calls {
					t.Errorf("step %d: Swapped called %d times; want %d", i, f.calls, st.calls)
				}
			}
		})
	}
}

func TestNoSwapError(t *testing.T) {
	f := &fakeSwap{err: errReading, now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	g := &throttle.NoSwap{Swapped: f.swapped, Every: time.Second, Now: func() time.Time { return f.now }}
	v := g.Check()
	checkVerdict(t, v, throttle.Wait, -1, "swap activity unknown (disk on fire)")
	if v2 := g.Check(); v2 != v || f.calls != 1 {
		t.Errorf("second Check within Every = %+v after %d samples; want %+v after 1", v2, f.calls, v)
	}
}

func TestNoSwapRealClock(t *testing.T) {
	// Now nil is time.Now: a long Every keeps the first verdict.
	f := &fakeSwap{in: 1, out: 1}
	g := &throttle.NoSwap{Swapped: f.swapped, Every: time.Hour}
	for range 3 {
		if v := g.Check(); v != throttle.Go {
			t.Errorf("Check() = %+v; want Go", v)
		}
		f.in, f.out = f.in+1, f.out+1
	}
	if f.calls != 1 {
		t.Errorf("Swapped called %d times within Every; want 1", f.calls)
	}
}

func TestLimit(t *testing.T) {
	tests := []struct {
		name   string
		exit   int
		err    error
		action throttle.Action
		why    string
	}{
		{"exit 0", 0, nil, throttle.Start, ""},
		{"exit 1", 1, nil, throttle.Wait, `--limit "probe" exited 1`},
		{"exit 2", 2, nil, throttle.Kill, `--limit "probe" exited 2`},
		{"exit 3", 3, nil, throttle.Wait, `--limit "probe" exited 3`},
		{"error", 0, errReading, throttle.Wait, `--limit "probe": disk on fire`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := throttle.Limit{Cmd: "probe", Run: func() (int, error) { return tt.exit, tt.err }}
			checkVerdict(t, g.Check(), tt.action, -1, tt.why)
		})
	}
}

func TestBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{512, "512 B"},
		{1023, "1023 B"},
		{1024, "1 KiB"},
		{1536, "1.5 KiB"},
		{180 << 20, "180 MiB"},
		{1 << 30, "1 GiB"},
		{3 << 40, "3 TiB"},
		{1 << 50, "1 PiB"},
		{-512, "-512 B"},
		{-1536, "-1.5 KiB"},
		{math.MaxInt64, "8192 PiB"},
	}
	for _, tt := range tests {
		if got := throttle.Bytes(tt.n); got != tt.want {
			t.Errorf("Bytes(%d) = %q; want %q", tt.n, got, tt.want)
		}
	}
}

func FuzzParseLoad(f *testing.F) {
	for _, s := range []string{"2", "0", "50%", "+1", "-1", "1.5", "x", "", "1e308%", "-Inf", "+1e400"} {
		f.Add(s, 4)
	}
	f.Add("100%", 0)
	f.Add("-3", -8)
	f.Fuzz(func(t *testing.T, s string, cores int) {
		n, err := throttle.ParseLoad(s, cores)
		if err != nil {
			if n != 0 {
				t.Fatalf("ParseLoad(%q, %d) = %v, %v; want 0 with an error", s, cores, n, err)
			}
			return
		}
		if !(n >= 0.01) || math.IsInf(n, 0) {
			t.Fatalf("ParseLoad(%q, %d) = %v; want a finite load of at least 0.01", s, cores, n)
		}
	})
}

func TestNoSwapErrorThenGood(t *testing.T) {
	f := &fakeSwap{in: 100, out: 100, now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	g := &throttle.NoSwap{Swapped: f.swapped, Every: time.Second, Now: func() time.Time { return f.now }}
	checkVerdict(t, g.Check(), throttle.Start, -1, "")
	f.err, f.now = errReading, f.now.Add(time.Second)
	checkVerdict(t, g.Check(), throttle.Wait, -1, "swap activity unknown (disk on fire)")
	// The failed sample kept no counters: the next good one is a first
	// sample again, whatever it reads.
	f.err, f.now, f.in, f.out = nil, f.now.Add(time.Second), 500, 500
	checkVerdict(t, g.Check(), throttle.Start, -1, "")
	f.now, f.in, f.out = f.now.Add(time.Second), 501, 501
	if v := g.Check(); v.Action != throttle.Wait {
		t.Errorf("after a good first sample, both counters rising: %+v; want Wait", v)
	}
}
