package sched

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parrun/parrun/internal/exec"
)

// TestSlotUnavailableHandsOver: slots whose worker cannot start for a
// resource limit hand their jobs to the slot that works and retire; no job
// fails or counts a retry (issue 18 item 8).
func TestSlotUnavailableHandsOver(t *testing.T) {
	var mu sync.Mutex
	ran := map[int]int{}
	tr := transportFunc(func(ctx context.Context, task *Task) *exec.Result {
		if task.Slot != 1 {
			return notRun(fmt.Errorf("%w: creating pipe: %w", ErrSlotUnavailable, syscall.EMFILE))
		}
		mu.Lock()
		ran[task.Slot]++
		mu.Unlock()
		return ok()
	})
	for _, keep := range []bool{false, true} {
		clear(ran)
		sink := &recSink{}
		st, err := runSched(t, context.Background(), Options{Slots: 4, QueueSize: -1, KeepOrder: keep, Retries: 0}, &genSource{total: 50}, tr, sink)
		if err != nil || st.Jobs != 50 || st.Failed != 0 {
			t.Fatalf("keep=%v: Run = %+v, %v; want 50 jobs, none failed", keep, st, err)
		}
		if ran[1] != 50 {
			t.Errorf("keep=%v: slot 1 ran %d; want all 50", keep, ran[1])
		}
		// (Sink.Start is called for the attempt that found no worker too,
		// as for a host that went down.)
		for _, d := range sink.done {
			if d.Attempts != 1 || d.Failed() {
				t.Errorf("job %d: %d attempts; want 1", d.Job.Seq, d.Attempts)
			}
		}
	}
}

// TestStalledRunGivesUp: when no job can start for a resource limit and
// none is running to free anything, the run stops with ErrStalled instead
// of waiting for ever (issue 18 item 5), in every pool.
func TestStalledRunGivesUp(t *testing.T) {
	defer func(d time.Duration) { stallAfter = d }(stallAfter)
	stallAfter = 100 * time.Millisecond
	limited := transportFunc(func(ctx context.Context, task *Task) *exec.Result {
		return notRun(exec.ResourceLimit("true", syscall.EMFILE))
	})
	unavailable := transportFunc(func(ctx context.Context, task *Task) *exec.Result {
		return notRun(fmt.Errorf("%w: %w", ErrSlotUnavailable, syscall.EMFILE))
	})
	for _, tc := range []struct {
		name string
		mode Mode
		tr   Transport
	}{{"thread", ModeThread, limited}, {"coroutine", ModeCoroutine, limited}, {"process", ModeProcess, unavailable}} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := runSched(t, context.Background(), Options{Slots: 2, Concurrency: 2, Mode: tc.mode, QueueSize: -1}, &genSource{total: 10}, tc.tr, &recSink{})
			if !errors.Is(err, ErrStalled) || !errors.Is(err, syscall.EMFILE) {
				t.Fatalf("Run error = %v; want ErrStalled naming EMFILE", err)
			}
			if st.Jobs < 1 || st.Failed != st.Jobs {
				t.Errorf("Stats %+v; want the jobs that could not start reported failed", st)
			}
		})
	}
}
