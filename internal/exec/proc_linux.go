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
