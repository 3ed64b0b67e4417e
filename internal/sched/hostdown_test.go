package sched

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/job"
)

// downTransport fails every attempt on the slots in down with ErrHostDown
// once that slot has run after jobs, and counts what ran where. The
// healthy slots wait until every down slot has gone, so that the down
// slots are sure to get their jobs however the goroutines are scheduled.
type downTransport struct {
	mu    sync.Mutex
	down  map[int]bool
	after int // jobs a down slot runs before its host goes
	ran   map[int]int
	gone  map[int]int // ErrHostDown attempts per slot
	// allGone is closed when every down slot has gone.
	allGone chan struct{}
}

func newDownTransport(down map[int]bool, after int) *downTransport {
	return &downTransport{down: down, after: after, ran: map[int]int{}, gone: map[int]int{}, allGone: make(chan struct{})}
}

func (d *downTransport) Run(ctx context.Context, t *Task) *exec.Result {
	if !d.down[t.Slot] {
		select {
		case <-d.allGone:
		case <-ctx.Done():
			return &exec.Result{ExitCode: -1, Err: ctx.Err()}
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down[t.Slot] && d.ran[t.Slot] >= d.after {
		d.gone[t.Slot]++
		if d.gone[t.Slot] == 1 && len(d.gone) == len(d.down) {
			close(d.allGone)
		}
		return &exec.Result{ExitCode: -1, Err: fmt.Errorf("%w: host%d: ssh exited", ErrHostDown, t.Slot)}
	}
	d.ran[t.Slot]++
	t.Host = fmt.Sprintf("host%d", t.Slot)
	return ok()
}

// TestHostDownHandsJobsOver: a slot whose host is gone hands its job to
// another slot and takes no more; no job is lost, run twice, or counted as
// a failure or a retry, in every output order.
func TestHostDownHandsJobsOver(t *testing.T) {
	for _, tc := range []struct {
		name  string
		keep  bool
		order Order
		down  map[int]bool
		after int
	}{
		{"one of four at once", false, "", map[int]bool{2: true}, 0},
		{"two of four after a job", false, "", map[int]bool{1: true, 3: true}, 1},
		{"keep-order", true, "", map[int]bool{1: true, 2: true, 3: true}, 2},
		{"keep-order lifo", true, OrderLIFO, map[int]bool{4: true}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newDownTransport(tc.down, tc.after)
			sink := &recSink{}
			src := &genSource{total: 200}
			st, err := runSched(t, context.Background(), Options{Slots: 4, QueueSize: -1, KeepOrder: tc.keep, Order: tc.order}, src, tr, sink)
			if err != nil || st.Stopped != nil {
				t.Fatalf("Run: err %v, stopped %v", err, st.Stopped)
			}
			if st.Jobs != 200 || st.Failed != 0 {
				t.Errorf("stats %+v: want 200 jobs, none failed", st)
			}
			byseq := map[int64]*job.Done{}
			for _, d := range sink.done {
				if byseq[d.Job.Seq] != nil {
					t.Errorf("job %d reported twice", d.Job.Seq)
				}
				byseq[d.Job.Seq] = d
				if d.Attempts != 1 {
					t.Errorf("job %d: %d attempts; a host going down is not a retry", d.Job.Seq, d.Attempts)
				}
				if d.Host != fmt.Sprintf("host%d", d.Slot) {
					t.Errorf("job %d: host %q, slot %d", d.Job.Seq, d.Host, d.Slot)
				}
			}
			if len(byseq) != 200 {
				t.Errorf("%d jobs reported, want 200", len(byseq))
			}
			if tc.keep {
				for i, seq := range sink.seqs() {
					if seq != int64(i+1) {
						t.Fatalf("report %d is job %d: not in input order", i+1, seq)
					}
				}
			}
			for slot := range tc.down {
				if tr.gone[slot] != 1 {
					t.Errorf("slot %d was given %d jobs after its host went; want the one that found out", slot, tr.gone[slot])
				}
			}
		})
	}
}

// TestEveryHostDown: when the last slot goes, the run stops with
// ErrNoHosts, and Run's error says so; the jobs in hand are reported failed with the host's error
// (none silently dropped) and nothing more starts.
func TestEveryHostDown(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprint("keep=", keep), func(t *testing.T) {
			tr := newDownTransport(map[int]bool{1: true, 2: true, 3: true}, 2)
			sink := &recSink{}
			st, err := runSched(t, context.Background(), Options{Slots: 3, QueueSize: -1, KeepOrder: keep}, &genSource{total: 100}, tr, sink)
			if !errors.Is(err, ErrNoHosts) {
				t.Fatalf("Run error = %v; want one wrapping ErrNoHosts", err)
			}
			if !errors.Is(st.Stopped, ErrNoHosts) {
				t.Fatalf("Stopped = %v, want ErrNoHosts", st.Stopped)
			}
			ran := 0
			for _, n := range tr.ran {
				ran += n
			}
			if ran != 6 || st.Jobs-st.Failed != 6 {
				t.Errorf("%d ran, %d reported ok; want 6 (two per slot)", ran, st.Jobs-st.Failed)
			}
			if st.Failed < 1 || st.Failed > 3 {
				t.Errorf("%d failed; want the 1 to 3 jobs the slots held when they went", st.Failed)
			}
			for _, d := range sink.done {
				if d.Failed() && !errors.Is(d.Result.Err, ErrHostDown) {
					t.Errorf("job %d failed with %v; want the host's error", d.Job.Seq, d.Result.Err)
				}
			}
		})
	}
}
