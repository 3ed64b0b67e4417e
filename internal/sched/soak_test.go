package sched

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/parrun/parrun/internal/exec"
)

// TestSoakGoroutinesFlat: runs of random outcomes — failures, retries,
// resource limits, hosts going down, cancellations mid-run — in every
// mode and order leave no goroutine behind and report every job that
// started exactly once (the in-process half of issue 18's soak test; the
// end-to-end half is cmd/parrun's TestSoak).
func TestSoakGoroutinesFlat(t *testing.T) {
	base := runtime.NumGoroutine()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 24 {
		mode := []Mode{ModeThread, ModeCoroutine, ModeProcess}[i%3]
		opts := Options{Slots: 4, Concurrency: 8, Mode: mode, QueueSize: -1, KeepOrder: i%2 == 0,
			Order: []Order{OrderFIFO, OrderLIFO, OrderPriority}[i/3%3], Retries: 1}
		tr := transportFunc(func(ctx context.Context, task *Task) *exec.Result {
			// Each attempt draws anew: a resource limit passes.
			switch v := rand.IntN(20); {
			case v == 0:
				return notRun(exec.ResourceLimit("x", syscall.EAGAIN))
			case v == 1 && mode == ModeProcess && task.Slot > 1:
				return notRun(fmt.Errorf("%w: host%d", ErrHostDown, task.Slot))
			case v < 5:
				return &exec.Result{ExitCode: 1 + v}
			}
			return ok()
		})
		ctx, cancel := context.WithCancelCause(context.Background())
		if i%4 == 1 {
			time.AfterFunc(time.Duration(rng.IntN(20))*time.Millisecond, func() { cancel(errors.New("soak: interrupted")) })
		}
		sink := &recSink{}
		if _, err := runSched(t, ctx, opts, &genSource{total: 1000}, tr, sink); err != nil && !errors.Is(err, ErrNoHosts) {
			t.Fatalf("run %d: %v", i, err)
		}
		cancel(nil)
		seen := map[int64]bool{}
		for _, d := range sink.done {
			if seen[d.Job.Seq] {
				t.Fatalf("run %d: job %d reported twice", i, d.Job.Seq)
			}
			seen[d.Job.Seq] = true
		}
		waitFor(t, fmt.Sprintf("run %d's goroutines to end (%d, base %d)", i, runtime.NumGoroutine(), base), func() bool {
			return runtime.NumGoroutine() <= base
		})
	}
}
