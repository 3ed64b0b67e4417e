package ipc

// The children of these tests are the test binary itself (STYLE habit 10):
// with the worker cookie in its environment, TestMain runs WorkerMain — the
// real worker entry, over real pipes — and with helperEnv it runs a helper
// command as a job. Tests synchronise on what the children print (a job
// prints its pid once it is ready), never on sleeps (habit 9).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/testutil/helperproc"
)

// helperEnv, when set, makes the test binary run the helper command named
// by its first argument instead of the tests.
const helperEnv = "PARRUN_IPC_TEST_HELPER"

// tooLong only guarantees that a child leaked by a failing test eventually
// dies; no test waits for it.
const tooLong = 10 * time.Minute

// helpers are this test binary's helper commands.
var helpers = helperproc.New(helperEnv)

func registerHelperCommand(name string, f func(args ...string)) { helpers.Register(name, f) }

func init() {
	registerHelperCommand("hang", cmdHang)
	registerHelperCommand("ignore-term", cmdIgnoreTerm)
	registerHelperCommand("tick", cmdTick)
	registerHelperCommand("spew", cmdSpew)
	registerHelperCommand("fake-worker", cmdFakeWorker)
}

func TestMain(m *testing.M) {
	// A worker's reaper (exec.Reaper) is this binary too.
	if exec.IsReaper(os.Getenv) {
		os.Exit(exec.ReaperMain(os.Stdin))
	}
	// A helper first: fake workers are started with the cookie too.
	helpers.ChildMain()
	if IsWorker(os.Getenv) {
		os.Exit(WorkerMain(os.Stdin, os.Stdout, os.Stderr))
	}
	// Start, Run, Close and Serve join every goroutine they start.
	os.Exit(helpers.RunTests(m, "ipc"))
}

func testExe(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// helperJob returns a job that runs the named helper command.
func helperJob(t testing.TB, name string, args ...string) *JobSpec {
	t.Helper()
	if !helpers.Has(name) {
		t.Fatalf("helper command %q is not registered", name)
	}
	helpers.MarkUsed(name)
	return &JobSpec{
		Argv: append([]string{testExe(t), name}, args...),
		Env:  append(childEnv(), helpers.EnvVar()),
	}
}

// childEnv is the environment of children of the tests. Under -race, a
// child would sleep a second at exit (the race runtime's atexit_sleep_ms);
// nothing here needs it.
func childEnv() []string {
	return append(os.Environ(), "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
}

// ---- helper commands (they run in the child) ----

func helperFail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "helper: "+format+"\n", args...)
	os.Exit(3)
}

// hang: print the pid, then do nothing for tooLong. It dies of SIGTERM and
// SIGINT (the Go runtime's default), which shows that the worker left the
// job the default disposition of SIGINT.
func cmdHang(...string) {
	fmt.Printf("%d\n", os.Getpid())
	time.Sleep(tooLong)
}

// ignore-term: catch SIGTERM and SIGINT and do not die of them; print the
// pid once the handler is installed.
func cmdIgnoreTerm(...string) {
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	fmt.Printf("%d\n", os.Getpid())
	for range c {
	}
}

// tick: print the pid, then a line every few milliseconds until a write
// fails: it dies of SIGPIPE once its reader (the worker) is gone, so a
// test that kills the worker leaves no orphan behind.
func cmdTick(...string) {
	fmt.Printf("%d\n", os.Getpid())
	for deadline := time.Now().Add(tooLong); time.Now().Before(deadline); {
		if _, err := os.Stdout.WriteString("tick\n"); err != nil {
			os.Exit(1)
		}
		time.Sleep(5 * time.Millisecond) // pacing, not synchronisation
	}
}

// spew N: write spewData(N) to stdout.
func cmdSpew(args ...string) {
	n, err := strconv.Atoi(args[0])
	if err != nil {
		helperFail("%v", err)
	}
	data := spewData(n)
	// Writes of odd sizes, so the frames do not line up with them.
	for rest := data; len(rest) > 0; {
		k := min(len(rest), 10007)
		if _, err := os.Stdout.Write(rest[:k]); err != nil {
			helperFail("%v", err)
		}
		rest = rest[k:]
	}
}

// fake-worker VERSION [GARBAGE]: say Hello with protocol VERSION (a parrun
// of another version); with GARBAGE, read the coordinator's Hello and a
// Job, and answer with GARBAGE instead of frames. Then wait for the end of
// stdin.
func cmdFakeWorker(args ...string) {
	v, err := strconv.Atoi(args[0])
	if err != nil {
		helperFail("%v", err)
	}
	w := NewWriter(os.Stdout, "")
	if err := w.Write(encode(hello{Version: uint64(v), PID: os.Getpid(), Parrun: "9.9.9"})); err != nil {
		helperFail("%v", err)
	}
	if err := w.Flush(); err != nil {
		helperFail("%v", err)
	}
	if len(args) > 1 {
		r := NewReader(os.Stdin, "coordinator")
		for range 2 {
			if _, err := readMessage(r); err != nil {
				helperFail("%v", err)
			}
		}
		os.Stdout.WriteString(args[1])
	}
	io.Copy(io.Discard, os.Stdin)
}

