//go:build unix

package exec

import (
	"bufio"
	"io"
	"os"
	osexec "os/exec"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
)

// The reaper's entry guard, as the worker's (ipc.CookieKey): a parrun
// binary started with it in its environment is a reaper.
const (
	ReaperKey   = "PARRUN_REAPER_COOKIE"
	ReaperValue = "3f9d1c7e5a2b4806-parrun-reaper"
)

// A Reaper is a helper process that kills the process groups of jobs when
// parrun dies before it could: kill -9 of parrun runs none of its
// cleanup, and the parent-death signal reaches a job's leader only, not
// what the leader started (issue 18 item 3). The Runner tells it of each
// group it starts and each it has finished with, over a pipe; when the
// pipe ends — parrun exited, however it exited — the reaper SIGKILLs every
// group it still holds and exits. After a clean run it holds none.
//
// The reaper is parrun's own binary (Exe) re-executed with ReaperKey set,
// started on the first Add, in a process group of its own (so that a
// Ctrl-C at the terminal is parrun's to handle), ignoring the signals that
// would stop parrun. There is one gap: a job started and then parrun
// killed before Add is written is not known to it (the leader still gets
// the parent-death signal on Linux).
//
// The zero value with Exe set is ready; a nil *Reaper does nothing. Close
// must be called once jobs are done: it ends the pipe and reaps the
// reaper. Methods are safe for concurrent use.
type Reaper struct {
	// Exe is the parrun binary to start as the reaper.
	Exe string

	mu      sync.Mutex
	started bool
	w       *os.File // write end of the reaper's stdin; nil if it failed
	cmd     *osexec.Cmd
	line    []byte
}

// Add tells the reaper of a new process group.
func (r *Reaper) Add(pgid int) { r.send('+', pgid) }

// Remove tells the reaper that a group is finished with.
func (r *Reaper) Remove(pgid int) { r.send('-', pgid) }

func (r *Reaper) send(op byte, pgid int) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started {
		r.started = true
		r.start()
	}
	if r.w == nil {
		return // no reaper: the parent-death signal is all there is
	}
	r.line = strconv.AppendInt(append(r.line[:0], op), int64(pgid), 10)
	r.line = append(r.line, '\n')
	if _, err := r.w.Write(r.line); err != nil {
		r.w.Close()
		r.w = nil
	}
}

// start starts the reaper process. Called with mu held.
func (r *Reaper) start() {
	if r.Exe == "" {
		return
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return
	}
	cmd := osexec.Command(r.Exe)
	cmd.Env = append(os.Environ(), ReaperKey+"="+ReaperValue)
	cmd.Stdin = pr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // no parent-death signal: it must outlive parrun
	err = cmd.Start()
	pr.Close()
	if err != nil {
		pw.Close()
		return
	}
	r.cmd, r.w = cmd, pw
}

// Close ends the reaper's input and waits for it to exit. The groups it
// still holds (none, when every job was finished with) are killed.
func (r *Reaper) Close() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w != nil {
		r.w.Close()
		r.w = nil
	}
	if r.cmd == nil {
		return nil
	}
	err := r.cmd.Wait()
	r.cmd = nil
	return err
}

// IsReaper reports whether the environment read through getenv asks this
// process to be a reaper.
func IsReaper(getenv func(string) string) bool { return getenv(ReaperKey) == ReaperValue }

// ReaperMain is the reaper's entry: what a parrun binary runs when
// IsReaper(os.Getenv) holds. It reads "+PGID" and "-PGID" lines from in
// until it ends, then SIGKILLs every group still held, and returns 0.
func ReaperMain(in io.Reader) int {
	// parrun's shutdown signals must not end the reaper before parrun's
	// own end does.
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE)
	held := map[int]bool{}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := sc.Text()
		if len(line) < 2 {
			continue
		}
		pgid, err := strconv.Atoi(line[1:])
		if err != nil || pgid <= 1 {
			continue
		}
		if line[0] == '+' {
			held[pgid] = true
		} else {
			delete(held, pgid)
		}
	}
	for pgid := range held {
		syscall.Kill(-pgid, syscall.SIGKILL)
	}
	return 0
}
