package report

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/parrun/parrun/internal/job"
)

// slowestListed is how many of the slowest jobs --summary names.
const slowestListed = 3

// summary gathers --summary's totals in O(1) memory.
type summary struct {
	start                      time.Time
	jobs, ok, failed, timedOut int
	jobTime                    time.Duration
	slowest                    []slowJob // at most slowestListed, slowest first
}

type slowJob struct {
	seq int64
	d   time.Duration
	cmd string
}

func (s *summary) add(d *job.Done) {
	s.jobs++
	switch {
	case d.Result.TimedOut:
		s.timedOut++
		s.failed++
	case d.Failed():
		s.failed++
	default:
		s.ok++
	}
	s.jobTime += d.Result.Duration
	if len(s.slowest) == slowestListed && d.Result.Duration <= s.slowest[len(s.slowest)-1].d {
		return
	}
	s.slowest = append(s.slowest, slowJob{seq: d.Job.Seq, d: d.Result.Duration, cmd: brief(d.Command.String())})
	slices.SortStableFunc(s.slowest, func(a, b slowJob) int { return int(b.d - a.d) })
	if len(s.slowest) > slowestListed {
		s.slowest = s.slowest[:slowestListed]
	}
}

func (s *summary) write(w io.Writer) {
	wall := time.Since(s.start)
	fmt.Fprintf(w, "parrun: summary: %d jobs, %d succeeded, %d failed (%d timed out); wall %s, job time %s\n",
		s.jobs, s.ok, s.failed, s.timedOut, wall.Round(time.Millisecond), s.jobTime.Round(time.Millisecond))
	for _, j := range s.slowest {
		fmt.Fprintf(w, "  slowest: job %d, %s: %s\n", j.seq, j.d.Round(time.Millisecond), j.cmd)
	}
}
