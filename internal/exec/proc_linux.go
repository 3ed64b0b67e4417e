package exec

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// OwnGroup returns the process attributes of a process parrun starts and
// owns (a job, a worker, an ssh master): a process group of its own, which
// parrun signals as a whole. On Linux, Pdeathsig also kills its leader
// should parrun die without running its own cleanup (SIGKILL); parrun
// locks no OS thread, so the thread that forked lives as long as parrun
// does (golang/go#27505).
func OwnGroup() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// outputPipe returns a pipe for one output stream of a job. Only the read
// end, which parrun reads, is non-blocking and registered with Go's poller.
// The write end, which only the job uses, stays blocking and unregistered:
// os.Pipe would make both ends non-blocking and register both, and os/exec
// would then set the write end back to blocking when it hands it over, six
// system calls per stream that buy nothing (strace -f -c, README).
func outputPipe() (r, w *os.File, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, nil, os.NewSyscallError("pipe2", err)
	}
	// A new pipe's read end has no flags but O_RDONLY (0).
	if _, err := unix.FcntlInt(uintptr(p[0]), unix.F_SETFL, unix.O_NONBLOCK); err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		return nil, nil, os.NewSyscallError("fcntl", err)
	}
	// os.NewFile sees O_NONBLOCK on the read end and registers it with
	// the poller; the blocking write end is left alone.
	return os.NewFile(uintptr(p[0]), "|0"), os.NewFile(uintptr(p[1]), "|1"), nil
}

// watchExit returns a function that blocks until the process pid has
// exited, without reaping it: its zombie keeps the process group id its
// own while parrun kills the rest of the group (issue 18 item 3). It
// waits on a pidfd served by the runtime poller, so a waiting job holds no
// OS thread (item 7: thousands of waiting jobs, few threads). ok is false
// when pidfds do not work here; the caller then waits with cmd.Wait.
// release closes the pidfd; call it once the wait is over or abandoned.
func watchExit(pid int) (wait func(), release func(), ok bool) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return nil, nil, false
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, nil, false
	}
	wait = func() {
		// Read calls the function until it reports done, waiting for the
		// pidfd to be readable (the process exited) between calls.
		err := rc.Read(func(fd uintptr) bool {
			var info unix.Siginfo
			err := unix.Waitid(unix.P_PIDFD, int(fd), &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
			return err != unix.EAGAIN && (err != nil || info.Signo != 0)
		})
		_ = err // a closed or broken pidfd: cmd.Wait, next, says how it ended
	}
	return wait, func() { f.Close() }, true
}
