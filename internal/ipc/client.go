package ipc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parrun/parrun/internal/exec"
)

// ErrWorkerExited is wrapped by the Err of a job whose worker died under
// it. The message names how: "worker exited: signal KILL", "worker exited:
// exit status 3". The job counts as failed (and for --retries); the Worker
// is dead and must be replaced.
var ErrWorkerExited = errors.New("worker exited")

// ErrVersionMismatch is wrapped by the error of a handshake between two
// different protocol versions.
var ErrVersionMismatch = errors.New("protocol version mismatch")

// JobSpec is one job for a worker: the fields of exec.Spec that can cross a
// pipe. Output goes to the writers given to Run.
type JobSpec struct {
	// Argv is the program and its arguments, looked up in the worker's PATH.
	Argv []string
	// Env is the job's whole environment; nil inherits the worker's. With
	// MergeEnv, Env is added to the worker's environment instead (later
	// entries win): what a remote worker needs to keep its own PATH and HOME.
	Env      []string
	MergeEnv bool
	// Dir is the working directory on the worker; "" inherits the worker's.
	Dir string
	// Stdin, when HasStdin, is the job's standard input; otherwise the job
	// reads /dev/null.
	Stdin    string
	HasStdin bool
	// Timeout, when positive, is the job's time-out, enforced by the worker.
	Timeout time.Duration
	// Terminate is the termination sequence (exec.Spec.Terminate), run by
	// the worker on time-out or when Run's ctx is done.
	Terminate []exec.Step
	// KeepBackground lets the job's leftover processes outlive it
	// (exec.Spec.KeepBackground).
	KeepBackground bool
}

// A Client is the coordinator's end of one worker process (the child
// parrun that runs jobs for it): it starts the worker, sends it jobs one at
// a time and turns their chunks and results back into output and
// exec.Results.
//
// A Client is not safe for concurrent use: one goroutine (a scheduler slot)
// owns it, calls Run for one job after another, and calls Close once at the
// end, whether the worker is alive or not. Close reaps the process on every
// path; a Client that is never closed leaks a process and two pipes.
//
// The worker process runs in a process group of its own. Ctrl-C at the
// terminal therefore reaches parrun alone, and parrun decides (SPEC §6): it
// cancels Run's context and the worker passes the signal on to its job.
// Were the worker in parrun's group, a launcher such as ssh or kubectl would
// die of the terminal's SIGINT and take the remote jobs with it at once,
// without --kill-after's grace. Close and the failure paths SIGKILL that
// group; if parrun itself is killed, the worker sees the end of its stdin
// and terminates its job before it exits, so nothing is orphaned. The one
// gap: a worker that is itself SIGKILLed cannot stop its job, and the
// coordinator does not know the job's process group. A job that writes
// then dies of SIGPIPE; a silent one runs on.
type Client struct {
	name string // "worker 3", in errors
	argv []string
	cmd  *osexec.Cmd
	in   *os.File // write end of the worker's stdin
	out  *os.File // read end of the worker's stdout
	r    *Reader  // owned by Start, then by Run
	s    *sender  // shared by Run and its watcher
	seq  uint64
	job  []byte // encoding buffer of Run
	dead atomic.Bool

	// killGrace is how long beyond a job's termination sequence Run waits
	// for its Done before it kills the worker; tests shorten it.
	killGrace time.Duration
	// stalled says that the running job's time-out, its termination
	// sequence and killGrace passed without its Done: the worker was
	// killed (a stopped worker, a stalled link).
	stalled atomic.Bool

	pmu      sync.Mutex // guards reaped and killed
	reaped   bool
	killed   bool // this side SIGKILLed the worker
	waitOnce sync.Once

	closeOnce sync.Once
	closeErr  error
}

