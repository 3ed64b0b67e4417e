package sched

import (
	"context"
	"testing"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/job"
)

// BenchmarkScheduler measures the scheduler's own cost per job (queue,
// runners, ordered or unordered results) with a transport that does
// nothing: what parrun adds on top of fork/exec.
func BenchmarkScheduler(b *testing.B) {
	for _, keep := range []bool{false, true} {
		name := "unordered"
		if keep {
			name = "keep-order"
		}
		b.Run(name, func(b *testing.B) {
			tr := transportFunc(func(context.Context, *Task) *exec.Result { return &exec.Result{} })
			b.ReportAllocs()
			opts := Options{Slots: 2, QueueSize: -1, KeepOrder: keep, Template: tmpl}
			if _, err := Run(context.Background(), opts, &genSource{total: int64(b.N)}, tr, nopSink{}); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// nopSink gathers nothing.
type nopSink struct{}

func (nopSink) Start(*job.Job, job.Command, int) job.Output { return nil }
func (nopSink) Done(*job.Done) error                        { return nil }
