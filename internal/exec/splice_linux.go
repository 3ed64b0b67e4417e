package exec

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// spliceable reports whether at is a file the kernel can splice from.
func spliceable(at io.ReaderAt) bool {
	f, ok := at.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode().IsRegular()
}

// splice moves the rest of the file range into the pipe, in the kernel:
// with once, only what the pipe takes now, without waiting.
func (f *feeder) splice(once bool) error {
	rc, err := f.w.SyscallConn()
	if err != nil {
		return err
	}
	for f.left > 0 {
		var n int64
		var serr error
		werr := rc.Write(func(fd uintptr) bool {
			n, serr = unix.Splice(f.from, &f.off, int(fd), nil, int(min(f.left, 1<<20)), unix.SPLICE_F_NONBLOCK|unix.SPLICE_F_MOVE)
			return once || serr != unix.EAGAIN // false: wait until the pipe takes more
		})
		switch {
		case once && serr == unix.EAGAIN:
			return nil
		case (serr == unix.EINVAL || serr == unix.ENOSYS) && n == 0:
			return errNoSplice
		case serr != nil:
			return serr
		case werr != nil:
			return werr
		case n == 0:
			return io.ErrUnexpectedEOF // the file is shorter than when it was cut
		}
		f.left -= n
		if once {
			return nil
		}
	}
	return nil
}

// growPipe asks for a pipe of size bytes (best effort).
func growPipe(w *os.File, size int) {
	unix.FcntlInt(uintptr(fdOf(w)), unix.F_SETPIPE_SZ, size)
}