// Start starts a worker with the launcher command argv (locally parrun's
// own executable; for SPEC §8, "ssh HOST" or a --worker-cmd prefix followed
// by WorkerCommand("parrun")) and env (nil: parrun's environment), to which
// it adds the worker cookie. Its stderr is stderr (parrun's own, so that a
// launcher's complaints reach the user; nil is /dev/null): a file, handed
// over as it is, so that no copy outlives the worker. id names the worker
// in errors ("ipc: worker 3: …").
//
// Start returns once the handshake is done: each end has sent a Hello and
// the versions match. It fails, never hangs, when the worker prints
// something that is not a frame (the error quotes the first bytes), exits
// (the error gives its exit status), speaks another protocol version, or
// says nothing before HandshakeTimeout or ctx's deadline; the process is
// then killed and reaped. ctx bounds the start only: cancelling it later
// does not stop the worker — Close does.
func Start(ctx context.Context, id int, argv []string, env []string, stderr *os.File) (*Client, error) {
	name := "worker " + strconv.Itoa(id)
	if len(argv) == 0 {
		return nil, fmt.Errorf("%sempty worker command", prefix(name))
	}
	if env == nil {
		env = os.Environ()
	}
	cmd := osexec.Command(argv[0], argv[1:]...)
	if cmd.Err != nil {
		return nil, fmt.Errorf("%sstarting %s: %w", prefix(name), argv[0], cmd.Err)
	}
	cmd.Env = append(slices.Clip(env), CookieKey+"="+CookieValue)
	cmd.Stderr = stderr // nil: /dev/null
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("%screating pipe: %w", prefix(name), err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("%screating pipe: %w", prefix(name), err)
	}
	cmd.Stdin, cmd.Stdout = inR, outW
	err = cmd.Start()
	// The child has its ends; ours would keep the pipes open past its death.
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("%sstarting %s: %w", prefix(name), argv[0], err)
	}
	w := &Client{
		name:      name,
		argv:      argv,
		cmd:       cmd,
		in:        inW,
		out:       outR,
		r:         NewReader(outR, name),
		s:         newSender(NewWriter(inW, name)),
		killGrace: killGrace,
	}
	if err := w.handshake(ctx); err != nil {
		w.dead.Store(true)
		w.kill()
		w.reap(exitGrace)
		w.in.Close()
		w.out.Close()
		return nil, err
	}
	return w, nil
}

// handshake sends this side's Hello and checks the worker's, within the
// deadline. The worker sends its Hello without waiting for ours, so a
// mismatch is seen here whichever side is newer.
func (w *Client) handshake(ctx context.Context) error {
	// A worker that is gone already shows in the read below.
	w.s.send(hello{Version: ProtocolVersion, PID: os.Getpid(), Parrun: Version()})

	deadline := time.Now().Add(HandshakeTimeout)
	ctxDeadline := false
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, ctxDeadline = d, true
	}
	limit := time.Until(deadline).Round(time.Millisecond)
	// The read end of an os.Pipe is served by the runtime poller, so a
	// deadline interrupts the read: a silent worker cannot hang Start.
	w.out.SetReadDeadline(deadline)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	if ctx.Done() != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-ctx.Done():
				w.out.SetReadDeadline(time.Unix(1, 0))
			case <-stop:
			}
		}()
	}
	m, err := readMessage(w.r)
	close(stop)
	wg.Wait()
	w.out.SetReadDeadline(time.Time{})

	launcher := strings.Join(w.argv, " ")
	var fe *FrameError
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) && (ctx.Err() != nil || ctxDeadline):
		// The pipe's deadline may fire a hair before ctx's own timer.
		cause := context.Cause(ctx)
		if cause == nil {
			cause = context.DeadlineExceeded
		}
		return fmt.Errorf("%shandshake: %w", prefix(w.name), cause)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("%sno Hello from %q within %v: is it waiting for a password or a host key confirmation (ssh -o BatchMode=yes)?",
			prefix(w.name), launcher, limit)
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		st := w.reap(exitGrace)
		seen := ""
		if errors.As(err, &fe) && len(fe.Seen) > 0 {
			seen = fmt.Sprintf(" after printing %q", fe.Seen)
		}
		return fmt.Errorf("%s%q exited before the handshake (%s)%s: does it start a parrun worker? (its stderr, above, may say why)",
			prefix(w.name), launcher, describeExit(st), seen)
	case errors.Is(err, ErrMalformed):
		return fmt.Errorf("%w: %q must start a parrun worker and print nothing else on its stdout (a login banner or a shell startup file that prints?)",
			err, launcher)
	case err != nil:
		return err
	}
	switch m := m.(type) {
	case hello:
		if m.Version != ProtocolVersion {
			return fmt.Errorf("%s%w: the worker (pid %d, parrun %s) speaks protocol version %d, this parrun (%s) speaks %d: is the parrun on the remote PATH the same version?",
				prefix(w.name), ErrVersionMismatch, m.PID, m.Parrun, m.Version, Version(), ProtocolVersion)
		}
		return nil
	case errorMsg:
		return fmt.Errorf("%sthe worker refused to start: %s", prefix(w.name), m.Msg)
	default:
		return w.malformed("%s frame before the worker's Hello", m.kind())
	}
}

