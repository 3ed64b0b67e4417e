package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPipeMemoryBound checks --pipe's back-pressure end to end (issue 14):
// 400 MB from a producer faster than the jobs, cut into 4 MiB blocks for
// two jobs at a time, never has parrun hold much more than (workers + 2)
// blocks: its peak RSS (VmHWM) stays under (2 + 4) × 4 MiB + 32 MiB for
// the runtime, where reading ahead without bound takes far more (200 MiB
// with --queue-size 1000). It measures a parrun built without the race
// detector, whose shadow memory would swamp the figure, and reads VmHWM
// while parrun runs: wait4's ru_maxrss would also count the memory of
// the (large) test process it was forked from.
func TestPipeMemoryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 400 MB per mode")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the test builds parrun: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "parrun")
	build := exec.Command(gobin, "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building parrun: %v\n%s", err, out)
	}
	const block, workers, total = 4 << 20, 2, 400_000_000
	limit := int64((workers+4)*block+32<<20) >> 10 // KiB
	for _, mode := range scriptModes() {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(bin, "--mode", mode, "--concurrency", strconv.Itoa(workers), "-j", strconv.Itoa(workers),
				"--pipe", "--block", strconv.Itoa(block), "sleep 0.01; wc -c")
			var out bytes.Buffer
			cmd.Stdout = &out
			in, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var feed sync.WaitGroup
			feed.Go(func() {
				defer in.Close()
				line := []byte("0123456789\n")
				w := bufio.NewWriterSize(in, 1<<16)
				for n := 0; n < total; n += len(line) {
					if _, err := w.Write(line[:min(len(line), total-n)]); err != nil {
						return
					}
				}
				w.Flush()
			})
			peak := watchHWM(t, cmd)
			feed.Wait()
			sum := int64(0)
			for _, f := range strings.Fields(out.String()) {
				n, _ := strconv.ParseInt(f, 10, 64)
				sum += n
			}
			if sum != total {
				t.Errorf("the jobs counted %d bytes; want %d", sum, total)
			}
			t.Logf("%s: peak RSS %d KiB (limit %d)", mode, peak, limit)
			if peak > limit {
				t.Errorf("peak RSS %d KiB > %d KiB: --pipe read too far ahead", peak, limit)
			}
		})
	}
}

// watchHWM waits for cmd, reading its VmHWM every 10 ms, and returns the
// largest read (the high-water mark only grows).
func watchHWM(t *testing.T, cmd *exec.Cmd) int64 {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var peak int64
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("parrun: %v", err)
			}
			return peak
		case <-tick.C:
			peak = max(peak, vmHWM(cmd.Process.Pid))
		}
	}
}

// vmHWM is /proc/PID/status's VmHWM in KiB (0 once the process is gone).
func vmHWM(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
