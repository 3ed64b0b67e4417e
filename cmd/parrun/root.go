package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/parrun/parrun/internal/input"
	"github.com/parrun/parrun/internal/ipc"
	"github.com/parrun/parrun/internal/job"
	"github.com/parrun/parrun/internal/report"
	"github.com/parrun/parrun/internal/sched"
)

// version is parrun's version, set at build time with -ldflags.
var version = "0.1.0-dev"

// Main runs parrun with the process's arguments and streams and returns its
// exit status. It is the only place that knows about the process: main and
// the test scripts call it.
func Main() int {
	// The hidden worker entry of --mode process: only a process started by
	// parrun carries the cookie, so "parrun worker ::: x" still runs a
	// program called worker (SPEC §3, issue 3).
	if ipc.IsWorker(os.Getenv) {
		return ipc.WorkerMain(os.Stdin, os.Stdout, os.Stderr)
	}
	return int(run(context.Background(), os.Args[1:], System()))
}

// selfPath is the executable a process-mode worker is started from: the
// path parrun was started by (so a renamed or test-wrapped binary starts
// the same program), else the running executable.
func selfPath() (string, error) {
	if p, err := osexec.LookPath(os.Args[0]); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return abs, nil
		}
	}
	return os.Executable()
}

// run parses args, runs the jobs, and maps the outcome to an exit status.
// Every error reaches the user as exactly one line on stderr.
func run(ctx context.Context, args []string, ios *IOStreams) exitCode {
	var code exitCode
	cmd := newRootCmd(ios, func(o *Options) error {
		var err error
		code, err = execute(ctx, o, ios)
		return err
	})
	cmd.SetArgs(args)
	cmd.SetIn(ios.In)
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	if err := cmd.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(ios.ErrOut, "parrun: %s\n", oneLine(err.Error()))
		if code == exitOK {
			code = exitError
		}
	}
	return code
}

func oneLine(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ")
}

