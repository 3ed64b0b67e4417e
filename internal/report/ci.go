package report

import (
	"fmt"
	"html"
	"io"
	"os"
	"strings"
	"time"
)

// CI is what parrun adds to the reports of the CI system it runs under
// (README: CI logs): GitHub Actions' annotations and step summary.
type CI struct {
	// Annotate writes each failed job as a GitHub "::error" workflow
	// command on stderr, which the run's page shows as an annotation.
	Annotate bool
	// StepSummary, when set, is the file --summary also appends a
	// Markdown report to ($GITHUB_STEP_SUMMARY).
	StepSummary string
}

// DetectCI reads the CI system's variables: GITHUB_ACTIONS=true turns on
// annotations, and GITHUB_STEP_SUMMARY names the step summary file.
func DetectCI(getenv func(string) string) CI {
	if getenv("GITHUB_ACTIONS") != "true" {
		return CI{}
	}
	return CI{Annotate: true, StepSummary: getenv("GITHUB_STEP_SUMMARY")}
}

// annotation is the failure as one GitHub workflow command line: its
// title names the job, its message says why and quotes the last line of
// stderr.
func (f *failure) annotation() string {
	text := f.why
	if f.cmd != "" {
		text += ": " + f.cmd
	}
	if f.lastError != "" {
		text += "\n" + f.lastError
	}
	return fmt.Sprintf("::error title=%s::%s\n", escapeProperty(fmt.Sprintf("parrun job %d", f.seq)), escapeData(text))
}

// escapeData escapes a workflow command's message as the runner expects
// (actions/toolkit's command.ts).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// writeStepSummary appends the run's Markdown report to the step summary
// file: totals, the failed jobs (as many as the closing list names) and
// the slowest ones.
func (r *Report) writeStepSummary() (err error) {
	f, err := os.OpenFile(r.opts.CI.StepSummary, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("--summary: writing the step summary: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("--summary: writing the step summary %s: %w", f.Name(), cerr)
		}
	}()
	if err := r.markdown(f); err != nil {
		return fmt.Errorf("--summary: writing the step summary %s: %w", f.Name(), err)
	}
	return nil
}

// markdown writes the step summary's section.
func (r *Report) markdown(w io.Writer) error {
	s := &r.summary
	var b strings.Builder
	fmt.Fprintf(&b, "### parrun: %d jobs, %d succeeded, %d failed (%d timed out)\n\n", s.jobs, s.ok, s.failed, s.timedOut)
	fmt.Fprintf(&b, "Wall %s, job time %s.\n\n", time.Since(s.start).Round(time.Millisecond), s.jobTime.Round(time.Millisecond))
	if len(r.failed) > 0 {
		b.WriteString("| failed job | why | duration | command |\n|---:|---|---:|---|\n")
		for _, f := range r.failed {
			fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", f.seq, cell(f.why), f.dur.Round(time.Millisecond), code(f.cmd))
		}
		if more := r.nFailed - len(r.failed); more > 0 {
			fmt.Fprintf(&b, "\n… and %d more failed jobs.\n", more)
		}
		b.WriteString("\n")
	}
	if len(s.slowest) > 0 {
		b.WriteString("| slowest job | duration | command |\n|---:|---:|---|\n")
		for _, j := range s.slowest {
			fmt.Fprintf(&b, "| %d | %s | %s |\n", j.seq, j.d.Round(time.Millisecond), code(j.cmd))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cell is text safe in a Markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(html.EscapeString(s), "|", "&#124;")
}

// code is a command in a table cell, as code.
func code(s string) string {
	if s == "" {
		return ""
	}
	return "<code>" + cell(s) + "</code>"
}
