package job

import (
	"io"

	"github.com/parrun/parrun/internal/exec"
)

// Done is a finished job as the scheduler hands it to whoever gathers
// results: the job, what ran, where, how often, and how it ended.
type Done struct {
	Job *Job
	// Command is what ran (or would have: a bad record has none).
	Command Command
	// Slot is the worker slot ({%}) of the last attempt.
	Slot int
	// Attempts counts the runs, 1 for a job that was not retried.
	Attempts int
	// Host is where the job ran; "" is this machine.
	Host string
	// Result is the last attempt's result.
	Result *exec.Result
	// Stdout and Stderr are the writers the gatherer gave the job
	// (buffers in --group mode).
	Stdout, Stderr io.Writer
}

// Failed reports whether the job counts as failed.
func (d *Done) Failed() bool { return d.Result.Failed() }