// newRootCmd builds the root command. runF is what a valid invocation does;
// tests of flag parsing pass their own.
func newRootCmd(ios *IOStreams, runF func(*Options) error) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "parrun [flags] [--] [COMMAND [ARG...]] [::: VALUES...]... [:::: FILES...]...",
		Short: "Run jobs in parallel and gather their results",
		Long: `parrun runs one job per input record (lines on stdin, ::: arguments,
:::: files or JSON Lines) with a limited number at once, and gathers
their output and exit status.`,
		Example: `  # xargs replacement: one job per input line, as many at once as cores
  find . -name '*.log' | parrun gzip

  # ::: arguments: the cartesian product of two lists, {1} and {2}
  parrun convert -resize {1} {2} out/{1}-{2/} ::: 50% 25% ::: img/*.jpg

  # keep output in input order, whatever order the jobs finish in
  seq 100 | parrun -k 'curl -s https://example.test/item/{}'

  # CI: a JSON line per job, a joblog to --resume from, a status line now and then
  parrun --json --joblog ci.joblog --progress plain make -C {} test ::: pkg/*

  # structured jobs: one JSON object per line, with env, dir, timeout, retries
  parrun --jsonl < jobs.jsonl`,
		Version:               version,
		SilenceUsage:          true,
		SilenceErrors:         true,
		DisableFlagsInUseLine: true,
		Args:                  cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			st, err := applyConfig(c.Flags(), o.Config, os.Getenv, os.LookupEnv)
			if err != nil {
				return err
			}
			if o.PrintConfig {
				return printConfig(ios.Out, c.Flags(), st)
			}
			o.settings = st
			o.Args = args
			return runF(o)
		},
	}
	cmd.SetVersionTemplate("parrun {{.Version}}\n")
	cmd.AddCommand(newCompletionCmd(cmd))
	// No "help" subcommand: "parrun help" runs a program called help, like
	// any other COMMAND. --help still works.
	cmd.SetHelpCommand(&cobra.Command{Hidden: true, Use: "no-help-command"})
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &FlagError{Err: err}
	})
	f := cmd.Flags()
	// The first positional argument starts the command: flags after it
	// belong to the command, not to parrun (as xargs and GNU parallel).
	f.SetInterspersed(false)
	f.SortFlags = false

	f.StringVarP(&o.Workers, "workers", "j", "", "jobs at once: N, N% of cores, +N, -N (default: usable cores)")
	f.StringVar(&o.Workers, "jobs", "", "alias of --workers")
	f.StringVarP(&o.Mode, "mode", "m", string(sched.ModeThread), "how jobs run: thread, process or coroutine")
	f.IntVar(&o.Concurrency, "concurrency", sched.DefaultConcurrency, "coroutine mode: jobs in flight")
	f.IntVar(&o.MaxJobsPerWorker, "max-jobs-per-worker", 0, "process mode: replace a worker after `N` jobs (0 = never)")
	f.StringArrayVarP(&o.ArgFiles, "arg-file", "a", nil, "read input records from `FILE` (repeatable: product)")
	f.BoolVarP(&o.Null, "null", "0", false, "records are separated by NUL (find -print0)")
	f.StringVarP(&o.Delimiter, "delimiter", "d", "", "records are separated by `STR` (C escapes allowed)")
	f.StringVar(&o.Colsep, "colsep", "", "split each record into columns {1}, {2}… at `REGEX`")
	f.IntVarP(&o.MaxArgs, "max-args", "n", 1, "put `N` records into each job")
	f.BoolVar(&o.JSONL, "jsonl", false, "each input line is a JSON object describing one job")
	f.BoolVar(&o.NoShell, "no-shell", false, "run the template as argv, without a shell")
	f.StringVar(&o.Shell, "shell", "/bin/sh", "the shell that runs commands")
	f.BoolVar(&o.Group, "group", false, "write each job's output whole when it ends (default)")
	f.BoolVarP(&o.KeepOrder, "keep-order", "k", false, "write output in input order")
	f.BoolVar(&o.LineBuffer, "line-buffer", false, "write whole lines as jobs print them")
	f.BoolVarP(&o.Ungroup, "ungroup", "u", false, "pass output through as it comes")
	f.BoolVar(&o.Tag, "tag", false, "prefix output lines with the job's arguments and a TAB")
	f.StringVar(&o.BufferSize, "buffer-size", "1M", "output kept in memory per job before spilling to $TMPDIR")
	f.BoolVar(&o.DryRun, "dry-run", false, "print the commands, run none")
	f.BoolVarP(&o.Verbose, "verbose", "v", false, "print each command on stderr as it starts")
	f.IntVar(&o.QueueSize, "queue-size", -1, "jobs read ahead (default 4×workers; 0 = all input first)")
	f.StringVar(&o.Order, "order", string(sched.OrderFIFO), "order jobs start in, over the read-ahead window: fifo, lifo or priority")
	f.IntVar(&o.PriorityCol, "priority-col", 0, "take --order priority from column `N` of each record (smaller first)")
	f.StringVar(&o.Delay, "delay", "", "pause between job starts (1.5s, 200ms or seconds)")
	f.StringVar(&o.Timeout, "timeout", "", "stop a job after this long")
	f.StringVar(&o.KillAfter, "kill-after", "2s", "time between SIGTERM and SIGKILL")
	f.StringVar(&o.TermSeq, "termseq", "", "termination sequence, GNU style: TERM,200,TERM,100,KILL,25 (ms)")
	f.IntVar(&o.Retries, "retries", 0, "give a failed job up to `N` more attempts")
	f.StringVar(&o.RetryDelay, "retry-delay", "", "pause before each retry")
	f.StringVar(&o.Halt, "halt", "never", "stop early: never, soon|now,fail|success|done=N or =P%")
	f.StringVar(&o.Joblog, "joblog", "", "write GNU parallel's joblog to `FILE` (+FILE appends)")
	f.BoolVar(&o.Resume, "resume", false, "skip jobs the joblog shows as finished")
	f.BoolVar(&o.ResumeFail, "resume-failed", false, "like --resume, but run failed jobs again too")
	f.StringVar(&o.Results, "results", "", "save each job's stdout, stderr and result.json under `DIR`/<seq>/")
	f.BoolVar(&o.JSON, "json", false, "write one JSON object per job on stdout instead of its output")
	f.BoolVar(&o.Summary, "summary", false, "print totals and the slowest jobs on stderr at the end")
	f.StringVar(&o.Progress, "progress", report.ProgressAuto, "progress display: auto, bar, plain or off")
	f.StringVar(&o.Config, "config", "", "read settings from `FILE` (default ./.parrun.yaml, then $XDG_CONFIG_HOME/parrun/config.yaml)")
	f.BoolVar(&o.PrintConfig, "print-config", false, "print the effective settings and where each came from, run nothing")
	f.StringArrayVarP(&o.SSH, "ssh", "S", nil, "run jobs on `HOSTS` over ssh: [N/][user@]host[:port],… (: is this machine; repeatable)")
	f.StringVar(&o.SSHFile, "ssh-file", "", "read --ssh logins from `FILE`, one a line")
	f.StringVar(&o.RemoteParrun, "remote-parrun", "", "the parrun that --ssh and --worker-cmd start (default: parrun on the remote PATH; this binary for --worker-cmd alone)")
	f.StringVar(&o.WorkerCmd, "worker-cmd", "", "start each worker through the launcher `TEMPLATE` ({host}, {slot}), e.g. 'srun -N1 -n1 --'")
	f.BoolVar(&o.Transfer, "transfer", false, "copy each job's input file ({}) to the host before it runs")
	f.StringArrayVar(&o.Return, "return", nil, "bring `FILE` back from the host after each job ({.}.out; repeatable)")
	f.BoolVar(&o.Cleanup, "cleanup", false, "remove the transferred and returned files from the host after each job")
	return cmd
}

