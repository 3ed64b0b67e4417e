package onall

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestOrder(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  []int
	}{
		{nil, []int{}},
		{[]string{"b", "a", "c"}, []int{1, 0, 2}},
		{[]string{"b", "a", "b", "a"}, []int{1, 0}},
		{[]string{":", "host"}, []int{0, 1}},
	} {
		if got := Order(tc.names); !slices.Equal(got, tc.want) {
			t.Errorf("Order(%q) = %v, want %v", tc.names, got, tc.want)
		}
	}
}

// fakeRun is a host's run: it writes "i out" and "i err" and a joblog of
// one job, and fails on the hosts in fail. Host i waits for release[i]
// when there is one.
func fakeRun(fail map[int]bool, release []chan struct{}, running *atomic.Int32, peak *atomic.Int32) Run {
	return fakeRunReady(fail, release, nil, running, peak)
}

// fakeRunReady is fakeRun that also sends i on ready when host i starts.
func fakeRunReady(fail map[int]bool, release []chan struct{}, ready chan<- int, running *atomic.Int32, peak *atomic.Int32) Run {
	return func(ctx context.Context, i int, stdout, stderr io.Writer, joblog string) int {
		n := running.Add(1)
		defer running.Add(-1)
		if ready != nil {
			ready <- i
		}
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if release != nil {
			select {
			case <-release[i]:
			case <-ctx.Done():
				return 130
			}
		}
		fmt.Fprintf(stdout, "%d out\n", i)
		fmt.Fprintf(stderr, "%d err\n", i)
		if joblog != "" {
			os.WriteFile(joblog, []byte(fmt.Sprintf("Seq\tHost\n1\th%d\n", i)), 0o644)
		}
		if fail[i] {
			return 1
		}
		return 0
	}
}

func TestDo(t *testing.T) {
	for _, tc := range []struct {
		name      string
		keepOrder bool
		finish    []int // the order the hosts finish in
		want      string
	}{
		{"finish order", false, []int{2, 0, 1}, "2 out\n0 out\n1 out\n"},
		{"keep order", true, []int{2, 0, 1}, "0 out\n1 out\n2 out\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
			var running, peak atomic.Int32
			var out, errOut syncBuffer
			out.wrote = sync.NewCond(&out.mu)
			dir := t.TempDir()
			log := filepath.Join(dir, "log")
			done := make(chan struct{})
			ready := make(chan int)
			var failed int
			var err error
			go func() {
				defer close(done)
				failed, err = Do(context.Background(), Options{Hosts: 3, KeepOrder: tc.keepOrder, TmpDir: dir, Joblog: log},
					fakeRunReady(map[int]bool{0: true, 2: true}, release, ready, &running, &peak), &out, &errOut)
			}()
			for range 3 { // every host runs at once: -j0, GNU's default
				select {
				case <-ready:
				case <-time.After(10 * time.Second):
					t.Fatal("not every host started before any ended")
				}
			}
			for _, i := range tc.finish {
				close(release[i])
				if !tc.keepOrder {
					waitFor(t, &out, fmt.Sprintf("%d out\n", i))
				}
			}
			<-done
			if err != nil || failed != 2 {
				t.Fatalf("Do = %d, %v; want 2 failed hosts, no error", failed, err)
			}
			if out.String() != tc.want {
				t.Errorf("stdout %q, want %q", out.String(), tc.want)
			}
			if got, _ := os.ReadFile(log); string(got) != "Seq\tHost\n1\th0\n1\th1\n1\th2\n" {
				t.Errorf("joblog %q: want one header, then the hosts in order", got)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, "parrun-onall-*")); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the writer and the test, which
// can wait for what it wants written.
type syncBuffer struct {
	mu    sync.Mutex
	wrote *sync.Cond
	buf   bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.wrote != nil {
		defer b.wrote.Broadcast()
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until out ends with s: the host that was let go has
// written (Do writes a host's output as soon as its run ends).
func waitFor(t *testing.T, out *syncBuffer, s string) {
	t.Helper()
	out.mu.Lock()
	defer out.mu.Unlock()
	for !strings.HasSuffix(out.buf.String(), s) {
		out.wrote.Wait()
	}
}

func TestDoAtOnce(t *testing.T) {
	const hosts = 5
	release := make([]chan struct{}, hosts)
	for i := range release {
		release[i] = make(chan struct{})
	}
	ready := make(chan int)
	var running, peak atomic.Int32
	var out, errOut syncBuffer
	type result struct {
		failed int
		err    error
	}
	res := make(chan result, 1)
	go func() {
		failed, err := Do(context.Background(), Options{Hosts: hosts, AtOnce: 2, TmpDir: t.TempDir()},
			fakeRunReady(nil, release, ready, &running, &peak), &out, &errOut)
		res <- result{failed, err}
	}()
	var held []int // started, not let go yet
	for range hosts {
		held = append(held, <-ready)
		if n := running.Load(); n > 2 {
			t.Fatalf("%d hosts run at once, want at most 2", n)
		}
		if len(held) == 2 {
			close(release[held[0]])
			held = held[1:]
		}
	}
	for _, i := range held {
		close(release[i])
	}
	r := <-res
	if r.err != nil || r.failed != 0 {
		t.Fatalf("Do = %d, %v", r.failed, r.err)
	}
	if n := strings.Count(errOut.String(), " err\n"); n != hosts {
		t.Errorf("%d hosts' stderr written, want %d: %q", n, hosts, errOut.String())
	}
}

func TestDoCancelled(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("interrupted")
	release := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
	var running, peak atomic.Int32
	var out, errOut syncBuffer
	run := fakeRun(nil, release, &running, &peak)
	started := make(chan struct{})
	first := func(ctx context.Context, i int, stdout, stderr io.Writer, joblog string) int {
		if i == 0 {
			close(started)
		}
		return run(ctx, i, stdout, stderr, joblog)
	}
	go func() { <-started; cancel(stop) }()
	failed, err := Do(ctx, Options{Hosts: 3, AtOnce: 1, KeepOrder: true, TmpDir: t.TempDir()}, first, &out, &errOut)
	if !errors.Is(err, stop) {
		t.Errorf("err %v, want the cause", err)
	}
	if failed != 1 || out.String() != "" {
		t.Errorf("failed %d, stdout %q: want the one host started, cut short, and no other", failed, out.String())
	}
}

func TestDoUnwritableJoblog(t *testing.T) {
	var running, peak atomic.Int32
	var out, errOut syncBuffer
	_, err := Do(context.Background(), Options{Hosts: 1, TmpDir: t.TempDir(), Joblog: filepath.Join(t.TempDir(), "no", "log")},
		fakeRun(nil, nil, &running, &peak), &out, &errOut)
	if err == nil || out.String() != "0 out\n" {
		t.Errorf("err %v, stdout %q: want the joblog's error and the output kept", err, out.String())
	}
}
