//go:build linux

package exec

// Tests of Spec.Signals, --memsuspend's SIGSTOP and SIGCONT. They read
// the jobs' process states from /proc, hence Linux only.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// quiet is how long a stopped job is watched for output it should not
// write. Absence cannot be handshaked: the job is known to be stopped (its
// state is T) before the window opens, and the window spans several of its
// 50 ms ticks, so a job that kept running would show.
const quiet = 300 * time.Millisecond

// signal passes sig to the job through its Spec.Signals channel, failing
// the test if the job ends first or the deadline passes.
func (p *running) signal(sigs chan<- syscall.Signal, sig syscall.Signal) {
	p.t.Helper()
	deadline := time.NewTimer(time.Until(testDeadline(p.t)))
	defer deadline.Stop()
	select {
	case sigs <- sig:
	case res := <-p.done:
		p.res = res
		p.t.Fatalf("job ended (exit %d, signal %v, err %v) before it got %v", res.ExitCode, res.Signal, res.Err, sig)
	case <-deadline.C:
		p.t.Fatalf("timed out passing %v to the job", sig)
	}
}

// poll waits until cond holds, failing the test with what if the job ends
// first or the deadline passes. It polls the kernel's or the file
// system's view of the job, which gives no notice of changes.
func (p *running) poll(what string, cond func() bool) {
	p.t.Helper()
	if !p.pollFor(what, time.Until(testDeadline(p.t)), cond) {
		p.t.Fatalf("timed out waiting until %s", what)
	}
}

// stopWait bounds how long a job may take to show as stopped after
// SIGSTOP. The kernel stops it within milliseconds; the bound only keeps a
// lost stop from holding the test binary until its deadline.
const stopWait = 20 * time.Second

// stop passes SIGSTOP to the job and waits until pid is stopped. A stop
// not seen within stopWait is reported with the kernel's view of pid
// (its signal masks), and SIGSTOP is passed once more. CI once saw a job
// never stop in an hour of polling, which 300 local runs under -race did
// not reproduce; a SIGCONT from outside the job (a process signalling a
// recycled group id) undoing the stop within a poll's 2 ms is the one
// cause found to fit. A job the second SIGSTOP does not stop either fails
// the test, with both reports.
func (p *running) stop(sigs chan<- syscall.Signal, pid int) {
	p.t.Helper()
	for try := 1; ; try++ {
		p.signal(sigs, syscall.SIGSTOP)
		if p.pollFor("the job is stopped", stopWait, func() bool { return procState(pid) == 'T' }) {
			return
		}
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if try == 2 {
			p.t.Fatalf("the job is not stopped %v after a second SIGSTOP; /proc/%d/status:\n%s", stopWait, pid, status)
		}
		p.t.Logf("the job is not stopped %v after SIGSTOP; /proc/%d/status:\n%s", stopWait, pid, status)
	}
}

// pollFor is poll bounded by d instead of the test's deadline: it
// reports whether cond came to hold within d.
func (p *running) pollFor(what string, d time.Duration, cond func() bool) bool {
	p.t.Helper()
	deadline := time.NewTimer(min(d, time.Until(testDeadline(p.t))))
	defer deadline.Stop()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case res := <-p.done:
			p.res = res
			p.t.Fatalf("job ended (exit %d, signal %v, err %v) while waiting until %s", res.ExitCode, res.Signal, res.Err, what)
		case <-deadline.C:
			return cond()
		case <-tick.C:
		}
	}
	return true
}

// procState returns the state letter of pid from /proc/pid/stat ('R',
// 'S', 'T' for stopped, …), or 0 when it cannot be read.
func procState(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// pid (comm) STATE ...: comm may hold spaces and parentheses.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2]
	}
	return 0
}

func fileSize(name string) int64 {
	fi, err := os.Stat(name)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// readPid parses the pid a job wrote to its ready file.
func readPid(t *testing.T, s string) int {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		t.Fatalf("ready file: %v", err)
	}
	return pid
}

// TestSignalsSuspendResume: SIGSTOP through Spec.Signals stops the whole
// job (its output stops growing), SIGCONT resumes it, and a cancelled job
// still ends by the termination sequence's SIGTERM.
func TestSignalsSuspendResume(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ready, ticks := filepath.Join(dir, "ready"), filepath.Join(dir, "ticks")
	// A shell leader and its sleep children: SIGSTOP must reach the group.
	const script = `echo $$ > "$1.tmp" && mv "$1.tmp" "$1"
while :; do echo tick >> "$2"; sleep 0.05; done`
	sigs := make(chan syscall.Signal)
	s := &Spec{Argv: []string{"/bin/sh", "-c", script, "sh", ready, ticks}, Signals: sigs}
	p := start(t, context.Background(), s)
	pid := readPid(t, p.waitFile(ready))
	p.poll("the job ticks", func() bool { return fileSize(ticks) > 0 })

	p.stop(sigs, pid)
	n := fileSize(ticks)
	time.Sleep(quiet) // see quiet
	if got := fileSize(ticks); got != n {
		t.Errorf("a stopped job's output grew from %d to %d bytes in %v", n, got, quiet)
	}

	p.signal(sigs, syscall.SIGCONT)
	p.poll("the job ticks again", func() bool { return fileSize(ticks) > n })

	p.cancel(errors.New("stop"))
	res := p.wait()
	if res.Signal != syscall.SIGTERM || res.ExitCode != 128+int(syscall.SIGTERM) || !res.Killed {
		t.Errorf("Signal, ExitCode, Killed = %v, %d, %v; want SIGTERM, %d, true", res.Signal, res.ExitCode, res.Killed, 128+int(syscall.SIGTERM))
	}
	if res.Err != nil {
		t.Errorf("Err = %v; want nil", res.Err)
	}
}

// TestSignalsStoppedJobTerminates: a job left stopped and then cancelled
// dies of the sequence's first signal (it gets SIGCONT after it), not of
// the SIGKILL after the step's long wait.
func TestSignalsStoppedJobTerminates(t *testing.T) {
	t.Parallel()
	const (
		stepWait = 10 * time.Second
		bound    = stepWait / 2 // well within the wait, generous for a slow machine
	)
	ready := filepath.Join(t.TempDir(), "ready")
	sigs := make(chan syscall.Signal)
	s := helperSpec(t, "hang", ready)
	s.Signals = sigs
	s.Terminate = []Step{{Signal: syscall.SIGTERM, Wait: stepWait}}
	p := start(t, context.Background(), s)
	pid := readPid(t, p.waitFile(ready))

	p.stop(sigs, pid)

	cancelled := time.Now()
	p.cancel(errors.New("stop"))
	res := p.wait()
	if elapsed := time.Since(cancelled); elapsed >= bound {
		t.Errorf("a stopped job ended %v after cancellation; want well within the step's wait of %v", elapsed, stepWait)
	}
	if res.Signal != syscall.SIGTERM || res.ExitCode != 128+int(syscall.SIGTERM) || !res.Killed {
		t.Errorf("Signal, ExitCode, Killed = %v, %d, %v; want SIGTERM, %d, true", res.Signal, res.ExitCode, res.Killed, 128+int(syscall.SIGTERM))
	}
}
