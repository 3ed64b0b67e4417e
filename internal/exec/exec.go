//go:build unix

// Package exec runs one job as one process group and returns its result:
// spawn, standard input, output capture into bounded buffers that spill to
// $TMPDIR, the termination sequence, and the exit code, signal and rusage.
// It knows nothing of modes, queues or workers, and it is the only package
// that starts job processes.
package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Tuning knobs, in one place.
const (
	// DefaultBufferSize is how much of one output stream of one job stays in
	// memory before it spills to a temporary file (--buffer-size).
	DefaultBufferSize = 1 << 20
	// DefaultKillAfter is the time between the first signal to a job's
	// process group and SIGKILL (--kill-after).
	DefaultKillAfter = 2 * time.Second
)

// Exit codes of jobs that could not be started, as a POSIX shell reports
// them, so that the direct-exec path looks exactly like the shell path.
const (
	ExitNotFound      = 127
	ExitNotExecutable = 126
)

// ErrNotStarted is wrapped in the error of a job whose process could not
// be started for a reason other than the program itself (a resource limit,
// say): nothing of the job ran, so it may be tried again.
var ErrNotStarted = errors.New("exec: could not start job")

// ErrResourceLimit is wrapped, with ErrNotStarted, in the error of a job
// that could not start because a process or file limit was reached: it
// may start once a running job ends (SPEC §3: resource exhaustion is
// back-pressure, never failure).
var ErrResourceLimit = errors.New("resource limit reached")

// ResourceLimit returns err marked with ErrNotStarted and ErrResourceLimit
// when it says a process or file limit was reached (EAGAIN, EMFILE,
// ENFILE, ENOMEM, and EBADF, which os/exec's fork sometimes reports under
// descriptor exhaustion), and err unchanged otherwise. what says what
// could not be done.
func ResourceLimit(what string, err error) error {
	for _, e := range []error{syscall.EAGAIN, syscall.EMFILE, syscall.ENFILE, syscall.ENOMEM, syscall.EBADF} {
		if errors.Is(err, e) {
			return fmt.Errorf("%w: %w: %s: %w", ErrNotStarted, ErrResourceLimit, what, err)
		}
	}
	return err
}

// ErrTimedOut is the cancellation cause of a job that ran past its time-out.
var ErrTimedOut = errors.New("timed out")

// A Step is one step of a termination sequence: send Signal to the job's
// process group, then wait up to Wait for it to exit.
type Step struct {
	Signal syscall.Signal
	Wait   time.Duration
}

// Signaler is implemented by cancellation causes that say which signal the
// job's process group should get first (an interrupt of parrun passes its
// own signal on: SPEC §6); 0 keeps the sequence's own first signal.
type Signaler interface {
	Signal() syscall.Signal
}

// Escalator is implemented by cancellation causes that can cut the
// termination sequence short: once the channel Escalated returns is
// closed, the job's process group gets SIGKILL at once (a second Ctrl-C,
// SPEC §6). The cause of a run's one context thus carries both why the run
// stops and how hard; nothing else is threaded through to the jobs.
type Escalator interface {
	Escalated() <-chan struct{}
}

// Escalation returns the channel of ctx's cause when it is an Escalator,
// or nil (which never fires).
func Escalation(ctx context.Context) <-chan struct{} {
	var e Escalator
	if errors.As(context.Cause(ctx), &e) {
		return e.Escalated()
	}
	return nil
}

