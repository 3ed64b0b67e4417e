package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"
)

func TestExitCode(t *testing.T) {
	t.Parallel()
	for _, code := range []int{0, 1, 3, 42, 125, 255} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			res := new(Runner).Run(testCtx(t), helperSpec(t, "exit", strconv.Itoa(code)))
			if res.ExitCode != code {
				t.Errorf("ExitCode = %d; want %d", res.ExitCode, code)
			}
			if res.Signal != 0 || res.TimedOut || res.Killed || res.Err != nil {
				t.Errorf("Signal, TimedOut, Killed, Err = %v, %v, %v, %v; want 0, false, false, nil", res.Signal, res.TimedOut, res.Killed, res.Err)
			}
			if got, want := res.Failed(), code != 0; got != want {
				t.Errorf("Failed() = %v; want %v", got, want)
			}
			if res.Duration <= 0 || res.Start.IsZero() {
				t.Errorf("Start, Duration = %v, %v; want set", res.Start, res.Duration)
			}
		})
	}
}

func TestSignalExit(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(SignalName(sig), func(t *testing.T) {
			res := new(Runner).Run(testCtx(t), helperSpec(t, "kill-self", strconv.Itoa(int(sig))))
			if res.Signal != sig {
				t.Errorf("Signal = %v; want %v", res.Signal, sig)
			}
			if want := 128 + int(sig); res.ExitCode != want {
				t.Errorf("ExitCode = %d; want %d", res.ExitCode, want)
			}
			if res.Err != nil || res.TimedOut {
				t.Errorf("Err, TimedOut = %v, %v; want nil, false", res.Err, res.TimedOut)
			}
			if !res.Failed() {
				t.Errorf("Failed() = false; want true")
			}
		})
	}
}

func TestSignalName(t *testing.T) {
	for sig, want := range map[syscall.Signal]string{0: "", syscall.SIGKILL: "KILL", syscall.SIGINT: "INT", syscall.SIGTERM: "TERM"} {
		if got := SignalName(sig); got != want {
			t.Errorf("SignalName(%d) = %q; want %q", sig, got, want)
		}
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "no-such-program")
	for _, name := range []string{"parrun-test-no-such-program", missing} {
		t.Run(filepath.Base(name), func(t *testing.T) {
			var stderr bytes.Buffer
			res := new(Runner).Run(testCtx(t), &Spec{Argv: []string{name, "arg"}, Stderr: &stderr})
			if res.ExitCode != ExitNotFound {
				t.Errorf("ExitCode = %d; want %d (err %v)", res.ExitCode, ExitNotFound, res.Err)
			}
			if !res.Failed() {
				t.Errorf("Failed() = false; want true")
			}
			msg := stderr.String()
			if !strings.Contains(msg, name) || !strings.HasSuffix(msg, "\n") || strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr = %q; want one line naming %s", msg, name)
			}
		})
	}
	t.Run("nil-stderr", func(t *testing.T) {
		res := new(Runner).Run(testCtx(t), &Spec{Argv: []string{"parrun-test-no-such-program"}})
		if res.ExitCode != ExitNotFound {
			t.Errorf("ExitCode = %d; want %d", res.ExitCode, ExitNotFound)
		}
	})
	t.Run("empty-PATH-in-env", func(t *testing.T) {
		// Env without the test binary's directory in PATH: not found,
		// even though os.Getenv("PATH") might find something.
		res := new(Runner).Run(testCtx(t), &Spec{Argv: []string{"sh", "-c", "exit 0"}, Env: []string{"PATH=" + t.TempDir()}})
		if res.ExitCode != ExitNotFound {
			t.Errorf("ExitCode = %d; want %d", res.ExitCode, ExitNotFound)
		}
	})
}

