package adapt

import (
	"encoding/binary"
	"math"
	"testing"
	"time"
)

// win is a one-second window in which busy jobs ran on average and done
// finished, none failed, with no pressure known.
func win(busy float64, done int) Sample {
	return Sample{Elapsed: time.Second, Completed: done, Busy: busy, CPUPressure: -1, MemPressure: -1}
}

// with returns s changed by f.
func with(s Sample, f func(*Sample)) Sample {
	f(&s)
	return s
}

func failed(n int) func(*Sample)        { return func(s *Sample) { s.Failed = n } }
func memPSI(p float64) func(*Sample)    { return func(s *Sample) { s.MemPressure = p } }
func cpuPSI(p float64) func(*Sample)    { return func(s *Sample) { s.CPUPressure = p } }
func heldAt(busy float64) func(*Sample) { return func(s *Sample) { s.Held, s.Busy = true, busy } }

// step is one window and the limit Observe must return for it.
type step struct {
	s    Sample
	want int
}

// observeTests are windows fed to New(start, ceiling, cores), one rule each.
var observeTests = []struct {
	name                  string
	start, ceiling, cores int
	steps                 []step
}{
	{"first window raises", 2, 64, 2, []step{{win(2, 10), 4}}},
	{"slow start doubles", 1, 100, 1, []step{
		{win(1, 1), 2}, {win(2, 2), 4}, {win(4, 4), 8}, {win(8, 8), 16}, {win(16, 16), 32}, {win(32, 32), 64}, {win(64, 64), 100}}},
	{"a raise gaining exactly 10% goes on", 4, 64, 1, []step{{win(4, 40), 8}, {win(8, 44), 16}}},
	{"a raise gaining under 10% is undone, then steady state probes", 4, 64, 1, []step{
		{win(4, 40), 8}, {win(8, 43), 8}, {win(8, 43), 4}, {win(4, 40), 4}, {win(4, 40), 4}, {win(4, 40), 5}}},
	{"one window gaining too little gets a second; a good one goes on doubling", 4, 64, 1, []step{
		{win(4, 40), 8}, {win(8, 43), 8}, {win(8, 80), 16}, {win(16, 85), 16}, {win(16, 160), 32}}},
	{"slow start stops at the ceiling", 5, 6, 1, []step{
		{win(5, 50), 6}, {win(6, 60), 6}, {win(6, 60), 6}, {win(6, 60), 6}, {win(6, 60), 6}, {win(6, 60), 6}}},
	{"a probe gaining 5% is kept; the next adds limit/8", 16, 64, 1, []step{
		{win(16, 160), 32}, {win(32, 160), 32}, {win(32, 160), 16},
		{win(16, 160), 16}, {win(16, 160), 16}, {win(16, 160), 18},
		{win(18, 168), 18}, {win(18, 168), 18}, {win(18, 168), 18}, {win(18, 168), 20}}},
	{"a probe gaining under 5% is undone", 16, 64, 1, []step{
		{win(16, 160), 32}, {win(32, 160), 32}, {win(32, 160), 16},
		{win(16, 160), 16}, {win(16, 160), 16}, {win(16, 160), 18}, {win(18, 167), 16}}},
	{"±10% noise between probes does not move the limit", 16, 64, 1, []step{
		{win(16, 160), 32}, {win(32, 160), 32}, {win(32, 160), 16},
		{win(16, 176), 16}, {win(16, 144), 16}, {win(16, 176), 18}, {win(18, 160), 16}}},
	{"memory pressure halves the limit and ends slow start", 8, 64, 1, []step{
		{with(win(8, 80), memPSI(10.5)), 4}, {win(4, 40), 4}, {win(4, 40), 4}, {win(4, 40), 5}}},
	{"memory pressure of 10 is not over 10", 8, 64, 1, []step{{with(win(8, 80), memPSI(10)), 16}}},
	{"memory pressure at 1 job stays at 1 and does not raise", 1, 64, 1, []step{
		{with(win(1, 5), memPSI(50)), 1}, {win(1, 5), 1}}},
	{"CPU pressure cuts a quarter, down to the cores", 8, 64, 2, []step{
		{with(win(8, 80), cpuPSI(50)), 6}, {with(win(6, 80), cpuPSI(50)), 4},
		{with(win(4, 80), cpuPSI(50)), 3}, {with(win(3, 80), cpuPSI(50)), 2}, {with(win(2, 80), cpuPSI(50)), 2}}},
	{"CPU pressure with no more jobs than cores is ignored", 2, 64, 2, []step{{with(win(2, 10), cpuPSI(90)), 4}}},
	{"CPU pressure of 40 is not over 40", 8, 64, 2, []step{{with(win(8, 80), cpuPSI(40)), 16}}},
	{"failures jumping after a raise undo it", 4, 64, 1, []step{
		{win(4, 40), 8}, {with(win(8, 80), failed(17)), 4}}},
	{"a failure rise of exactly 0.2 does not", 4, 64, 1, []step{
		{win(4, 40), 8}, {with(win(8, 80), failed(16)), 16}}},
	{"failures are measured against the window before the raise", 4, 64, 1, []step{
		{with(win(4, 40), failed(20)), 8}, {with(win(8, 80), failed(54)), 16}}},
	{"failures at a kept probe's level undo it in a later window", 6, 64, 1, []step{
		{win(6, 60), 12}, {win(12, 60), 12}, {win(12, 60), 6},
		{win(6, 60), 6}, {win(6, 60), 6}, {win(6, 60), 7},
		{win(7, 70), 7}, {with(win(7, 70), failed(35)), 6}}},
	{"failures with no raise to undo change nothing", 8, 64, 1, []step{
		{with(win(8, 80), memPSI(50)), 4}, {with(win(4, 40), failed(40)), 4}}},
	{"a held window lowers the limit to the jobs that ran", 8, 64, 1, []step{
		{with(win(8, 80), heldAt(4.2)), 5}, {win(5, 50), 5}, {win(5, 50), 5}, {win(5, 50), 6}}},
	{"a held window with the slots full does not raise", 8, 64, 1, []step{
		{with(win(8, 80), heldAt(8)), 8}, {win(8, 80), 16}}},
	{"a held window with nothing running leaves 1", 8, 64, 1, []step{{with(win(8, 80), heldAt(0)), 1}}},
	{"a starved window neither raises nor lowers", 8, 64, 1, []step{{win(6, 80), 8}, {win(7, 80), 16}}},
	{"a pending raise waits for a window that can judge it", 4, 64, 1, []step{
		{win(4, 40), 8}, {win(3, 30), 8}, {win(8, 80), 16}}},
	{"windows with no measure change nothing", 4, 64, 1, []step{
		{win(4, 0), 4},
		{with(win(4, 40), func(s *Sample) { s.Elapsed = 0 }), 4},
		{with(win(4, 40), func(s *Sample) { s.Busy = math.NaN() }), 4},
		{with(win(4, 40), func(s *Sample) { s.Held, s.Busy = true, math.NaN() }), 4},
		{with(win(4, 40), memPSI(math.NaN())), 8}}},
	{"start is clamped to the ceiling", 100, 8, 1, []step{{win(8, 80), 8}}},
	{"start is clamped to 1", -3, 8, 1, []step{{win(1, 10), 2}}},
}