// execute validates the options and runs the jobs.
func execute(ctx context.Context, o *Options, ios *IOStreams) (exitCode, error) {
	cfg, err := o.validate(defaultWorkers())
	if err != nil {
		return exitError, o.settings.explain(err)
	}
	cfg.input.Stdin = ios.In
	src, err := input.Open(cfg.input)
	if err != nil {
		return exitError, &FlagError{Err: err}
	}
	defer src.Close()

	// Joblog and --resume.
	if cfg.joblog != "" {
		path, appendTo := strings.CutPrefix(cfg.joblog, "+")
		if cfg.resume {
			done, err := report.ReadJoblog(path)
			if err != nil {
				return exitError, &FlagError{Err: err}
			}
			failedToo := !cfg.resumeFailed
			cfg.sched.Skip = func(j *job.Job) bool {
				e, ok := done[j.Seq]
				return ok && e.Finished(failedToo)
			}
			appendTo = true
		}
		jl, err := report.OpenJoblog(path, appendTo)
		if err != nil {
			return exitError, &FlagError{Err: err}
		}
		defer jl.Close()
		cfg.report.Joblog = jl
	}

	rep := report.New(cfg.report, ios.Out, ios.ErrOut)

	// Signals: the first stops the run and passes the signal to running
	// jobs; a second kills them at once (SPEC §6).
	ctx, stopSignals := handleSignals(ctx)
	defer stopSignals()

	cfg.sched.Env = os.Environ()
	if cfg.mode == sched.ModeCoroutine {
		// -j sets the OS threads the scheduler may use; --concurrency the
		// jobs in flight (SPEC §3).
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cfg.sched.Slots))
	}
	cfg.sched.Notify = rep.Notice
	var tr sched.Transport = &sched.Local{Terminate: cfg.terminate, WaitDelay: cfg.killAfter}
	if cfg.mode == sched.ModeProcess && !cfg.sched.DryRun {
		exe, err := selfPath()
		if err != nil {
			return exitError, fmt.Errorf("--mode process: finding parrun's own executable: %w", err)
		}
		p := &sched.Process{Launcher: []string{exe}, Terminate: cfg.terminate, MaxJobs: cfg.maxJobsPerWorker, Notify: rep.Notice}
		closeHosts := func() {}
		defer func() {
			p.Close()
			closeHosts() // after the workers: their ssh sessions run over the masters
		}()
		if len(cfg.logins) > 0 || cfg.workerCmd != "" {
			var hosts []*sched.Host
			hosts, closeHosts, err = connectHosts(ctx, cfg, exe, rep.Notice)
			if err != nil {
				// Ctrl-C while connecting is still 130.
				return codeFor(err, 0, context.Cause(ctx)), err
			}
			p.Hosts = hosts
			cfg.sched.Slots = 0
			for _, h := range hosts {
				cfg.sched.Slots += h.Slots
			}
		}
		p.Prestart(ctx, cfg.sched.Slots)
		tr = p
	}
	style := cfg.progress
	if style == report.ProgressAuto {
		// A bar on a terminal; nothing at all otherwise (SPEC §9).
		style = report.ProgressOff
		if ios.IsStderrTTY() {
			style = report.ProgressBar
		}
	}
	if n, ok := src.Total(); ok {
		rep.Read(n, true)
	}
	rep.StartProgress(style)
	stats, runErr := sched.Run(ctx, cfg.sched, &countingSource{src: src, rep: rep}, tr, rep)
	rep.StopProgress()
	closeErr := rep.Close()
	if runErr == nil {
		runErr = closeErr
	}
	if runErr == nil && errors.Is(stats.Stopped, sched.ErrNoHosts) {
		// Jobs that never ran are not failures of theirs, but the run did
		// not do its work: that is parrun's error, not a count.
		runErr = fmt.Errorf("%w (see above): %d jobs reported, the rest of the input not run", stats.Stopped, stats.Jobs)
	}
	cause := context.Cause(ctx)
	code := codeFor(runErr, stats.Failed, cause)
	if stats.Jobs > 0 || stats.Read > 0 {
		if why := haltNote(cfg.sched.Halt, stats.Stopped); why != "" {
			rep.Notice(why)
		}
	}
	if code == exitBrokenPipe {
		return code, nil // the reader went away: nothing to say to it
	}
	if runErr != nil {
		return code, runErr
	}
	return code, nil
}