func TestNotExecutable(t *testing.T) {
	dir := t.TempDir()
	noX := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(noX, []byte("#!/bin/sh\nexit 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("\x7fELF\x00\x00garbage"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"no-x-bit": noX, "directory": dir, "bad-format": garbage} {
		t.Run(name, func(t *testing.T) {
			var stderr bytes.Buffer
			res := new(Runner).Run(testCtx(t), &Spec{Argv: []string{path}, Stderr: &stderr})
			if res.ExitCode != ExitNotExecutable {
				t.Errorf("ExitCode = %d; want %d (err %v, stderr %q)", res.ExitCode, ExitNotExecutable, res.Err, stderr.String())
			}
			if !res.Failed() {
				t.Errorf("Failed() = false; want true")
			}
			if msg := stderr.String(); !strings.Contains(msg, path) {
				t.Errorf("stderr = %q; want a message naming %s", msg, path)
			}
		})
	}
}

func TestEmptyArgv(t *testing.T) {
	res := new(Runner).Run(testCtx(t), &Spec{})
	if res.Err == nil || res.ExitCode != -1 {
		t.Errorf("ExitCode, Err = %d, %v; want -1, an error", res.ExitCode, res.Err)
	}
}

func TestOutputToFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, err := os.Create(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	errf, err := os.Create(filepath.Join(dir, "err"))
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	const n = 300_000 // more than a pipe holds
	s := helperSpec(t, "spew", strconv.Itoa(n), "both")
	s.Stdout, s.Stderr = out, errf
	res := new(Runner).Run(testCtx(t), s)
	if res.ExitCode != 0 || res.Err != nil {
		t.Fatalf("ExitCode, Err = %d, %v; want 0, nil", res.ExitCode, res.Err)
	}
	want := spewData(n)
	for _, f := range []*os.File{out, errf} {
		got, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: got %d bytes; want %d bytes of spewData, byte-equal", filepath.Base(f.Name()), len(got), len(want))
		}
	}
}

func TestOutputToWriters(t *testing.T) {
	t.Parallel()
	const n = 300_000
	for _, stream := range []string{"out", "err", "both"} {
		t.Run(stream, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			s := helperSpec(t, "spew", strconv.Itoa(n), stream)
			s.Stdout, s.Stderr = &stdout, &stderr
			res := new(Runner).Run(testCtx(t), s)
			if res.ExitCode != 0 || res.Err != nil {
				t.Fatalf("ExitCode, Err = %d, %v; want 0, nil", res.ExitCode, res.Err)
			}
			want := spewData(n)
			wantOut, wantErr := want, want
			if stream == "err" {
				wantOut = nil
			}
			if stream == "out" {
				wantErr = nil
			}
			if !bytes.Equal(stdout.Bytes(), wantOut) {
				t.Errorf("stdout: got %d bytes; want %d, byte-equal", stdout.Len(), len(wantOut))
			}
			if !bytes.Equal(stderr.Bytes(), wantErr) {
				t.Errorf("stderr: got %d bytes; want %d, byte-equal", stderr.Len(), len(wantErr))
			}
		})
	}
	t.Run("nil-discards", func(t *testing.T) {
		res := new(Runner).Run(testCtx(t), helperSpec(t, "spew", strconv.Itoa(n), "both"))
		if res.ExitCode != 0 || res.Err != nil {
			t.Fatalf("ExitCode, Err = %d, %v; want 0, nil", res.ExitCode, res.Err)
		}
	})
}

func TestLargeOutputSpills(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	const n = 3<<20 + 17
	out := NewBuffer(64<<10, tmp)
	defer out.Close()
	errb := NewBuffer(64<<10, tmp)
	defer errb.Close()
	s := helperSpec(t, "spew", strconv.Itoa(n), "both")
	s.Stdout, s.Stderr = out, errb
	res := new(Runner).Run(testCtx(t), s)
	if res.ExitCode != 0 || res.Err != nil {
		t.Fatalf("ExitCode, Err = %d, %v; want 0, nil", res.ExitCode, res.Err)
	}
	want := spewData(n)
	for name, b := range map[string]*Buffer{"stdout": out, "stderr": errb} {
		if !b.Spilled() {
			t.Errorf("%s: Spilled() = false; want true above the limit", name)
		}
		if b.Len() != int64(n) {
			t.Errorf("%s: Len() = %d; want %d", name, b.Len(), n)
		}
		var got bytes.Buffer
		if _, err := b.WriteTo(&got); err != nil {
			t.Fatalf("%s: WriteTo: %v", name, err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: contents differ from what the job wrote (%d bytes; want %d)", name, got.Len(), n)
		}
	}
	// The spill files are unlinked at once: nothing is left under the
	// directory, neither now nor after Close.
	assertEmptyDir(t, tmp)
	out.Close()
	errb.Close()
	assertEmptyDir(t, tmp)
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("%s holds %v; want it empty", dir, names)
	}
}

