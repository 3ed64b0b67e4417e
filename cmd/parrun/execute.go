package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/parrun/parrun/internal/cpuinfo"
	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/input"
	"github.com/parrun/parrun/internal/iostreams"
	"github.com/parrun/parrun/internal/remote"
	"github.com/parrun/parrun/internal/report"
	"github.com/parrun/parrun/internal/sched"
)

// execute validates the options and runs the jobs, on each host in turn
// with --onall.
func execute(ctx context.Context, o *Options, ios *iostreams.IOStreams) (exitCode, error) {
	for what, set := range o.NumberOf {
		if *set { // GNU's --number-of-cores and the like: print, run nothing
			_, err := fmt.Fprintln(ios.Out, cpuinfo.Read().Of(what))
			return exitOK, err
		}
	}
	o.c.input.Stdin, o.c.input.Pipe.Warn = ios.In, func(s string) { fmt.Fprintln(ios.ErrOut, "parrun: "+s) } // --header reads stdin while validating
	cfg, err := o.validate(defaultWorkers())
	if err != nil {
		return exitError, explain(o.settings, err)
	} else if o.PrintConfig {
		return exitOK, o.settings.Print(ios.Out, cfg.inForce(ios.IsStderrTTY()))
	}
	if cfg.input.ReadsStdin() && ios.IsStdinTTY() { // as GNU does, rather than wait in silence
		fmt.Fprintln(ios.ErrOut, "parrun: reading job list from the terminal; end with Ctrl-D")
	}
	// Signals: the first stops the run and passes the signal to running
	// jobs; a second kills them at once (SPEC §6).
	ctx, stopSignals := handleSignals(ctx)
	defer stopSignals()
	if cfg.onAll {
		return runOnAll(ctx, cfg, ios)
	}
	return runJobs(ctx, cfg, ios)
}

// runJobs runs the jobs of a validated configuration: the wiring of
// input, joblog, report and transport around sched.Run.
func runJobs(ctx context.Context, cfg *config, ios *iostreams.IOStreams) (exitCode, error) {
	src, err := input.Open(cfg.input)
	if err != nil {
		return exitError, &FlagError{Err: err}
	}
	defer src.Close()
	skip, closeOutputs, err := cfg.outputs.Open(&cfg.report, ios.Out)
	defer closeOutputs() // on the early returns; the run's end checks its error
	if err != nil {
		return exitError, &FlagError{Err: err}
	}
	cfg.sched.Skip = skip
	if err := sched.MakeDir(cfg.sched.Dir); err != nil {
		return exitError, &FlagError{Err: err}
	}
	// A failed write to parrun's own output stops the run (the report's
	// Stop).
	ctx, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)
	cfg.report.Stop = stopRun
	rep := report.New(cfg.report, ios.Out, ios.ErrOut)

	cfg.sched.Env, cfg.sched.Notify = os.Environ(), rep.Notice
	cfg.sched.Throttled = func(t sched.Throttle) { rep.Throttled(t.Held, t.Level) }
	if room, limited := exec.ProcessRoom(); limited && !cfg.remote.Active() {
		if note := cfg.sched.FitRoom(room); note != "" {
			rep.Notice(note)
		}
	}
	tr, closeTransport, err := remote.Transport(ctx, cfg.remote, remote.Run{Local: cfg.sched.Mode != sched.ModeProcess || cfg.sched.DryRun,
		Terminate: cfg.terminate, WaitDelay: cfg.killAfter, KeepBackground: cfg.keepBackground, MaxJobsPerWorker: cfg.maxJobsPerWorker,
		Slots: &cfg.sched.Slots, Start: cfg.sched.StartLevel(), Stderr: ios.ErrOut, Notify: rep.Notice})
	defer closeTransport()
	if err != nil {
		return codeFor(err, exitOK, context.Cause(ctx)), err // Ctrl-C while connecting is still 130
	}
	if n, ok := src.Total(); ok {
		rep.Read(n, true)
	} else if cfg.totalJobs >= 0 { // GNU's --total-jobs: the input cannot tell
		rep.ExpectTotal(cfg.totalJobs)
	}
	style, _ := report.ParseProgress(cfg.progress, ios.IsStderrTTY()) // checked in validate
	rep.StartProgress(style)
	stats, runErr := sched.Run(ctx, cfg.sched, rep.Counting(src), tr, rep)
	rep.StopProgress()
	if err := errors.Join(rep.Close(), closeOutputs()); runErr == nil {
		runErr = err
	}
	if lvl, ok := cfg.sched.Level.(fmt.Stringer); ok {
		rep.Notice(lvl.String()) // -j auto: where it went
	}
	return outcome(stats, cfg.sched.Halt, runErr, context.Cause(ctx), rep)
}

// outcome maps the end of a run to its exit status and error, and says
// why a run stopped early because of --halt.
func outcome(stats sched.Stats, halt sched.Halt, runErr, cause error, rep *report.Report) (exitCode, error) {
	code := codeFor(runErr, jobsCode(stats, halt), cause)
	if errors.Is(stats.Stopped, sched.ErrHaltNow) || errors.Is(stats.Stopped, sched.ErrHaltSoon) {
		rep.Notice(stats.Stopped.Error()) // "--halt now,fail=1 reached: …"
	}
	if code == exitBrokenPipe {
		return code, nil // the reader went away: nothing to say to it
	}
	return code, runErr
}