// Spec describes one job to run.
type Spec struct {
	// Argv is the program and its arguments; a program without a slash is
	// looked up in PATH (of Env when it sets PATH).
	Argv []string
	// Env is the whole environment; nil inherits parrun's.
	Env []string
	// Dir is the working directory; "" inherits parrun's.
	Dir string
	// Stdin is the job's standard input; nil is /dev/null.
	Stdin io.Reader
	// Stdout and Stderr receive the job's output. An *os.File, or a
	// Filer's file, is handed to the job as it is; any other writer is fed
	// from a pipe as the job writes. nil discards.
	Stdout, Stderr io.Writer
	// Timeout, when positive, cancels the job after that long with cause
	// ErrTimedOut.
	Timeout time.Duration
	// Terminate is the sequence run when the context is done; after its
	// last step, the group gets SIGKILL. Empty means SIGTERM, then
	// DefaultKillAfter. A Signaler cause replaces the first step's signal;
	// an Escalator cause can cut the sequence short.
	Terminate []Step
	// WaitDelay is how long output is still read after the job's leader
	// has exited, for processes it left behind; 0 means DefaultKillAfter.
	WaitDelay time.Duration
	// KeepBackground lets the processes a job leaves behind outlive it
	// (--keep-background). By default the job's whole process group gets
	// SIGKILL once its leader has exited and its output has been read:
	// nothing a job started outlives it (SPEC §6, issue 18 item 3).
	KeepBackground bool
	// Signals, when set, are passed to the job's process group as they
	// come while it runs (--memsuspend's SIGSTOP and SIGCONT). A group
	// left stopped gets SIGCONT after each signal of the termination
	// sequence, so that the sequence reaches it.
	Signals <-chan syscall.Signal
}

// Result is what became of one job.
type Result struct {
	// ExitCode is the job's exit status; 128+n when killed by signal n, 127
	// when the program was not found, 126 when it could not be executed,
	// -1 when it never ran for another reason (see Err).
	ExitCode int
	// Signal is the signal that killed the job, or 0.
	Signal syscall.Signal
	// TimedOut reports that the job was stopped by its time-out.
	TimedOut bool
	// Killed reports that parrun stopped the job: its context was done
	// (time-out, halt, interrupt), the termination sequence ran, and the
	// job died of a signal. One that caught the signal and exited did not
	// die of it: its exit status stands.
	Killed bool
	// Start and Duration time the job's run.
	Start    time.Time
	Duration time.Duration
	// User and System are the CPU time of the job's process.
	User, System time.Duration
	// StdinUnread reports that the job ended before it took all of its
	// input (writing the rest failed): GNU parallel counts the job failed,
	// with signal 13 (SIGPIPE, which Signal then holds) in its joblog.
	StdinUnread bool
	// Err says why the job failed to run, or why its output is incomplete
	// (an I/O error writing it). nil for a job that ran, whatever its exit.
	Err error
}

// Failed reports whether the job counts as failed.
func (r *Result) Failed() bool {
	return r.ExitCode != 0 || r.Err != nil || r.TimedOut || r.StdinUnread
}

// A Runner runs jobs. Its zero value is ready to use and it is safe for
// concurrent use: it caches program look-ups and /dev/null.
type Runner struct {
	// Reaper, when set, is told of every process group the Runner starts
	// and finishes with, so that the groups die even if parrun is killed
	// before it can kill them itself.
	Reaper *Reaper

	paths   sync.Map // PATH + "\x00" + name → resolved path
	devnull func() (*os.File, error)
	once    sync.Once
}

func (r *Runner) nullFile() (*os.File, error) {
	r.once.Do(func() {
		r.devnull = sync.OnceValues(func() (*os.File, error) { return os.Open(os.DevNull) })
	})
	return r.devnull()
}

// lookPath resolves a program name in path, with a cache: the stat calls of
// a PATH search cost as much as a short job's fork.
func (r *Runner) lookPath(name, path string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	key := path + "\x00" + name
	if p, ok := r.paths.Load(key); ok {
		return p.(string), nil
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			if !filepath.IsAbs(p) {
				// A relative PATH entry: do not cache, the directory is
				// relative to each job's own.
				return p, nil
			}
			r.paths.Store(key, p)
			return p, nil
		}
	}
	return "", osexec.ErrNotFound
}

func envPath(env []string) string {
	if env == nil {
		return os.Getenv("PATH")
	}
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], "PATH="); ok {
			return v
		}
	}
	return ""
}

