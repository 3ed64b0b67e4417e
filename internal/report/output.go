package report

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/job"
)

// output is one attempt's job.Output as the report makes it: the writers
// the job writes to, and the parts behind them that the report finishes
// when it reports the attempt, or releases when the scheduler discards it.
// Only the report looks inside it.
type output struct {
	stdout, stderr io.Writer
	// bufs are the captured streams (--group, -k, --json), or nil.
	bufs [2]*exec.Buffer
	// lines are the line writers (--line-buffer, --tag), whose last
	// partial line is flushed when the job is reported.
	lines [2]*lineWriter
	// files are the job's --results stdout and stderr files, or nil, and
	// paths where they and the rest of its results are.
	files [2]*os.File
	paths *resultPaths
	// temp is the --files file of the job's stdout: kept when the job is
	// reported, removed when the attempt is discarded.
	temp     string
	released bool
}

// Streams implements job.Output.
func (o *output) Streams() (stdout, stderr io.Writer) { return o.stdout, o.stderr }

// Discard implements job.Output: it closes the buffers and files, and
// removes a --files file no one will be told of.
func (o *output) Discard() {
	o.release()
	if o.temp != "" {
		os.Remove(o.temp)
	}
}

// release closes what the output holds, once.
func (o *output) release() {
	if o.released {
		return
	}
	o.released = true
	for i := range 2 {
		o.bufs[i].Close()
		if o.files[i] != nil {
			o.files[i].Close()
		}
	}
}

// received is the size of the job's stdout, for the joblog's Receive
// column: what was captured or saved; 0 when it was passed through.
func (o *output) received() int64 {
	switch {
	case o.bufs[0] != nil:
		return o.bufs[0].Len()
	case o.files[0] != nil:
		if fi, err := o.files[0].Stat(); err == nil {
			return fi.Size()
		}
	}
	return 0
}

// outputOf returns the report's own output behind a Done, or an empty one
// (a dry run, a bad record, an attempt stopped before its retry).
func outputOf(d *job.Done) *output {
	if o, ok := d.Output.(*output); ok {
		return o
	}
	return &output{}
}

// tee copies a job's output to its --results file as well as to where it
// goes otherwise (w, nil for nowhere).
type tee struct {
	w io.Writer
	f *os.File
}

func (t *tee) Write(p []byte) (int, error) {
	if _, err := t.f.Write(p); err != nil {
		return 0, fmt.Errorf("writing results file: %w", err)
	}
	if t.w == nil {
		return len(p), nil
	}
	return t.w.Write(p)
}

// openResults opens a starting job's --results files (stdout, stderr,
// and seq, which it writes) and tees o's streams into them; o's streams
// may be nil, for nowhere else. A result.json left from an earlier run is
// removed first, so the directory never claims a result for a job that
// has not finished this time. When the files cannot be made, the job's
// stdout fails every write, so that the job fails with a message naming
// them.
func (r *Report) openResults(j *job.Job, slot int, o *output) {
	p := r.opts.Results.paths(j, slot)
	if p == nil {
		return
	}
	o.paths = p
	fail := func(err error) {
		o.stdout = &failedWriter{err: fmt.Errorf("--results: %w", err)}
	}
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		fail(err)
		return
	}
	os.Remove(p.record)
	if err := os.WriteFile(p.seq, []byte(strconv.FormatInt(j.Seq, 10)), 0o644); err != nil {
		fail(err)
		return
	}
	for i, name := range []string{p.stdout, p.stderr} {
		f, err := os.Create(name)
		if err != nil {
			fail(err)
			return
		}
		o.files[i] = f
	}
	o.stdout = &tee{w: o.stdout, f: o.files[0]}
	o.stderr = &tee{w: o.stderr, f: o.files[1]}
}

// failedWriter fails every write with err.
type failedWriter struct{ err error }

func (f *failedWriter) Write([]byte) (int, error) { return 0, f.err }
