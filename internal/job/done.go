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
	// Sent counts the bytes of the job's stdin (the joblog's Send).
	Sent int64
	// Result is the last attempt's result.
	Result *exec.Result
	// Output is the last attempt's output, as the gatherer made it; nil
	// when the job produced none that is kept (a dry run, a bad record, a
	// job stopped before its retry). The gatherer that receives the Done
	// owns it from then on.
	Output Output
}

// Failed reports whether the job counts as failed.
func (d *Done) Failed() bool { return d.Result.Failed() }

// An Output is where one attempt of a job writes. The gatherer of results
// makes one for each attempt as it starts; it travels with the attempt's
// result in a Done. It is released exactly once: by the gatherer when it
// reports the attempt, or by the scheduler, through Discard, when the
// attempt will not be reported (it is retried, its host went down, or the
// gatherer failed). Whoever holds an Output never looks inside it: only
// its maker knows what it is made of (buffers, spill files, result files).
type Output interface {
	// Streams returns the writers of the job's stdout and stderr; nil
	// discards that stream. An *os.File, or an exec.Filer's file, is
	// handed to the job's process as it is.
	Streams() (stdout, stderr io.Writer)
	// Discard releases the output without reporting it. It may be called
	// more than once.
	Discard()
}

// Streams returns o's writers, or nil, nil for a nil Output.
func Streams(o Output) (stdout, stderr io.Writer) {
	if o == nil {
		return nil, nil
	}
	return o.Streams()
}

// Discard discards o; a nil Output is a no-op.
func Discard(o Output) {
	if o != nil {
		o.Discard()
	}
}
