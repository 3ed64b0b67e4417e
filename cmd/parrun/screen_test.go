package main

import (
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() { scriptCmds["screen"] = cmdScreen }

// The terminal the screen scripts run in, and how long they wait for it.
const (
	screenCols, screenRows = 120, 30
	// screenTimeout bounds each wait: for a file, for the screen to show
	// something, for the command's end.
	screenTimeout = 90 * time.Second
	screenPoll    = 20 * time.Millisecond
	// screenDone is the pane title the wrapper sets once the command has
	// ended and its rc line is written: tmux handles a pane's output in
	// order, so the title says the screen is final.
	screenDone = "parrun-screen-done"
)

// screenArgs are the parsed arguments of a screen command.
type screenArgs struct {
	after   string // wait for this file (made by a job) first
	until   *regexp.Regexp
	keys    []string // then type these (tmux key names)
	signal  syscall.Signal
	touch   string // or make this file
	cols    int    // the terminal's width
	command string
}

// cmdScreen is the script command
//
//	screen [-cols N] [-after FILE] [-until REGEX] [-keys 'KEY...' | -signal SIG | -touch FILE] 'SHELL COMMAND'
//
// It runs the shell command (bash) in a terminal of its own, a private
// tmux server's 120×30 pane (N×30 with -cols), with the script's environment (PATH finds
// the test's parrun, PARRUN_MODE picks the mode) and directory, followed
// by echo "rc=$?". Optionally it first waits for FILE to exist and for
// the screen to match REGEX (that mid-run screen goes to stderr), then
// types KEYs (tmux send-keys: C-c), sends SIG (TERM, INT, HUP, QUIT) to
// the parrun the shell started, or makes FILE. It waits for the command's
// end and writes the final screen to stdout, without its trailing empty
// lines, for stdout and cmp. The tmux server is killed when the script
// ends. Scripts guard it with [!screen] skip (tmux and bash are there).
func cmdScreen(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("screen: no negation; assert on its stdout")
	}
	a := parseScreenArgs(ts, args)
	s := startScreen(ts, a.cols, a.command)
	if a.after != "" {
		path := ts.MkAbs(a.after)
		s.waitFor("file "+a.after, func() bool {
			_, err := os.Stat(path)
			return err == nil
		})
	}
	if a.until != nil {
		var mid string
		s.waitFor(fmt.Sprintf("the screen to match %q", a.until), func() bool {
			mid = s.capture()
			return a.until.MatchString(mid)
		})
		fmt.Fprint(ts.Stderr(), trimScreen(mid))
	}
	switch {
	case a.keys != nil:
		s.tmux(append([]string{"send-keys", "-t", "s"}, a.keys...)...)
	case a.signal != 0:
		pid := s.parrunPID()
		ts.Check(syscall.Kill(pid, a.signal))
	case a.touch != "":
		ts.Check(os.WriteFile(ts.MkAbs(a.touch), nil, 0o644))
	}
	s.waitFor("the command's end", func() bool { return s.tmux("display", "-p", "-t", "s", "#{pane_title}") == screenDone+"\n" })
	fmt.Fprint(ts.Stdout(), trimScreen(s.capture()))
}

const screenUsage = "usage: screen [-cols N] [-after FILE] [-until REGEX] [-keys 'KEY...' | -signal SIG | -touch FILE] 'SHELL COMMAND'"

func parseScreenArgs(ts *testscript.TestScript, args []string) screenArgs {
	a := screenArgs{cols: screenCols}
	for len(args) > 1 && strings.HasPrefix(args[0], "-") {
		opt, val := args[0], args[1]
		args = args[2:]
		switch opt {
		case "-cols":
			n, err := strconv.Atoi(val)
			if err != nil || n < 10 {
				ts.Fatalf("screen: -cols %s: want a width of 10 or more", val)
			}
			a.cols = n
		case "-after":
			a.after = val
		case "-until":
			re, err := regexp.Compile("(?m)" + val)
			ts.Check(err)
			a.until = re
		case "-keys":
			a.keys = strings.Fields(val)
		case "-signal":
			sig, ok := map[string]syscall.Signal{"TERM": syscall.SIGTERM, "INT": syscall.SIGINT,
				"HUP": syscall.SIGHUP, "QUIT": syscall.SIGQUIT}[val]
			if !ok {
				ts.Fatalf("screen: -signal %s: want TERM, INT, HUP or QUIT", val)
			}
			a.signal = sig
		case "-touch":
			a.touch = val
		default:
			ts.Fatalf("screen: unknown option %s\n%s", opt, screenUsage)
		}
	}
	if len(args) != 1 {
		ts.Fatalf("%s", screenUsage)
	}
	a.command = args[0]
	return a
}

// screenSession is the private tmux server of one screen command.
type screenSession struct {
	ts            *testscript.TestScript
	tmuxBin, sock string
	pid           int // the server's, once known
}

