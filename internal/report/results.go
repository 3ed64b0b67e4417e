package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/parrun/parrun/internal/job"
)

// CheckResults checks, before any job starts, that --results DIR can
// hold results: it is made if missing, and a file can be created in it. A
// run that would find out only when its first job ends has started jobs
// whose results it cannot keep (issue 18 item 10).
func CheckResults(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--results %s: %w", dir, msgOf(err))
	}
	f, err := os.CreateTemp(dir, ".parrun-check-*")
	if err != nil {
		return fmt.Errorf("--results %s: cannot write in it: %w", dir, msgOf(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// msgOf strips a *PathError to its errno when the path is named already.
func msgOf(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// resultsDir is DIR/<seq>.
func (r *Report) resultsDir(j *job.Job) string {
	return filepath.Join(r.opts.ResultsDir, strconv.FormatInt(j.Seq, 10))
}

// saveResults writes DIR/<seq>/result.json for a finished job: to a
// temporary name first, then renamed, so that a crash never leaves a
// result.json for a job that did not finish (issue 5).
func (r *Report) saveResults(d *job.Done) error {
	dir := r.resultsDir(d.Job)
	for _, f := range outputOf(d).files {
		if f == nil {
			continue
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("--results: writing %s: %w", f.Name(), err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--results: %w", err)
	}
	data, err := json.MarshalIndent(NewRecord(d), "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ".result.json.tmp")
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("--results: writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "result.json")); err != nil {
		return fmt.Errorf("--results: %w", err)
	}
	return nil
}
