package main

import (
	"errors"
	"syscall"

	"github.com/parrun/parrun/internal/report"
	"github.com/parrun/parrun/internal/sched"
)

// exitCode is parrun's process exit status (SPEC §6).
type exitCode int

const (
	exitOK exitCode = 0
	// 1–100: that many jobs failed.
	exitManyFailed exitCode = 101 // more than 100 jobs failed
	exitSignalBase exitCode = 128 // + the signal that stopped the run: 129 HUP, 130 INT, 131 QUIT, 143 TERM
	exitBrokenPipe exitCode = 141 // stdout closed by its reader (SIGPIPE)
	exitError      exitCode = 255 // usage or internal error
)

// failedCode maps a count of failed jobs to the exit status: the count up
// to 100, exitManyFailed above.
func failedCode(failed int) exitCode {
	return min(max(exitCode(failed), exitOK), exitManyFailed)
}

// A FlagError is a usage error: a bad flag, value, file or regex. It maps to
// exit 255 and is reported before any job starts.
type FlagError struct {
	Err error
	// Flag names the flag whose value was bad, when one was; a value that
	// came from a config file or the environment is then reported as such.
	Flag string
}

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// interrupted is the cancellation cause when parrun gets SIGINT, SIGTERM,
// SIGHUP or SIGQUIT: it passes the signal on to the jobs (exec.Signaler),
// and its escalate channel, closed by a second signal, cuts their
// termination sequence short (exec.Escalator).
type interrupted struct {
	sig      syscall.Signal
	escalate <-chan struct{}
}

func (i interrupted) Error() string              { return "interrupted by " + i.sig.String() }
func (i interrupted) Signal() syscall.Signal     { return i.sig }
func (i interrupted) Escalated() <-chan struct{} { return i.escalate }

// brokenPipe reports whether err says parrun's own stdout was closed by
// its reader.
func brokenPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE) && errors.Is(err, report.ErrOutput)
}

// jobsCode is the exit status the jobs give a run that ended by itself:
// --halt's, by GNU parallel's rules, when the policy decides it, else the
// count of failed jobs.
func jobsCode(stats sched.Stats, halt sched.Halt) exitCode {
	if st, ok := stats.ExitStatus(halt); ok {
		return exitCode(st)
	}
	return failedCode(stats.Failed)
}

// codeFor maps the outcome of a run to the exit status, in one place:
// jobs is jobsCode's, for a run neither interrupted nor in error.
func codeFor(err error, jobs exitCode, cause error) exitCode {
	var in interrupted
	switch {
	case errors.As(cause, &in):
		return exitSignalBase + exitCode(in.sig)
	case brokenPipe(err), brokenPipe(cause):
		return exitBrokenPipe
	case errors.Is(cause, report.ErrOutput):
		return exitError
	case err != nil:
		return exitError
	}
	return jobs
}
