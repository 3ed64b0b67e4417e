// Package report gathers finished jobs into what the user sees: grouped,
// line-buffered or passed-through output, --tag prefixes, --dry-run lines,
// -v, and the closing list of failed jobs (SPEC §4). It reads results; it
// never starts or stops a job.
package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/job"
	"github.com/parrun/parrun/internal/msg"
)

// Grouping is how jobs' output reaches parrun's own (SPEC §4).
type Grouping int

// The groupings.
const (
	// Group writes a job's stdout and stderr whole when it finishes.
	Group Grouping = iota
	// LineBuffer writes whole lines as jobs print them, interleaved.
	LineBuffer
	// Ungroup passes output through as it comes.
	Ungroup
)

// GroupingOf is the grouping that --group, --line-buffer, --ungroup and
// -k ask for: at most one of the first three; -k wins over the others,
// since output in input order needs whole jobs (README).
func GroupingOf(group, lineBuffer, ungroup, keepOrder bool) (Grouping, error) {
	n := 0
	for _, b := range []bool{group, lineBuffer, ungroup} {
		if b {
			n++
		}
	}
	switch {
	case n > 1:
		return Group, errors.New("--group, --line-buffer and --ungroup exclude each other: use one")
	case keepOrder || group:
		return Group, nil
	case lineBuffer:
		return LineBuffer, nil
	case ungroup:
		return Ungroup, nil
	}
	return Group, nil
}

// Tuning knobs.
const (
	// maxFailedListed is how many failed jobs the closing list names.
	maxFailedListed = 20
	// maxBrief is the most of a command or an error a line on stderr
	// quotes; the joblog and --json keep the whole of it.
	maxBrief = 400
)

// Options configure a Report.
type Options struct {
	Grouping Grouping
	// Tag prefixes each output line with the job's arguments and a TAB.
	Tag bool
	// Files saves each job's stdout in a file of its own in TmpDir and
	// prints the file's name instead (GNU's --files).
	Files bool
	// TagString, when set, is the tag instead of the arguments (GNU's
	// --tagstring, with replacement strings); it implies Tag.
	TagString *job.Pattern
	// BufferSize is how much of each output stream of a job stays in
	// memory in Group mode before spilling to TmpDir.
	BufferSize int
	TmpDir     string
	// DryRun prints each job's command instead of its output.
	DryRun bool
	// ShellQuote prints the commands of DryRun quoted for the shell, as
	// one word each (GNU's --shellquote).
	ShellQuote bool
	// Verbose prints each command on stderr as it starts.
	Verbose bool
	// JSON writes one JSON object per job on stdout instead of its output.
	JSON bool
	// Joblog, when set, gets a line per finished job.
	Joblog *Joblog
	// Results, when set, saves each job's output and result.json in one
	// of GNU parallel's --results forms; the output then goes nowhere else.
	Results *Results
	// Timeline, when set, gets every finished job (--timeline).
	Timeline *Timeline
	// Summary prints totals and the slowest jobs on stderr at the end.
	Summary bool
	// CI adds to the reports of the CI system parrun runs under.
	CI CI
	// Stop, when set, stops the run: it is called once, from any
	// goroutine, with an error wrapping ErrOutput when writing a job's
	// output to parrun's own stdout or stderr failed outside Done
	// (--line-buffer, --ungroup), where no Done would return the error.
	Stop func(error)
}

// A Report is the sink of a run: it implements sched.Sink. Build it with
// New; call Close after the run to print the closing list of failures.
type Report struct {
	opts   Options
	stdout io.Writer
	stderr io.Writer
	// outMu serialises writes to stdout and stderr from job goroutines
	// (line-buffered and ungrouped output, -v) and the results goroutine.
	outMu sync.Mutex

	failed   []failure
	nFailed  int
	stopOnce sync.Once

	progressState
	summary summary
}

type failure struct {
	seq       int64
	why, cmd  string // describeFailure's parts
	dur       time.Duration
	tail      string // the last lines of its stderr, indented
	lastError string // the last line of its stderr, unindented
}

// Bounds of the stderr excerpt in the closing list of failed jobs.
const (
	tailBytes = 400
	tailLines = 3
)

// stderrShown says whether jobs' stderr reaches parrun's own: then the
// closing list does not quote it again (each failure reported once).
func (r *Report) stderrShown() bool { return !r.opts.JSON && r.opts.Results == nil }

// stderrTail returns the last lines of a grouped job's stderr, for the
// closing list; "" when the output was not kept.
func stderrTail(d *job.Done) string {
	b := outputOf(d).bufs[1]
	if b == nil || b.Len() == 0 {
		return ""
	}
	t := strings.TrimRight(string(b.Tail(tailBytes)), "\n")
	lines := strings.Split(t, "\n")
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	return "      | " + strings.Join(lines, "\n      | ") + "\n"
}

