package report

import (
	"bufio"
	"errors"
	"fmt"
	"os"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/job"
	"github.com/parrun/parrun/internal/timeline"
)

// Timeline is --timeline's page: each job is added as it finishes, and
// Close draws the run into the file (internal/timeline). Jobs that never
// started (a bad record, a skipped --resume) are not on it.
type Timeline struct {
	f     *os.File
	rec   timeline.Recorder
	title string
}

// OpenTimeline creates the page's file now, so that a path parrun cannot
// write is an error before any job runs; title heads the page.
func OpenTimeline(path, title string) (*Timeline, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--timeline %s: %w", path, err)
	}
	return &Timeline{f: f, title: title}, nil
}

// add records a finished job.
func (t *Timeline) add(d *job.Done) {
	res := d.Result
	if res == nil || res.Start.IsZero() {
		return
	}
	out := timeline.OK
	switch {
	case res.TimedOut:
		out = timeline.TimedOut
	case res.Signal != 0:
		out = timeline.Killed
	case d.Failed():
		out = timeline.Failed
	}
	t.rec.Add(timeline.Bar{Seq: d.Job.Seq, Host: d.Host, Slot: d.Slot, Start: res.Start, Duration: res.Duration,
		Outcome: out, ExitCode: res.ExitCode, Signal: exec.SignalName(res.Signal), Command: d.Command.String()})
}

// Close writes the page and closes its file; a nil Timeline is a no-op.
func (t *Timeline) Close() error {
	if t == nil || t.f == nil {
		return nil
	}
	f := t.f
	t.f = nil
	w := bufio.NewWriter(f)
	err := t.rec.WriteHTML(w, t.title, 0)
	if err == nil {
		err = w.Flush()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		return fmt.Errorf("--timeline %s: %w", f.Name(), err)
	}
	return nil
}
