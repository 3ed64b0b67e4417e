package report

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/parrun/parrun/internal/job"
)

// Outputs are the files a run writes besides its own stdout and stderr, as
// typed: the --joblog, what --resume reads from it, the --results and the
// --timeline.
type Outputs struct {
	// Joblog is --joblog's FILE ("+FILE" appends, "-" is stdout).
	Joblog string
	// Resume skips the jobs the joblog shows as finished; ResumeFailed
	// (--resume-failed) only those that succeeded, and implies Resume.
	// RetryFailed (GNU's --retry-failed) is ResumeFailed with the jobs
	// taken from the joblog (FailedCommands).
	Resume, ResumeFailed, RetryFailed bool
	// Results is --results' DIR, template or table (SPEC §4).
	Results string
	// Columns are --header's names of the input's columns.
	Columns []string
	// Replace spells the replacement strings of a --results template.
	Replace *job.Replacements
	// Timeline is --timeline's FILE, and TimelineTitle its heading.
	Timeline, TimelineTitle string
}

// Check refuses what cannot work before anything is opened: --resume
// without a joblog file to read, and two of --joblog -, --results -.FMT,
// --json and --files both saying where the output goes.
func (f Outputs) Check(o Options) error {
	switch {
	case (f.Resume || f.ResumeFailed) && (f.Joblog == "" || f.Joblog == "+" || f.Joblog == "-"):
		return errors.New("--resume needs --joblog FILE to know what already ran")
	case f.Joblog == "-" && o.JSON:
		return errors.New("--joblog - and --json both write to stdout: give the joblog a file")
	case o.Files && (o.JSON || f.Results != ""):
		return errors.New("--files and --json or --results both say where the output goes: give one")
	case strings.HasPrefix(f.Results, "-.") && o.JSON:
		return fmt.Errorf("--results %s and --json both write to stdout: give the results a file", f.Results)
	}
	return nil
}

// Open opens the joblog and the results into o and returns the filter of
// the jobs the joblog lets the run skip (nil without --resume). closeAll
// closes what Open opened and returns its errors; it is safe to call
// after an error too, and more than once.
func (f Outputs) Open(o *Options, stdout io.Writer) (skip func(*job.Job) bool, closeAll func() error, err error) {
	closeAll = sync.OnceValue(func() error {
		return errors.Join(o.Joblog.Close(), o.Results.Close(), o.Timeline.Close())
	})
	if f.Joblog != "" {
		rerunFailed := f.ResumeFailed || f.RetryFailed
		if o.Joblog, skip, err = OpenRunJoblog(f.Joblog, f.Resume || rerunFailed, rerunFailed, stdout); err != nil {
			return nil, closeAll, err
		}
	}
	if f.Results != "" {
		if o.Results, err = OpenResults(f.Results, f.Columns, f.Replace, stdout); err != nil {
			return nil, closeAll, err
		}
	}
	if f.Timeline != "" {
		if o.Timeline, err = OpenTimeline(f.Timeline, f.TimelineTitle); err != nil {
			return nil, closeAll, err
		}
	}
	return skip, closeAll, nil
}