// New returns a Report writing to stdout and stderr.
func New(opts Options, stdout, stderr io.Writer) *Report {
	r := &Report{opts: opts, stdout: stdout, stderr: stderr, summary: summary{start: time.Now()}}
	r.counts.total = -1 // unknown until the input ends
	return r
}

// ErrOutput wraps the error of a write to parrun's own stdout or stderr.
var ErrOutput = errors.New("writing output")

// Start returns the Output of one attempt of a job. It implements
// sched.Sink.
func (r *Report) Start(j *job.Job, cmd job.Command, slot int) job.Output {
	if r.opts.Verbose {
		r.lock()
		fmt.Fprintln(r.stderr, cmd.String())
		r.unlock()
	}
	if r.opts.DryRun {
		return nil
	}
	prefix := ""
	if r.opts.Tag {
		prefix = r.tag(j, slot)
	}
	o := &output{}
	if r.opts.Results != nil {
		return r.startResults(j, slot, o)
	}
	if r.opts.Files {
		return r.startFiles(o)
	}
	switch {
	case r.opts.Grouping == Group || r.opts.JSON:
		for i := range o.bufs {
			o.bufs[i] = exec.NewBuffer(r.opts.BufferSize, r.opts.TmpDir)
		}
		o.stdout, o.stderr = o.bufs[0], o.bufs[1]
	case r.opts.Grouping == Ungroup && prefix == "":
		o.stdout, o.stderr = r.passThrough(r.stdout), r.passThrough(r.stderr)
		return o
	default:
		o.lines[0], o.lines[1] = r.newLineWriter(r.stdout, prefix), r.newLineWriter(r.stderr, prefix)
		o.stdout, o.stderr = o.lines[0], o.lines[1]
	}
	return o
}

// startResults makes a job's Output under --results: its files, and the
// buffers that --json and the table forms need the whole output in. As in
// GNU parallel, nothing of it goes to parrun's stdout or stderr.
func (r *Report) startResults(j *job.Job, slot int, o *output) *output {
	if r.opts.JSON || r.opts.Results.table != nil {
		for i := range o.bufs {
			o.bufs[i] = exec.NewBuffer(r.opts.BufferSize, r.opts.TmpDir)
		}
		o.stdout, o.stderr = o.bufs[0], o.bufs[1]
	}
	r.openResults(j, slot, o)
	if o.stderr == nil { // the files could not be made: stdout fails, stderr goes nowhere
		o.stderr = io.Discard
	}
	return o
}

// startFiles makes a job's Output under --files: its stdout to a file of
// its own, its stderr kept as --group keeps it.
func (r *Report) startFiles(o *output) *output {
	o.bufs[1] = exec.NewBuffer(r.opts.BufferSize, r.opts.TmpDir)
	o.stderr = o.bufs[1]
	f, err := os.CreateTemp(r.opts.TmpDir, "par*.par")
	if err != nil {
		o.stdout = &failedWriter{err: fmt.Errorf("--files: %w", err)}
		return o
	}
	o.files[0], o.temp, o.stdout = f, f.Name(), f
	return o
}

// writeRow writes the job's row of a --results table.
func (r *Report) writeRow(d *job.Done) error {
	t := r.opts.Results.table
	if t == nil || d.Result == nil || d.Job.Err != nil {
		return nil
	}
	var outs [2][]byte
	for i, b := range outputOf(d).bufs {
		if b == nil {
			continue
		}
		data, err := io.ReadAll(b.Reader())
		if err != nil {
			return fmt.Errorf("--results: reading job %d's output back: %w", d.Job.Seq, err)
		}
		outs[i] = data
	}
	if !r.opts.Results.onStdout() {
		return t.row(d, outs[0], outs[1])
	}
	r.lock()
	defer r.unlock()
	return wrapOut(t.row(d, outs[0], outs[1]))
}

// passThrough hands a file to the job as it is (no copy at all), or wraps
// another writer with the output lock.
func (r *Report) passThrough(w io.Writer) io.Writer {
	lw := &lockedWriter{r: r, w: w}
	if f, ok := w.(*os.File); ok {
		return &fileOut{lockedWriter: lw, f: f}
	}
	return lw
}

// lockedWriter writes a job's output to one of parrun's own streams under
// the output lock. A failed write stops the run (Options.Stop): the job
// writing it would otherwise run on for ever (issue 18 item 4).
type lockedWriter struct {
	r *Report
	w io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.r.lock()
	defer l.r.unlock()
	n, err := l.w.Write(p)
	if err != nil {
		l.r.stop(err)
	}
	return n, err
}

// fileOut is parrun's own stdout or stderr as a file: a job in this
// process gets the file itself (exec.Filer: no copy at all), a worker's
// output chunks are written to it.
type fileOut struct {
	*lockedWriter
	f *os.File
}

