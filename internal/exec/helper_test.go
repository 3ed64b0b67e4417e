package exec

// The children of these tests are the test binary itself: TestMain
// dispatches on helperEnv to a registered helper command, the way os/exec's
// exec_test.go does with registerHelperCommand. Real processes for process
// semantics (STYLE habit 10); handshakes through files, never sleeps
// (habit 9).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parrun/parrun/internal/testutil/helperproc"
)

// helperEnv, when set in a process's environment, makes the test binary run
// the helper command named by its first argument instead of the tests.
const helperEnv = "PARRUN_EXEC_TEST_HELPER"

// tooLong only guarantees that a child leaked by a failing test eventually
// dies; no test waits for it.
const tooLong = 10 * time.Minute

// helpers are this test binary's helper commands.
var helpers = helperproc.New(helperEnv)

func registerHelperCommand(name string, f func(args ...string)) { helpers.Register(name, f) }

func init() {
	registerHelperCommand("exit", cmdExit)
	registerHelperCommand("kill-self", cmdKillSelf)
	registerHelperCommand("hang", cmdHang)
	registerHelperCommand("ignore-term", cmdIgnoreTerm)
	registerHelperCommand("fork-grandchild", cmdForkGrandchild)
	registerHelperCommand("spew", cmdSpew)
	registerHelperCommand("cat", cmdCat)
	registerHelperCommand("getenv", cmdGetenv)
	registerHelperCommand("pwd", cmdPwd)
}

func TestMain(m *testing.M) {
	// TestReaperKillsHeldGroups starts this binary as the reaper.
	if IsReaper(os.Getenv) {
		os.Exit(ReaperMain(os.Stdin))
	}
	helpers.ChildMain()
	// Run joins every goroutine it starts (STYLE habit 1).
	os.Exit(helpers.RunTests(m, "Runner.Run"))
}

// helperEnviron is the environment of a helper child.
func helperEnviron(extra ...string) []string {
	return append(append(os.Environ(), helpers.EnvVar()), extra...)
}

// helperSpec returns a Spec that runs the named helper command as a child.
func helperSpec(t *testing.T, name string, args ...string) *Spec {
	t.Helper()
	if !helpers.Has(name) {
		t.Fatalf("helper command %q is not registered", name)
	}
	helpers.MarkUsed(name)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &Spec{
		Argv: append([]string{exe, name}, args...),
		Env:  helperEnviron(),
	}
}

// ---- helper commands (they run in the child) ----

func helperFail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "helper: "+format+"\n", args...)
	os.Exit(3)
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		helperFail("%v", err)
	}
	return n
}

// writeFileAtomic writes a file whole, so a reader polling for it never
// sees it half-written.
func writeFileAtomic(path, content string) {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		helperFail("%v", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		helperFail("%v", err)
	}
}

// exit N: exit with status N.
func cmdExit(args ...string) { os.Exit(atoi(args[0])) }

// kill-self SIG: kill itself with signal number SIG.
func cmdKillSelf(args ...string) {
	syscall.Kill(os.Getpid(), syscall.Signal(atoi(args[0])))
	time.Sleep(tooLong)
}

// hang [READY]: write READY (when given), then do nothing for tooLong. The
// Go runtime's default action for SIGTERM, SIGINT and SIGHUP is to die of
// that signal.
func cmdHang(args ...string) {
	if len(args) > 0 {
		writeFileAtomic(args[0], strconv.Itoa(os.Getpid()))
	}
	time.Sleep(tooLong)
}

// ignore-term READY SIGLOG: catch SIGTERM, SIGINT and SIGHUP and do not die
// of them; write READY once the handler is installed, and SIGLOG with the
// name of the first signal caught.
func cmdIgnoreTerm(args ...string) {
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	writeFileAtomic(args[0], strconv.Itoa(os.Getpid()))
	sig := <-c
	writeFileAtomic(args[1], SignalName(sig.(syscall.Signal)))
	for range c {
	}
}

// fork-grandchild PIDFILE [hang|exit|setsid]: start a grandchild "hang"
// sharing stdout and stderr, write its pid to PIDFILE, then hang (the
// default) or exit 0 at once. The grandchild is in the same process group,
// except with setsid, where it escapes to a session of its own.
func cmdForkGrandchild(args ...string) {
	exe, err := os.Executable()
	if err != nil {
		helperFail("%v", err)
	}
	then := "hang"
	if len(args) > 1 {
		then = args[1]
	}
	c := osexec.Command(exe, "hang")
	c.Env = os.Environ()
	c.Stdout, c.Stderr = os.Stdout, os.Stderr
	if then == "setsid" {
		c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	if err := c.Start(); err != nil {
		helperFail("%v", err)
	}
	// The output first: a test that acts on the pid file (cancels the job)
	// must find the leader's output already written.
	fmt.Println("leader done")
	writeFileAtomic(args[0], strconv.Itoa(c.Process.Pid))
	if then == "exit" {
		os.Exit(0)
	}
	time.Sleep(tooLong)
}

// spew N out|err|both: write spewData(N) to stdout, stderr or both.
func cmdSpew(args ...string) {
	data := spewData(atoi(args[0]))
	var ws []io.Writer
	switch args[1] {
	case "out":
		ws = []io.Writer{os.Stdout}
	case "err":
		ws = []io.Writer{os.Stderr}
	case "both":
		ws = []io.Writer{os.Stdout, os.Stderr}
	}
	for _, w := range ws {
		// Several writes, so the reader sees the stream in pieces.
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 10000)
			if _, err := w.Write(rest[:n]); err != nil {
				helperFail("%v", err)
			}
			rest = rest[n:]
		}
	}
}

