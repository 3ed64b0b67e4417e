package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/parrun/parrun/internal/input"
	"github.com/parrun/parrun/internal/iostreams"
	"github.com/parrun/parrun/internal/job"
	"github.com/parrun/parrun/internal/msg"
	"github.com/parrun/parrun/internal/onall"
	"github.com/parrun/parrun/internal/remote"
	"github.com/parrun/parrun/internal/report"
	"github.com/parrun/parrun/internal/sched"
)

// validateOnAll checks GNU's --onall and --nonall (issue 15): every job on
// every --ssh host, -j hosts at once (all by default).
func (o *Options) validateOnAll(c *config, cores int) error {
	if !o.OnAll && !o.NonAll {
		return nil
	}
	flag := map[bool]string{true: "nonall", false: "onall"}[o.NonAll]
	refuse := func(what string) error {
		return flagErr(flag, "--%s with %s is not supported by parrun yet", flag, what)
	}
	switch {
	case len(c.remote.Logins) == 0 || c.remote.WorkerCmd != "":
		return flagErr(flag, "--%s runs every job on every host: it needs --ssh or --ssh-file hosts (not --worker-cmd or --slurm)", flag)
	case o.NonAll && len(c.input.Sources) > 0:
		return flagErr(flag, "--nonall runs the command once on each host, with no arguments: use --onall to give it :::, :::: or -a")
	case c.input.Pipe.On || c.input.Pipe.Part:
		return refuse("--pipe")
	case c.outputs.Results != "":
		return refuse("--results")
	case c.outputs.Resume || c.outputs.ResumeFailed || c.outputs.RetryFailed:
		return refuse("--resume")
	case c.outputs.Timeline != "":
		return refuse("--timeline")
	case c.throttle.Active():
		return refuse("--memfree, --memsuspend, --load, --noswap or --limit")
	case c.progress != report.ProgressAuto && c.progress != report.ProgressOff:
		return refuse("--progress")
	}
	if o.NonAll { // one job that takes no value: GNU's "\0noarg"
		c.input.Sources, c.input.NoValues = []input.Source{{Values: []string{""}}}, true
	}
	c.onAll = true
	if o.given("workers") && o.Workers != "0" { // GNU's -j0: every host at once
		n, _, err := sched.ParseJobs(o.Workers, cores)
		if err != nil {
			return asFlagErr("workers", err)
		}
		c.onAllAtOnce = n
	}
	return nil
}

// runOnAll runs the job list on each host, each a run of its own with
// one slot (internal/onall), and exits with the count of hosts that
// failed, as GNU parallel does.
func runOnAll(ctx context.Context, cfg *config, ios *iostreams.IOStreams) (exitCode, error) {
	names := make([]string, len(cfg.remote.Logins))
	for i, l := range cfg.remote.Logins {
		names[i] = l.Raw
	}
	order := onall.Order(names)
	stdin, err := holdStdin(cfg, ios.In)
	if err != nil {
		return exitError, err
	}
	if stdin != nil {
		defer stdin.Close()
	}
	run := func(ctx context.Context, i int, stdout, stderr io.Writer, joblog string) int {
		h := hostConfig(cfg, cfg.remote.Logins[order[i]], joblog)
		var in io.Reader = eof{}
		if stdin != nil {
			in = io.NewSectionReader(stdin, 0, 1<<62)
		}
		h.input.Stdin = in
		code, err := runJobs(ctx, h, &iostreams.IOStreams{In: in, Out: stdout, ErrOut: stderr})
		if err != nil {
			fmt.Fprintf(stderr, "parrun: %s: %s\n", names[order[i]], msg.OneLine(err.Error()))
		}
		return int(code)
	}
	failed, err := onall.Do(ctx, onall.Options{Hosts: len(order), AtOnce: cfg.onAllAtOnce, KeepOrder: cfg.sched.KeepOrder,
		TmpDir: cfg.report.TmpDir, Joblog: cfg.outputs.Joblog}, run, ios.Out, ios.ErrOut)
	return codeFor(err, failedCode(failed), context.Cause(ctx)), err
}

// hostConfig is the run of one host: its login with one slot, its own
// joblog, and --tag's tag the host's name (GNU: --tagstring the login).
func hostConfig(cfg *config, l remote.Login, joblog string) *config {
	h := *cfg
	l.Slots = 1
	h.remote.Logins, h.sched.Slots, h.outputs.Joblog, h.progress = []remote.Login{l}, 1, joblog, report.ProgressOff
	if h.report.Tag && h.report.TagString == nil {
		p := job.ParsePattern(l.Raw)
		h.report.TagString = &p
	}
	return &h
}

// holdStdin copies standard input, when the jobs read it, into an
// unlinked file that every host's run reads from the start (GNU copies
// every input source to a file first).
func holdStdin(cfg *config, in io.Reader) (*os.File, error) {
	if !cfg.input.ReadsStdin() {
		return nil, nil
	}
	f, err := os.CreateTemp(cfg.report.TmpDir, "parrun-onall-stdin-*")
	if err != nil {
		return nil, fmt.Errorf("--onall: holding the job list in %s: %w", cfg.report.TmpDir, err)
	}
	os.Remove(f.Name())
	if _, err := io.Copy(f, in); err != nil {
		f.Close()
		return nil, fmt.Errorf("--onall: holding the job list in %s: %w", cfg.report.TmpDir, err)
	}
	return f, nil
}

// eof is an empty standard input.
type eof struct{}

func (eof) Read([]byte) (int, error) { return 0, io.EOF }
