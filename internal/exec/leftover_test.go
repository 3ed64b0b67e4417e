package exec

import (
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEndedByItselfIsNotStopped: a job whose leader exits by itself before
// its time-out fires is not stopped or timed out, even though a process it
// left behind holds its stdout past the time-out (issue 18 item 2: it was
// "exit_code":0,"timed_out":true). The leftover is killed with the group.
func TestEndedByItselfIsNotStopped(t *testing.T) {
	t.Parallel()
	// The leader must exit before the time-out for the test to say
	// anything; on a slow machine retry with a longer one.
	for _, timeout := range []time.Duration{500 * time.Millisecond, 2 * time.Second, 8 * time.Second} {
		pidfile := filepath.Join(t.TempDir(), "pid")
		var stdout syncBuffer // held by the grandchild
		s := helperSpec(t, "fork-grandchild", pidfile, "exit")
		s.Stdout = &stdout
		s.Timeout = timeout
		s.WaitDelay = tooLong // only the time-out ends the reading
		res := new(Runner).Run(testCtx(t), s)
		if res.Killed {
			t.Logf("the leader was still running at the %v time-out; retrying with a longer one", timeout)
			continue
		}
		if res.TimedOut || res.ExitCode != 0 || res.Failed() {
			t.Errorf("TimedOut %v, exit %d, err %v; want a job that ended by itself with 0", res.TimedOut, res.ExitCode, res.Err)
		}
		if !strings.Contains(stdout.String(), "leader done") {
			t.Errorf("stdout %q; want the leader's line", stdout.String())
		}
		waitDead(t, pidOf(t, pidfile))
		return
	}
	t.Fatal("the leader never exited before the time-out")
}

// TestLeftoverKilled: a process a job leaves in the background dies when
// the job ends (issue 18 item 3c), unless KeepBackground says otherwise.
func TestLeftoverKilled(t *testing.T) {
	t.Parallel()
	for _, keep := range []bool{false, true} {
		pidfile := filepath.Join(t.TempDir(), "pid")
		s := helperSpec(t, "fork-grandchild", pidfile, "exit")
		s.KeepBackground = keep
		if res := new(Runner).Run(testCtx(t), s); res.ExitCode != 0 || res.Killed {
			t.Fatalf("keep=%v: exit %d, killed %v; want 0 by itself", keep, res.ExitCode, res.Killed)
		}
		pid := pidOf(t, pidfile)
		if !keep {
			waitDead(t, pid)
			continue
		}
		if !alive(pid) {
			t.Errorf("with KeepBackground the leftover %d died", pid)
		}
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// TestReaperKillsHeldGroups: the reaper SIGKILLs the groups it holds when
// its input ends, and leaves alone the ones it was told are finished.
func TestReaperKillsHeldGroups(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for range 2 {
		p := helperSpec(t, "hang", filepath.Join(t.TempDir(), "ready"))
		cmd := osexec.Command(p.Argv[0], p.Argv[1:]...)
		cmd.Env, cmd.SysProcAttr = p.Env, OwnGroup()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		pids = append(pids, cmd.Process.Pid)
	}
	r := &Reaper{Exe: exe}
	r.Add(pids[0])
	r.Add(pids[1])
	r.Remove(pids[1])
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitDead(t, pids[0])
	if !alive(pids[1]) {
		t.Errorf("the group the reaper was told was finished was killed")
	}
}

func pidOf(t *testing.T, pidfile string) int {
	t.Helper()
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}