func TestBufferSpillErrorSurfaced(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "no-such-dir")
	const n = 1 << 20 // far more than a pipe holds: the job blocks unless the output is drained
	out := NewBuffer(4096, missing)
	defer out.Close()
	s := helperSpec(t, "spew", strconv.Itoa(n), "out")
	s.Stdout = out
	res := new(Runner).Run(testCtx(t), s)
	if res.ExitCode != 0 {
		t.Errorf("ExitCode = %d; want 0: the job itself succeeded", res.ExitCode)
	}
	if res.Err == nil {
		t.Fatalf("Err = nil; want the spill error")
	}
	if !res.Failed() {
		t.Errorf("Failed() = false; want true: its output is incomplete")
	}
	msg := res.Err.Error()
	if !strings.Contains(msg, "stdout") || !strings.Contains(msg, "spill") || !strings.Contains(msg, missing) {
		t.Errorf("Err = %q; want it to name stdout, the spill file and %s", msg, missing)
	}
	if !errors.Is(res.Err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false; want true", res.Err)
	}
}

func TestStdin(t *testing.T) {
	t.Parallel()
	t.Run("reader", func(t *testing.T) {
		var stdout bytes.Buffer
		s := helperSpec(t, "cat")
		in := strings.Repeat("input line\n", 20000)
		s.Stdin, s.Stdout = strings.NewReader(in), &stdout
		res := new(Runner).Run(testCtx(t), s)
		if res.ExitCode != 0 || res.Err != nil {
			t.Fatalf("ExitCode, Err = %d, %v; want 0, nil", res.ExitCode, res.Err)
		}
		if stdout.String() != in {
			t.Errorf("stdout has %d bytes; want the %d bytes of stdin", stdout.Len(), len(in))
		}
	})
	t.Run("file-range", func(t *testing.T) {
		// A range of a regular file: spliced into the job's pipe (or
		// copied where the file system cannot), the job sees exactly it.
		in := strings.Repeat("0123456789", 300000)
		name := filepath.Join(t.TempDir(), "in")
		if err := os.WriteFile(name, []byte(in), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var stdout bytes.Buffer
		s := helperSpec(t, "cat")
		s.Stdin, s.Stdout = io.NewSectionReader(f, 12345, 2000000), &stdout
		res := new(Runner).Run(testCtx(t), s)
		if res.ExitCode != 0 || res.Err != nil || stdout.String() != in[12345:12345+2000000] {
			t.Errorf("ExitCode, Err = %d, %v, %d bytes; want 0, nil and the range's 2000000", res.ExitCode, res.Err, stdout.Len())
		}
	})
	t.Run("unread", func(t *testing.T) {
		// A job that ends without taking its input fails (GNU parallel's
		// signal 13), unless the input fits in the pipe before it starts.
		s := helperSpec(t, "exit", "0")
		s.Stdin = strings.NewReader(strings.Repeat("x", 4<<20))
		res := new(Runner).Run(testCtx(t), s)
		if !res.StdinUnread || res.Signal != syscall.SIGPIPE || !res.Failed() {
			t.Errorf("StdinUnread, Signal, Failed = %v, %v, %v; want true, SIGPIPE, true", res.StdinUnread, res.Signal, res.Failed())
		}
		s = helperSpec(t, "exit", "0")
		s.Stdin = strings.NewReader("small")
		if res := new(Runner).Run(testCtx(t), s); res.Failed() {
			t.Errorf("a job that leaves a small input unread failed: %+v", res)
		}
	})
	t.Run("input-error", func(t *testing.T) {
		// The input cannot be read: the job's error says so, never a
		// silent short input.
		s := helperSpec(t, "cat")
		s.Stdin, s.Stdout = iotest.ErrReader(errors.New("disk on fire")), io.Discard
		res := new(Runner).Run(testCtx(t), s)
		if res.Err == nil || !strings.Contains(res.Err.Error(), "disk on fire") {
			t.Errorf("Err = %v; want the input's error", res.Err)
		}
	})
	t.Run("nil-is-dev-null", func(t *testing.T) {
		var stdout bytes.Buffer
		s := helperSpec(t, "cat")
		s.Stdout = &stdout
		res := new(Runner).Run(testCtx(t), s)
		if res.ExitCode != 0 || res.Err != nil || stdout.Len() != 0 {
			t.Errorf("ExitCode, Err, stdout = %d, %v, %q; want 0, nil, empty", res.ExitCode, res.Err, stdout.String())
		}
	})
}

func TestEnvAndPathLookup(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	s := helperSpec(t, "getenv", "PARRUN_TEST_VALUE")
	// The program is found through the PATH of Env, not parrun's.
	s.Argv[0] = filepath.Base(exe)
	s.Env = append(helperEnviron("PARRUN_TEST_VALUE=from env"), "PATH="+filepath.Dir(exe))
	s.Stdout = &stdout
	res := new(Runner).Run(testCtx(t), s)
	if res.ExitCode != 0 || res.Err != nil {
		t.Fatalf("ExitCode, Err = %d, %v; want 0, nil", res.ExitCode, res.Err)
	}
	if got := stdout.String(); got != "from env" {
		t.Errorf("child's $PARRUN_TEST_VALUE = %q; want %q", got, "from env")
	}
}

func TestDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var stdout bytes.Buffer
	s := helperSpec(t, "pwd")
	s.Dir, s.Stdout = dir, &stdout
	res := new(Runner).Run(testCtx(t), s)
	if res.ExitCode != 0 || res.Err != nil {
		t.Fatalf("ExitCode, Err = %d, %v; want 0, nil", res.ExitCode, res.Err)
	}
	want, _ := filepath.EvalSymlinks(dir)
	got, _ := filepath.EvalSymlinks(stdout.String())
	if got != want {
		t.Errorf("child's working directory = %q; want %q", got, want)
	}
}

