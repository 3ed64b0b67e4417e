package main

import (
	"cmp"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/input"
	"github.com/parrun/parrun/internal/job"
	"github.com/parrun/parrun/internal/msg"
	"github.com/parrun/parrun/internal/remote"
	"github.com/parrun/parrun/internal/report"
	"github.com/parrun/parrun/internal/sched"
	"github.com/parrun/parrun/internal/settings"
	"github.com/parrun/parrun/internal/shell"
	"github.com/parrun/parrun/internal/throttle"
)

// Options are parrun's flags and arguments as typed, before validation,
// grouped by the part of parrun each configures. The flags that need no
// parsing are bound straight to the configuration they set (c).
type Options struct {
	// Running (SPEC §3, §6).
	Workers, Mode, Order, TermSeq, Halt string
	// Input and commands (SPEC §1, §2).
	ArgFiles              []string
	Delimiter, Colsep     string
	Header                string // GNU's --header: the input names its columns
	MaxReplace, MaxLines  int    // GNU's -N and -L: -n's records, by another name
	Null, NoShell         bool
	Multi, Context, Xargs bool             // GNU's -m, -X, --xargs: records while they fit
	MaxChars              int              // -s, --max-chars
	Replace               job.Replacements // -I, --er, --bnr … (GNU)
	ArgSep, ArgFileSep    string           // GNU's other spellings of ::: and ::::
	// Output and results (SPEC §4, §5).
	TagString                  string
	Group, LineBuffer, Ungroup bool
	TotalJobs                  int64
	NumberOf                   map[string]*bool // --number-of-cores and the like
	// Configuration (SPEC §7).
	Config      string
	PrintConfig bool
	// Scale-out (SPEC §8).
	SSH, Return, Env []string
	SSHFile          string
	OnAll, NonAll    bool // GNU's --onall, --nonall

	// Args are the positional arguments: the template and ::: groups.
	Args []string
	// settings say where each flag's value came from.
	settings *settings.Origin
	// c is the configuration validate builds; the flags that are plain
	// copies write into it directly.
	c config
}

// config is the validated form of Options: what the packages below need.
type config struct {
	input   input.Config
	sched   sched.Options
	report  report.Options
	outputs report.Outputs
	remote  remote.Config
	// throttle is --memfree, --memsuspend, --load, --noswap and --limit.
	throttle throttle.Config
	// progress is the --progress style before auto is resolved.
	progress string
	// killAfter is also how long output is read after a job's leader exits.
	killAfter time.Duration
	// terminate is the termination sequence of every job.
	terminate []exec.Step
	// maxJobsPerWorker recycles process-mode workers (0: never).
	maxJobsPerWorker int
	// keepBackground lets a job's leftover processes outlive it.
	keepBackground bool
	// onAll runs the job list on every host (--onall, --nonall), at most
	// onAllAtOnce hosts at once (0: all).
	onAll       bool
	onAllAtOnce int
	// totalJobs is GNU's --total-jobs: the bar's total (-1: unknown).
	totalJobs int64
}

// flagErr returns a FlagError about the value of one flag.
func flagErr(flag, format string, a ...any) error {
	return &FlagError{Err: fmt.Errorf(format, a...), Flag: flag}
}

// usageErr returns a FlagError.
func usageErr(format string, a ...any) error {
	return &FlagError{Err: fmt.Errorf(format, a...)}
}

// asFlagErr makes err, from a package's parser, a FlagError about flag.
func asFlagErr(flag string, err error) error {
	if err == nil {
		return nil
	}
	return &FlagError{Err: err, Flag: flag}
}

// validate checks every option in one pass and builds the run's
// configuration; each part's own package parses its values. Every error
// is a *FlagError naming the flag or file.
func (o *Options) validate(cores int) (*config, error) {
	c := &o.c
	var err error
	if o.Workers == "" && o.given("workers") {
		return nil, flagErr("workers", "-j '': want N, N%%, +N or -N")
	}
	if c.sched.Slots, c.sched.Level, err = sched.ParseJobs(o.Workers, cores); err != nil {
		return nil, asFlagErr("workers", err)
	}
	if c.sched.Mode, err = sched.ParseMode(o.Mode); err != nil {
		return nil, asFlagErr("mode", err)
	}
	for _, step := range []func(*config) error{o.validateInput, o.validateSched, o.validateOutput, o.validateScaleOut} {
		if err := step(c); err != nil {
			return nil, err
		}
	}
	if err := o.validateThrottle(c, cores); err != nil {
		return nil, err
	}
	if err := o.validateOnAll(c, cores); err != nil {
		return nil, err
	}
	if p := c.input.Pipe; p.RoundRobin && !p.Part && c.sched.Mode == sched.ModeProcess { // its jobs read a stream here
		return nil, usageErr("--round-robin streams blocks to jobs on this machine: use --mode thread or coroutine, without --ssh")
	}
	return c, nil
}

