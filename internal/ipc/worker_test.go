package ipc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parrun/parrun/internal/exec"
)

func TestRunOutputAndExitCode(t *testing.T) {
	w := startWorker(t, 1)
	var out, errb bytes.Buffer
	res := w.Run(context.Background(), &JobSpec{Argv: []string{"sh", "-c", "echo hi; echo err >&2; exit 3"}}, &out, &errb)
	if res.ExitCode != 3 || res.Err != nil || res.Signal != 0 || res.TimedOut {
		t.Errorf("got exit %d, signal %v, err %v; want exit 3", res.ExitCode, res.Signal, res.Err)
	}
	if out.String() != "hi\n" || errb.String() != "err\n" {
		t.Errorf("got stdout %q, stderr %q; want \"hi\\n\", \"err\\n\"", out.String(), errb.String())
	}
	if res.Start.IsZero() || res.Duration <= 0 {
		t.Errorf("got start %v, duration %v", res.Start, res.Duration)
	}

	// The same worker runs the next job: stdin, env, dir.
	dir := t.TempDir()
	out.Reset()
	res = w.Run(context.Background(), &JobSpec{
		Argv:     []string{"sh", "-c", `cat; echo "[$FOO]"; pwd`},
		Env:      []string{"FOO=bar", "PATH=" + os.Getenv("PATH")},
		Dir:      dir,
		Stdin:    "from stdin\n",
		HasStdin: true,
	}, &out, nil)
	if want := "from stdin\n[bar]\n" + dir + "\n"; res.ExitCode != 0 || out.String() != want {
		t.Errorf("got exit %d, err %v, stdout %q; want %q", res.ExitCode, res.Err, out.String(), want)
	}

	// MergeEnv keeps the worker's environment; stdin larger than a chunk.
	out.Reset()
	big := strings.Repeat("x", 3*ChunkSize+17)
	res = w.Run(context.Background(), &JobSpec{
		Argv:     []string{"sh", "-c", `echo "[$FOO][${HOME:+home}]"; wc -c`},
		Env:      []string{"FOO=baz"},
		MergeEnv: true,
		Stdin:    big,
		HasStdin: true,
	}, &out, nil)
	if got := strings.Fields(out.String()); res.ExitCode != 0 || len(got) != 2 || got[0] != "[baz][home]" || got[1] != "98321" {
		t.Errorf("got exit %d, err %v, stdout %q; want [baz][home] and 98321", res.ExitCode, res.Err, out.String())
	}

	// Not found, as thread mode reports it.
	errb.Reset()
	res = w.Run(context.Background(), &JobSpec{Argv: []string{"no-such-program-parrun"}}, nil, &errb)
	if res.ExitCode != exec.ExitNotFound || !strings.Contains(errb.String(), "command not found") {
		t.Errorf("got exit %d, stderr %q; want 127, command not found", res.ExitCode, errb.String())
	}
	if !w.Alive() {
		t.Error("the worker died")
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if w.Alive() {
		t.Error("Alive after Close")
	}
	if res := w.Run(context.Background(), &JobSpec{Argv: []string{"true"}}, nil, nil); !errors.Is(res.Err, ErrWorkerExited) {
		t.Errorf("Run after Close: got %v; want ErrWorkerExited", res.Err)
	}
}

// hashWriter hashes what it is given, so 20 MiB need not be kept.
type hashWriter struct {
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
	n int
}

func (h *hashWriter) Write(p []byte) (int, error) {
	h.n += len(p)
	return h.h.Write(p)
}

func TestRunLargeOutput(t *testing.T) {
	const size = 20 << 20
	w := startWorker(t, 1)
	got := &hashWriter{h: sha256.New()}
	res := w.Run(context.Background(), helperJob(t, "spew", "20971520"), got, nil)
	if res.ExitCode != 0 || res.Err != nil {
		t.Fatalf("got exit %d, err %v", res.ExitCode, res.Err)
	}
	want := sha256.Sum256(spewData(size))
	if got.n != size || !bytes.Equal(got.h.Sum(nil), want[:]) {
		t.Errorf("got %d bytes with another checksum; want %d bytes, equal", got.n, size)
	}
}

func TestWorkerKilledMidJob(t *testing.T) {
	w := startWorker(t, 4)
	p, out := startRun(t, context.Background(), w, helperJob(t, "tick"))
	out.pid(t, p)
	if err := syscall.Kill(w.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	r := p.wait().res
	if r.ExitCode != -1 || !errors.Is(r.Err, ErrWorkerExited) || r.Err.Error() != "worker exited: signal KILL" {
		t.Errorf("got exit %d, err %v; want -1, \"worker exited: signal KILL\"", r.ExitCode, r.Err)
	}
	if w.Alive() {
		t.Error("Alive after the worker died")
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close of a dead worker: %v", err)
	}
}

// signalCause is a cancellation cause that names a signal, like
// cmd/parrun's interrupt.
type signalCause syscall.Signal

func (s signalCause) Error() string          { return "interrupted" }
func (s signalCause) Signal() syscall.Signal { return syscall.Signal(s) }

func TestCancelMidJob(t *testing.T) {
	w := startWorker(t, 1)
	for _, tt := range []struct {
		name  string
		cause error
		want  syscall.Signal
	}{
		{"plain cause: SIGTERM", errors.New("halt"), syscall.SIGTERM},
		{"Signaler cause: SIGINT", signalCause(syscall.SIGINT), syscall.SIGINT},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			p, out := startRun(t, ctx, w, helperJob(t, "hang"))
			pid := out.pid(t, p)
			cancel(tt.cause)
			r := p.wait().res
			if r.Signal != tt.want || r.ExitCode != 128+int(tt.want) || r.Err != nil {
				t.Errorf("got exit %d, signal %v, err %v; want signal %v", r.ExitCode, r.Signal, r.Err, tt.want)
			}
			if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
				t.Errorf("the job's process %d is still there: %v", pid, err)
			}
		})
	}
	// The worker goes on.
	if res := w.Run(context.Background(), &JobSpec{Argv: []string{"true"}}, nil, nil); res.ExitCode != 0 || !w.Alive() {
		t.Errorf("after cancelling: got exit %d, err %v, alive %v", res.ExitCode, res.Err, w.Alive())
	}
}

