package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestPipeMemoryBound checks --pipe's back-pressure end to end (issue 14):
// 400 MB from a producer faster than the jobs, cut into 4 MiB blocks for
// two jobs at a time, never has parrun (or any process of the run) hold
// much more than (workers + 2) blocks: peak RSS stays under
// (2 + 4) × 4 MiB + 32 MiB for the runtime, where reading ahead without
// bound would take more than twice that (120 MiB with --queue-size 1000).
// It measures a parrun built without the race detector, whose shadow
// memory would swamp the figure.
func TestPipeMemoryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 400 MB per mode")
	}
	bin := filepath.Join(t.TempDir(), "parrun")
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the test builds parrun: %v", err)
	}
	build := exec.Command(gobin, "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building parrun: %v\n%s", err, out)
	}
	const block, workers = 4 << 20, 2
	limit := int64((workers+4)*block+32<<20) >> 10 // KiB, as ru_maxrss
	for _, mode := range scriptModes() {
		t.Run(mode, func(t *testing.T) {
			sh := fmt.Sprintf("yes 0123456789 | head -c 400000000 | %s --mode %s --concurrency %d -j%d --pipe --block %d 'sleep 0.01; wc -c' | awk '{s+=$1} END {print s}'",
				bin, mode, workers, workers, block)
			cmd := exec.Command("sh", "-c", sh)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v", sh, err)
			}
			if string(out) != "400000000\n" {
				t.Errorf("the jobs counted %q bytes; want 400000000", out)
			}
			// wait4's ru_maxrss: the largest of the shell and every process it reaped.
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
			t.Logf("%s: peak RSS %d KiB (limit %d)", mode, rss, limit)
			if rss > limit {
				t.Errorf("peak RSS %d KiB > %d KiB: --pipe read too far ahead", rss, limit)
			}
		})
	}
}