// Alive reports whether the worker can run another job: false once it has
// died, broken the protocol or been closed. The owner replaces a Client
// that is not alive (after closing it).
func (w *Client) Alive() bool { return !w.dead.Load() }

// Run runs one job on the worker and returns its result, as exec.Runner.Run
// would in this process. The job's output is written to stdout and stderr
// (nil discards: the job gets /dev/null) as its chunks arrive, from the
// calling goroutine; Run never holds more than one chunk of it. A write
// error does not stop the job: the rest of its output is drained and the
// error is the result's Err, as exec does.
//
// When ctx is done, Run sends Cancel: the worker runs the job's termination
// sequence, starting with the signal of context.Cause(ctx) when it is an
// exec.Signaler. When the cause is an exec.Escalator whose channel closes
// afterwards, Run sends Kill: SIGKILL now. A worker that still has not
// answered killGrace after the sequence should have ended is killed.
//
// If the worker dies during the job, Run returns ExitCode -1 and an Err
// wrapping ErrWorkerExited ("worker exited: signal KILL"); if it breaks the
// protocol, an Err naming the worker and what it sent. Either way the
// Worker is dead from then on (Alive reports false).
func (w *Client) Run(ctx context.Context, spec *JobSpec, stdout, stderr io.Writer) *exec.Result {
	res := &exec.Result{ExitCode: -1, Start: time.Now()}
	if w.dead.Load() {
		res.Err = fmt.Errorf("%snot running: %w", prefix(w.name), ErrWorkerExited)
		return res
	}
	if len(spec.Argv) == 0 {
		res.Err = errors.New("exec: empty command") // as exec.Runner.Run says it
		return res
	}
	w.seq++
	seq := w.seq
	if err := w.encodeJob(seq, spec, stdout == nil, stderr == nil); err != nil {
		res.Err = err
		return res
	}

	// The watcher is there before the Job goes out, because sending a
	// large Job to a worker that stopped reading blocks, and only the
	// watcher's deadman can end that. It sends Cancel only once the Job
	// has been sent (sent), so a Cancel never overtakes its Job.
	sent := make(chan struct{})
	runDone := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		close(runDone)
		wg.Wait()
	}()
	if ctx.Done() != nil {
		wg.Go(func() { w.watch(ctx, seq, spec, sent, runDone) })
	}
	if spec.Timeout > 0 {
		// The time-out is the worker's to enforce; if the worker cannot
		// (kill -STOP, a stalled ssh link), the coordinator gives up on it
		// too, and the job fails like one whose worker died (issue 18
		// item 6).
		var stall deadman
		stall.arm(spec.Timeout+sequenceLength(spec.Terminate)+w.killGrace, func() {
			w.stalled.Store(true)
			w.kill()
		})
		defer stall.stop()
	}
	err := w.s.sendJob(w.job, seq, stdinOf(spec))
	close(sent)
	if err != nil {
		// The worker does not read its stdin: it is dead or dying. Make
		// sure, and report how it ended.
		w.kill()
		return w.died(res, io.EOF)
	}
	return w.receive(res, seq, [2]io.Writer{stdout, stderr})
}