func TestKillNow(t *testing.T) {
	w := startWorker(t, 1)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	kill := make(chan struct{})
	spec := helperJob(t, "ignore-term")
	// A sequence that would outlast the test: only Kill ends it in time.
	spec.Terminate = []exec.Step{{Signal: syscall.SIGTERM, Wait: tooLong}}
	p, out := startRun(t, ctx, w, spec)
	out.pid(t, p)
	cancel(escalating{kill})
	close(kill)
	r := p.wait().res
	if r.Signal != syscall.SIGKILL || r.Err != nil {
		t.Errorf("got exit %d, signal %v, err %v; want SIGKILL", r.ExitCode, r.Signal, r.Err)
	}
	if !w.Alive() {
		t.Error("the worker died")
	}
}

func TestTimeoutInWorker(t *testing.T) {
	w := startWorker(t, 1)
	spec := helperJob(t, "hang")
	spec.Timeout = 50 * time.Millisecond
	res := w.Run(context.Background(), spec, nil, nil)
	if !res.TimedOut || res.Signal != syscall.SIGTERM {
		t.Errorf("got timed out %v, signal %v, err %v; want a time-out by SIGTERM", res.TimedOut, res.Signal, res.Err)
	}
}

// TestWorkerSignals: the worker drops SIGINT (the coordinator decides),
// and on SIGTERM terminates its job, reports it, and exits 143.
func TestWorkerSignals(t *testing.T) {
	w := startWorker(t, 1)
	p, out := startRun(t, context.Background(), w, helperJob(t, "hang"))
	pid := out.pid(t, p)
	if err := syscall.Kill(w.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(w.cmd.Process.Pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := p.wait().res
	if r.Signal != syscall.SIGTERM || r.Err != nil {
		t.Errorf("got exit %d, signal %v, err %v; want the job's Done, SIGTERM", r.ExitCode, r.Signal, r.Err)
	}
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		t.Errorf("the job's process %d is still there: %v", pid, err)
	}
	if st := w.reap(time.Until(testDeadline(t))); st.ExitCode() != 143 {
		t.Errorf("the worker: got %v; want exit status 143", st)
	}
}

// TestCoordinatorGone closes the worker's stdin while a job runs, as the
// death of parrun does: the worker kills the job's group and exits.
func TestCoordinatorGone(t *testing.T) {
	w := startWorker(t, 1)
	p, out := startRun(t, context.Background(), w, helperJob(t, "hang"))
	pid := out.pid(t, p)
	w.in.Close()
	r := p.wait().res
	// The worker reaps its job, and its stdout still works: the Done says
	// how the job ended.
	if r.Signal != syscall.SIGTERM {
		t.Errorf("got exit %d, signal %v, err %v; want SIGTERM", r.ExitCode, r.Signal, r.Err)
	}
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		t.Errorf("the job's process %d is still there: %v", pid, err)
	}
	st := w.reap(time.Until(testDeadline(t)))
	w.pmu.Lock()
	killed := w.killed
	w.pmu.Unlock()
	if killed || !st.Success() {
		t.Errorf("the worker did not exit by itself: %v, killed %v", st, killed)
	}
}

