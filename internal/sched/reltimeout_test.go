package sched

import (
	"context"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/parrun/parrun/internal/exec"
)

func TestParseTimeout(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		pct  float64
		bad  bool
	}{
		{in: "2s", want: 2 * time.Second},
		{in: "1.5", want: 1500 * time.Millisecond},
		{in: "200%", pct: 2},
		{in: "12.5%", pct: 0.125},
		{in: "0%"},
		{in: "x%", bad: true},
		{in: "-1%", bad: true},
		{in: "1e2%", bad: true},
		{in: "inf%", bad: true},
		{in: "%", bad: true},
		{in: "abc", bad: true},
	}
	for _, tt := range tests {
		o := Options{TimeoutPct: 9}
		got, err := o.ParseTimeout(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseTimeout(%q) = %v, nil; want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want || o.TimeoutPct != tt.pct {
			t.Errorf("ParseTimeout(%q) = %v, %v, pct %v; want %v, pct %v", tt.in, got, err, o.TimeoutPct, tt.want, tt.pct)
		}
	}
}

// TestMedian checks the lower median, as GNU's (sort @a)[$#a/2].
func TestMedian(t *testing.T) {
	var m median
	if _, ok := m.value(); ok {
		t.Fatal("an empty median has a value")
	}
	var seen []time.Duration
	for _, d := range []time.Duration{5, 1, 9, 3, 3, 7, 2, 8, 8, 0, 6} {
		m.add(d)
		seen = append(seen, d)
		sorted := slices.Sorted(slices.Values(seen))
		if got, _ := m.value(); got != sorted[(len(sorted)-1)/2] {
			t.Fatalf("after %v: median %v; want %v", seen, got, sorted[(len(sorted)-1)/2])
		}
	}
}

// TestTimeoutPercent checks --timeout N%: a job that runs on is stopped
// once the jobs that succeeded give a median, even though it started
// before any of them ended (as GNU's limit follows the median), and it is
// reported timed out in every mode's way (the worker of process mode
// reports only that it was stopped).
func TestTimeoutPercent(t *testing.T) {
	tr := transportFunc(func(ctx context.Context, task *Task) *exec.Result {
		res := ok()
		if task.Job.Seq != 4 {
			res.Duration = 10 * time.Millisecond
			return res
		}
		<-ctx.Done() // only the time-out ends it
		res.ExitCode, res.Signal, res.Killed, res.Duration = -1, syscall.SIGTERM, true, time.Since(res.Start)
		return res
	})
	sink := &recSink{}
	stats, err := runSched(t, context.Background(), Options{Slots: 4, TimeoutPct: 3}, &genSource{total: 6}, tr, sink)
	if err != nil || stats.Jobs != 6 || stats.Failed != 1 {
		t.Fatalf("Run = %v, %v; want 6 jobs, 1 failed", stats, err)
	}
	for seq, d := range sink.checkOnce(t) {
		if d.Result.TimedOut != (seq == 4) {
			t.Errorf("job %d: timed out %v", seq, d.Result.TimedOut)
		}
	}
}

// TestTimeoutPercentCountsSuccesses checks that failed jobs give no
// median: with no success yet there is no limit, so a long job runs on.
func TestTimeoutPercentCountsSuccesses(t *testing.T) {
	release := make(chan struct{})
	tr := transportFunc(func(ctx context.Context, task *Task) *exec.Result {
		res := ok()
		if task.Job.Seq != 1 {
			res.ExitCode, res.Duration = 1, time.Millisecond
			return res
		}
		select {
		case <-ctx.Done():
			res.ExitCode, res.Killed = -1, true
		case <-release:
		}
		return res
	})
	sink := &recSink{notify: make(chan int64, 4)}
	ch := startRun(t, context.Background(), Options{Slots: 2, TimeoutPct: 1}, &genSource{total: 4}, tr, sink)
	for range 3 {
		recv(t, "a failed job", sink.notify)
	}
	close(release)
	stats, err := wait(t, ch)
	if err != nil || stats.Failed != 3 {
		t.Fatalf("Run = %v, %v; want 3 failed", stats, err)
	}
	if d := sink.checkOnce(t)[1]; d.Result.Failed() {
		t.Errorf("job 1 was stopped with no success to time it by: %+v", d.Result)
	}
}