// recordsPerJob is how many records a job takes: -n N, or GNU's -N N and
// -L N (-N first, then -L, then -n); 0 (-n 0, -N0) means one record that
// substitutes nothing, as GNU's "read 1 argument but insert none".
func recordsPerJob(o *Options) (n int, noValues bool) {
	n = o.count("max-replace-args", o.MaxReplace, o.count("max-lines", o.MaxLines, o.c.input.MaxArgs))
	if n == 0 {
		return 1, true
	}
	return n, false
}

// validateInput checks the input flags and the ::: grammar (SPEC §1).
func (o *Options) validateInput(c *config) error {
	words, sources, err := input.ParseArgs(o.Args, o.ArgSep, o.ArgFileSep)
	if err != nil {
		return usageErr("%w", err)
	}
	if c.input.Shell == "" { // GNU's choice, made once here for every mode (SPEC §2)
		c.input.Shell = shell.Choose(os.Getenv, shell.Proc{Root: "/proc"}, os.Getppid())
	}
	for _, f := range o.ArgFiles { // -a files come first, in the order given
		c.input.Sources = append(c.input.Sources, input.Source{File: f, IsFile: true})
	}
	c.input.Sources, c.input.Template = append(c.input.Sources, sources...), len(words) > 0
	if c.outputs.RetryFailed { // GNU: the joblog's failed commands, not the command line's
		cmds, err := c.outputs.FailedCommands()
		words, c.input.Template, c.input.Sources = nil, false, []input.Source{{Values: cmds}}
		if err != nil {
			return asFlagErr("retry-failed", err)
		}
	}
	if c.input.Delim, err = input.Delimiter(o.Delimiter, o.Null); err != nil {
		return asFlagErr("delimiter", err)
	}
	if o.Colsep != "" {
		if c.input.Colsep, err = regexp.Compile(o.Colsep); err != nil {
			return flagErr("colsep", "--colsep: bad regex %q: %w", o.Colsep, msg.Root(err))
		}
	}
	switch {
	case c.input.MaxArgs < 0:
		return usageErr("-n %d: must be 0 or more", c.input.MaxArgs)
	case o.given("max-replace-args") && o.MaxReplace < 0:
		return usageErr("-N %d: must be 0 or more", o.MaxReplace)
	case o.given("max-lines") && o.MaxLines < 1:
		return usageErr("-L %d: must be at least 1", o.MaxLines)
	case o.given("shell") && !shell.Runnable(c.input.Shell):
		return flagErr("shell", "--shell %s: no such program", c.input.Shell)
	case len(words) == 0 && o.NoShell:
		return usageErr("--no-shell needs a command template")
	}
	c.input.MaxArgs, c.input.NoValues = recordsPerJob(o)
	if err := c.input.Check(); err != nil {
		return usageErr("%w", err)
	}
	if p := &c.input.Pipe; p.Active() { // GNU's --pipe: -N records a block, -L lines a record
		p.Records, p.Lines, p.Header, p.Jobs = o.count("max-replace-args", o.MaxReplace, o.count("max-args", c.input.MaxArgs, 0)), o.count("max-lines", o.MaxLines, 0), o.Header, c.sched.Slots
		p.TmpDir = c.report.TmpDir                                      // --cat's and --fifo's files
		c.sched.QueueSize = o.count("queue-size", c.sched.QueueSize, 1) // blocks are big: read 1 ahead
	} else if o.given("header") { // the names, put into the templates as GNU does before it reads them
		if c.outputs.Columns, err = c.input.TakeHeader(o.Header); err != nil {
			return asFlagErr("header", err)
		}
		job.NumberColumns(c.outputs.Columns, []*string{&o.TagString, &c.outputs.Results, &c.sched.Dir}, words, o.Return)
	}
	templates := slices.Concat(words, []string{o.TagString, c.outputs.Results}, o.Return) // each is filled in, as GNU
	if err := job.CheckWords(templates, &o.Replace); err != nil {
		return usageErr("%w", err)
	}
	o.Replace.Slots, o.Replace.NoAppend, c.outputs.Replace = c.sched.Slots, c.input.Pipe.Active(), &o.Replace
	c.input.Count = job.ParsePatternWith(strings.Join(templates, " "), &o.Replace).NeedsTotal()
	if len(words) > 0 {
		c.sched.Template = job.ParseWith(words, c.input.Shell, o.NoShell, &o.Replace)
	}
	return o.validateFill(c)
}