// cat: copy stdin to stdout.
func cmdCat(...string) {
	if _, err := io.Copy(os.Stdout, os.Stdin); err != nil {
		helperFail("%v", err)
	}
}

// getenv NAME: print $NAME.
func cmdGetenv(args ...string) { fmt.Print(os.Getenv(args[0])) }

// pwd: print the working directory.
func cmdPwd(...string) {
	d, err := os.Getwd()
	if err != nil {
		helperFail("%v", err)
	}
	fmt.Print(d)
}

// spewData returns n bytes of numbered lines: any lost, duplicated or
// reordered piece shows in a byte comparison.
func spewData(n int) []byte {
	b := make([]byte, 0, n+8)
	for i := 0; len(b) < n; i++ {
		b = fmt.Appendf(b, "%07d\n", i)
	}
	return b[:n]
}

// ---- test-side harness ----

// testDeadline is when a test must give up waiting: a little before the
// test binary's own deadline, so a hang fails with a message instead of a
// panic dump.
func testDeadline(t *testing.T) time.Time {
	d, ok := t.Deadline()
	if !ok {
		return time.Now().Add(5 * time.Minute)
	}
	return d.Add(-min(5*time.Second, time.Until(d)/10))
}

var errTestCleanup = errors.New("test cleanup")

// testCtx is the context of a job the test waits for synchronously: a job
// that hangs is stopped at the test's deadline instead of hanging the test
// binary.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), testDeadline(t))
	t.Cleanup(cancel)
	return ctx
}

// running is a Runner.Run in progress on a goroutine the test owns: its
// cleanup cancels and hurries the job and waits for Run to return.
type running struct {
	t         *testing.T
	cancelRun context.CancelCauseFunc
	kill      chan struct{}
	once      sync.Once
	done      chan *Result
	res       *Result
}

// start runs s on a goroutine. Its cancel escalates when hurry is called
// (or at cleanup).
func start(t *testing.T, ctx context.Context, s *Spec) *running {
	t.Helper()
	ctx, cancel := context.WithCancelCause(ctx)
	p := &running{t: t, cancelRun: cancel, kill: make(chan struct{}), done: make(chan *Result, 1)}
	go func() { p.done <- new(Runner).Run(ctx, s) }()
	t.Cleanup(func() {
		p.cancel(errTestCleanup)
		p.hurry()
		p.wait()
	})
	return p
}

// cancel cancels the job's context with cause, made an Escalator that
// hurry escalates.
func (p *running) cancel(cause error) { p.cancelRun(escalating{cause, p.kill}) }

func (p *running) hurry() { p.once.Do(func() { close(p.kill) }) }

// escalating wraps a cancellation cause with an escalation channel.
type escalating struct {
	error
	kill <-chan struct{}
}

func (e escalating) Unwrap() error              { return e.error }
func (e escalating) Escalated() <-chan struct{} { return e.kill }

// wait returns Run's result, failing the test if it does not come before
// the test's deadline.
func (p *running) wait() *Result {
	p.t.Helper()
	if p.res != nil {
		return p.res
	}
	timer := time.NewTimer(time.Until(testDeadline(p.t)))
	defer timer.Stop()
	select {
	case p.res = <-p.done:
		return p.res
	case <-timer.C:
		p.t.Fatalf("Runner.Run did not return")
		return nil
	}
}

// waitFile waits until path exists (the child's handshake) and returns its
// content. It fails the test if the job ends first or the deadline passes.
func (p *running) waitFile(path string) string {
	p.t.Helper()
	deadline := time.NewTimer(time.Until(testDeadline(p.t)))
	defer deadline.Stop()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(path); err == nil {
			return string(b)
		}
		select {
		case res := <-p.done:
			p.res = res
			if b, err := os.ReadFile(path); err == nil {
				return string(b)
			}
			p.t.Fatalf("job ended (exit %d, signal %v, err %v) before writing %s", res.ExitCode, res.Signal, res.Err, filepath.Base(path))
		case <-deadline.C:
			p.t.Fatalf("timed out waiting for %s", filepath.Base(path))
		case <-tick.C:
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a job's copy goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
