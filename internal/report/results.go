package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/parrun/parrun/internal/job"
)

// tee copies a job's output to its --results file as well as to where it
// goes otherwise.
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

// Len is the bytes written, for the joblog's Receive column.
func (t *tee) Len() int64 {
	if fi, err := t.f.Stat(); err == nil {
		return fi.Size()
	}
	return 0
}

// unwrap returns the writer a tee wraps.
func unwrap(w io.Writer) io.Writer {
	if t, ok := w.(*tee); ok {
		return t.w
	}
	return w
}

// resultsDir is DIR/<seq>.
func (r *Report) resultsDir(j *job.Job) string {
	return filepath.Join(r.opts.ResultsDir, strconv.FormatInt(j.Seq, 10))
}

// teeResults opens DIR/<seq>/stdout and stderr for a starting job. A
// result.json left from an earlier run is removed first, so the directory
// never claims a result for a job that has not finished this time. When
// the files cannot be made, output still goes where it would; the error
// surfaces when the job ends.
func (r *Report) teeResults(j *job.Job, stdout, stderr io.Writer) (io.Writer, io.Writer) {
	dir := r.resultsDir(j)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return &failedWriter{err: fmt.Errorf("--results: %w", err)}, stderr
	}
	os.Remove(filepath.Join(dir, "result.json"))
	out := []io.Writer{stdout, stderr}
	for i, name := range []string{"stdout", "stderr"} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return &failedWriter{err: fmt.Errorf("--results: %w", err)}, stderr
		}
		out[i] = &tee{w: out[i], f: f}
	}
	return out[0], out[1]
}

// failedWriter fails every write with err: a job whose results files
// could not be created fails with a message naming them.
type failedWriter struct{ err error }

func (f *failedWriter) Write([]byte) (int, error) { return 0, f.err }

// saveResults writes DIR/<seq>/result.json for a finished job: to a
// temporary name first, then renamed, so that a crash never leaves a
// result.json for a job that did not finish (issue 5).
func (r *Report) saveResults(d *job.Done) error {
	dir := r.resultsDir(d.Job)
	for _, w := range []io.Writer{d.Stdout, d.Stderr} {
		if t, ok := w.(*tee); ok {
			if err := t.f.Sync(); err != nil {
				return fmt.Errorf("--results: writing %s: %w", t.f.Name(), err)
			}
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