// Run runs one job to completion and returns its result. It returns only
// after the job's process has been reaped and every goroutine it started has
// exited. When ctx is done, or the time-out passes, the job's process group
// gets the termination sequence. Run never panics on a bad Spec: a job that
// cannot start is a Result with ExitCode 127, 126 or -1 and an Err.
func (r *Runner) Run(ctx context.Context, s *Spec) *Result {
	res := &Result{ExitCode: -1, Start: time.Now()}
	if len(s.Argv) == 0 {
		res.Err = errors.New("exec: empty command")
		return res
	}
	path, err := r.lookPath(s.Argv[0], envPath(s.Env))
	if err != nil {
		res.ExitCode = ExitNotFound
		fmt.Fprintf(writerOrDiscard(s.Stderr), "parrun: %s: command not found\n", s.Argv[0])
		res.Duration = time.Since(res.Start)
		return res
	}
	// Its own process group, so that the termination sequence reaches
	// every process the job starts.
	cmd := &osexec.Cmd{Path: path, Args: s.Argv, Env: s.Env, Dir: s.Dir, SysProcAttr: OwnGroup()}
	feed, err := r.stdin(cmd, s.Stdin)
	if err != nil {
		return notStarted(res, "creating input pipe", err)
	}
	outs, err := newOutputs(cmd, s.Stdout, s.Stderr)
	if err != nil {
		if feed != nil {
			feed.start(false)
		}
		return notStarted(res, "creating output pipe", err)
	}
	res.Start = time.Now()
	outer := ctx // the run's context: its cause may escalate
	if s.Timeout > 0 {
		// The clock starts with the job, after Start is stamped, so a
		// timed-out job's Duration is never below its time-out.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, s.Timeout, ErrTimedOut)
		defer cancel()
	}
	err = cmd.Start()
	outs.started(err == nil)
	if feed != nil {
		feed.start(err == nil)
	}
	if err != nil {
		res.Duration = time.Since(res.Start)
		startFailed(res, s, err)
		return res
	}
	pgid := cmd.Process.Pid
	r.Reaper.Add(pgid)
	l := watchLeader(cmd)
	stopped := l.await(ctx, outer, s)
	outs.drain(s.WaitDelay, ctx.Done())
	if !s.KeepBackground {
		// The leader is gone; so are the processes it left behind. Its
		// zombie, not yet reaped, keeps the group id from being reused.
		syscall.Kill(-pgid, syscall.SIGKILL)
	}
	l.reap()
	r.Reaper.Remove(pgid)
	res.Duration = l.end.Sub(res.Start)
	finish(res, cmd.ProcessState, s, l.werr, outs.errs)
	if feed != nil {
		feed.report(res, stopped, s.Argv[0])
	}
	// Decided from what happened (issue 18 item 2): timed out when the
	// time-out's termination sequence ran while the leader lived; stopped
	// (Killed) when it then died of a signal. A job that ended by itself
	// before the sequence ran, or that caught the signal and exited,
	// ended as its exit status says.
	res.TimedOut = stopped && errors.Is(context.Cause(ctx), ErrTimedOut)
	res.Killed = stopped && res.Signal != 0
	return res
}

// leader is a started job's leader process. It is waited for (exited) and
// reaped apart where the system allows (watchExit), so that the rest of
// its group can be killed in between, while the group id is still its.
type leader struct {
	cmd     *osexec.Cmd
	exited  chan struct{} // closed once the leader has exited
	end     time.Time     // when it exited
	werr    error         // cmd.Wait's error
	reaped  bool          // the watcher reaped it already (no pidfd)
	release func()
}

// watchLeader starts watching a started leader on a goroutine of its own,
// which ends when the leader exits; await waits for that.
func watchLeader(cmd *osexec.Cmd) *leader {
	l := &leader{cmd: cmd, exited: make(chan struct{}), release: func() {}}
	wait, release, ok := watchExit(cmd.Process.Pid)
	if !ok {
		l.reaped = true
		wait = func() { l.werr = cmd.Wait() }
	} else {
		l.release = release
	}
	go func() {
		defer close(l.exited)
		wait()
		l.end = time.Now()
	}()
	return l
}

