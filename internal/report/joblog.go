package report

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parrun/parrun/internal/job"
)

// JoblogHeader is the first line of a joblog, as GNU parallel writes it.
const JoblogHeader = "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n"

// A Joblog writes GNU parallel's --joblog format: one tab-separated line
// per finished job, written with one write call as the job ends, so a
// crash loses at most the line being written (SPEC §4).
type Joblog struct {
	w    io.Writer
	f    *os.File // the file behind w, which Close closes; nil on stdout
	name string
}

// StdoutJoblog is the joblog of --joblog -: GNU parallel writes it to
// standard output, among the jobs' output, header first.
func StdoutJoblog(stdout io.Writer) (*Joblog, error) {
	if _, err := io.WriteString(stdout, JoblogHeader); err != nil {
		return nil, fmt.Errorf("writing joblog to standard output: %w", err)
	}
	return &Joblog{w: stdout, name: "standard output"}, nil
}

// onStdout reports whether the joblog shares standard output with the
// jobs' output, and so its lock.
func (l *Joblog) onStdout() bool { return l.f == nil }

// OpenJoblog opens path for the joblog: truncated, or appended to when
// appendTo is set (the "+FILE" form, and --resume). The header is written
// when the file is empty.
func OpenJoblog(path string, appendTo bool) (*Joblog, error) {
	flags := os.O_RDWR | os.O_CREATE
	if appendTo {
		flags |= os.O_APPEND
	} else {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening joblog: %w", err)
	}
	l := &Joblog{w: f, f: f, name: path}
	fi, err := f.Stat()
	switch {
	case err != nil:
	case fi.Size() == 0:
		_, err = io.WriteString(f, JoblogHeader)
	case appendTo:
		err = endTornLine(f, fi.Size())
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("writing joblog %s: %w", path, err)
	}
	return l, nil
}

// endTornLine ends the last line of a joblog of size bytes if a crash cut
// it short: otherwise the next entry would be glued to it and lost, and its
// job run once more on the next --resume (issue 18 item 11).
func endTornLine(f *os.File, size int64) error {
	var last [1]byte
	if _, err := f.ReadAt(last[:], size-1); err != nil {
		return err
	}
	if last[0] == '\n' {
		return nil
	}
	_, err := io.WriteString(f, "\n")
	return err
}

// ExitKilled is the Exitval of a job that did not run to its end: parrun
// stopped it (time-out, halt, interrupt), as in GNU parallel, or it never
// started (a resource limit, a worker or host that died under it), or its
// output or results could not be delivered. --resume runs such jobs again.
const ExitKilled = -1

// ExitBadRecord is the Exitval of a record that could not become a job: it
// will not become one on a second run either, so --resume skips it.
const ExitBadRecord = 255

// JoblogLine formats one joblog line for a finished job; lost says that
// its output or results could not be delivered.
func JoblogLine(d *job.Done, lost bool) string {
	res := d.Result
	host := d.Host
	if host == "" {
		host = ":"
	}
	start := res.Start
	if start.IsZero() {
		start = time.Now()
	}
	exit := exitval(d, lost)
	recv := outputOf(d).received()
	cmd := d.Command.String()
	if len(d.Command.Argv) == 0 && d.Job.Err != nil {
		cmd = d.Job.Describe()
	}
	cmd = strings.ReplaceAll(cmd, "\n", "\x00") // as GNU: one line a job, and --retry-failed reads it back
	return fmt.Sprintf("%d\t%s\t%.3f\t%10.3f\t%d\t%d\t%d\t%d\t%s\n",
		d.Job.Seq, host, float64(start.UnixMilli())/1000, res.Duration.Seconds(),
		d.Sent, recv, exit, int(res.Signal), cmd)
}

// exitval is the job's Exitval column.
func exitval(d *job.Done, lost bool) int {
	res := d.Result
	switch {
	case d.Job.Err != nil:
		return ExitBadRecord
	case lost, res.Killed, res.TimedOut, res.ExitCode < 0:
		return ExitKilled
	case res.Signal != 0:
		return 0 // GNU parallel: Exitval is the exit status, Signal the signal
	case res.Err != nil && res.ExitCode == 0:
		// It ran and exited 0, but its output was cut short or its
		// --return files did not come back: not a success to skip.
		return ExitKilled
	}
	return res.ExitCode
}

// Write appends the job's line; lost says that its output or results
// could not be delivered.
func (l *Joblog) Write(d *job.Done, lost bool) error {
	if _, err := io.WriteString(l.w, JoblogLine(d, lost)); err != nil {
		return fmt.Errorf("writing joblog %s: %w", l.name, err)
	}
	return nil
}

// Close closes the joblog file (standard output stays open); a nil
// Joblog has nothing to close.
func (l *Joblog) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("closing joblog %s: %w", l.name, err)
	}
	return nil
}

// JoblogEntry is what --resume needs of one joblog line.
type JoblogEntry struct {
	Exitval, Signal int
}

// Finished reports whether the job ended on its own (not stopped by
// parrun); with failedToo false, only a success counts.
func (e JoblogEntry) Finished(failedToo bool) bool {
	if e.Exitval == ExitKilled {
		return false
	}
	return failedToo || (e.Exitval == 0 && e.Signal == 0)
}

// ReadJoblog reads a joblog for --resume: the last entry for each sequence
// number. A missing file is an empty log. Lines that do not parse (a torn
// last line after a crash) are ignored: their jobs run again. Lines of any
// length are read, in constant memory: only the first columns matter, and
// a Command column of megabytes is skipped, not held (issue 18 item 12).
func ReadJoblog(path string) (map[int64]JoblogEntry, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[int64]JoblogEntry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading joblog for --resume: %w", err)
	}
	defer f.Close()
	out := map[int64]JoblogEntry{}
	br := bufio.NewReaderSize(f, 64<<10)
	for {
		head, err := lineHead(br)
		if len(head) > 0 {
			if seq, e, ok := parseEntry(head); ok {
				out[seq] = e
			}
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading joblog %s: %w", path, err)
		}
	}
}

// lineHead returns the start of the next line (at most the reader's buffer
// size; the rest is read and dropped), without its newline.
func lineHead(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	head := append([]byte(nil), line...)
	for err == bufio.ErrBufferFull {
		_, err = br.ReadSlice('\n')
	}
	return bytes.TrimSuffix(head, []byte("\n")), err
}

// parseEntry parses the columns --resume needs from the start of a line:
// Seq, Exitval and Signal. The header and torn lines do not parse.
func parseEntry(head []byte) (seq int64, e JoblogEntry, ok bool) {
	fields := strings.SplitN(string(head), "\t", 9)
	if len(fields) != 9 {
		return 0, e, false
	}
	seq, err1 := strconv.ParseInt(fields[0], 10, 64)
	exit, err2 := strconv.Atoi(fields[6])
	sig, err3 := strconv.Atoi(fields[7])
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, e, false
	}
	return seq, JoblogEntry{Exitval: exit, Signal: sig}, true
}
