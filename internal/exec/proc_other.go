//go:build unix && !linux

package exec

import (
	"os"
	"syscall"
)

// OwnGroup returns the process attributes of a process parrun starts and
// owns (a job, a worker, an ssh master): a process group of its own, which
// parrun signals as a whole. These systems have no parent-death signal;
// what keeps a job from outliving a parrun that was SIGKILLed is the end
// of its pipes: a process-mode worker kills its jobs when its stdin ends
// (SPEC §3), and a job writing to a pipe whose reader is gone dies of
// SIGPIPE (README: "Nothing outlives parrun").
func OwnGroup() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// outputPipe returns a pipe for one output stream of a job: os.Pipe, which
// makes both ends close-on-exec (under syscall.ForkLock, where pipe2 is
// missing) and non-blocking; os/exec makes the write end blocking again
// when it hands it to the job.
func outputPipe() (r, w *os.File, err error) {
	return os.Pipe()
}

// watchExit: without pidfds, the caller waits with cmd.Wait.
func watchExit(int) (wait func(), release func(), ok bool) { return nil, nil, false }

// ProcessRoom: these systems' limits are not read; resource errors are
// met by back-off alone.
func ProcessRoom() (room int, ok bool) { return 0, false }
