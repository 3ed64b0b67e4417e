package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/parrun/parrun/internal/exec"
)

// sshdUsable is the script condition [sshd]: whether sshd-start can run
// an OpenSSH server here. Scripts say "[!sshd] skip <why>", so that
// without sshd (or without root, which its privilege separation needs)
// they are skipped with a reason. With PARRUN_REQUIRE_SSHD=1, set by
// .ci/run, an unusable sshd is an error instead: CI never passes these
// scripts by skipping them.
func sshdUsable() (bool, error) {
	why := ""
	switch {
	case sshdPath() == "":
		why = "no sshd on PATH or in /usr/sbin"
	case os.Geteuid() != 0:
		why = "not root"
	default:
		for _, tool := range []string{"ssh", "ssh-keygen", "pkill"} {
			if _, err := osexec.LookPath(tool); err != nil {
				why = "no " + tool + " on PATH"
			}
		}
	}
	if why == "" {
		// sshd refuses to start without its privilege-separation directory.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			why = err.Error()
		}
	}
	if why != "" && os.Getenv("PARRUN_REQUIRE_SSHD") != "" {
		return false, fmt.Errorf("sshd cannot be started (%s), and PARRUN_REQUIRE_SSHD is set", why)
	}
	return why == "", nil
}

func sshdPath() string { return sbinPath("sshd") }

// cmdSSHDStart is the script command "sshd-start" (after [sshd]): a real
// OpenSSH server on loopback for the scale-out scripts (SPEC §8, issue 8),
// owned by the script: throw-away host and user keys, its own config, a
// free port; it is killed and reaped when the script ends. It then puts an
// "ssh" first on PATH that reaches it as host "sshhost" (and as sshhost2
// and sshhost3, for scripts that need several hosts; ssh reads ~/.ssh
// from the passwd entry, not $HOME, so a script cannot use its own
// ~/.ssh/config), and writes $WORK/ssh/kill-sshd, which kills the server
// and its sessions as a crashed machine would. Its arguments, if any,
// are sshd_config lines that come before the usual ones (sshd keeps a
// keyword's first value): sshd-start 'MaxSessions 1'.
//
// The remote side's login directory is $WORK/remote (sshd's ForceCommand
// changes into it before running the command), so that files transferred
// "to the host" do not land where the local copies are. It is also the
// session's HOME, so that the login shell does not run this machine's
// ~/.bashrc: root's here runs "pyenv rehash", whose lock file a session
// killed by kill-sshd leaves behind, and every later session then waits
// 60 s for it (CI saw "no Hello within 30s").
func cmdSSHDStart(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: sshd-start ['sshd_config line'...]")
	}
	sshd := sshdPath()
	work := ts.Getenv("WORK")
	dir := filepath.Join(work, "ssh")
	remote := filepath.Join(work, "remote")
	for _, d := range []string{dir, filepath.Join(dir, "bin"), remote} {
		ts.Check(os.MkdirAll(d, 0o755))
	}
	for _, k := range []string{"hostkey", "userkey"} {
		if _, err := os.Stat(filepath.Join(dir, k)); err == nil {
			continue // a second server in the same script
		}
		out, err := osexec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput()
		if err != nil {
			ts.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, "userkey.pub"))
	ts.Check(err)
	ts.Check(os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600))

	// A free port: taken from the kernel, then released for sshd.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	user := "root"
	// The script's own lines go first: sshd takes a keyword's first value.
	extra := strings.Join(append(args, ""), "\n")
	ts.Check(os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(extra+fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %[2]s/hostkey
AuthorizedKeysFile %[2]s/authorized_keys
PidFile none
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
MaxSessions 200
MaxStartups 200
SetEnv HOME=%[3]s
ForceCommand cd %[3]s && exec sh -c "$SSH_ORIGINAL_COMMAND"
`, port, dir, remote)), 0o644))
	ts.Check(os.WriteFile(filepath.Join(dir, "ssh_config"), []byte(fmt.Sprintf(`Host sshhost sshhost2 sshhost3
  HostName 127.0.0.1
  Port %d
  User %s
  IdentityFile %s/userkey
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
`, port, user, dir)), 0o644))
	sshPath, _ := osexec.LookPath("ssh")
	ts.Check(os.WriteFile(filepath.Join(dir, "bin", "ssh"),
		[]byte(fmt.Sprintf("#!/bin/sh\nexec %s -F %s/ssh_config \"$@\"\n", sshPath, dir)), 0o755))

	cmd := osexec.Command(sshd, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	cmd.SysProcAttr = exec.OwnGroup()
	stderr, err := cmd.StderrPipe()
	ts.Check(err)
	if err := cmd.Start(); err != nil {
		ts.Fatalf("starting %s: %v", sshd, err)
	}
	exited := make(chan struct{})
	ready := make(chan error, 1)
	logf, err := os.Create(filepath.Join(dir, "sshd.log"))
	ts.Check(err)
	go func() {
		// sshd says when it listens; the rest of its log goes to a file.
		defer close(exited)
		sc := bufio.NewScanner(stderr)
		said := false
		for sc.Scan() {
			fmt.Fprintln(logf, sc.Text())
			if !said && strings.Contains(sc.Text(), "Server listening on") {
				said = true
				ready <- nil
			}
		}
		if !said {
			ready <- fmt.Errorf("sshd exited: see %s/sshd.log", dir)
		}
		cmd.Wait()
		logf.Close()
	}()
	ts.Defer(func() {
		killTree(cmd.Process.Pid)
		<-exited
	})
	select {
	case err := <-ready:
		if err != nil {
			log, _ := os.ReadFile(filepath.Join(dir, "sshd.log"))
			ts.Fatalf("%v: %s", err, strings.TrimSpace(string(log)))
		}
	case <-time.After(30 * time.Second):
		ts.Fatalf("sshd did not say it listens within 30s")
	}
	// Every process below sshd, stopped top-down so none forks meanwhile,
	// then killed; the script spares itself, which may be a remote job.
	ts.Check(os.WriteFile(filepath.Join(dir, "kill-sshd"), []byte(fmt.Sprintf(`#!/bin/sh
# Kill the ssh server and every process below it, as a crashed machine would.
tree() {
	kill -STOP "$1" 2>/dev/null
	for c in $(pgrep -P "$1"); do [ "$c" = $$ ] || tree "$c"; done
	kill -KILL "$1" 2>/dev/null
}
tree %d
true
`, cmd.Process.Pid)), 0o755))
	ts.Setenv("PATH", filepath.Join(dir, "bin")+string(os.PathListSeparator)+ts.Getenv("PATH"))
	ts.Setenv("SSHD_PORT", fmt.Sprint(port))
}

// killTree SIGKILLs pid and every process below it (sshd's sessions call
// setsid, so its process group does not hold them).
func killTree(pid int) {
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var p, pp int
		if _, err := fmt.Sscan(e.Name(), &p); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The command name is in parentheses and may hold spaces.
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 {
			var state string
			fmt.Sscan(s[i+1:], &state, &pp)
			children[pp] = append(children[pp], p)
		}
	}
	var kill func(int)
	kill = func(p int) {
		syscall.Kill(p, syscall.SIGKILL)
		for _, c := range children[p] {
			kill(c)
		}
	}
	kill(pid)
}

// cmdExits is the script command "exits N PROG [ARGS...]": it runs PROG as
// exec does (its stdout and stderr are then what stdout and stderr check)
// and fails unless its exit status is N.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad status %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *osexec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}