// startScreen starts the tmux server, its pane running the wrapper of
// command, and arranges for the server to be killed when the script ends.
func startScreen(ts *testscript.TestScript, cols int, command string) *screenSession {
	tmuxBin, bash := screenTools(ts)
	dir, err := os.MkdirTemp(ts.MkAbs("."), ".screen")
	ts.Check(err)
	sock := filepath.Join(dir, "tmux.sock")
	if len(sock) > 100 { // a socket's path has room for about 104 bytes
		short, err := os.MkdirTemp("", "prs")
		ts.Check(err)
		ts.Defer(func() { os.RemoveAll(short) })
		sock = filepath.Join(short, "tmux.sock")
	}
	wrapper := filepath.Join(dir, "run.sh")
	script := fmt.Sprintf("%s\necho \"rc=$?\"\nprintf '\\033]2;%s\\033\\\\'\nexec sleep 86400\n", command, screenDone)
	ts.Check(os.WriteFile(wrapper, []byte(script), 0o644))
	s := &screenSession{ts: ts, tmuxBin: tmuxBin, sock: sock}
	ts.Defer(s.kill) // also when new-session failed half-way
	// ts.Exec: the server, forked by this client, gets the script's
	// environment, which the pane inherits.
	err = ts.Exec(tmuxBin, "-S", sock, "-f", os.DevNull, "new-session", "-d", "-s", "s",
		"-x", strconv.Itoa(cols), "-y", strconv.Itoa(screenRows), "-c", ts.MkAbs("."),
		"exec "+shellQuote(bash)+" "+shellQuote(wrapper))
	if err != nil {
		ts.Fatalf("screen: starting tmux: %v\n%s", err, ts.ReadFile("stderr"))
	}
	s.pid, err = strconv.Atoi(strings.TrimSpace(s.tmux("display", "-p", "#{pid}")))
	ts.Check(err)
	return s
}

// screenTools finds tmux and bash (whose non-interactive shell waits for
// a child that Ctrl-C interrupted, then goes on: it prints the rc line).
// A script checks [screen] first, which skips without them.
func screenTools(ts *testscript.TestScript) (tmuxBin, bash string) {
	tmuxBin, err1 := osexec.LookPath("tmux")
	bash, err2 := osexec.LookPath("bash")
	if err := errors.Join(err1, err2); err != nil {
		ts.Fatalf("screen: %v (guard the script with [!screen] skip)", err)
	}
	return tmuxBin, bash
}

// screenUsable is the scripts' condition [screen]: tmux and bash are
// there. Without them it is false, unless PARRUN_CI=1 (CI must have
// them): then it is an error, which fails the script.
func screenUsable() (bool, error) {
	var missing []string
	for _, name := range []string{"tmux", "bash"} {
		if _, err := osexec.LookPath(name); err != nil {
			missing = append(missing, name)
		}
	}
	if missing == nil {
		return true, nil
	}
	if os.Getenv("PARRUN_CI") == "1" {
		return false, fmt.Errorf("no %s on PATH, and PARRUN_CI=1: CI must have them", strings.Join(missing, " or "))
	}
	return false, nil
}

// tmux runs a tmux command on the session's server and returns its
// stdout; it fails the script if tmux does.
func (s *screenSession) tmux(args ...string) string {
	out, err := s.tryTmux(args...)
	if err != nil {
		s.ts.Fatalf("screen: tmux %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func (s *screenSession) tryTmux(args ...string) (string, error) {
	cmd := osexec.Command(s.tmuxBin, append([]string{"-S", s.sock}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		err = fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return string(out), err
}

// capture is the pane's visible screen, one line per row, trailing
// spaces dropped (tmux capture-pane -p).
func (s *screenSession) capture() string { return s.tmux("capture-pane", "-p", "-t", "s") }

// waitFor polls ok until it holds; after screenTimeout it fails the
// script, showing the screen.
func (s *screenSession) waitFor(what string, ok func() bool) {
	deadline := time.Now().Add(screenTimeout)
	for !ok() {
		if time.Now().After(deadline) {
			screen, err := s.tryTmux("capture-pane", "-p", "-t", "s")
			s.ts.Fatalf("screen: waited %v for %s; the screen (%v):\n%s", screenTimeout, what, err, screen)
		}
		time.Sleep(screenPoll)
	}
}

// parrunPID is the pid of the parrun that the pane's shell started: its
// one child named parrun (other scripts' parruns are not its children).
func (s *screenSession) parrunPID() int {
	shell := strings.TrimSpace(s.tmux("display", "-p", "-t", "s", "#{pane_pid}"))
	out, err := osexec.Command("pgrep", "-P", shell, "-x", "parrun").Output()
	pids := strings.Fields(string(out))
	if err != nil || len(pids) != 1 {
		s.ts.Fatalf("screen: want one parrun child of the pane's shell %s, have %q (%v)", shell, pids, err)
	}
	pid, err := strconv.Atoi(pids[0])
	s.ts.Check(err)
	return pid
}

// kill stops the tmux server, and with it the pane's processes (SIGHUP):
// kill-server, else SIGKILL to the server's pid.
func (s *screenSession) kill() {
	_, err := s.tryTmux("kill-server")
	if err == nil || s.pid == 0 {
		return
	}
	if kerr := syscall.Kill(s.pid, syscall.SIGKILL); kerr != nil && !errors.Is(kerr, syscall.ESRCH) {
		s.ts.Logf("screen: kill-server: %v; killing tmux server %d: %v", err, s.pid, kerr)
	}
}

// trimScreen drops a capture's trailing empty lines.
func trimScreen(screen string) string {
	screen = strings.TrimRight(screen, "\n")
	if screen == "" {
		return ""
	}
	return screen + "\n"
}

// shellQuote quotes s as one word for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