func TestCancelTerminates(t *testing.T) {
	t.Parallel()
	ready := filepath.Join(t.TempDir(), "ready")
	s := helperSpec(t, "hang", ready)
	p := start(t, context.Background(), s)
	p.waitFile(ready)
	p.cancel(errors.New("stop"))
	res := p.wait()
	if res.Signal != syscall.SIGTERM || res.ExitCode != 128+int(syscall.SIGTERM) {
		t.Errorf("Signal, ExitCode = %v, %d; want SIGTERM, %d", res.Signal, res.ExitCode, 128+int(syscall.SIGTERM))
	}
	if res.TimedOut || !res.Killed {
		t.Errorf("TimedOut, Killed = %v, %v; want false, true for a plain cancellation", res.TimedOut, res.Killed)
	}
	if res.Err != nil {
		t.Errorf("Err = %v; want nil", res.Err)
	}
}

// sigCause is a cancellation cause that names the signal to send first.
type sigCause syscall.Signal

func (c sigCause) Error() string          { return "interrupted by " + SignalName(syscall.Signal(c)) }
func (c sigCause) Signal() syscall.Signal { return syscall.Signal(c) }

func TestSignalerCausePicksFirstSignal(t *testing.T) {
	t.Parallel()
	t.Run("leader-dies-of-it", func(t *testing.T) {
		t.Parallel()
		ready := filepath.Join(t.TempDir(), "ready")
		s := helperSpec(t, "hang", ready)
		s.Terminate = []Step{{Signal: syscall.SIGHUP, Wait: tooLong}}
		p := start(t, context.Background(), s)
		p.waitFile(ready)
		p.cancel(fmt.Errorf("wrapped: %w", sigCause(syscall.SIGINT)))
		res := p.wait()
		if res.Signal != syscall.SIGINT || res.ExitCode != 130 {
			t.Errorf("Signal, ExitCode = %v, %d; want SIGINT, 130", res.Signal, res.ExitCode)
		}
	})
	t.Run("child-sees-it-first", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		ready, siglog := filepath.Join(dir, "ready"), filepath.Join(dir, "siglog")
		s := helperSpec(t, "ignore-term", ready, siglog)
		s.Terminate = []Step{{Signal: syscall.SIGTERM, Wait: tooLong}}
		p := start(t, context.Background(), s)
		p.waitFile(ready)
		p.cancel(sigCause(syscall.SIGHUP))
		if got := p.waitFile(siglog); got != "HUP" {
			t.Errorf("first signal the job got = %s; want HUP", got)
		}
		p.hurry()
		if res := p.wait(); res.Signal != syscall.SIGKILL {
			t.Errorf("Signal = %v; want SIGKILL after the cause escalated", res.Signal)
		}
	})
}