// validateFill sets up GNU's -m, -X and --xargs (input.FillByLength).
func (o *Options) validateFill(c *config) error {
	if !o.Multi && !o.Context && !o.Xargs {
		if o.given("max-chars") {
			return usageErr("-s/--max-chars needs -m, -X or --xargs")
		}
		return nil
	}
	if o.Context {
		c.sched.Template = c.sched.Template.WithContext()
	}
	if err := c.input.FillByLength(c.sched.Template, o.MaxChars, c.sched.Slots, o.Xargs); err != nil {
		return usageErr("%w", err)
	}
	return nil
}

// validateSched checks the flags of scheduling, time-outs, retries and
// --halt (SPEC §3, §6), and --joblog/--resume.
func (o *Options) validateSched(c *config) error {
	var err error
	switch s := &c.sched; {
	case s.Concurrency < 1:
		return flagErr("concurrency", "--concurrency %d: must be at least 1", s.Concurrency)
	case c.maxJobsPerWorker < 0:
		return flagErr("max-jobs-per-worker", "--max-jobs-per-worker %d: must be 0 or more", c.maxJobsPerWorker)
	case s.QueueSize < -1, s.QueueSize == -1 && o.given("queue-size"):
		return flagErr("queue-size", "--queue-size %d: must be 0 or more", s.QueueSize)
	case s.Retries < 0:
		return usageErr("--retries %d: must be 0 or more", s.Retries)
	}
	if c.sched.Retries == 0 && o.given("retries") {
		c.sched.Retries = job.RetryUntilSuccess // GNU: --retries 0 = until it succeeds
	}
	c.terminate = []exec.Step{{Signal: syscall.SIGTERM, Wait: c.killAfter}}
	if o.TermSeq != "" {
		if c.terminate, err = exec.ParseTermSeq(o.TermSeq); err != nil {
			return flagErr("termseq", "--termseq %q: %w", o.TermSeq, err)
		}
	}
	if c.sched.Export, err = sched.Exports(os.Environ(), o.Env); err != nil {
		return asFlagErr("env", err)
	}
	if c.sched.Halt, err = sched.ParseHalt(o.Halt); err != nil {
		return asFlagErr("halt", err)
	}
	c.sched.Order, err = sched.ParseOrder(o.Order)
	return asFlagErr("order", err)
}

// validateThrottle checks what holds starts back and moves -j (issue 17).
func (o *Options) validateThrottle(c *config, cores int) error {
	var err error
	c.throttle.Shell, c.throttle.Env = c.input.Shell, os.Environ()
	machine := throttle.Machine{Root: os.Getenv("PARRUN_MACHINE_ROOT")} // the variable: tests' fake /proc
	if auto, ok := c.sched.Level.(*sched.AutoLevel); ok {
		auto.Watch(machine) // -j auto's pressure ceiling sees what the throttles see
	}
	c.sched.Gate, err = c.throttle.Gate(machine, cores)
	switch {
	case err != nil:
		return usageErr("%w", err)
	case c.sched.Level != nil && (c.sched.Mode == sched.ModeCoroutine || len(o.SSH)+len(o.SSHFile) > 0):
		return flagErr("workers", "-j %s moves how many jobs run at once on this machine, in thread or process mode: coroutine mode runs --concurrency jobs, and each --ssh host its own slots", o.Workers)
	case c.throttle.MemSuspend != "" && (c.sched.Mode == sched.ModeProcess || len(o.SSH)+len(o.SSHFile) > 0):
		return flagErr("memsuspend", "--memsuspend suspends jobs run by parrun itself: use --mode thread or coroutine, without --ssh (GNU: local jobs only)")
	}
	return nil
}