// encodeJob encodes the Job frame of spec into w.job.
func (w *Client) encodeJob(seq uint64, spec *JobSpec, noStdout, noStderr bool) error {
	m := jobMsg{
		Seq:       seq,
		Argv:      spec.Argv,
		Env:       spec.Env,
		HasEnv:    spec.Env != nil,
		MergeEnv:  spec.MergeEnv,
		HasStdin:  spec.HasStdin,
		NoStdout:  noStdout,
		NoStderr:  noStderr,
		Dir:       spec.Dir,
		Timeout:   spec.Timeout,
		Terminate: spec.Terminate,

		KeepBackground: spec.KeepBackground,
	}
	if spec.HasStdin {
		m.StdinLen = uint64(len(spec.Stdin))
	}
	w.job = m.appendPayload(w.job[:0])
	if len(w.job) > MaxFrame {
		return fmt.Errorf("ipc: job too large for process mode: its command and environment take %d bytes, over the %d-byte frame limit", len(w.job), MaxFrame)
	}
	return nil
}

// receive reads the frames of job seq until its Done, writing its output
// chunks to out (stdout, stderr; nil discards).
func (w *Client) receive(res *exec.Result, seq uint64, out [2]io.Writer) *exec.Result {
	var werr error // the first error writing the job's output
	for {
		msg, err := readMessage(w.r)
		if err != nil {
			return w.died(res, err)
		}
		switch msg := msg.(type) {
		case chunk:
			if msg.Seq != seq || msg.Stream == streamStdin {
				return w.broken(res, w.malformed("Chunk of job %d, stream %d, during job %d", msg.Seq, msg.Stream, seq))
			}
			dst := out[msg.Stream-streamStdout]
			if dst != nil && werr == nil {
				if _, err := dst.Write(msg.Data); err != nil {
					werr = fmt.Errorf("ipc: copying %s: %w", [2]string{"stdout", "stderr"}[msg.Stream-streamStdout], err)
				}
			}
		case doneMsg:
			if msg.Seq != seq {
				return w.broken(res, w.malformed("Done of job %d during job %d", msg.Seq, seq))
			}
			r := msg.result()
			if r.Err == nil {
				r.Err = werr
			}
			return r
		case errorMsg:
			return w.broken(res, fmt.Errorf("%sthe worker gave up: %s", prefix(w.name), msg.Msg))
		default:
			return w.broken(res, w.malformed("%s frame during job %d", msg.kind(), seq))
		}
	}
}

// malformed returns an error about a frame that is well formed but has no
// business where it came: "ipc: worker 3: malformed frame: …".
func (w *Client) malformed(format string, args ...any) error {
	return fmt.Errorf("%s%w: %s", prefix(w.name), ErrMalformed, fmt.Sprintf(format, args...))
}

// stdinOf returns the bytes to send as the job's stdin.
func stdinOf(spec *JobSpec) string {
	if spec.HasStdin {
		return spec.Stdin
	}
	return ""
}

// watch turns the end of ctx into Cancel and the escalation of its cause
// into Kill, until runDone is closed. A deadman kills the worker if the job's
// Done is overdue, so that Run cannot hang on a wedged worker (even one
// that stopped reading its stdin, where a send would block). sent is
// closed once the Job is on the wire.
func (w *Client) watch(ctx context.Context, seq uint64, spec *JobSpec, sent, runDone <-chan struct{}) {
	select {
	case <-runDone:
		return
	case <-ctx.Done():
	}
	var sig syscall.Signal
	var sg exec.Signaler
	if errors.As(context.Cause(ctx), &sg) {
		sig = sg.Signal()
	}
	var dm deadman
	defer dm.stop()
	dm.arm(sequenceLength(spec.Terminate)+w.killGrace, w.kill)
	<-sent                                     // Run closes it before runDone
	w.s.send(cancelMsg{Seq: seq, Signal: sig}) // a failure shows in Run's read
	select {
	case <-runDone:
		return
	case <-exec.Escalation(ctx): // nil, which never fires, without one
	}
	dm.stop()
	dm.arm(w.killGrace, w.kill)
	w.s.send(killMsg{Seq: seq})
	<-runDone
}

// sequenceLength is how long a termination sequence may take.
func sequenceLength(steps []exec.Step) time.Duration {
	if len(steps) == 0 {
		return exec.DefaultKillAfter
	}
	var d time.Duration
	for _, st := range steps {
		d += st.Wait
	}
	return d
}

