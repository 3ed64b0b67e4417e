package report

import (
	"os"

	"golang.org/x/sys/unix"
)

// pipeBroken reports whether f is a pipe whose reader has gone: poll
// reports an error (Linux) or a hang-up on its write end.
func pipeBroken(f *os.File) bool {
	rc, err := f.SyscallConn() // not f.Fd(), which would make f blocking
	if err != nil {
		return false
	}
	broken := false
	rc.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		n, err := unix.Poll(fds, 0)
		broken = err == nil && n > 0 && fds[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0
	})
	return broken
}