// await waits for the leader to exit, running the termination sequence if
// ctx is done first. It reports whether the sequence ran against a live
// leader: the job was stopped, not ended by itself.
func (l *leader) await(ctx, outer context.Context, s *Spec) (killed bool) {
	pgid := l.cmd.Process.Pid
	stopped := false
	for done := false; !done; {
		select {
		case <-l.exited:
			return false
		case sig := <-s.Signals: // nil, which never fires, without them
			if syscall.Kill(-pgid, sig) == nil {
				stopped = sig == syscall.SIGSTOP || stopped && sig != syscall.SIGCONT
			}
		case <-ctx.Done():
			done = true
		}
	}
	select {
	case <-l.exited:
		return false // it had ended by itself as ctx was done
	default:
	}
	terminate(ctx, outer, pgid, s, l.exited, stopped)
	<-l.exited
	return true
}

// reap reaps the leader (if the watcher did not) and releases the watch.
func (l *leader) reap() {
	if !l.reaped {
		l.werr = l.cmd.Wait()
	}
	l.release()
}

// finish fills res from how the leader ended and what went wrong around
// it: its exit status or signal, its CPU time, and the first error of
// waiting for it or of copying its output.
func finish(res *Result, st *os.ProcessState, s *Spec, werr error, copyErrs [2]error) {
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.Signal = ws.Signal()
		res.ExitCode = 128 + int(res.Signal)
	} else {
		res.ExitCode = st.ExitCode()
	}
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		res.User = time.Duration(ru.Utime.Nano())
		res.System = time.Duration(ru.Stime.Nano())
	}
	if werr != nil {
		var ee *osexec.ExitError
		if !errors.As(werr, &ee) {
			res.Err = fmt.Errorf("exec: waiting for %s: %w", s.Argv[0], werr)
		}
	}
	for i, e := range copyErrs {
		if e != nil && !errors.Is(e, os.ErrClosed) && res.Err == nil {
			res.Err = fmt.Errorf("exec: copying %s: %w", [2]string{"stdout", "stderr"}[i], e)
		}
	}
}

// stdin sets cmd's stdin: a file as it is, /dev/null for none, anything
// else through a feeder (which then also reports what became of it).
func (r *Runner) stdin(cmd *osexec.Cmd, in io.Reader) (*feeder, error) {
	switch f, isFile := in.(*os.File); {
	case isFile:
		cmd.Stdin = f
	case in != nil:
		return newFeeder(cmd, in)
	default:
		if null, err := r.nullFile(); err == nil {
			cmd.Stdin = null
		}
	}
	return nil, nil
}

// notStarted fails res for a pipe that could not be made (what, err): a
// resource limit the caller may wait out, else ErrNotStarted.
func notStarted(res *Result, what string, err error) *Result {
	if res.Err = ResourceLimit(what, err); res.Err == err {
		res.Err = fmt.Errorf("%w: %s: %w", ErrNotStarted, what, err)
	}
	return res
}

// startFailed fills res for a job whose process could not be started,
// reporting it as a POSIX shell would: 127 not found, 126 not executable.
// A working directory that is not there is said as such: it is no
// missing program (issue 18 item 16).
func startFailed(res *Result, s *Spec, err error) {
	if s.Dir != "" && (errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ENOTDIR)) {
		if fi, serr := os.Stat(s.Dir); serr != nil || !fi.IsDir() {
			res.Err = fmt.Errorf("exec: working directory %s: %w", s.Dir, dirErr(serr))
			return
		}
	}
	msg := err.Error()
	switch {
	case errors.Is(err, syscall.ENOENT):
		res.ExitCode = ExitNotFound
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.ENOEXEC), errors.Is(err, syscall.EISDIR):
		res.ExitCode = ExitNotExecutable
	default:
		// EAGAIN, EMFILE and friends: the caller may retry; keep the errno
		// reachable with errors.Is.
		if res.Err = ResourceLimit(s.Argv[0], err); res.Err == err {
			res.Err = fmt.Errorf("%w: %s: %w", ErrNotStarted, s.Argv[0], err)
		}
		return
	}
	fmt.Fprintf(writerOrDiscard(s.Stderr), "parrun: %s\n", msg)
}

// dirErr is why a working directory cannot be used: stat's error, or
// that it is no directory.
func dirErr(statErr error) error {
	if statErr != nil {
		return msgOf(statErr)
	}
	return syscall.ENOTDIR
}

// msgOf strips a *PathError down to its errno: the path is named already.
func msgOf(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func writerOrDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
