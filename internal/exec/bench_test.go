package exec

import (
	"context"
	"testing"
)

// BenchmarkRun is one job through Run, as a grouped job runs in thread
// mode: /bin/true with its stdout and stderr captured into Buffers. Most of
// its time is the fork and exec; its allocations and system calls are
// parrun's own per-job cost (strace -f -c figures: README).
func BenchmarkRun(b *testing.B) {
	var r Runner
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, errOut := NewBuffer(0, ""), NewBuffer(0, "")
		res := r.Run(ctx, &Spec{Argv: []string{"/bin/true"}, Stdout: out, Stderr: errOut})
		if res.ExitCode != 0 || res.Err != nil {
			b.Fatalf("Run(/bin/true) = exit %d, %v", res.ExitCode, res.Err)
		}
		out.Close()
		errOut.Close()
	}
}