func TestTerminateEscalatesToKill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ready, siglog := filepath.Join(dir, "ready"), filepath.Join(dir, "siglog")
	const stepWait = 300 * time.Millisecond
	s := helperSpec(t, "ignore-term", ready, siglog)
	s.Terminate = []Step{{Signal: syscall.SIGTERM, Wait: stepWait}}
	p := start(t, context.Background(), s)
	p.waitFile(ready)
	cancelled := time.Now()
	p.cancel(errors.New("stop"))
	res := p.wait()
	if elapsed := time.Since(cancelled); elapsed < stepWait {
		t.Errorf("Run returned %v after cancellation; want at least the step's wait of %v", elapsed, stepWait)
	}
	if res.Signal != syscall.SIGKILL || res.ExitCode != 128+int(syscall.SIGKILL) {
		t.Errorf("Signal, ExitCode = %v, %d; want SIGKILL, %d", res.Signal, res.ExitCode, 128+int(syscall.SIGKILL))
	}
	// The child caught SIGTERM before it was killed (it had time: the
	// step's wait).
	if b, err := os.ReadFile(siglog); err != nil || string(b) != "TERM" {
		t.Errorf("signal log = %q, %v; want TERM", b, err)
	}
}

func TestTerminateSteps(t *testing.T) {
	t.Parallel()
	// A sequence of several steps: the child survives SIGTERM; the second
	// step's SIGHUP is caught too; SIGKILL ends it after the last step.
	dir := t.TempDir()
	ready, siglog := filepath.Join(dir, "ready"), filepath.Join(dir, "siglog")
	s := helperSpec(t, "ignore-term", ready, siglog)
	s.Terminate = []Step{{Signal: syscall.SIGTERM, Wait: 50 * time.Millisecond}, {Signal: syscall.SIGHUP, Wait: 50 * time.Millisecond}}
	p := start(t, context.Background(), s)
	p.waitFile(ready)
	p.cancel(errors.New("stop"))
	if res := p.wait(); res.Signal != syscall.SIGKILL {
		t.Errorf("Signal = %v; want SIGKILL after the last step", res.Signal)
	}
}

func TestEscalationHurries(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ready, siglog := filepath.Join(dir, "ready"), filepath.Join(dir, "siglog")
	s := helperSpec(t, "ignore-term", ready, siglog)
	// A step far longer than the test may take: only the escalation can end it.
	s.Terminate = []Step{{Signal: syscall.SIGTERM, Wait: tooLong}}
	p := start(t, context.Background(), s)
	p.waitFile(ready)
	p.cancel(errors.New("stop"))
	if got := p.waitFile(siglog); got != "TERM" {
		t.Errorf("first signal = %s; want TERM", got)
	}
	p.hurry()
	res := p.wait()
	if res.Signal != syscall.SIGKILL || res.ExitCode != 137 {
		t.Errorf("Signal, ExitCode = %v, %d; want SIGKILL, 137", res.Signal, res.ExitCode)
	}
}

