package remote

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	osexec "os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/msg"
)

// Connect makes the host ready for its workers and returns once it is.
// It opens the master connection every worker's session then shares.
// The master is an optimisation: when ssh cannot hold one (an ssh shim
// that refuses -M, a server that ends it) but a plain session starts, the
// host runs without it, each worker logging in on its own, and note says
// so; when the server takes fewer sessions over the master than the host
// has slots (sshd's MaxSessions; looked for only above its default of
// 10, as each look costs a session per slot), the same. An error means the host
// cannot be reached at all (the error carries ssh's own words); the
// caller leaves the host out.
func (s *SSH) Connect(ctx context.Context) (note string, err error) {
	merr := s.connectMaster(ctx)
	if cerr := context.Cause(ctx); cerr != nil {
		return "", cerr
	}
	if merr == nil {
		n := min(s.Login.Slots, maxMuxProbe)
		if n <= defaultMaxSessions {
			return "", nil // what every sshd takes unless told otherwise
		}
		refused := s.muxRefused(ctx, n)
		if refused == 0 {
			return "", nil
		}
		s.Close() // its sessions would each fall back to a login of their own anyway
		return fmt.Sprintf("host %s: the server refused %d of %d sessions over one ssh connection (sshd's MaxSessions): each worker logs in on its own",
			s.Login.Raw, refused, n), nil
	}
	s.Close()
	if unreachable.MatchString(merr.Error()) {
		return "", merr // a plain session would meet the same
	}
	if err := s.plainSession(ctx); err != nil {
		return "", err
	}
	return fmt.Sprintf("%v; a plain session works: each worker logs in on its own", masterWords(merr)), nil
}

// Connect opens one session per slot over a new master, to see whether
// the server takes them all, when the host has more slots than
// defaultMaxSessions (OpenSSH's), at most maxMuxProbe. Below, a server set
// lower still works: ssh then logs in on its own, saying so on stderr.
const (
	defaultMaxSessions = 10
	maxMuxProbe        = 64
)

// unreachable matches the words of ssh failures that no other way of
// logging in would get past.
var unreachable = regexp.MustCompile(`Connection refused|Connection timed out|No route to host|Could not resolve hostname|Network is unreachable|Permission denied|Host key verification failed`)

// masterWords rephrases a master's failure: it is no longer about the host.
func masterWords(err error) string {
	return strings.Replace(err.Error(), "ssh cannot connect", "no shared ssh connection", 1)
}

// plainSession logs in once without a master and runs true.
func (s *SSH) plainSession(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, connectWait)
	defer cancel()
	argv := append(s.base(), "true")
	var stderr bytes.Buffer
	cmd := osexec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stderr = &stderr
	cmd.SysProcAttr = exec.OwnGroup()
	if err := cmd.Run(); err != nil {
		text := strings.TrimSpace(stderr.String())
		if text == "" {
			text = err.Error()
		}
		return fmt.Errorf("host %s: ssh cannot connect: %s", s.Login.Raw, msg.OneLine(text))
	}
	return nil
}

// muxRefusedText is what ssh says when the master's server refuses it a
// session; ssh then logs in on its own instead.
const muxRefusedText = "mux_client_request_session: session request failed"

// muxRefused opens n sessions over the master at once, each held open
// until all have started, and counts those the server refused. A session
// that fails otherwise is the workers' to report, as without the probe.
func (s *SSH) muxRefused(ctx context.Context, n int) int {
	ctx, cancel := context.WithTimeout(ctx, connectWait)
	defer cancel()
	probes := make([]*muxProbe, n)
	var wg sync.WaitGroup
	for i := range probes {
		p := &muxProbe{}
		probes[i] = p
		wg.Go(func() { p.start(ctx, s.Command(0, "sh", "-c", "echo ok; exec cat >/dev/null")) })
	}
	wg.Wait() // every session has started, or failed to
	refused := 0
	for _, p := range probes {
		p.finish()
		if strings.Contains(p.stderr.String(), muxRefusedText) {
			refused++
		}
	}
	return refused
}

// muxProbe is one session muxRefused holds open.
type muxProbe struct {
	cmd    *osexec.Cmd
	stdin  io.WriteCloser
	stderr bytes.Buffer
}

// start starts the session and returns once it has said something (or
// failed to start).
func (p *muxProbe) start(ctx context.Context, argv []string) {
	p.cmd = osexec.CommandContext(ctx, argv[0], argv[1:]...)
	p.cmd.Stderr = &p.stderr
	p.cmd.SysProcAttr = exec.OwnGroup()
	p.cmd.WaitDelay = time.Second
	out, err := p.cmd.StdoutPipe()
	if err == nil {
		p.stdin, err = p.cmd.StdinPipe()
	}
	if err == nil {
		err = p.cmd.Start()
	}
	if err != nil {
		p.cmd = nil
		return
	}
	bufio.NewReader(out).ReadString('\n')
}

// finish ends the session and reaps it.
func (p *muxProbe) finish() {
	if p.cmd != nil {
		p.stdin.Close()
		p.cmd.Wait()
	}
}
