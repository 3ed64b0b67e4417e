package ipc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/parrun/parrun/internal/exec"
)

// The worker entry's guard (go-plugin's magic cookie): a binary started
// with CookieKey=CookieValue in its environment is a worker; without it,
// `parrun worker` is just a command named worker. Start adds it; WorkerMain
// removes it from its own environment, so jobs never inherit it.
const (
	CookieKey   = "PARRUN_WORKER_COOKIE"
	CookieValue = "7c1e0b9a4f3d52e8-parrun-worker"
)

// WorkerCommand returns the command that starts a worker from exe (a
// parrun binary, "parrun" to find it on the PATH) with the cookie on its
// command line: what follows a launcher prefix such as "ssh HOST" or a
// --worker-cmd template, since ssh and most launchers do not pass the
// local environment on. For a local re-exec, Start's env is enough.
func WorkerCommand(exe string) []string {
	return []string{"env", CookieKey + "=" + CookieValue, exe}
}

// SelfPath is the executable a local worker is started from: the path
// this process was started by (so a renamed or test-wrapped binary starts
// the same program), else the running executable.
func SelfPath() (string, error) {
	if p, err := osexec.LookPath(os.Args[0]); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return abs, nil
		}
	}
	return os.Executable()
}

// exitUsage is the worker entry's status when it was not started by
// parrun: parrun's own usage-error status.
const exitUsage = 255

// IsWorker reports whether the environment read through getenv (os.Getenv
// in production) asks this process to be a worker.
func IsWorker(getenv func(string) string) bool {
	return getenv(CookieKey) == CookieValue
}

// Version returns the build of parrun this binary is, as Hello carries it:
// the main module's version and its VCS revision, from the build info. Both
// ends of a local worker are the same binary, so it differs only between
// machines, where the error that reports a mismatch quotes it.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision":
			v += " " + s.Value[:min(12, len(s.Value))]
		case s.Key == "vcs.modified" && s.Value == "true":
			v += "+dirty"
		}
	}
	return v
}

// WorkerMain is the hidden worker entry: what a parrun binary runs when
// IsWorker(os.Getenv) holds. It takes the process's real standard streams
// and returns the exit status; it must be called at most once, from main,
// because it rewires the process's file descriptors:
//
//   - frames go out on a close-on-exec duplicate of stdout, and the stdout
//     descriptor itself is pointed at stderr (or /dev/null when stderr is not
//     a file), so a stray print anywhere in the process cannot corrupt the
//     frame stream (go-plugin's server does the same with a pipe);
//   - frames come in on a close-on-exec duplicate of stdin, and stdin is
//     pointed at /dev/null, so nothing else can eat a frame;
//   - SIGINT is caught and dropped: the coordinator decides what an
//     interrupt means (SPEC §6) and says so with a Cancel frame. It is
//     caught, not ignored, because an ignored signal stays ignored across
//     exec and the jobs must keep the default disposition;
//   - SIGTERM and SIGHUP stop the worker: the running job gets its
//     termination sequence (with that signal first), then WorkerMain
//     returns 128+signal.
//
// Without the cookie it prints one line saying it is started by parrun and
// returns 255, having touched nothing.
func WorkerMain(stdin, stdout *os.File, stderr io.Writer) int {
	if !IsWorker(os.Getenv) {
		fmt.Fprintf(stderr, "parrun: this is parrun's worker entry; it is started by parrun itself (--mode process, --ssh, --worker-cmd), not by hand (%s is not set)\n", CookieKey)
		return exitUsage
	}
	// A job that runs parrun must not become a worker.
	os.Unsetenv(CookieKey)
	// A worker runs one job at a time: one OS thread for Go code is
	// plenty, and the idle schedulers of many Go runtimes spinning on a
	// small machine cost the jobs CPU. Set here, not through GOMAXPROCS in
	// the environment, which a remote worker's jobs would inherit.
	runtime.GOMAXPROCS(1)
	in, out, err := protocolFiles(stdin, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "parrun: worker: %v\n", err)
		return 1
	}
	defer out.Close()
	defer in.Close()

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case sig := <-sigs:
				if s := sig.(syscall.Signal); s != syscall.SIGINT {
					cancel(signalled{s})
				}
			case <-quit:
				return
			}
		}
	}()
	// The worker's own reaper: should the worker be killed (kill -9), its
	// jobs' process groups die with it (issue 18 item 3b).
	reaper := &exec.Reaper{}
	if self, err := SelfPath(); err == nil {
		reaper.Exe = self
	}
	defer reaper.Close()
	err = Serve(ctx, in, out, &exec.Runner{Reaper: reaper})
	signal.Stop(sigs)
	close(quit)
	wg.Wait()

	var sg signalled
	switch {
	case errors.As(err, &sg):
		return 128 + int(sg.sig)
	case err != nil:
		fmt.Fprintf(stderr, "parrun: worker: %v\n", err)
		return 1
	}
	return 0
}

