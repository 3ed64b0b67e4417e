package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/parrun/parrun/internal/buildinfo"
	"github.com/parrun/parrun/internal/completion"
	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/gnuargs"
	"github.com/parrun/parrun/internal/iostreams"
	"github.com/parrun/parrun/internal/ipc"
	"github.com/parrun/parrun/internal/job"
	"github.com/parrun/parrun/internal/msg"
	"github.com/parrun/parrun/internal/pipe"
	"github.com/parrun/parrun/internal/report"
	"github.com/parrun/parrun/internal/sched"
	"github.com/parrun/parrun/internal/settings"
)

// version is parrun's version, set at build time with -ldflags.
var version = "0.1.0-dev"

// --help's prose and examples; term_help_examples runs every example.
var (
	//go:embed help/long.txt
	longHelp string
	//go:embed help/examples.txt
	examplesHelp string
)

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
	// The hidden reaper entry (exec.Reaper), guarded the same way.
	if exec.IsReaper(os.Getenv) {
		return exec.ReaperMain(os.Stdin)
	}
	return int(run(context.Background(), os.Args[1:], iostreams.System()))
}

// run parses args, runs the jobs, and maps the outcome to an exit status.
// Every error reaches the user as exactly one line on stderr.
func run(ctx context.Context, args []string, ios *iostreams.IOStreams) exitCode {
	var code exitCode
	cmd := newRootCmd(ios, func(o *Options) error {
		var err error
		code, err = execute(ctx, o, ios)
		return err
	})
	cmd.InitDefaultHelpFlag()
	cmd.InitDefaultVersionFlag()
	rewritten, err := gnuargs.Rewrite(cmd.Flags(), args)
	if err != nil {
		fmt.Fprintf(ios.ErrOut, "parrun: %s\n", msg.OneLine(err.Error()))
		return exitError
	}
	cmd.SetArgs(rewritten)
	cmd.SetIn(ios.In)
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	if err := cmd.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(ios.ErrOut, "parrun: %s\n", msg.OneLine(err.Error()))
		if code == exitOK {
			code = exitError
		}
	}
	return code
}

