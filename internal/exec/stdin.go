package exec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"sync"
	"syscall"
)

// A feeder writes a job's stdin through a pipe parrun owns, rather than
// through os/exec's own copy, which hides a write that failed because the
// job was gone: GNU parallel counts a job that exits before it has taken
// all of its input as failed (signal 13 in its joblog), and so does parrun
// (Result.StdinUnread).
type feeder struct {
	src   io.Reader
	r, w  *os.File
	done  chan error
	close func() error
	// from, when the input is a range of a file (a --pipe block of a
	// regular file), is that file's descriptor: the range is spliced into
	// the pipe, never copied through parrun.
	from      int
	file      *os.File
	off, left int64
}

// errNoSplice says the kernel cannot splice from this file (a file system
// without splice_read): the range is then copied.
var errNoSplice = errors.New("exec: splice is not supported here")

// newFeeder sets cmd's stdin to the read end of a new pipe that start
// fills from src.
func newFeeder(cmd *osexec.Cmd, src io.Reader) (*feeder, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdin = r
	f := &feeder{src: src, r: r, w: w, close: sync.OnceValue(w.Close), from: -1}
	if sr, ok := src.(*io.SectionReader); ok {
		if at, off, n := sr.Outer(); spliceable(at) {
			f.file = at.(*os.File)
			f.from, f.off, f.left = fdOf(f.file), off, n
			if n > spliceBigPipe {
				// A bigger pipe: the job reads its block in fewer, larger
				// reads (best effort; the system may refuse the size).
				growPipe(w, spliceBigPipe)
			}
		}
	}
	if _, whole := src.(interface{ Len() int }); whole || f.from >= 0 {
		f.prefill() // an input known whole; a stream (--round-robin) is taken as the job reads it
	}
	return f, nil
}

// prefill puts the start of the input into the pipe before the job
// starts, as much as the pipe holds without blocking (64 KiB on Linux):
// an input that small is the job's whatever the job does, so that whether
// a job that does not read it "took" it does not depend on how fast it
// exits. GNU parallel writes right after the fork, before the job runs,
// with the same outcome almost always.
func (f *feeder) prefill() {
	if f.from >= 0 {
		if f.splice(true) != errNoSplice {
			return
		}
		f.noSplice()
	}
	buf := prefillBuf.Get().(*[]byte)
	n, _ := io.ReadFull(f.src, *buf)
	written := 0
	if rc, err := f.w.SyscallConn(); err == nil {
		rc.Write(func(fd uintptr) bool {
			written, _ = syscall.Write(int(fd), (*buf)[:n]) // non-blocking: stops where the pipe is full
			written = max(written, 0)
			return true
		})
	}
	rest := bytes.Clone((*buf)[written:n])
	prefillBuf.Put(buf)
	f.src = io.MultiReader(bytes.NewReader(rest), f.src)
}

var prefillBuf = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// start writes the rest of the input on a goroutine of its own once the
// job has started (ok); either way parrun's copy of the read end is
// closed.
func (f *feeder) start(ok bool) {
	f.r.Close()
	if !ok {
		f.close()
		return
	}
	f.done = make(chan error, 1)
	go func() {
		var err error
		if f.from >= 0 {
			if err = f.splice(false); err == errNoSplice {
				f.noSplice()
			}
		}
		if f.from < 0 {
			_, err = io.Copy(f.w, f.src)
		}
		f.close()
		f.done <- err
	}()
}

// report waits for the writer (finish) and puts what became of the input
// into res: a job that did not take it all fails as in GNU parallel
// (StdinUnread, Signal 13 in the joblog) unless parrun stopped it
// (stopped); a write that failed otherwise is the job's error.
func (f *feeder) report(res *Result, stopped bool, name string) {
	unread, err := f.finish()
	switch {
	case unread && !stopped && res.Signal == 0:
		res.StdinUnread, res.Signal = true, syscall.SIGPIPE
	case err != nil && res.Err == nil:
		res.Err = fmt.Errorf("exec: writing the input of %s: %w", name, err)
	}
}

// noSplice turns a file range the kernel cannot splice into a copy.
func (f *feeder) noSplice() {
	f.src, f.from = io.NewSectionReader(f.file, f.off, f.left), -1
}

// finish waits for the writer once the job's leader is gone and its group
// killed. A writer still blocked — a process the job left behind holds its
// stdin without reading — is cut off by closing the pipe. It reports
// whether some of the input was never taken, or else why writing it
// failed (reading the input, say): never a silent short input.
func (f *feeder) finish() (unread bool, err error) {
	if f.done == nil {
		return false, nil
	}
	select {
	case err = <-f.done:
	default:
		f.close()
		err = <-f.done
	}
	if errors.Is(err, syscall.EPIPE) || errors.Is(err, os.ErrClosed) {
		return true, nil
	}
	return false, err
}

// spliceBigPipe is the pipe size a spliced input of more gets: Linux's
// default limit for unprivileged users (/proc/sys/fs/pipe-max-size).
const spliceBigPipe = 1 << 20

// fdOf is f's descriptor, read without putting f in blocking mode (Fd
// would). The caller keeps f open while it uses the descriptor.
func fdOf(f *os.File) int {
	fd := -1
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(d uintptr) { fd = int(d) })
	}
	return fd
}
