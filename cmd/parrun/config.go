package main

import (
	"errors"
	"strconv"

	"github.com/parrun/parrun/internal/report"
	"github.com/parrun/parrun/internal/settings"
)

// explain says where a bad value came from when it was not the command
// line (settings.Origin.Explain).
func explain(st *settings.Origin, err error) error {
	if fe := (*FlagError)(nil); errors.As(err, &fe) {
		return &FlagError{Err: st.Explain(fe.Flag, fe.Err), Flag: fe.Flag}
	}
	return err
}

// inForce is what runs where a flag's value does not say it, for
// --print-config: resolved defaults, the grouping -k implies.
func (c *config) inForce(stderrTTY bool) map[string]string {
	g, workers := c.report.Grouping, strconv.Itoa(c.sched.Slots)
	style, _ := report.ParseProgress(c.progress, stderrTTY) // checked in validate
	return map[string]string{"workers": workers, "jobs": workers, "mode": string(c.sched.Mode), "progress": style,
		"group": strconv.FormatBool(g == report.Group), "line-buffer": strconv.FormatBool(g == report.LineBuffer),
		"ungroup": strconv.FormatBool(g == report.Ungroup), "tmpdir": c.report.TmpDir, "keep-order": strconv.FormatBool(c.sched.KeepOrder)}
}
