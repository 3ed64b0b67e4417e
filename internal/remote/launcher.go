package remote

import (
	"bytes"
	"context"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/job"
	"github.com/parrun/parrun/internal/msg"
)

// A Launcher runs commands on one host. Command returns the local argv
// that runs words there, each word arriving as it is (the launcher's own
// quoting is taken care of), with the command's stdin and stdout connected
// to the local process's.
type Launcher interface {
	Command(slot int, words ...string) []string
}

// sshOptions are given to every ssh: no password or host-key prompt (an
// error instead), no terminal, no X11, and no escape character, so the
// frames of the worker protocol pass untouched.
var sshOptions = []string{"-T", "-x", "-e", "none", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"}

// SSH reaches a host through the ssh on the PATH (or the login's own ssh
// command). Connect starts a master connection that every later command
// shares (ControlMaster); without it, each command opens its own.
type SSH struct {
	Login Login

	mu     sync.Mutex
	dir    string // holds the control socket
	ctl    string // ControlPath, "" without a master
	master *osexec.Cmd
	exited chan struct{} // closed when the master has been reaped
}

// base is the ssh command up to and including the destination.
func (s *SSH) base(extra ...string) []string {
	argv := append(append([]string{}, s.Login.SSH...), sshOptions...)
	argv = append(argv, extra...)
	if s.Login.Port != "" {
		argv = append(argv, "-p", s.Login.Port)
	}
	return append(argv, s.Login.Dest)
}

// Command implements Launcher. ssh joins its arguments into one line for
// the remote shell, so each word is quoted for it.
func (s *SSH) Command(_ int, words ...string) []string {
	s.mu.Lock()
	ctl := s.ctl
	s.mu.Unlock()
	var argv []string
	if ctl != "" {
		argv = s.base("-o", "ControlMaster=no", "-o", "ControlPath="+ctl)
	} else {
		argv = s.base()
	}
	for _, w := range words {
		argv = append(argv, job.Quote(w))
	}
	return argv
}

// connectWait bounds how long Connect waits for the master to be ready:
// beyond ConnectTimeout, for the authentication itself.
const connectWait = 30 * time.Second

// connectMaster opens the master connection and returns once it is
// ready; the error carries ssh's own words. ctx bounds the wait only;
// Close stops the master.
func (s *SSH) connectMaster(ctx context.Context) error {
	dir, err := socketDir()
	if err != nil {
		return err
	}
	ctl := filepath.Join(dir, "ctl")
	var stderr bytes.Buffer
	argv := s.base("-M", "-N", "-o", "ControlPersist=no", "-o", "ControlPath="+ctl)
	cmd := osexec.Command(argv[0], argv[1:]...)
	cmd.Stderr = &stderr
	// Its own group, as workers: the terminal's Ctrl-C is parrun's to
	// handle. It dies with parrun.
	cmd.SysProcAttr = exec.OwnGroup()
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("host %s: starting %s: %w", s.Login.Raw, cmd.Path, err)
	}
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		cmd.Wait()
	}()
	s.mu.Lock()
	s.dir, s.master, s.exited = dir, cmd, exited
	s.mu.Unlock()

	// The socket appears once the master has logged in. ssh has no other
	// way to say so, hence the polling; the master's exit ends it early.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	limit := time.NewTimer(connectWait)
	defer limit.Stop()
	for {
		select {
		case <-exited:
			text := strings.TrimSpace(stderr.String())
			if text == "" {
				text = cmd.ProcessState.String()
			}
			return fmt.Errorf("host %s: ssh cannot connect: %s", s.Login.Raw, msg.OneLine(text))
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-limit.C:
			return fmt.Errorf("host %s: ssh did not log in within %v", s.Login.Raw, connectWait)
		case <-tick.C:
			if fi, err := os.Stat(ctl); err == nil && fi.Mode()&os.ModeSocket != 0 {
				s.mu.Lock()
				s.ctl = ctl
				s.mu.Unlock()
				return nil
			}
		}
	}
}

// Close stops the master connection, if any, and reaps it. Call it after
// the host's workers are closed: their sessions end with it.
func (s *SSH) Close() error {
	s.mu.Lock()
	cmd, exited, dir := s.master, s.exited, s.dir
	s.master, s.ctl = nil, ""
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	return os.RemoveAll(dir)
}

// socketDir makes a private directory for a control socket. A socket's
// path must fit in 108 bytes, so a long $TMPDIR gives way to /tmp.
func socketDir() (string, error) {
	base := os.TempDir()
	if len(base) > 60 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "parrun-ssh-")
	if err != nil {
		return "", fmt.Errorf("making a directory for ssh's control socket: %w", err)
	}
	return dir, nil
}

// A WorkerCmd is a --worker-cmd launcher: a shell command prefix in which
// {host} and {slot} are replaced, and to which the words to run are
// appended, quoted (SPEC §9: the template is a prefix).
type WorkerCmd struct {
	Template string
	Host     string
	// Shell runs the template; "" is /bin/sh.
	Shell string
}

// Command implements Launcher.
func (w *WorkerCmd) Command(slot int, words ...string) []string {
	line := strings.NewReplacer("{host}", job.Quote(w.Host), "{slot}", strconv.Itoa(slot)).Replace(w.Template)
	sh := w.Shell
	if sh == "" {
		sh = "/bin/sh"
	}
	return []string{sh, "-c", line + " " + job.QuoteArgs(words)}
}