// died ends a job whose worker stream ended or failed with err: the worker
// is reaped (killed first if it sent garbage) and res reports why.
func (w *Client) died(res *exec.Result, err error) *exec.Result {
	w.dead.Store(true)
	if err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) {
		// Garbage or a read error: the stream is out of step for good.
		return w.broken(res, err)
	}
	st := w.reap(exitGrace)
	res.Duration = time.Since(res.Start)
	res.Err = fmt.Errorf("%w: %s", ErrWorkerExited, describeExit(st))
	if w.stalled.Load() {
		res.TimedOut = true
		res.Err = fmt.Errorf("%w: killed: it did not answer within the job's time-out, termination sequence and %v", ErrWorkerExited, w.killGrace)
	}
	return res
}

// broken ends a job whose worker broke the protocol: the worker is killed
// and reaped, and res carries err.
func (w *Client) broken(res *exec.Result, err error) *exec.Result {
	w.dead.Store(true)
	w.kill()
	w.reap(exitGrace)
	res.Duration = time.Since(res.Start)
	res.Err = err
	return res
}

// Close stops the worker: it sends Shutdown to a live worker, closes its
// stdin, waits up to CloseTimeout for it to exit, then SIGKILLs its process
// group, and reaps it. It returns an error when a live worker did not exit
// cleanly; a worker that died during a job was reported there, and Close
// returns nil. Close must be called exactly once per Worker, alive or
// dead, and not during Run; later calls return the first call's result.
func (w *Client) Close() error {
	w.closeOnce.Do(func() { w.closeErr = w.close() })
	return w.closeErr
}

func (w *Client) close() error {
	wasAlive := !w.dead.Swap(true)
	// One deadline for the whole: it also unblocks a send to a worker that
	// stopped reading.
	var dm deadman
	dm.arm(CloseTimeout, w.kill)
	if wasAlive {
		w.s.send(shutdownMsg{})
	}
	w.in.Close()
	st := w.reap(0)
	dm.stop()
	w.out.Close()
	if !wasAlive {
		return nil
	}
	w.pmu.Lock()
	killed := w.killed
	w.pmu.Unlock()
	switch {
	case killed:
		return fmt.Errorf("%sdid not exit within %v of Shutdown; killed", prefix(w.name), CloseTimeout)
	case st == nil || !st.Success():
		return fmt.Errorf("%sexited after Shutdown: %s", prefix(w.name), describeExit(st))
	}
	return nil
}

// kill SIGKILLs the worker's process group, unless it has been reaped (its
// id may belong to another process by then).
func (w *Client) kill() {
	w.pmu.Lock()
	defer w.pmu.Unlock()
	if w.reaped {
		return
	}
	w.killed = true
	syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
}

// reap waits for the worker process to exit, killing its group if it has
// not within grace (0: the caller has its own deadman armed), and returns
// its state. Only the first call waits.
func (w *Client) reap(grace time.Duration) *os.ProcessState {
	w.waitOnce.Do(func() {
		var dm deadman
		if grace > 0 {
			dm.arm(grace, w.kill)
		}
		// Stdin, stdout and stderr are *os.Files: Wait starts no copying
		// goroutines and returns as soon as the process has exited.
		w.cmd.Wait()
		w.pmu.Lock()
		w.reaped = true
		w.pmu.Unlock()
		dm.stop()
	})
	return w.cmd.ProcessState
}

// describeExit says how a process ended: "signal KILL", "exit status 3".
func describeExit(st *os.ProcessState) string {
	if st == nil {
		return "unknown status"
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "signal " + exec.SignalName(ws.Signal())
	}
	return "exit status " + strconv.Itoa(st.ExitCode())
}

// A deadman runs a function if it is not stopped in time. The timer's
// function runs on a goroutine of its own, which stop waits for, so no
// goroutine outlives its owner. The zero value is ready; one arm at a time.
type deadman struct {
	t  *time.Timer
	wg sync.WaitGroup
}

func (d *deadman) arm(after time.Duration, f func()) {
	d.wg.Add(1)
	d.t = time.AfterFunc(after, func() {
		defer d.wg.Done()
		f()
	})
}

// stop disarms the deadman, or waits for its function to return if it has
// fired already.
func (d *deadman) stop() {
	if d.t != nil && d.t.Stop() {
		d.wg.Done()
	}
	d.t = nil
	d.wg.Wait()
}
