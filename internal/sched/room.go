package sched

import "fmt"

// What a running job costs of a process limit (RLIMIT_NPROC counts
// threads too), for FitRoom. Measured on Linux with Go 1.26: parrun runs 7
// threads and its reaper 3-5; a process-mode worker 5, its reaper 4.
const (
	// jobProcs is a job's leader and one child (a shell and its command).
	jobProcs = 2
	// workerProcs is a process-mode slot's worker and its reaper.
	workerProcs = 9
	// ownProcs is parrun's own threads, its reaper's, and some margin.
	ownProcs = 12
)

// FitRoom lowers how many jobs run at once so that they, parrun's own
// threads and (in process mode) the workers fit into room more processes
// and threads: what the process limit leaves (exec.ProcessRoom). It
// returns a notice for the user when it lowered anything, else "". A Go
// runtime that cannot start a thread aborts, and a job whose shell cannot
// fork fails (issue 18 item 7): fitting is the way not to.
func (o *Options) FitRoom(room int) string {
	free := max(room-ownProcs, 0)
	before := o.slotsOrConcurrency()
	switch o.Mode {
	case ModeProcess:
		o.Slots = max(1, min(o.Slots, free/(jobProcs+workerProcs)))
	case ModeCoroutine:
		o.Concurrency = max(1, min(o.Concurrency, free/jobProcs))
		// -j is the OS threads running Go code here: fewer fit too.
		o.Slots = max(1, min(o.Slots, free/(4*jobProcs)))
	default:
		o.Slots = max(1, min(o.Slots, free/jobProcs))
	}
	if after := o.slotsOrConcurrency(); after < before {
		return fmt.Sprintf("process limit: room for %d more processes and threads (ulimit -u, or the cgroup's pids.max): running at most %d at once, not %d", room, after, before)
	}
	return ""
}

// slotsOrConcurrency is how many jobs run at once.
func (o *Options) slotsOrConcurrency() int {
	if o.Mode == ModeCoroutine {
		return o.Concurrency
	}
	return o.Slots
}