// validateOutput checks the output flags (SPEC §4, §5).
func (o *Options) validateOutput(c *config) error {
	if err := c.outputs.Check(c.report); err != nil {
		return usageErr("%w", err)
	}
	if o.given("total-jobs") && o.TotalJobs < 0 {
		return usageErr("--total-jobs %d: must be 0 or more", o.TotalJobs)
	}
	c.totalJobs = o.TotalJobs
	if fi, err := os.Stat(c.report.TmpDir); c.report.TmpDir != "" && (err != nil || !fi.IsDir()) {
		return flagErr("tmpdir", "--tmpdir %s: not a directory parrun can use", c.report.TmpDir)
	}
	c.sched.DryRun = c.sched.DryRun || c.report.ShellQuote
	c.report.DryRun, c.report.TmpDir = c.sched.DryRun, cmp.Or(c.report.TmpDir, os.TempDir())
	c.report.CI = report.DetectCI(os.Getenv) // GitHub's annotations and step summary
	c.outputs.TimelineTitle = msg.Truncate(strings.Join(append([]string{"parrun"}, o.Args...), " "), 200)
	if o.given("tagstring") {
		p := job.ParsePatternWith(o.TagString, &o.Replace)
		c.report.Tag, c.report.TagString = true, &p
	}
	var err error
	if c.report.Grouping, err = report.GroupingOf(o.Group, o.LineBuffer, o.Ungroup, c.sched.KeepOrder); err != nil {
		return usageErr("%w", err)
	}
	c.sched.KeepOrder = c.sched.KeepOrder || c.sched.DryRun // GNU prints them as it starts them
	_, err = report.ParseProgress(c.progress, false)
	return asFlagErr("progress", err)
}

// validateScaleOut checks the flags of SPEC §8. Hosts put the run in
// process mode; a --mode other than process typed on the command line is
// an error, one that came from the environment or a config file gives way.
func (o *Options) validateScaleOut(c *config) error {
	if err := o.validateSlurm(c); err != nil {
		return err
	}
	logins, err := remote.ParseLoginLists(o.SSH, c.sched.Slots)
	if err != nil {
		return asFlagErr("ssh", err)
	}
	fileLogins, err := remote.ReadLoginFile(o.SSHFile, c.sched.Slots)
	if err != nil {
		return asFlagErr("ssh-file", err)
	}
	c.remote.Logins, c.remote.Slots = append(logins, fileLogins...), c.sched.Slots
	for _, r := range o.Return {
		c.remote.Files.Return = append(c.remote.Files.Return, job.ParsePatternWith(r, &o.Replace))
	}
	if c.remote.Active() {
		// The hosts make --workdir, each its own (remote.Config.Workdir).
		c.remote.Workdir, c.sched.Dir = c.sched.Dir, ""
	}
	if err := c.remote.Check(); err != nil || !c.remote.Active() {
		return asFlagErr("", err)
	}
	if c.sched.Mode != sched.ModeProcess {
		if o.settings != nil && o.settings.Source["mode"] == settings.Flag {
			return flagErr("mode", "--mode %s: --ssh and --worker-cmd run jobs in worker processes; use --mode process or leave --mode out", o.Mode)
		}
		c.sched.Mode = sched.ModeProcess
	}
	if n := c.remote.LoginSlots(); n > 0 {
		c.sched.Slots = n
	}
	return nil
}

// validateSlurm makes --slurm the --worker-cmd of SlurmLauncher, with a
// worker for each task of the allocation unless -j says otherwise.
func (o *Options) validateSlurm(c *config) error {
	if !c.remote.Slurm {
		return nil
	}
	if c.remote.WorkerCmd != "" {
		return flagErr("slurm", "--slurm is a --worker-cmd of its own (%s): give one of them", remote.SlurmLauncher)
	}
	n, err := remote.SlurmSlots(os.Getenv)
	if err != nil {
		return asFlagErr("slurm", err)
	}
	if !o.given("workers") {
		c.sched.Slots = n
	}
	c.remote.WorkerCmd = remote.SlurmLauncher
	return nil
}

// given reports whether the user set flag (on the command line, in the
// environment or in a config file) rather than leaving its default.
func (o *Options) given(flag string) bool {
	return o.settings != nil && o.settings.Source[flag] != settings.Default && o.settings.Source[flag] != ""
}

// count is flag's value v when given, else def.
func (o *Options) count(flag string, v, def int) int {
	if o.given(flag) {
		def = v
	}
	return def
}

// defaultWorkers is the usable CPU count (cgroup-aware in Go ≥ 1.25).
func defaultWorkers() int { return runtime.GOMAXPROCS(0) }