// TestWedgedWorker stops the worker: a cancelled job's Done never comes,
// and the deadman kills the worker instead of hanging.
func TestWedgedWorker(t *testing.T) {
	w := startWorker(t, 6)
	w.killGrace = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	spec := helperJob(t, "tick")
	spec.Terminate = []exec.Step{{Signal: syscall.SIGTERM, Wait: 10 * time.Millisecond}}
	p, out := startRun(t, ctx, w, spec)
	out.pid(t, p)
	if err := syscall.Kill(w.cmd.Process.Pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	cancel()
	r := p.wait().res
	if r.Err == nil || r.Err.Error() != "worker exited: signal KILL" {
		t.Errorf("got %v; want \"worker exited: signal KILL\"", r.Err)
	}
}

func TestOutputWriteError(t *testing.T) {
	w := startWorker(t, 1)
	res := w.Run(context.Background(), helperJob(t, "spew", "200000"), failWriter{}, nil)
	if res.ExitCode != 0 || res.Err == nil || res.Err.Error() != "ipc: copying stdout: disk full" {
		t.Errorf("got exit %d, err %v; want 0, \"ipc: copying stdout: disk full\"", res.ExitCode, res.Err)
	}
	if !w.Alive() {
		t.Error("the worker died")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestJobTooLarge(t *testing.T) {
	w := startWorker(t, 1)
	res := w.Run(context.Background(), &JobSpec{Argv: []string{"true"}, Env: []string{strings.Repeat("x", MaxFrame)}}, nil, nil)
	if res.Err == nil || !strings.Contains(res.Err.Error(), "over the 1048576-byte frame limit") {
		t.Errorf("got %v; want a frame limit error", res.Err)
	}
	if !w.Alive() {
		t.Fatal("the worker died")
	}
	if res := w.Run(context.Background(), &JobSpec{Argv: []string{"true"}}, nil, nil); res.ExitCode != 0 {
		t.Errorf("the next job: exit %d, err %v", res.ExitCode, res.Err)
	}
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name    string
		argv    []string
		timeout time.Duration
		is      error
		want    []string // substrings
	}{
		{"garbage", []string{"sh", "-c", "echo 'Welcome to Ubuntu'; exec sleep 600"}, 0, ErrMalformed, []string{
			"ipc: worker 7: reading frame header: malformed frame:",
			`(first bytes "Welcome to Ubuntu\n")`,
			"must start a parrun worker and print nothing else on its stdout",
		}},
		{"exit", []string{"sh", "-c", "exit 3"}, 0, nil, []string{
			`ipc: worker 7: "sh -c exit 3" exited before the handshake (exit status 3)`,
		}},
		{"short garbage, exit", []string{"sh", "-c", "printf hi; exit 4"}, 0, nil, []string{
			`exited before the handshake (exit status 4) after printing "hi"`,
		}},
		{"silent", []string{"sleep", "600"}, 200 * time.Millisecond, context.DeadlineExceeded, []string{
			"ipc: worker 7: handshake: context deadline exceeded",
		}},
		{"not found", []string{"no-such-launcher-parrun"}, 0, nil, []string{
			"ipc: worker 7: starting no-such-launcher-parrun:",
		}},
		{"version", []string{testExe(t), "fake-worker", "99"}, 0, ErrVersionMismatch, []string{
			"ipc: worker 7: protocol version mismatch: the worker (pid ",
			"parrun 9.9.9) speaks protocol version 99, this parrun",
			"is the parrun on the remote PATH the same version?",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			var env []string
			if tt.name == "version" {
				helpers.MarkUsed("fake-worker")
				env = append(childEnv(), helpers.EnvVar())
			}
			w, err := Start(ctx, 7, tt.argv, env, os.Stderr)
			if err == nil {
				w.Close()
				t.Fatal("Start succeeded")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("got %v; want an error wrapping %v", err, tt.is)
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("got %q; want it to contain %q", err, s)
				}
			}
		})
	}
}

// TestWorkerBreaksProtocol: a worker that answers a job with garbage fails
// the job with an error naming it, and is killed.
func TestWorkerBreaksProtocol(t *testing.T) {
	helpers.MarkUsed("fake-worker")
	env := append(childEnv(), helpers.EnvVar())
	w, err := Start(context.Background(), 8, []string{testExe(t), "fake-worker", strconv.Itoa(ProtocolVersion), "oops, a stray print"}, env, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	res := w.Run(context.Background(), &JobSpec{Argv: []string{"true"}}, nil, nil)
	want := `ipc: worker 8: reading frame header: malformed frame: payload length 1869574259 over the 1048576-byte limit (first bytes "oops, a stray print")`
	if res.ExitCode != -1 || !errors.Is(res.Err, ErrMalformed) || res.Err.Error() != want {
		t.Errorf("got exit %d, err %v; want -1, %q", res.ExitCode, res.Err, want)
	}
	if w.Alive() {
		t.Error("Alive after garbage")
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestWorkerMainWithoutCookie(t *testing.T) {
	var errb bytes.Buffer
	if code := WorkerMain(os.Stdin, os.Stdout, &errb); code != 255 {
		t.Errorf("got status %d; want 255", code)
	}
	if !strings.Contains(errb.String(), "started by parrun itself") {
		t.Errorf("got %q", errb.String())
	}
}

// TestWorkerCommand starts a worker through a launcher that passes no
// environment on, as ssh does: the cookie travels on the command line.
func TestWorkerCommand(t *testing.T) {
	argv := append([]string{"env", "-i", "PATH=" + os.Getenv("PATH"), "GORACE=atexit_sleep_ms=0"}, WorkerCommand(testExe(t))...)
	w, err := Start(context.Background(), 1, argv, nil, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res := w.Run(context.Background(), &JobSpec{Argv: []string{"sh", "-c", "echo ${PARRUN_WORKER_COOKIE:-no cookie}"}}, &out, nil)
	if res.ExitCode != 0 || out.String() != "no cookie\n" {
		t.Errorf("got exit %d, err %v, stdout %q; want \"no cookie\": jobs must not inherit it", res.ExitCode, res.Err, out.String())
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestIsWorker(t *testing.T) {
	env := map[string]string{CookieKey: CookieValue}
	if !IsWorker(func(k string) string { return env[k] }) {
		t.Error("with the cookie: not a worker")
	}
	if IsWorker(func(string) string { return "" }) || IsWorker(func(string) string { return "x" }) {
		t.Error("without the cookie: a worker")
	}
}

// fakeCoordinator drives Serve in this process over pipes.
type fakeCoordinator struct {
	t    *testing.T
	in   *os.File // Serve's input, our end
	r    *Reader  // Serve's output
	w    *Writer
	done chan error
	err  *error
}

func serveFake(t *testing.T) *fakeCoordinator {
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeCoordinator{t: t, in: inW, r: NewReader(outR, "worker"), w: NewWriter(inW, "worker"), done: make(chan error, 1)}
	go func() {
		// Kernel pipes: Serve's frames never wait for this test to read them.
		c.done <- Serve(context.Background(), inR, outW, &exec.Runner{})
	}()
	t.Cleanup(func() {
		inW.Close()
		c.result()
		inR.Close()
		outR.Close()
		outW.Close()
	})
	m, err := readMessage(c.r)
	if h, ok := m.(hello); err != nil || !ok || h.Version != ProtocolVersion {
		t.Fatalf("Serve's first frame: %v, %v", m, err)
	}
	return c
}

func (c *fakeCoordinator) send(f Frame) {
	c.t.Helper()
	if err := c.w.Write(f); err != nil {
		c.t.Fatal(err)
	}
	if err := c.w.Flush(); err != nil {
		c.t.Fatal(err)
	}
}

func (c *fakeCoordinator) sendRaw(b []byte) {
	c.t.Helper()
	if _, err := c.in.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// result returns what Serve returned, waiting for it until the deadline.
// It does not close Serve's input: Serve must stop by itself.
func (c *fakeCoordinator) result() error {
	if c.err != nil {
		return *c.err
	}
	timer := time.NewTimer(time.Until(testDeadline(c.t)))
	defer timer.Stop()
	select {
	case err := <-c.done:
		c.err = &err
		return err
	case <-timer.C:
		c.t.Fatal("Serve did not return")
		return nil
	}
}

func TestServeVersionMismatch(t *testing.T) {
	c := serveFake(t)
	c.send(encode(hello{Version: 99, PID: 1, Parrun: "9.9.9"}))
	m, err := readMessage(c.r)
	e, ok := m.(errorMsg)
	if err != nil || !ok || !strings.Contains(e.Msg, "speaks protocol version 99") || !strings.Contains(e.Msg, "is the parrun on the remote PATH the same version?") {
		t.Errorf("got %#v, %v; want an Error frame naming both versions", m, err)
	}
	if err := c.result(); !errors.Is(err, ErrVersionMismatch) {
		t.Errorf("Serve: got %v; want ErrVersionMismatch", err)
	}
}

func TestServeGarbage(t *testing.T) {
	c := serveFake(t)
	c.send(encode(hello{Version: ProtocolVersion}))
	c.sendRaw([]byte("garbage!"))
	m, err := readMessage(c.r)
	want := "ipc: coordinator: reading frame header: malformed frame: payload length"
	if e, ok := m.(errorMsg); err != nil || !ok || !strings.HasPrefix(e.Msg, want) {
		t.Errorf("got %#v, %v; want an Error frame %q…", m, err, want)
	}
	if err := c.result(); !errors.Is(err, ErrMalformed) {
		t.Errorf("Serve: got %v; want ErrMalformed", err)
	}
}

func TestServeUnexpectedFrame(t *testing.T) {
	c := serveFake(t)
	c.send(encode(hello{Version: ProtocolVersion}))
	c.send(encode(chunk{Seq: 1, Stream: streamStdin, Data: []byte("x")}))
	m, err := readMessage(c.r)
	if e, ok := m.(errorMsg); err != nil || !ok || !strings.Contains(e.Msg, "unexpected Chunk frame") {
		t.Errorf("got %#v, %v; want an Error frame", m, err)
	}
	c.result()
}

func TestServeCleanEOF(t *testing.T) {
	c := serveFake(t)
	c.send(encode(hello{Version: ProtocolVersion}))
	c.send(encode(cancelMsg{Seq: 9})) // for a job long done: ignored
	c.in.Close()
	if err := c.result(); err != nil {
		t.Errorf("Serve at EOF: got %v; want nil", err)
	}
}

func TestServeTruncatedStdin(t *testing.T) {
	c := serveFake(t)
	c.send(encode(hello{Version: ProtocolVersion}))
	c.send(encode(jobMsg{Seq: 1, Argv: []string{"true"}, HasStdin: true, StdinLen: 10}))
	c.send(encode(chunk{Seq: 1, Stream: streamStdin, Data: []byte("abc")}))
	c.in.Close()
	if err := c.result(); !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "reading stdin of job 1") {
		t.Errorf("got %v; want an unexpected EOF reading stdin", err)
	}
}

// BenchmarkJob compares one short job's cost in this process (thread mode)
// and through a worker (process mode).
func BenchmarkJob(b *testing.B) {
	b.Run("thread", func(b *testing.B) {
		var r exec.Runner
		for range b.N {
			if res := r.Run(context.Background(), &exec.Spec{Argv: []string{"true"}, Stdout: io.Discard, Stderr: io.Discard}); res.ExitCode != 0 {
				b.Fatal(res.Err)
			}
		}
	})
	b.Run("process", func(b *testing.B) {
		w := startWorker(b, 1)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		b.ResetTimer()
		for range b.N {
			if res := w.Run(ctx, &JobSpec{Argv: []string{"true"}, Env: os.Environ()}, io.Discard, io.Discard); res.ExitCode != 0 {
				b.Fatal(res.Err)
			}
		}
	})
}

// escalating is a cancellation cause that escalates when kill is closed
// (exec.Escalator): a second Ctrl-C.
type escalating struct{ kill <-chan struct{} }

func (escalating) Error() string                { return "interrupted twice" }
func (e escalating) Escalated() <-chan struct{} { return e.kill }