// newRootCmd builds the root command. runF is what a valid invocation does;
// tests of flag parsing pass their own.
func newRootCmd(ios *iostreams.IOStreams, runF func(*Options) error) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:                   "parrun [flags] [--] [COMMAND [ARG...]] [::: VALUES...]... [:::: FILES...]...",
		Short:                 "Run jobs in parallel and gather their results",
		Long:                  strings.TrimSpace(longHelp),
		Example:               strings.TrimRight(examplesHelp, "\n"),
		Version:               buildinfo.Version(version),
		SilenceUsage:          true,
		SilenceErrors:         true,
		DisableFlagsInUseLine: true,
		Args:                  cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			st, err := settings.Apply(c.Flags(), o.Config, os.Getenv, os.LookupEnv)
			if err != nil {
				return &FlagError{Err: err}
			}
			o.settings = st
			o.Args = args
			return runF(o)
		},
	}
	cmd.SetVersionTemplate("parrun {{.Version}}\n")
	cmd.AddCommand(completion.Command(cmd))
	// No "help" subcommand: "parrun help" runs a program called help, like
	// any other COMMAND. --help still works.
	cmd.SetHelpCommand(&cobra.Command{Hidden: true, Use: "no-help-command"})
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &FlagError{Err: settings.Suggest(settings.Plain(err), c.Flags())}
	})
	f := cmd.Flags()
	// The first positional argument starts the command: flags after it
	// belong to the command, not to parrun (as xargs and GNU parallel).
	f.SetInterspersed(false)
	f.SortFlags = false

	f.StringVarP(&o.Workers, "workers", "j", "", "jobs at once: N, N%, +N, -N, [N]auto, FILE (default: cores)")
	f.StringVar(&o.Workers, "jobs", "", "alias of --workers")
	f.StringVar(&o.Mode, "mode", string(sched.ModeThread), "how jobs run: thread, process or coroutine")
	f.IntVar(&o.c.sched.Concurrency, "concurrency", sched.DefaultConcurrency, "coroutine mode: jobs in flight")
	f.IntVar(&o.c.maxJobsPerWorker, "max-jobs-per-worker", 0, "process mode: replace a worker after `N` jobs (0 = never)")
	f.StringArrayVarP(&o.ArgFiles, "arg-file", "a", nil, "read input records from `FILE` (repeatable: product)")
	f.BoolVarP(&o.Null, "null", "0", false, "records are separated by NUL (find -print0)")
	f.StringVarP(&o.Delimiter, "delimiter", "d", "", "records are separated by `STR` (C escapes allowed)")
	f.StringVar(&o.Colsep, "colsep", "", "split each record into columns {1}, {2}… at `REGEX`")
	f.IntVarP(&o.c.input.MaxArgs, "max-args", "n", 1, "`N` records a job (0: one, substituting nothing)")
	f.IntVarP(&o.MaxReplace, "max-replace-args", "N", 1, "GNU's -N: as -n")
	f.IntVarP(&o.MaxLines, "max-lines", "L", 1, "GNU's -L: as -n, a record per line")
	f.BoolVar(&o.c.input.JSONL, "jsonl", false, "each input line is a JSON object describing one job")
	// GNU parallel input flags (issue 13, the input part).
	// GNU's other spellings of the replacement strings; -I STR is
	// --replace=STR (gnuargs).
	f.StringVarP(&o.Replace.Whole, "replace", "i", "", "spell {} as `STR` (GNU -I STR; -i alone: {})")
	f.Lookup("replace").NoOptDefVal = "{}"
	f.StringVar(&o.Replace.NoExt, "extensionreplace", "", "spell {.} as `STR` (GNU --er)")
	f.StringVar(&o.Replace.Base, "basenamereplace", "", "spell {/} as `STR` (GNU --bnr)")
	f.StringVar(&o.Replace.Dir, "dirnamereplace", "", "spell {//} as `STR` (GNU --dnr)")
	f.StringVar(&o.Replace.BaseNoExt, "basenameextensionreplace", "", "spell {/.} as `STR` (GNU --bner)")
	f.StringVar(&o.Replace.Seq, "seqreplace", "", "spell {#} as `STR`")
	f.StringVar(&o.Replace.Slot, "slotreplace", "", "spell {%} as `STR`")
	f.BoolVar(&o.Replace.Plus, "plus", false, "GNU's --plus strings: {..} {+/} {##} {0#} {:-x} {/re/s}…")
	o.NumberOf = map[string]*bool{}
	for _, what := range []string{"cpus", "cores", "threads", "sockets"} {
		o.NumberOf[what] = f.Bool("number-of-"+what, false, "print the number of CPU "+what+" and exit (GNU)")
	}
	f.BoolVar(&o.c.report.Files, "files", false, "save stdout in files in --tmpdir, print their names (GNU)")
	f.StringVar(&o.c.report.TmpDir, "tmpdir", "", "spill output and keep --files in `DIR` (default $TMPDIR; GNU)")
	f.Int64Var(&o.TotalJobs, "total-jobs", -1, "jobs in all, for --progress, when unknown (GNU)")
	f.StringVar(&o.TagString, "tagstring", "", "tag output lines with `STR` and a TAB (GNU)")
	f.BoolVarP(&o.Multi, "multiple-args", "m", false, "GNU's -m: records a job while its line takes them")
	f.BoolVarP(&o.Context, "context-replace", "X", false, "GNU's -X: as -m, each word with {} once a record")
	f.BoolVar(&o.Xargs, "xargs", false, "as many records a job as its command line takes (GNU)")
	f.IntVarP(&o.MaxChars, "max-chars", "s", 0, "-m, -X, --xargs: lines of at most `N` bytes (128 KiB)")
	f.BoolVar(&o.c.input.Shuffle, "shuf", false, "run the jobs in a random order (GNU)")
	f.StringVar(&o.ArgSep, "arg-sep", "", "spell ::: as `SEP` (GNU)")
	f.StringVar(&o.ArgFileSep, "arg-file-sep", "", "spell :::: as `SEP` (GNU)")
	f.BoolVar(&o.c.input.CSV, "csv", false, "split records into CSV columns (at --colsep or commas; GNU)")
	f.BoolVar(&o.c.input.Pipe.On, "pipe", false, "cut stdin into blocks of records, each a job's stdin (GNU)")
	f.BoolVar(&o.c.input.Pipe.Part, "pipe-part", false, "--pipe for -a FILE: each job reads its part in place (GNU)")
	f.Var(settings.NewValue(&o.c.input.Pipe.Block, "", pipe.ParseSize, "size"), "block", "block size, 1M; -N: N parts a slot with --pipe-part (GNU)")
	f.Var(settings.NewValue(&o.c.input.Pipe.RecEnd, "", pipe.Text, "string"), "recend", "--pipe: records end with `STR` (default \\n; GNU)")
	f.Var(settings.NewValue(&o.c.input.Pipe.RecStart, "", pipe.Text, "string"), "recstart", "--pipe: records start with `STR` (GNU)")
	f.BoolVar(&o.c.input.Pipe.Regexp, "regexp", false, "--pipe: --recend and --recstart are regexps (GNU)")
	f.BoolVar(&o.c.input.Pipe.RemoveRecSep, "remove-rec-sep", false, "--pipe: take the record separators out of blocks (GNU)")
	f.BoolVar(&o.c.input.Pipe.RoundRobin, "round-robin", false, "--pipe: -j jobs in all, each taking blocks when free (GNU)")
	f.Var(settings.NewDuration(&o.c.input.Pipe.BlockTimeout, "", job.ParseDuration), "block-timeout", "--pipe: send a partial block after this long (GNU)")
	f.BoolVar(&o.c.input.Pipe.Cat, "cat", false, "--pipe: each block as a temporary file, {} (GNU)")
	f.BoolVar(&o.c.input.Pipe.Fifo, "fifo", false, "--pipe: each block through a named pipe, {} (GNU)")
	f.StringVar(&o.Header, "header", "", "name columns {name} after the first record (`:`; 0: files; GNU)")
	f.StringVar(&o.c.input.Trim, "trim", "", "trim blanks: n, l, r, lr or rl (lr with --colsep; GNU)")
	f.BoolVarP(&o.c.input.SkipBlank, "no-run-if-empty", "r", false, "run no job for a record of only blanks (GNU, xargs)")
	f.BoolVar(&o.c.input.LinkAll, "link", false, "link the inputs element-wise, shorter ones wrap (GNU)")
	f.BoolVar(&o.c.input.LinkAll, "xapply", false, "alias of --link")
	f.BoolVar(&o.NoShell, "no-shell", false, "run the template as argv, without a shell")
	f.StringVar(&o.c.input.Shell, "shell", "", "the shell for commands (default: as GNU's choice)")
	f.BoolVar(&o.Group, "group", false, "write each job's output whole when it ends (default)")
	f.BoolVarP(&o.c.sched.KeepOrder, "keep-order", "k", false, "write output in input order")
	f.BoolVar(&o.LineBuffer, "line-buffer", false, "write whole lines as jobs print them")
	f.BoolVarP(&o.Ungroup, "ungroup", "u", false, "pass output through as it comes")
	f.BoolVar(&o.c.report.Tag, "tag", false, "prefix output lines with the job's arguments and a TAB")
	f.Var(settings.NewValue(&o.c.report.BufferSize, "1M", job.ParseSize, "size"), "buffer-size", "output in memory per job before $TMPDIR")
	f.BoolVar(&o.c.sched.DryRun, "dry-run", false, "print the commands, run none")
	f.BoolVar(&o.c.report.ShellQuote, "shellquote", false, "print the commands quoted for the shell, run none (GNU)")
	f.BoolVarP(&o.c.report.Verbose, "verbose", "v", false, "print each command on stderr as it starts")
	f.IntVar(&o.c.sched.QueueSize, "queue-size", -1, "jobs read ahead (-1: 4×workers; 0: all)")
	f.StringVar(&o.Order, "order", string(sched.OrderFIFO), "start order: fifo, lifo or priority")
	f.IntVar(&o.c.input.PriorityCol, "priority-col", 0, "--order priority from column `N` (smaller first)")
	f.Var(settings.NewDuration(&o.c.sched.Delay, "", job.ParseDuration), "delay", "pause between job starts (1.5s, 200ms or seconds)")
	f.Var(settings.NewDuration(&o.c.sched.Timeout, "", o.c.sched.ParseTimeout), "timeout", "stop a job after this long, or N% of the median success (GNU)")
	f.Var(settings.NewDuration(&o.c.killAfter, "2s", job.ParseDuration), "kill-after", "time between SIGTERM and SIGKILL")
	f.BoolVar(&o.c.keepBackground, "keep-background", false, "let processes a job leaves behind outlive it")
	f.StringVar(&o.c.sched.Dir, "workdir", "", "run the jobs in `DIR`, made if missing (GNU's --workdir, --wd)")
	f.IntVar(&o.c.sched.Nice, "nice", 0, "run the jobs under nice -n `N` (GNU)")
	f.StringVar(&o.c.throttle.MemFree, "memfree", "", "start jobs while `SIZE` is free, stop one below half (GNU)")
	f.StringVar(&o.c.throttle.MemSuspend, "memsuspend", "", "suspend the youngest jobs below 2×`SIZE` free (GNU)")
	f.StringVar(&o.c.throttle.Load, "load", "", "start jobs while under `MAX` processes run (N, N%; GNU)")
	f.BoolVar(&o.c.throttle.NoSwap, "noswap", false, "start no job while the machine swaps in and out (GNU)")
	f.StringVar(&o.c.throttle.Limit, "limit", "", "run `CMD` before each start: 0 go, 1 wait, 2 stop one (GNU)")
	f.StringArrayVar(&o.Env, "env", nil, "pass variable `NAME` to remote jobs too (GNU)")
	f.StringVar(&o.TermSeq, "termseq", "", "termination sequence: TERM,200,TERM,100,KILL,25 (ms)")
	f.IntVar(&o.c.sched.Retries, "retries", 0, "run a failed job up to `N` times in all (0: until it succeeds)")
	f.Var(settings.NewDuration(&o.c.sched.RetryDelay, "", job.ParseDuration), "retry-delay", "pause before each retry")
	f.StringVar(&o.Halt, "halt", "never", "stop early: soon|now,fail|success|done=N|P%")
	f.StringVar(&o.c.outputs.Joblog, "joblog", "", "write GNU parallel's joblog to `FILE` (+FILE appends)")
	f.BoolVar(&o.c.outputs.Resume, "resume", false, "skip jobs the joblog shows as finished")
	f.BoolVar(&o.c.outputs.ResumeFailed, "resume-failed", false, "like --resume, but run failed jobs again too")
	f.BoolVar(&o.c.outputs.RetryFailed, "retry-failed", false, "rerun the failed commands of --joblog FILE (GNU)")
	f.StringVar(&o.c.outputs.Results, "results", "", "save output as GNU: `DIR`, a template, or .csv/.tsv/.json")
	f.StringVar(&o.c.outputs.Timeline, "timeline", "", "draw the run in `FILE` (HTML: each job a bar on its slot's row)")
	f.BoolVar(&o.c.report.JSON, "json", false, "write one JSON object per job on stdout instead of its output")
	f.BoolVar(&o.c.report.Summary, "summary", false, "print totals and the slowest jobs on stderr at the end")
	f.StringVar(&o.c.progress, "progress", report.ProgressAuto, "--progress=`MODE`: auto, bar, plain, off")
	f.Lookup("progress").NoOptDefVal = report.ProgressOn
	f.StringVar(&o.Config, "config", "", "settings `FILE` (default ./.parrun.yaml, then XDG)")
	f.BoolVar(&o.PrintConfig, "print-config", false, "print the settings in force and their sources")
	f.StringArrayVarP(&o.SSH, "ssh", "S", nil, "run jobs on `HOSTS`: [N/][user@]host[:port],… (: = here)")
	f.StringVar(&o.SSHFile, "ssh-file", "", "read --ssh logins from `FILE`, one a line")
	f.BoolVar(&o.OnAll, "onall", false, "run every job on every host in turn (-j: hosts at once)")
	f.BoolVar(&o.NonAll, "nonall", false, "run the command once on every host, with no arguments (GNU)")
	f.StringVar(&o.c.remote.RemoteParrun, "remote-parrun", "", "the parrun --ssh and --worker-cmd start (remote PATH)")
	f.StringVar(&o.c.remote.WorkerCmd, "worker-cmd", "", "start workers through `TEMPLATE` ({host}, {slot})")
	f.BoolVar(&o.c.remote.Slurm, "slurm", false, "in a Slurm allocation: a worker per task, each an srun step")
	f.BoolVar(&o.c.remote.Files.Transfer, "transfer", false, "copy each job's input file ({}) to the host before it runs")
	f.StringArrayVar(&o.Return, "return", nil, "bring `FILE` back after each job ({.}.out; repeatable)")
	f.BoolVar(&o.c.remote.Files.Cleanup, "cleanup", false, "remove transferred and returned files after each job")
	f.StringArrayVar(&o.c.remote.Files.Base, "basefile", nil, "copy `FILE` to each host once, before its jobs (repeatable)")
	completion.Register(cmd) // after the flags: it completes their values
	return cmd
}