// protocolFiles moves the frame streams off descriptors 0 and 1 (see
// WorkerMain) and returns them. in is made non-blocking when it is a pipe
// or a socket, so that the runtime poller serves it and Serve can interrupt
// a pending read with a deadline.
func protocolFiles(stdin, stdout *os.File, stderr io.Writer) (in, out *os.File, err error) {
	ofd, err := unix.FcntlInt(stdout.Fd(), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, nil, fmt.Errorf("duplicating stdout: %w", err)
	}
	ifd, err := unix.FcntlInt(stdin.Fd(), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		unix.Close(ofd)
		return nil, nil, fmt.Errorf("duplicating stdin: %w", err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		unix.Close(ofd)
		unix.Close(ifd)
		return nil, nil, err
	}
	defer null.Close()
	sink := null
	if f, ok := stderr.(*os.File); ok {
		sink = f
	}
	if err := unix.Dup2(int(sink.Fd()), int(stdout.Fd())); err != nil {
		return nil, nil, fmt.Errorf("redirecting stdout: %w", err)
	}
	if err := unix.Dup2(int(null.Fd()), int(stdin.Fd())); err != nil {
		return nil, nil, fmt.Errorf("redirecting stdin: %w", err)
	}
	// Only for a pipe or a socket: O_NONBLOCK belongs to the open file
	// description, and a terminal's is shared with the shell.
	var st unix.Stat_t
	if unix.Fstat(ifd, &st) == nil && (st.Mode&unix.S_IFMT == unix.S_IFIFO || st.Mode&unix.S_IFMT == unix.S_IFSOCK) {
		unix.SetNonblock(ifd, true)
	}
	return os.NewFile(uintptr(ifd), "ipc-in"), os.NewFile(uintptr(ofd), "ipc-out"), nil
}

// signalled is the cancellation cause when the worker process gets SIGTERM
// or SIGHUP: the job's group gets that signal first (exec.Signaler).
type signalled struct{ sig syscall.Signal }

func (s signalled) Error() string          { return "signal " + exec.SignalName(s.sig) }
func (s signalled) Signal() syscall.Signal { return s.sig }

// cancelled is the cause of a job the coordinator cancelled: with Cancel,
// whose signal (0: the sequence's own) goes first, or with Kill. Its kill
// channel, closed by a Kill, escalates the sequence to SIGKILL
// (exec.Escalator); a context keeps the first cause it was given, so the
// channel is there from the first Cancel on.
type cancelled struct {
	sig  syscall.Signal
	kill chan struct{}
}

func (c cancelled) Error() string {
	if c.sig == 0 {
		return errCancelled.Error()
	}
	return errCancelled.Error() + " (signal " + exec.SignalName(c.sig) + ")"
}
func (c cancelled) Unwrap() error              { return errCancelled }
func (c cancelled) Signal() syscall.Signal     { return c.sig }
func (c cancelled) Escalated() <-chan struct{} { return c.kill }

// Causes of a job's cancellation inside a worker.
var (
	errCancelled     = errors.New("ipc: job cancelled by the coordinator")
	errCoordinator   = errors.New("ipc: coordinator gone (end of input)")
	errShutdownInJob = errors.New("ipc: coordinator sent Shutdown while a job was running")
)

// Serve is a worker's main loop. It sends Hello, checks the coordinator's
// Hello, then runs the jobs it is sent, one at a time, with r, streaming
// their output back in Chunk frames as it is written and ending each with a
// Done. in and out carry frames; Serve owns them while it runs.
//
// Serve returns nil on Shutdown or at a clean end of in. When in ends (or
// breaks) while a job runs, the coordinator is gone: the job's process
// group gets its termination sequence, and Serve returns once the job has
// been reaped, so that nothing outlives a coordinator that died (SPEC §3).
// When ctx is done, the running job is terminated the same way (with the
// cause's signal first when it is an exec.Signaler), its Done is sent, and
// Serve returns context.Cause(ctx). A malformed frame or an unexpected kind
// is answered with an Error frame and returned.
//
// A nil r is a new exec.Runner. Serve returns only after every goroutine
// it started has exited. If in
// has a SetReadDeadline method (a pipe or socket *os.File does), Serve uses
// it to interrupt a pending read when it stops early; otherwise it waits
// for in to end or fail.
func Serve(ctx context.Context, in io.Reader, out io.Writer, r *exec.Runner) error {
	if r == nil {
		r = &exec.Runner{}
	}
	s := &server{
		ctx:    ctx,
		rd:     NewReader(in, "coordinator"),
		out:    newSender(NewWriter(out, "coordinator")),
		runner: r,
		msgs:   make(chan inMsg),
		stop:   make(chan struct{}),
	}
	if err := s.out.send(hello{Version: ProtocolVersion, PID: os.Getpid(), Parrun: Version()}); err != nil {
		return err
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.readLoop()
	}()
	defer func() {
		close(s.stop)
		if d, ok := in.(interface{ SetReadDeadline(time.Time) error }); ok {
			d.SetReadDeadline(time.Unix(1, 0))
		}
		wg.Wait()
	}()
	return s.serve()
}

// server is the state of one Serve.
type server struct {
	ctx    context.Context
	rd     *Reader // owned by readLoop
	out    *sender
	runner *exec.Runner
	msgs   chan inMsg    // readLoop → serve
	stop   chan struct{} // closed when serve returns: releases readLoop
}

// inMsg is one message (or the error that ended the input) from readLoop.
type inMsg struct {
	m   message
	err error
}

// readLoop reads the coordinator's frames for the whole of Serve, so that
// a Cancel, a Kill or the end of input is seen while a job runs. It stops
// after an error (io.EOF included) or a Shutdown, or when Serve returns.
func (s *server) readLoop() {
	for {
		m, err := s.readMessage()
		select {
		case s.msgs <- inMsg{m, err}:
		case <-s.stop:
			return
		}
		if _, ok := m.(shutdownMsg); ok || err != nil {
			return
		}
	}
}

// readMessage reads one message; a Job comes with its stdin, read from the
// Chunk frames that follow it.
func (s *server) readMessage() (message, error) {
	m, err := readMessage(s.rd)
	if err != nil {
		return nil, err
	}
	j, ok := m.(jobMsg)
	if !ok || j.StdinLen == 0 {
		return m, nil
	}
	// The length came off the wire: grow with the data actually received.
	j.stdin = make([]byte, 0, min(j.StdinLen, MaxFrame))
	for uint64(len(j.stdin)) < j.StdinLen {
		m, err := readMessage(s.rd)
		if err == io.EOF {
			err = &FrameError{Name: s.rd.name, Op: fmt.Sprintf("reading stdin of job %d", j.Seq), Err: io.ErrUnexpectedEOF}
		}
		if err != nil {
			return nil, err
		}
		c, ok := m.(chunk)
		if !ok || c.Stream != streamStdin || c.Seq != j.Seq || uint64(len(c.Data)) > j.StdinLen-uint64(len(j.stdin)) {
			return nil, &FrameError{Name: s.rd.name, Op: fmt.Sprintf("reading stdin of job %d", j.Seq),
				Err: fmt.Errorf("%w: %s frame where %d more stdin bytes were due", ErrMalformed, m.kind(), j.StdinLen-uint64(len(j.stdin)))}
		}
		j.stdin = append(j.stdin, c.Data...)
	}
	return j, nil
}

// readMessage reads and decodes one frame from rd.
func readMessage(rd *Reader) (message, error) {
	f, err := rd.Read()
	if err != nil {
		return nil, err
	}
	m, err := decode(f)
	if err != nil {
		return nil, &FrameError{Name: rd.name, Op: "decoding " + f.Kind.String() + " frame",
			Seen: f.Payload[:min(len(f.Payload), seenMax)], Err: err}
	}
	return m, nil
}

// serve is Serve after the worker's Hello went out: wait for the
// coordinator's Hello, then, while idle, take one message at a time. A Job
// is run to its end by run, which watches the input on its own meanwhile.
func (s *server) serve() error {
	first := true
	for {
		var it inMsg
		select {
		case it = <-s.msgs:
		case <-s.out.broken:
			return s.out.error()
		case <-s.ctx.Done():
			return context.Cause(s.ctx)
		}
		if it.err == io.EOF {
			return nil // idle, and the coordinator is gone: nothing to clean up
		}
		if it.err != nil {
			return s.protocolError(it.err)
		}
		if first {
			first = false
			if err := s.checkHello(it.m); err != nil {
				return err
			}
			continue
		}
		switch m := it.m.(type) {
		case jobMsg:
			if stop, err := s.run(m); stop || err != nil {
				return err
			}
		case shutdownMsg:
			return nil
		case cancelMsg, killMsg:
			// For a job that has finished already: its Done crossed this
			// frame on the wire.
		default:
			return s.protocolError(fmt.Errorf("%w: unexpected %s frame from the coordinator", ErrMalformed, m.kind()))
		}
	}
}

// checkHello checks the coordinator's Hello.
func (s *server) checkHello(m message) error {
	h, ok := m.(hello)
	if !ok {
		return s.protocolError(fmt.Errorf("%w: %s frame from the coordinator before its Hello", ErrMalformed, m.kind()))
	}
	if h.Version != ProtocolVersion {
		return s.protocolError(fmt.Errorf("%w: the coordinator (pid %d, parrun %s) speaks protocol version %d, this worker (parrun %s) speaks %d: is the parrun on the remote PATH the same version?",
			ErrVersionMismatch, h.PID, h.Parrun, h.Version, Version(), ProtocolVersion))
	}
	return nil
}

// protocolError tells the coordinator why this worker gives up, as far as
// the stream still works, and returns err.
func (s *server) protocolError(err error) error {
	s.out.send(errorMsg{Msg: err.Error()})
	return err
}

// run runs one job to its end and sends its Done. It reports stop when
// Serve must return after it: the coordinator is gone or sent Shutdown, or
// ctx is done.
func (s *server) run(m jobMsg) (stop bool, err error) {
	// The job's context: a Cancel, the end of input or ctx ends it, and
	// its cause picks the first signal (exec.Signaler).
	jctx, cancel := context.WithCancelCause(s.ctx)
	defer cancel(nil)
	rj := &runningJob{seq: m.Seq, cancel: cancel, kill: make(chan struct{})}
	done := make(chan *exec.Result, 1)
	var wg sync.WaitGroup
	spec := s.spec(m)
	wg.Go(func() { done <- s.runner.Run(jctx, spec) })

	// Each event is handled once: its channel is set to nil after it.
	msgs, broken, ctxDone := s.msgs, s.out.broken, s.ctx.Done()
	for {
		select {
		case res := <-done:
			// The job has been reaped. Its Done goes out even when Serve
			// is about to stop: a live coordinator wants to know.
			wg.Wait()
			if serr := s.out.send(doneOf(m.Seq, res)); serr != nil && rj.err == nil && !rj.gone {
				rj.err = serr
			}
			return rj.stop, rj.err
		case it := <-msgs:
			if s.handle(rj, it) {
				msgs = nil
			}
		case <-broken:
			// The frames cannot go out: the coordinator is gone.
			cancel(errCoordinator)
			rj.stop, rj.gone, broken = true, true, nil
			rj.err = s.out.error()
		case <-ctxDone:
			// jctx is done too: exec runs the termination sequence.
			rj.stop, ctxDone = true, nil
			rj.err = context.Cause(s.ctx)
		}
	}
}

// runningJob is what run knows of the job it runs while messages arrive.
type runningJob struct {
	seq    uint64
	cancel context.CancelCauseFunc
	kill   chan struct{} // closed by a Kill: exec skips to SIGKILL
	killed bool
	stop   bool  // Serve returns after this job
	gone   bool  // the coordinator is gone: its Done cannot be sent
	err    error // what Serve returns
}

// spec is the exec.Spec of a Job message.
func (s *server) spec(m jobMsg) *exec.Spec {
	spec := &exec.Spec{Argv: m.Argv, Dir: m.Dir, Timeout: m.Timeout, Terminate: m.Terminate, KeepBackground: m.KeepBackground}
	switch {
	case m.MergeEnv:
		spec.Env = append(os.Environ(), m.Env...)
	case m.HasEnv:
		spec.Env = m.Env
	}
	if m.HasStdin {
		spec.Stdin = bytes.NewReader(m.stdin)
	}
	// Output goes out as it comes. Not an *os.File, so exec copies it from
	// a pipe on goroutines of its own, joined before Run returns: no Chunk
	// of this job can follow its Done.
	if !m.NoStdout {
		spec.Stdout = &chunkWriter{s: s.out, seq: m.Seq, stream: streamStdout}
	}
	if !m.NoStderr {
		spec.Stderr = &chunkWriter{s: s.out, seq: m.Seq, stream: streamStderr}
	}
	return spec
}

// handle handles one message from the coordinator while a job runs. It
// reports whether no more messages will come (the input ended or broke,
// or the coordinator sent Shutdown).
func (s *server) handle(rj *runningJob, it inMsg) (last bool) {
	switch mm := it.m.(type) {
	case cancelMsg:
		// Another seq is a job already done: ignored.
		if mm.Seq == rj.seq {
			rj.cancel(cancelled{sig: mm.Signal, kill: rj.kill})
		}
		return false
	case killMsg:
		if mm.Seq == rj.seq && !rj.killed {
			// After a Cancel this escalates its cause; on its own it is
			// the cause, already escalated.
			rj.killed = true
			rj.cancel(cancelled{kill: rj.kill})
			close(rj.kill)
		}
		return false
	case shutdownMsg:
		// Close sends Shutdown only when idle; from a confused coordinator
		// it still means "stop", and a job must not outlive the worker.
		rj.cancel(errShutdownInJob)
		rj.stop = true
		return true
	}
	// The end of input, a broken frame, or a frame that has no business
	// here: either way the coordinator can no longer steer this job.
	rj.stop = true
	switch {
	case it.err == io.EOF:
		rj.cancel(errCoordinator)
		rj.gone = true
	case it.err != nil:
		rj.cancel(it.err)
		rj.err = s.protocolError(it.err)
	default:
		rj.err = fmt.Errorf("%w: %s frame from the coordinator while job %d runs", ErrMalformed, it.m.kind(), rj.seq)
		rj.cancel(rj.err)
		s.protocolError(rj.err)
	}
	return true
}

// A chunkWriter is one output stream of a running job: exec's copy
// goroutine writes to it, and it sends what it gets as Chunk frames at
// once, so a job's output is never held back nor held whole.
type chunkWriter struct {
	s      *sender
	seq    uint64
	stream byte
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), ChunkSize)
		if err := c.s.sendChunk(c.seq, c.stream, p[:k]); err != nil {
			return n, err
		}
		n += k
		p = p[k:]
	}
	return n, nil
}