func TestObserve(t *testing.T) {
	for _, tt := range observeTests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(tt.start, tt.ceiling, tt.cores)
			for i, st := range tt.steps {
				before := c.Limit()
				if got := c.Observe(st.s); got != st.want {
					t.Fatalf("window %d at limit %d: Observe(%+v) = %d; want %d", i, before, st.s, got, st.want)
				}
				if c.Limit() != st.want {
					t.Fatalf("window %d: Limit() = %d after Observe returned %d", i, c.Limit(), st.want)
				}
			}
		})
	}
}

func TestWindowDone(t *testing.T) {
	tests := []struct {
		limit     int
		elapsed   time.Duration
		completed int
		want      bool
	}{
		{1, 499 * time.Millisecond, 100, false},
		{1, MinWindow, 0, false},
		{1, MinWindow, 1, true},
		{4, time.Second, 3, false},
		{4, time.Second, 4, true},
		{4, MaxWindow - 1, 0, false},
		{4, MaxWindow, 0, true},
		{4, time.Second, -9, false},
		{4, -time.Second, 100, false},
	}
	for _, tt := range tests {
		c := New(tt.limit, 64, 1)
		if got := c.WindowDone(tt.elapsed, tt.completed); got != tt.want {
			t.Errorf("limit %d: WindowDone(%v, %d) = %v; want %v", tt.limit, tt.elapsed, tt.completed, got, tt.want)
		}
	}
}