// File implements exec.Filer.
func (o *fileOut) File() *os.File { return o.f }

// stop stops the run once parrun's own output has failed outside Done.
func (r *Report) stop(err error) {
	if r.opts.Stop != nil {
		r.stopOnce.Do(func() { r.opts.Stop(wrapOut(err)) })
	}
}

// lock takes the output lock and erases the progress bar, so that what is
// written next starts on a clean line.
func (r *Report) lock() {
	r.outMu.Lock()
	if r.prog != nil {
		r.prog.clear()
	}
}

// unlock redraws the progress bar below what was written and releases the
// output lock.
func (r *Report) unlock() {
	if r.prog != nil {
		r.prog.draw()
	}
	r.outMu.Unlock()
}

// tag is the prefix of a job's output lines under --tag: its arguments,
// or the expanded --tagstring, and a TAB.
func (r *Report) tag(j *job.Job, slot int) string {
	if r.opts.TagString != nil {
		return r.opts.TagString.Expand(j, slot) + "\t"
	}
	return j.Describe() + "\t"
}

// writeJoblog writes the job's joblog line: under the output lock when the
// joblog is standard output (--joblog -), as the jobs' output is.
func (r *Report) writeJoblog(d *job.Done, lost bool) error {
	if !r.opts.Joblog.onStdout() {
		return r.opts.Joblog.Write(d, lost)
	}
	r.lock()
	defer r.unlock()
	return wrapOut(r.opts.Joblog.Write(d, lost))
}

// Done writes a finished job's output and notes its failure. It implements
// sched.Sink; it is called from one goroutine. It returns an error only
// when parrun's own output cannot be written.
func (r *Report) Done(d *job.Done) error {
	var errs []error
	if r.opts.Results != nil {
		errs = append(errs, r.saveResults(d), r.writeRow(d))
	}
	if r.opts.JSON {
		errs = append(errs, r.writeJSON(d))
	} else {
		errs = append(errs, r.write(d))
	}
	// Disk trouble stops the run (SPEC §6, issue 5): a spill file that
	// could not be written means lost output, and parrun says which file.
	if d.Result != nil && errors.Is(d.Result.Err, exec.ErrSpill) {
		errs = append(errs, d.Result.Err)
	}
	err := errors.Join(errs...)
	if r.opts.Joblog != nil {
		// A job whose output or results could not be delivered is not
		// finished: the joblog says so (-1), so that --resume runs it
		// again (issue 18 item 1).
		if jerr := r.writeJoblog(d, err != nil); jerr != nil {
			err = errors.Join(err, jerr)
		}
	}
	r.summary.add(d)
	if r.opts.Timeline != nil {
		r.opts.Timeline.add(d)
	}
	var f failure
	if d.Failed() && (len(r.failed) < maxFailedListed || r.opts.CI.Annotate) {
		f = newFailure(d, !r.stderrShown())
	}
	outputOf(d).release()
	r.outMu.Lock()
	r.counts.done++
	if d.Failed() {
		r.counts.failed++
	}
	r.outMu.Unlock()
	if d.Failed() {
		r.nFailed++
		if len(r.failed) < maxFailedListed {
			r.failed = append(r.failed, f)
		}
		if r.opts.CI.Annotate {
			r.lock()
			_, aerr := io.WriteString(r.stderr, f.annotation())
			r.unlock()
			err = errors.Join(err, wrapOut(aerr))
		}
	}
	return err
}

func (r *Report) write(d *job.Done) error {
	if d.Job.Err != nil {
		r.lock()
		defer r.unlock()
		_, err := fmt.Fprintf(r.stderr, "parrun: job %d: %s\n", d.Job.Seq, brief(d.Job.Err.Error()))
		return wrapOut(err)
	}
	if r.opts.DryRun {
		line := d.Command.String()
		if r.opts.ShellQuote {
			line = job.Quote(line)
		}
		if r.opts.Tag { // GNU tags the commands too
			line = r.tag(d.Job, d.Slot) + line
		}
		_, err := fmt.Fprintln(r.stdout, line)
		return wrapOut(err)
	}
	if errors.Is(d.Result.Err, exec.ErrSpill) {
		// Output that could not be kept whole is not written half: the
		// run stops with the spill error, which names the file.
		return nil
	}
	if f, ok := outputOf(d).stdout.(*fileOut); ok && d.Result.Signal == syscall.SIGPIPE && pipeBroken(f.f) {
		// An ungrouped job wrote to parrun's stdout itself and died of
		// SIGPIPE: the reader is gone, for every job (issue 18 item 4).
		return wrapOut(syscall.EPIPE)
	}
	var errs []error
	o := outputOf(d)
	if o.temp != "" { // --files: the name stands for the output
		r.lock()
		_, err := fmt.Fprintln(r.stdout, o.temp)
		r.unlock()
		errs = append(errs, wrapOut(err))
	}
	for i, dst := range []io.Writer{r.stdout, r.stderr} {
		switch {
		case r.opts.Results != nil:
			// Saved in the results only, as GNU parallel does.
		case o.bufs[i] != nil:
			errs = append(errs, r.writeBuffer(dst, o.bufs[i], d))
		case o.lines[i] != nil:
			errs = append(errs, wrapOut(o.lines[i].flush()))
		}
	}
	if d.Result.Err != nil {
		r.lock()
		fmt.Fprintf(r.stderr, "parrun: job %d: %s\n", d.Job.Seq, brief(d.Result.Err.Error()))
		r.unlock()
	}
	return errors.Join(errs...)
}

