// Package job turns input records into runnable jobs: the command template
// and its replacement strings, shell quoting, and the decision between a
// shell and a direct exec (SPEC §2). Everything here is a pure function of
// its input; nothing starts a process.
package job

import (
	"cmp"
	"fmt"
	"io"
	"strconv"
	"time"
)

// RetryUntilSuccess, as a Job's Retries or sched.Options.Retries, reruns
// a failed job until it succeeds or the run stops (--retries 0, JSONL
// "retries": 0). GNU 20221122 reruns it even after a success; parrun stops
// at the first success, as GNU documents.
const RetryUntilSuccess = -1

// A Job is one unit of work, built from one input record (or -n records).
// Fields other than Seq are optional; a zero value means "use the run's
// default".
type Job struct {
	// Seq is the job's sequence number in input order, from 1. It is {#} and
	// PARRUN_SEQ whatever order the job runs in.
	Seq int64
	// Total is the number of jobs in the run, --plus's {##}, when the
	// input was read whole to count them (0: not counted).
	Total int64
	// Line is the input line (or record) number the job came from, for
	// messages; 0 for ::: arguments.
	Line int64
	// ID is the JSONL "id", or the sequence number.
	ID string
	// Values are what the template substitutes: Whole is {}, Args are {1}….
	Whole []string
	Args  []string
	// RecordArgs is how many of Args each record gave, when the job holds
	// several records (-n); nil when they are all one record's. GNU's
	// --results directories number the values within each record.
	RecordArgs []int
	// Cmd, when set, is the job's command as given by the input (a record
	// that is a whole command line, or JSONL "cmd"/"argv"); the template is
	// not used.
	Cmd *Command
	// Env holds extra KEY=VALUE pairs merged over the inherited environment.
	Env []string
	// Dir is the working directory; "" inherits parrun's.
	Dir string
	// Timeout, when positive, overrides --timeout for this job.
	Timeout time.Duration
	// Retries, when not zero, overrides --retries for this job: N > 0
	// attempts in all, or RetryUntilSuccess. The zero value takes
	// --retries, so that a Job made without it runs as asked, never for ever.
	Retries int
	// Priority orders jobs under --order priority: smaller runs first.
	Priority int64
	// Stdin, when HasStdin, is written to the job's standard input; or,
	// when StdinAt is set, StdinLen bytes of it from StdinOff are (a
	// --pipe block of a regular file, read where it lies).
	Stdin              string
	HasStdin           bool
	StdinAt            io.ReaderAt
	StdinOff, StdinLen int64
	// StdinAs, "cat" or "fifo" (--cat, --fifo), makes the stdin above the
	// file Whole[0] names instead, a temporary file or a named pipe made
	// for each attempt (the job's own stdin is then /dev/null).
	StdinAs string
	// StdinStream, when set, is the job's stdin read as it comes, once: a
	// --round-robin job's share of the blocks. Such a job is not retried.
	StdinStream io.Reader
	// Release, when set, is called once no attempt will read Stdin again,
	// to give back the memory it shares (a --pipe block): see DropStdin.
	Release func()
	// Err, when set, is why the record could not become a job (malformed
	// JSONL, unreadable input). The job is reported failed with this message
	// and never runs: a bad record is never silently dropped.
	Err error
}

// DropStdin empties the job's stdin once it will not run again and gives
// back what the stdin shares (Release); it returns the stdin's size.
func (j *Job) DropStdin() int64 {
	n := int64(len(j.Stdin)) + j.StdinLen
	j.Stdin, j.StdinAt, j.StdinStream = "", nil, nil
	if j.Release != nil {
		j.Release()
		j.Release = nil
	}
	return n
}

// StdinText is the job's stdin as text, its range read in when it lies
// in a file (for a worker elsewhere, which cannot read the file).
func (j *Job) StdinText() (string, error) {
	if j.StdinAt == nil {
		return j.Stdin, nil
	}
	b := make([]byte, j.StdinLen)
	if n, err := j.StdinAt.ReadAt(b, j.StdinOff); n < len(b) {
		return "", fmt.Errorf("reading the block of job %d: %w", j.Seq, cmp.Or(err, io.ErrUnexpectedEOF))
	}
	return string(b), nil
}

// Describe returns the job's arguments joined by spaces: what --tag prints
// and what a message names a job by.
func (j *Job) Describe() string {
	vals := j.Whole
	if len(j.Args) > len(vals) {
		vals = j.Args
	}
	n := 0
	for _, v := range vals {
		n += len(v) + 1
	}
	b := make([]byte, 0, n)
	for i, v := range vals {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, v...)
	}
	if len(b) == 0 && j.Cmd != nil {
		return j.Cmd.String()
	}
	return string(b)
}

// Command returns the command the job runs in the given worker slot.
func (j *Job) Command(t *Template, slot int) Command {
	if j.Cmd != nil {
		return *j.Cmd
	}
	return t.Expand(j.values(slot))
}

func (j *Job) values(slot int) *Values {
	id := j.ID
	if id == "" {
		id = strconv.FormatInt(j.Seq, 10)
	}
	return &Values{Seq: j.Seq, Slot: slot, ID: id, Whole: j.Whole, Args: j.Args, Total: j.Total}
}