// A sender serialises frames from several goroutines (a job's stdout and
// stderr copies, the main loop; on the coordinator, Run and its watcher)
// onto one Writer, and decides when to flush.
//
// Flushing: control frames are flushed at once. A Chunk is flushed unless
// another sender is already waiting for the lock — that one flushes after
// it, so frames queued behind each other share one write(2), and the last
// frame of a burst is never left in the buffer. One pipe read of a job's
// output thus costs at most one write, whatever the job's write sizes.
//
// The first error is sticky: every later send returns it, and broken is
// closed so that whoever waits can stop.
type sender struct {
	waiting atomic.Int32
	mu      sync.Mutex
	w       *Writer
	buf     []byte // payload scratch, under mu
	err     error  // under mu
	broken  chan struct{}
}

func newSender(w *Writer) *sender {
	return &sender{w: w, broken: make(chan struct{})}
}

func (s *sender) lock() {
	s.waiting.Add(1)
	s.mu.Lock()
	s.waiting.Add(-1)
}

// send sends one control message and flushes it.
func (s *sender) send(m message) error {
	s.lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.buf = m.appendPayload(s.buf[:0])
	err := s.w.writeFrame(m.kind(), nil, s.buf)
	if err == nil {
		err = s.w.Flush()
	}
	return s.fail(err)
}