func TestTimeoutKillsGroup(t *testing.T) {
	t.Parallel()
	// The grandchild must have started before the time-out for the test
	// to say anything; on a slow machine retry with a longer time-out.
	for _, timeout := range []time.Duration{300 * time.Millisecond, 2 * time.Second, 8 * time.Second} {
		pidfile := filepath.Join(t.TempDir(), "pid")
		var stdout syncBuffer // a pipe the grandchild holds too
		s := helperSpec(t, "fork-grandchild", pidfile)
		s.Stdout = &stdout
		s.Timeout = timeout
		s.Terminate = []Step{{Signal: syscall.SIGTERM, Wait: 500 * time.Millisecond}}
		res := new(Runner).Run(testCtx(t), s)
		b, err := os.ReadFile(pidfile)
		if err != nil {
			t.Logf("grandchild not started within %v; retrying with a longer time-out", timeout)
			continue
		}
		if !res.TimedOut || !res.Killed {
			t.Errorf("TimedOut, Killed = %v, %v; want true, true", res.TimedOut, res.Killed)
		}
		if !res.Failed() {
			t.Errorf("Failed() = false; want true")
		}
		if res.Signal != syscall.SIGTERM || res.ExitCode != 143 {
			t.Errorf("Signal, ExitCode = %v, %d; want SIGTERM, 143", res.Signal, res.ExitCode)
		}
		if res.Duration < timeout {
			t.Errorf("Duration = %v; want at least the time-out %v", res.Duration, timeout)
		}
		pid, err := strconv.Atoi(string(b))
		if err != nil {
			t.Fatal(err)
		}
		waitDead(t, pid)
		return
	}
	t.Fatalf("the grandchild never started before the time-out")
}

// waitDead waits until pid is gone or a zombie (dead, its new parent not
// having reaped it yet); the signal that kills it is asynchronous.
func waitDead(t *testing.T, pid int) {
	t.Helper()
	deadline := testDeadline(t)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("process %d outlived its job's process group", pid)
		}
		time.Sleep(5 * time.Millisecond) // polling the kernel's state of pid, not synchronising with the code under test
	}
}

func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) STATE ...: comm may hold spaces and parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || (s[i+2] != 'Z' && s[i+2] != 'X')
}

func TestTimeoutNotReached(t *testing.T) {
	t.Parallel()
	s := helperSpec(t, "exit", "0")
	s.Timeout = tooLong
	res := new(Runner).Run(testCtx(t), s)
	if res.ExitCode != 0 || res.TimedOut || res.Failed() {
		t.Errorf("ExitCode, TimedOut, Failed() = %d, %v, %v; want 0, false, false", res.ExitCode, res.TimedOut, res.Failed())
	}
}

func TestConcurrentRuns(t *testing.T) {
	t.Parallel()
	// One Runner is safe for concurrent use.
	var r Runner
	done := make(chan *Result)
	ctx := testCtx(t)
	const n = 8
	for i := range n {
		s := helperSpec(t, "exit", strconv.Itoa(i))
		go func() { done <- r.Run(ctx, s) }()
	}
	seen := map[int]bool{}
	for range n {
		seen[(<-done).ExitCode] = true
	}
	for i := range n {
		if !seen[i] {
			t.Errorf("no job exited %d; want one of each 0..%d", i, n-1)
		}
	}
}