// haltNote says why a run stopped early because of --halt, or "".
func haltNote(h sched.Halt, cause error) string {
	if errors.Is(cause, sched.ErrHaltNow) || errors.Is(cause, sched.ErrHaltSoon) {
		return fmt.Sprintf("--halt %s reached: %v", h, cause)
	}
	return ""
}

// countingSource tells the report how many jobs have been read, and when
// the input has ended, for the progress display's total.
type countingSource struct {
	src *input.Reader
	rep *report.Report
	n   int64
}

func (c *countingSource) Next() (*job.Job, error) {
	j, err := c.src.Next()
	if err == nil {
		c.n++
		if c.n&63 == 1 {
			c.rep.Read(c.n, false)
		}
	} else if errors.Is(err, io.EOF) {
		c.rep.Read(c.n, true)
	}
	return j, err
}

// newCompletionCmd is "parrun completion bash|zsh|fish|powershell". It is
// the one word parrun does not treat as a COMMAND: "parrun completion" does
// not run a program of that name (README).
func newCompletionCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:                   "completion bash|zsh|fish|powershell",
		Short:                 "Print a shell completion script",
		DisableFlagsInUseLine: true,
		ValidArgs:             []string{"bash", "zsh", "fish", "powershell"},
		Args:                  cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		RunE: func(c *cobra.Command, args []string) error {
			out := c.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			default:
				return root.GenPowerShellCompletionWithDesc(out)
			}
		},
	}
}
