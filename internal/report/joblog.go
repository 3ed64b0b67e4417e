package report

import (
	"bufio"
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
	f    *os.File
	name string
}

// OpenJoblog opens path for the joblog: truncated, or appended to when
// appendTo is set (the "+FILE" form, and --resume). The header is written
// when the file is empty.
func OpenJoblog(path string, appendTo bool) (*Joblog, error) {
	flags := os.O_WRONLY | os.O_CREATE
	if appendTo {
		flags |= os.O_APPEND
	} else {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening joblog: %w", err)
	}
	l := &Joblog{f: f, name: path}
	fi, err := f.Stat()
	if err == nil && fi.Size() == 0 {
		_, err = io.WriteString(f, JoblogHeader)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("writing joblog %s: %w", path, err)
	}
	return l, nil
}

// ExitKilled is the Exitval of a job that parrun stopped (time-out, halt,
// interrupt), as in GNU parallel. --resume runs such jobs again.
const ExitKilled = -1

// Line formats one joblog line for a finished job.
func JoblogLine(d *job.Done) string {
	res := d.Result
	host := d.Host
	if host == "" {
		host = ":"
	}
	start := res.Start
	if start.IsZero() {
		start = time.Now()
	}
	exit := res.ExitCode
	if res.Killed {
		exit = ExitKilled
	} else if res.Signal != 0 {
		exit = 0 // GNU parallel: Exitval is the exit status, Signal the signal
	} else if exit < 0 {
		exit = 255 // never ran (bad record, could not start)
	}
	recv := outputOf(d).received()
	cmd := d.Command.String()
	if len(d.Command.Argv) == 0 && d.Job.Err != nil {
		cmd = d.Job.Describe()
	}
	cmd = strings.ReplaceAll(cmd, "\n", `\n`)
	return fmt.Sprintf("%d\t%s\t%.3f\t%10.3f\t%d\t%d\t%d\t%d\t%s\n",
		d.Job.Seq, host, float64(start.UnixMilli())/1000, res.Duration.Seconds(),
		0, recv, exit, int(res.Signal), cmd)
}

// Write appends the job's line.
func (l *Joblog) Write(d *job.Done) error {
	if _, err := io.WriteString(l.f, JoblogLine(d)); err != nil {
		return fmt.Errorf("writing joblog %s: %w", l.name, err)
	}
	return nil
}

// Close closes the joblog file.
func (l *Joblog) Close() error {
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
// last line after a crash) are ignored: their jobs run again.
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
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), "\t", 9)
		if len(fields) != 9 {
			continue
		}
		seq, err1 := strconv.ParseInt(fields[0], 10, 64)
		exit, err2 := strconv.Atoi(fields[6])
		sig, err3 := strconv.Atoi(fields[7])
		if err1 != nil || err2 != nil || err3 != nil {
			continue // the header, or a torn line
		}
		out[seq] = JoblogEntry{Exitval: exit, Signal: sig}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading joblog %s: %w", path, err)
	}
	return out, nil
}