// killPidFile kills, at the end of the test, the process whose pid the
// file holds (a grandchild that escaped the job's process group).
func killPidFile(t *testing.T, path string) {
	t.Cleanup(func() {
		if b, err := os.ReadFile(path); err == nil {
			if pid, err := strconv.Atoi(string(b)); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
}

// TestCancelWithEscapedGrandchild: a grandchild that left the job's process
// group (setsid) and holds its output pipe does not keep Run from returning
// once the job was cancelled.
func TestCancelWithEscapedGrandchild(t *testing.T) {
	t.Parallel()
	pidfile := filepath.Join(t.TempDir(), "pid")
	killPidFile(t, pidfile)
	var stdout syncBuffer
	s := helperSpec(t, "fork-grandchild", pidfile, "setsid")
	s.Stdout = &stdout
	p := start(t, context.Background(), s)
	p.waitFile(pidfile)
	p.cancel(errors.New("stop"))
	res := p.wait()
	if res.Signal != syscall.SIGTERM || !res.Killed {
		t.Errorf("Signal, Killed = %v, %v; want SIGTERM, true", res.Signal, res.Killed)
	}
	if !strings.Contains(stdout.String(), "leader done") {
		t.Errorf("stdout = %q; want the leader's output", stdout.String())
	}
}

// TestBackgroundGrandchildDoesNotBlock: a job whose leader exits while a
// process it left in the background still holds the output pipe ends
// within a bounded time (STYLE habit 3: WaitDelay as the backstop that
// closes pipes; an orphan holding the pipe after a successful exit is not
// a failure).
func TestBackgroundGrandchildDoesNotBlock(t *testing.T) {
	t.Parallel()
	pidfile := filepath.Join(t.TempDir(), "pid")
	var stdout syncBuffer
	s := helperSpec(t, "fork-grandchild", pidfile, "exit")
	s.Stdout = &stdout
	p := start(t, context.Background(), s)
	p.waitFile(pidfile)
	// Generous next to DefaultKillAfter, the natural WaitDelay.
	bound := DefaultKillAfter + 8*time.Second
	timer := time.NewTimer(bound)
	defer timer.Stop()
	select {
	case p.res = <-p.done:
	case <-timer.C:
		// Release Run by killing the grandchild, then fail.
		b, _ := os.ReadFile(pidfile)
		pid, _ := strconv.Atoi(string(b))
		syscall.Kill(pid, syscall.SIGKILL)
		res := p.wait()
		t.Fatalf("Run had not returned %v after the job's leader exited (its background grandchild held stdout); "+
			"it returned only once the grandchild was killed (exit %d, err %v)", bound, res.ExitCode, res.Err)
	}
	res := p.res
	if res.ExitCode != 0 || res.Err != nil || res.Failed() {
		t.Errorf("ExitCode, Err, Failed() = %d, %v, %v; want 0, nil, false", res.ExitCode, res.Err, res.Failed())
	}
	if !strings.Contains(stdout.String(), "leader done") {
		t.Errorf("stdout = %q; want the leader's output", stdout.String())
	}
}

// TestEscalationDuringTimeout: a time-out started the sequence, then the
// run's own context is cancelled with an escalating cause (a Ctrl-C, then
// a second): the job is killed at once, not after the step's wait.
func TestEscalationDuringTimeout(t *testing.T) {
	t.Parallel()
	// The child must have installed its handler before the time-out; on a
	// slow machine retry with a longer one.
	for _, timeout := range []time.Duration{300 * time.Millisecond, 2 * time.Second, 8 * time.Second} {
		dir := t.TempDir()
		ready, siglog := filepath.Join(dir, "ready"), filepath.Join(dir, "siglog")
		s := helperSpec(t, "ignore-term", ready, siglog)
		s.Timeout = timeout
		s.Terminate = []Step{{Signal: syscall.SIGTERM, Wait: tooLong}}
		ctx, cancel := context.WithCancelCause(context.Background())
		kill := make(chan struct{})
		done := make(chan *Result, 1)
		go func() { done <- new(Runner).Run(ctx, s) }()
		for !fileExists(siglog) {
			select {
			case res := <-done:
				if fileExists(ready) {
					t.Fatalf("job ended (exit %d) before its siglog", res.ExitCode)
				}
				t.Logf("handler not installed within %v; retrying with a longer time-out", timeout)
			case <-time.After(10 * time.Millisecond):
				continue
			}
			break
		}
		if !fileExists(siglog) {
			cancel(nil)
			continue
		}
		cancel(escalating{errors.New("interrupted"), kill})
		close(kill)
		res := <-done
		if res.Signal != syscall.SIGKILL || !res.TimedOut {
			t.Errorf("Signal, TimedOut = %v, %v; want SIGKILL, true", res.Signal, res.TimedOut)
		}
		return
	}
	t.Fatal("the child never installed its handler before the time-out")
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}