// spewData returns n bytes of numbered lines: any lost, duplicated or
// reordered piece shows in a comparison.
func spewData(n int) []byte {
	b := make([]byte, 0, n+8)
	line := []byte("0000000\n")
	for len(b) < n {
		b = append(b, line...)
		// The next number, in place: fmt is slow under -race.
		for i := len(line) - 2; i >= 0; i-- {
			if line[i]++; line[i] <= '9' {
				break
			}
			line[i] = '0'
		}
	}
	return b[:n]
}

// ---- test-side harness ----

// testDeadline is when a test must give up waiting: a little before the
// test binary's own deadline, so a hang fails with a message.
func testDeadline(t testing.TB) time.Time {
	if tt, ok := t.(*testing.T); ok {
		if d, ok := tt.Deadline(); ok {
			return d.Add(-min(5*time.Second, time.Until(d)/10))
		}
	}
	return time.Now().Add(5 * time.Minute)
}

// startWorker starts a real worker (this test binary) and closes it when
// the test ends.
func startWorker(t testing.TB, id int) *Client {
	t.Helper()
	ctx, cancel := context.WithDeadline(context.Background(), testDeadline(t))
	defer cancel()
	w, err := Start(ctx, id, []string{testExe(t)}, childEnv(), os.Stderr)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

var errTestCleanup = errors.New("test cleanup")

// running is a Worker.Run in progress on a goroutine the test owns.
type running struct {
	t    *testing.T
	done chan runResult
	res  *runResult
}

type runResult struct {
	res            resultView
	stdout, stderr string
}

// resultView is the comparable part of an exec.Result.
type resultView struct {
	ExitCode int
	Signal   syscall.Signal
	TimedOut bool
	Err      error
}

// startRun runs spec on w on a goroutine. The returned writer's ready is closed
// when the job's first stdout line arrives (a helper prints its pid when
// ready); its pid method returns it. The cleanup cancels the run and waits
// for it.
func startRun(t *testing.T, ctx context.Context, w *Client, spec *JobSpec) (*running, *readyWriter) {
	t.Helper()
	ctx, cancel := context.WithCancelCause(ctx)
	p := &running{t: t, done: make(chan runResult, 1)}
	out := &readyWriter{ready: make(chan struct{})}
	var errb syncBuffer
	go func() {
		r := w.Run(ctx, spec, out, &errb)
		p.done <- runResult{res: resultView{r.ExitCode, r.Signal, r.TimedOut, r.Err}, stdout: out.String(), stderr: errb.String()}
	}()
	t.Cleanup(func() {
		cancel(errTestCleanup)
		p.wait()
	})
	return p, out
}

// wait returns Run's result, failing the test if it does not come before
// the deadline.
func (p *running) wait() runResult {
	p.t.Helper()
	if p.res != nil {
		return *p.res
	}
	timer := time.NewTimer(time.Until(testDeadline(p.t)))
	defer timer.Stop()
	select {
	case r := <-p.done:
		p.res = &r
		return r
	case <-timer.C:
		p.t.Fatalf("Worker.Run did not return")
		return runResult{}
	}
}

// readyWriter records a job's stdout and closes ready at the first line.
type readyWriter struct {
	syncBuffer
	ready chan struct{}
	once  sync.Once
}

func (r *readyWriter) Write(p []byte) (int, error) {
	n, err := r.syncBuffer.Write(p)
	for _, c := range p {
		if c == '\n' {
			r.once.Do(func() { close(r.ready) })
			break
		}
	}
	return n, err
}

// pid waits for the job's first line and returns it as a pid.
func (r *readyWriter) pid(t *testing.T, p *running) int {
	t.Helper()
	timer := time.NewTimer(time.Until(testDeadline(t)))
	defer timer.Stop()
	select {
	case <-r.ready:
	case res := <-p.done:
		p.res = &res
		t.Fatalf("job ended before it was ready: %+v", res)
	case <-timer.C:
		t.Fatalf("timed out waiting for the job to be ready")
	}
	s := r.String()
	for i, c := range s {
		if c == '\n' {
			s = s[:i]
			break
		}
	}
	pid, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("first line of the job: %v", err)
	}
	return pid
}

// syncBuffer is a strings.Builder safe for a copy goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b)
}