// writeJSON writes the job's --json line.
func (r *Report) writeJSON(d *job.Done) error {
	var outs [2]rereader
	for i, b := range outputOf(d).bufs {
		if b != nil {
			outs[i] = b
		}
	}
	r.lock()
	defer r.unlock()
	return wrapOut(writeJSON(r.stdout, NewRecord(d), outs[0], outs[1]))
}

// writeBuffer writes a grouped stream, with --tag prefixes if asked.
func (r *Report) writeBuffer(dst io.Writer, b *exec.Buffer, d *job.Done) error {
	if b.Len() == 0 {
		return nil
	}
	r.lock()
	defer r.unlock()
	if !r.opts.Tag {
		_, err := b.WriteTo(dst)
		return wrapOut(err)
	}
	lw := &lineWriter{w: dst, prefix: r.tag(d.Job, d.Slot), limit: r.opts.BufferSize}
	if _, err := io.Copy(lw, b.Reader()); err != nil {
		return wrapOut(err)
	}
	return wrapOut(lw.flush())
}

func wrapOut(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrOutput, err)
}

// newFailure describes a failed job for the closing list, with the tail of
// its stderr when quote is set.
func newFailure(d *job.Done, quote bool) failure {
	f := failure{seq: d.Job.Seq, dur: d.Result.Duration}
	res := d.Result
	switch {
	case d.Job.Err != nil:
		f.why = brief(d.Job.Err.Error())
	case res.TimedOut:
		f.why = "timed out"
	case res.StdinUnread:
		f.why = "ended before it took all of its input"
	case res.Signal != 0:
		f.why = "signal " + exec.SignalName(res.Signal)
	case res.Err != nil:
		f.why = brief(res.Err.Error())
	default:
		f.why = fmt.Sprintf("exit %d", res.ExitCode)
	}
	if len(d.Command.Argv) > 0 {
		f.cmd = brief(d.Command.String())
	}
	if quote {
		f.tail = stderrTail(d)
	}
	if b := outputOf(d).bufs[1]; b != nil {
		lines := strings.Split(strings.TrimRight(string(b.Tail(tailBytes)), "\n"), "\n")
		f.lastError = lines[len(lines)-1]
	}
	return f
}

// desc is the failure's line in the closing list.
func (f *failure) desc() string {
	if f.cmd == "" {
		return fmt.Sprintf("job %d (%s)", f.seq, f.why)
	}
	return fmt.Sprintf("job %d (%s): %s", f.seq, f.why, f.cmd)
}

// brief is s as one line of a message on stderr: its first line, cut to
// maxBrief bytes.
func brief(s string) string { return msg.Truncate(msg.FirstLine(s), maxBrief) }

// Notice writes a one-line notice for the user on stderr.
func (r *Report) Notice(text string) {
	r.lock()
	defer r.unlock()
	fmt.Fprintf(r.stderr, "parrun: %s\n", brief(text))
}

// Close ends the report: when any job failed, it prints the closing list
// of failed jobs on stderr (SPEC §4).
func (r *Report) Close() error {
	var b bytes.Buffer
	var stepErr error
	if r.opts.Summary {
		r.summary.write(&b)
		if r.opts.CI.StepSummary != "" {
			stepErr = r.writeStepSummary()
		}
	}
	if r.nFailed == 0 {
		r.lock()
		defer r.unlock()
		_, err := b.WriteTo(r.stderr)
		return errors.Join(stepErr, wrapOut(err))
	}
	noun := "jobs"
	if r.nFailed == 1 {
		noun = "job"
	}
	fmt.Fprintf(&b, "parrun: %d %s failed:\n", r.nFailed, noun)
	for _, f := range r.failed {
		fmt.Fprintf(&b, "  %s\n%s", f.desc(), f.tail)
	}
	if more := r.nFailed - len(r.failed); more > 0 {
		fmt.Fprintf(&b, "  … and %d more\n", more)
	}
	r.lock()
	defer r.unlock()
	_, err := b.WriteTo(r.stderr)
	return errors.Join(stepErr, wrapOut(err))
}