func TestPeak(t *testing.T) {
	c := New(4, 64, 1)
	if got := c.Peak(); got != 4 {
		t.Errorf("Peak() at start = %d; want 4", got)
	}
	c.Observe(win(4, 40)) // raise to 8
	c.Observe(win(8, 40)) // no gain: one more window
	c.Observe(win(8, 40)) // no gain again: back to 4
	if got, lim := c.Peak(), c.Limit(); got != 8 || lim != 4 {
		t.Errorf("Peak(), Limit() = %d, %d; want 8, 4", got, lim)
	}
}

// TestWindowDoneSteady: slow start judges a window on one round of the
// limit's jobs, steady state (finer steps, so a smaller signal) on two.
func TestWindowDoneSteady(t *testing.T) {
	c := New(4, 64, 1)
	c.Observe(win(4, 40)) // raise to 8
	c.Observe(win(8, 40)) // no gain: one more window
	c.Observe(win(8, 40)) // no gain again: back to 4, steady state
	if c.WindowDone(time.Second, 7) || !c.WindowDone(time.Second, 8) {
		t.Errorf("steady state at limit 4: WindowDone(1s, 7), (1s, 8) = %v, %v; want false, true",
			c.WindowDone(time.Second, 7), c.WindowDone(time.Second, 8))
	}
}

func TestNewPanics(t *testing.T) {
	defer func() {
		if r := recover(); r != "adapt.New: ceiling < 1" {
			t.Errorf("New(1, 0, 1) panicked with %v; want \"adapt.New: ceiling < 1\"", r)
		}
	}()
	New(1, 0, 1)
}

// FuzzObserve feeds windows decoded from arbitrary bytes (any float bit
// pattern, so NaN and ±Inf too) and checks the limit's bounds.
func FuzzObserve(f *testing.F) {
	enc := func(ss ...Sample) []byte {
		var b []byte
		for _, s := range ss {
			b = binary.LittleEndian.AppendUint64(b, uint64(s.Elapsed))
			b = binary.LittleEndian.AppendUint64(b, uint64(s.Completed))
			b = binary.LittleEndian.AppendUint64(b, uint64(s.Failed))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.Busy))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.CPUPressure))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.MemPressure))
			if s.Held {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		}
		return b
	}
	f.Add(2, uint16(64), 2, enc(win(2, 10), win(3, 20), win(5, 20)))
	f.Add(8, uint16(8), 1, enc(with(win(8, 80), heldAt(math.NaN())), with(win(8, 80), memPSI(math.Inf(1)))))
	f.Add(-1, uint16(1), -4, enc(Sample{Elapsed: -1, Completed: -5, Failed: 9, Busy: math.Inf(-1)}, Sample{Busy: math.NaN()}))
	f.Fuzz(func(t *testing.T, start int, ceiling uint16, cores int, data []byte) {
		ceil := int(ceiling) + 1
		c := New(start, ceil, cores)
		for len(data) > 0 {
			var s Sample
			s.Elapsed = time.Duration(next64(&data))
			s.Completed, s.Failed = int(next64(&data)), int(next64(&data))
			s.Busy = math.Float64frombits(next64(&data))
			s.CPUPressure = math.Float64frombits(next64(&data))
			s.MemPressure = math.Float64frombits(next64(&data))
			if len(data) > 0 {
				s.Held, data = data[0]&1 == 1, data[1:]
			}
			c.WindowDone(s.Elapsed, s.Completed)
			if got := c.Observe(s); got < 1 || got > ceil || got != c.Limit() {
				t.Fatalf("Observe(%+v) = %d, Limit() = %d; want the same, in [1, %d]", s, got, c.Limit(), ceil)
			}
			if p := c.Peak(); p < c.Limit() || p > ceil {
				t.Fatalf("Peak() = %d with Limit() %d, ceiling %d", p, c.Limit(), ceil)
			}
		}
	})
}

// next64 takes up to 8 bytes off *data as a little-endian uint64.
func next64(data *[]byte) uint64 {
	var b [8]byte
	n := copy(b[:], *data)
	*data = (*data)[n:]
	return binary.LittleEndian.Uint64(b[:])
}