// sendJob sends an encoded Job and its stdin, in one flush.
func (s *sender) sendJob(payload []byte, seq uint64, stdin string) error {
	s.lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	err := s.w.writeFrame(KindJob, nil, payload)
	for len(stdin) > 0 && err == nil {
		k := min(len(stdin), ChunkSize)
		s.buf = chunk{Seq: seq, Stream: streamStdin}.appendHead(s.buf[:0])
		s.buf = append(s.buf, stdin[:k]...)
		err = s.w.writeFrame(KindChunk, nil, s.buf)
		stdin = stdin[k:]
	}
	if err == nil {
		err = s.w.Flush()
	}
	return s.fail(err)
}

// sendChunk sends one Chunk of output; data is at most ChunkSize bytes.
func (s *sender) sendChunk(seq uint64, stream byte, data []byte) error {
	s.lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	// The header in the scratch buffer: a local array would escape.
	s.buf = chunk{Seq: seq, Stream: stream}.appendHead(s.buf[:0])
	err := s.w.writeFrame(KindChunk, s.buf, data)
	if err == nil && s.waiting.Load() == 0 {
		err = s.w.Flush()
	}
	return s.fail(err)
}

// fail records err, the first one for good. Called with mu held.
func (s *sender) fail(err error) error {
	if err != nil && s.err == nil {
		s.err = err
		close(s.broken)
	}
	return err
}

// error returns the sticky error.
func (s *sender) error() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
