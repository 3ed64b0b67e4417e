package main

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/input"
	"github.com/parrun/parrun/internal/job"
	"github.com/parrun/parrun/internal/remote"
	"github.com/parrun/parrun/internal/report"
	"github.com/parrun/parrun/internal/sched"
)

// Options are parrun's flags and arguments as typed, before validation.
type Options struct {
	Workers     string
	Mode        string
	Concurrency int
	// MaxJobsPerWorker recycles process-mode workers.
	MaxJobsPerWorker int
	ArgFiles         []string
	Null             bool
	Delimiter        string
	Colsep           string
	MaxArgs          int
	JSONL            bool
	NoShell          bool
	Shell            string
	Group            bool
	KeepOrder        bool
	LineBuffer       bool
	Ungroup          bool
	Tag              bool
	BufferSize       string
	DryRun           bool
	Verbose          bool
	QueueSize        int
	Delay            string
	Timeout          string
	KillAfter        string
	Order            string
	PriorityCol      int
	Retries          int
	RetryDelay       string
	Halt             string
	TermSeq          string
	Joblog           string
	Resume           bool
	ResumeFail       bool
	Results          string
	JSON             bool
	Summary          bool
	Progress         string
	Config           string
	PrintConfig      bool
	// Scale-out (SPEC §8).
	SSH          []string
	SSHFile      string
	RemoteParrun string
	WorkerCmd    string
	Transfer     bool
	Return       []string
	Cleanup      bool

	// Args are the positional arguments: the template and ::: groups.
	Args []string
	// settings say where each flag's value came from.
	settings *settings
}

// config is the validated form of Options: what the packages below need.
type config struct {
	mode   sched.Mode
	input  input.Config
	sched  sched.Options
	report report.Options
	// concurrency is coroutine mode's limit on jobs in flight.
	concurrency int
	// joblog is the --joblog path ("+FILE" appends); resume and
	// resumeFailed say which jobs it lets a run skip.
	joblog       string
	resume       bool
	resumeFailed bool
	// progress is the --progress style before auto is resolved.
	progress string
	// killAfter is also how long output is read after a job's leader exits.
	killAfter time.Duration
	// terminate is the termination sequence of every job.
	terminate []exec.Step
	// maxJobsPerWorker recycles process-mode workers (0: never).
	maxJobsPerWorker int
	// logins are the --ssh and --ssh-file hosts; workerCmd the
	// --worker-cmd template; remoteParrun the worker binary they start
	// ("" : parrun on the remote PATH, or this binary for --worker-cmd
	// alone); files what moves with each remote job.
	logins       []remote.Login
	workerCmd    string
	remoteParrun string
	files        remote.Files
}

// flagErr returns a FlagError about the value of one flag.
func flagErr(flag, format string, a ...any) error {
	return &FlagError{Err: fmt.Errorf(format, a...), Flag: flag}
}

// usageErr returns a FlagError.
func usageErr(format string, a ...any) error {
	return &FlagError{Err: fmt.Errorf(format, a...)}
}

// validate checks every option in one place and builds the run's
// configuration. Every error is a *FlagError naming the flag or file.
func (o *Options) validate(cores int) (*config, error) {
	c := &config{}
	var err error
	if c.sched.Slots, err = parseWorkers(o.Workers, cores); err != nil {
		return nil, flagErr("workers", "-j %s: %w", o.Workers, err)
	}
	if c.mode, err = sched.ParseMode(o.Mode); err != nil {
		return nil, &FlagError{Err: err, Flag: "mode"}
	}
	if o.Concurrency < 1 {
		return nil, flagErr("concurrency", "--concurrency %d: must be at least 1", o.Concurrency)
	}
	c.concurrency = o.Concurrency
	if o.MaxJobsPerWorker < 0 {
		return nil, flagErr("max-jobs-per-worker", "--max-jobs-per-worker %d: must be 0 or more", o.MaxJobsPerWorker)
	}
	c.maxJobsPerWorker = o.MaxJobsPerWorker

	// Input.
	words, sources, err := splitArgs(o.Args)
	if err != nil {
		return nil, err
	}
	for _, f := range o.ArgFiles {
		sources = append([]input.Source{{File: f, IsFile: true}}, sources...)
	}
	// -a files come first, in the order given.
	if n := len(o.ArgFiles); n > 1 {
		for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
			sources[i], sources[j] = sources[j], sources[i]
		}
	}
	for _, s := range sources {
		if s.IsFile && s.File != "-" {
			f, err := os.Open(s.File)
			if err != nil {
				return nil, usageErr("cannot read input file: %w", err)
			}
			f.Close()
		}
	}
	delim := "\n"
	if o.Delimiter != "" {
		if delim, err = unescape(o.Delimiter); err != nil {
			return nil, flagErr("delimiter", "-d %q: %w", o.Delimiter, err)
		}
		if delim == "" {
			return nil, usageErr("-d %q: empty delimiter", o.Delimiter)
		}
	}
	if o.Null {
		if o.Delimiter != "" {
			return nil, usageErr("-0 and -d both set the delimiter: use one")
		}
		delim = "\x00"
	}
	var colsep *regexp.Regexp
	if o.Colsep != "" {
		if colsep, err = regexp.Compile(o.Colsep); err != nil {
			return nil, flagErr("colsep", "--colsep: bad regex %q: %w", o.Colsep, unwrapAll(err))
		}
	}
	if o.MaxArgs < 1 {
		return nil, usageErr("-n %d: must be at least 1", o.MaxArgs)
	}
	if o.Shell == "" {
		return nil, usageErr("--shell: empty path")
	}
	if len(words) == 0 && o.NoShell {
		return nil, usageErr("--no-shell needs a command template")
	}
	c.input = input.Config{
		Sources:  sources,
		Delim:    delim,
		Colsep:   colsep,
		MaxArgs:  o.MaxArgs,
		JSONL:    o.JSONL,
		Template: len(words) > 0,
		Shell:    o.Shell,
	}
	if o.JSONL && (len(sources) > 1 || o.MaxArgs > 1 || colsep != nil) {
		return nil, usageErr("--jsonl reads one input source, one object per job: it does not combine with several sources, -n or --colsep")
	}
	if len(sources) > 0 && sources[0].Link {
		return nil, usageErr(":::+ needs an input source before it to link to")
	}
	if len(words) > 0 {
		c.sched.Template = job.Parse(words, o.Shell, o.NoShell)
	}

	// Scheduling.
	c.sched.QueueSize = o.QueueSize
	if o.QueueSize < -1 {
		return nil, flagErr("queue-size", "--queue-size %d: must be 0 or more", o.QueueSize)
	}
	if c.sched.Delay, err = flagDuration("--delay", o.Delay); err != nil {
		return nil, err
	}
	if c.sched.Timeout, err = flagDuration("--timeout", o.Timeout); err != nil {
		return nil, err
	}
	killAfter := exec.DefaultKillAfter
	if o.KillAfter != "" {
		if killAfter, err = flagDuration("--kill-after", o.KillAfter); err != nil {
			return nil, err
		}
	}
	c.killAfter = killAfter
	c.terminate = []exec.Step{{Signal: syscall.SIGTERM, Wait: killAfter}}
	if o.TermSeq != "" {
		if c.terminate, err = parseTermSeq(o.TermSeq); err != nil {
			return nil, flagErr("termseq", "--termseq %q: %w", o.TermSeq, err)
		}
	}
	if o.Retries < 0 {
		return nil, usageErr("--retries %d: must be 0 or more", o.Retries)
	}
	c.sched.Retries = o.Retries
	if c.sched.RetryDelay, err = flagDuration("--retry-delay", o.RetryDelay); err != nil {
		return nil, err
	}
	if c.sched.Halt, err = sched.ParseHalt(o.Halt); err != nil {
		return nil, &FlagError{Err: err, Flag: "halt"}
	}
	c.joblog = o.Joblog
	c.resume = o.Resume || o.ResumeFail
	c.resumeFailed = o.ResumeFail
	if c.resume && (o.Joblog == "" || o.Joblog == "+") {
		return nil, usageErr("--resume needs --joblog FILE to know what already ran")
	}
	c.sched.KeepOrder = o.KeepOrder
	c.sched.Mode = c.mode
	if c.sched.Order, err = sched.ParseOrder(o.Order); err != nil {
		return nil, &FlagError{Err: err, Flag: "order"}
	}
	if o.PriorityCol < 0 {
		return nil, usageErr("--priority-col %d: want a column number from 1", o.PriorityCol)
	}
	if o.PriorityCol > 0 && o.JSONL {
		return nil, usageErr("--priority-col: JSONL jobs carry their own \"priority\"")
	}
	c.input.PriorityCol = o.PriorityCol
	c.sched.Concurrency = o.Concurrency
	c.sched.DryRun = o.DryRun

	// Output.
	n := 0
	for _, b := range []bool{o.Group, o.LineBuffer, o.Ungroup} {
		if b {
			n++
		}
	}
	if n > 1 {
		return nil, usageErr("--group, --line-buffer and --ungroup exclude each other: use one")
	}
	c.report = report.Options{Tag: o.Tag, DryRun: o.DryRun, Verbose: o.Verbose, TmpDir: os.TempDir(),
		JSON: o.JSON, ResultsDir: o.Results, Summary: o.Summary}
	switch o.Progress {
	case report.ProgressAuto, report.ProgressBar, report.ProgressPlain, report.ProgressOff:
		c.progress = o.Progress
	default:
		return nil, flagErr("progress", "--progress %q: want auto, bar, plain or off", o.Progress)
	}
	switch {
	case o.KeepOrder:
		// Output in input order needs whole jobs: -k groups (README).
		c.report.Grouping = report.Group
	case o.LineBuffer:
		c.report.Grouping = report.LineBuffer
	case o.Ungroup:
		c.report.Grouping = report.Ungroup
	}
	size, err := parseSize(o.BufferSize)
	if err != nil {
		return nil, flagErr("buffer-size", "--buffer-size %q: %w", o.BufferSize, err)
	}
	c.report.BufferSize = size
	if err := o.validateScaleOut(c); err != nil {
		return nil, err
	}
	return c, nil
}

// validateScaleOut checks the flags of SPEC §8. Hosts put the run in
// process mode; a --mode other than process typed on the command line is
// an error, one that came from the environment or a config file gives way.
func (o *Options) validateScaleOut(c *config) error {
	perHost := c.sched.Slots
	for _, list := range o.SSH {
		ls, err := remote.ParseLogins(list, perHost)
		if err != nil {
			return flagErr("ssh", "--ssh: %w", err)
		}
		c.logins = append(c.logins, ls...)
	}
	if o.SSHFile != "" {
		f, err := os.Open(o.SSHFile)
		if err != nil {
			return flagErr("ssh-file", "--ssh-file: %w", err)
		}
		ls, err := remote.ReadLogins(f, o.SSHFile, perHost)
		f.Close()
		if err != nil {
			return flagErr("ssh-file", "--ssh-file: %w", err)
		}
		if len(ls) == 0 {
			return flagErr("ssh-file", "--ssh-file %s: no logins in it", o.SSHFile)
		}
		c.logins = append(c.logins, ls...)
	}
	c.workerCmd = o.WorkerCmd
	c.remoteParrun = o.RemoteParrun
	scaleOut := len(c.logins) > 0 || o.WorkerCmd != ""
	for _, r := range o.Return {
		c.files.Return = append(c.files.Return, job.ParsePattern(r))
	}
	c.files.Transfer, c.files.Cleanup = o.Transfer, o.Cleanup
	if !scaleOut {
		switch {
		case o.Transfer || len(o.Return) > 0 || o.Cleanup:
			return usageErr("--transfer, --return and --cleanup move files to and from other machines: they need --ssh or --worker-cmd")
		case o.RemoteParrun != "":
			return usageErr("--remote-parrun names the parrun that --ssh or --worker-cmd starts: it needs one of them")
		}
		return nil
	}
	if o.Cleanup && !o.Transfer && len(o.Return) == 0 {
		return usageErr("--cleanup removes the files of --transfer and --return: it needs one of them")
	}
	if c.mode != sched.ModeProcess {
		if o.settings != nil && o.settings.source["mode"] == fromFlag {
			return flagErr("mode", "--mode %s: --ssh and --worker-cmd run jobs in worker processes; use --mode process or leave --mode out", o.Mode)
		}
		c.mode, c.sched.Mode = sched.ModeProcess, sched.ModeProcess
	}
	total := 0
	for _, l := range c.logins {
		total += l.Slots
	}
	if total > 0 {
		c.sched.Slots = total
	}
	return nil
}

// unwrapAll strips regexp's error wrapper down to its message.
func unwrapAll(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

func flagDuration(flag, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := job.ParseDuration(s)
	if err != nil {
		return 0, flagErr(strings.TrimPrefix(flag, "--"), "%s: %w", flag, err)
	}
	return d, nil
}

// splitArgs splits the positional arguments into the template words and
// the ::: / :::+ / :::: / ::::+ input sources.
func splitArgs(args []string) (words []string, sources []input.Source, err error) {
	i := 0
	for i < len(args) && !isSep(args[i]) {
		i++
	}
	words = args[:i]
	for i < len(args) {
		sep := args[i]
		i++
		start := i
		for i < len(args) && !isSep(args[i]) {
			i++
		}
		vals := args[start:i]
		link := strings.HasSuffix(sep, "+")
		if strings.HasPrefix(sep, "::::") {
			if len(vals) == 0 {
				return nil, nil, usageErr("%s needs at least one file", sep)
			}
			for k, f := range vals {
				sources = append(sources, input.Source{File: f, IsFile: true, Link: link && k == 0})
			}
			continue
		}
		sources = append(sources, input.Source{Values: vals, Link: link})
	}
	return words, sources, nil
}

func isSep(s string) bool {
	return s == ":::" || s == ":::+" || s == "::::" || s == "::::+"
}

// parseWorkers parses -j: N, N% of the cores, +N and -N relative to the
// cores. 0 means as many as possible: 1024.
func parseWorkers(s string, cores int) (int, error) {
	if s == "" {
		return cores, nil
	}
	var n int
	var err error
	switch {
	case strings.HasSuffix(s, "%"):
		var p float64
		p, err = strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil || p <= 0 {
			return 0, errors.New("want a positive percentage of the cores")
		}
		n = int(float64(cores) * p / 100)
	case strings.HasPrefix(s, "+"), strings.HasPrefix(s, "-"):
		var d int
		d, err = strconv.Atoi(s)
		if err != nil {
			return 0, errors.New("want +N or -N cores")
		}
		n = cores + d
	default:
		n, err = strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, errors.New("want N, N%, +N or -N")
		}
		if n == 0 {
			// GNU parallel's "as many as possible": a pool of
			// sched.DefaultConcurrency (1024), as coroutine mode.
			return sched.DefaultConcurrency, nil
		}
	}
	if n > maxWorkers {
		return 0, fmt.Errorf("%d workers: at most %d", n, maxWorkers)
	}
	return max(n, 1), nil
}

// maxWorkers bounds -j: beyond it, a fixed pool is the wrong tool and
// --mode coroutine is the right one.
const maxWorkers = 1 << 16

// parseSize parses a byte count with an optional K, M or G suffix (powers
// of 1024).
func parseSize(s string) (int, error) {
	if s == "" {
		return exec.DefaultBufferSize, nil
	}
	mult := 1
	switch strings.ToUpper(s[len(s)-1:]) {
	case "K":
		mult = 1 << 10
	case "M":
		mult = 1 << 20
	case "G":
		mult = 1 << 30
	}
	if mult > 1 {
		s = s[:len(s)-1]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > (1<<40)/mult {
		return 0, errors.New("want a size such as 65536, 64K or 1M")
	}
	return n * mult, nil
}

// unescape interprets C escapes in a -d delimiter: \n \t \r \0 \\ \a \b \f
// \v, \xHH and \NNN (octal).
func unescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '\\':
			b.WriteByte('\\')
		case 'x':
			if i+3 > len(s) {
				return "", errors.New(`\x needs two hex digits`)
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", errors.New(`\x needs two hex digits`)
			}
			b.WriteByte(byte(v))
			i += 2
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(s[i:j], 8, 16)
			if v > 255 {
				return "", fmt.Errorf(`\%s is not a byte`, s[i:j])
			}
			b.WriteByte(byte(v))
			i = j - 1
		default:
			return "", fmt.Errorf(`unknown escape \%c`, s[i])
		}
	}
	return b.String(), nil
}

// defaultWorkers is the usable CPU count (cgroup-aware in Go ≥ 1.25).
func defaultWorkers() int { return runtime.GOMAXPROCS(0) }

// parseTermSeq parses GNU parallel's --termseq: signal names and waits in
// milliseconds, alternating ("TERM,200,TERM,100,KILL,25"). After the last
// step parrun sends SIGKILL.
func parseTermSeq(s string) ([]exec.Step, error) {
	parts := strings.Split(s, ",")
	if len(parts)%2 != 0 {
		return nil, errors.New("want SIGNAL,MS pairs such as TERM,200,KILL,25")
	}
	var steps []exec.Step
	for i := 0; i < len(parts); i += 2 {
		name := strings.ToUpper(strings.TrimPrefix(strings.TrimSpace(parts[i]), "SIG"))
		sig := unix.SignalNum("SIG" + name)
		if sig == 0 {
			return nil, fmt.Errorf("unknown signal %q", parts[i])
		}
		ms, err := strconv.Atoi(strings.TrimSpace(parts[i+1]))
		if err != nil || ms < 0 {
			return nil, fmt.Errorf("bad wait %q: want milliseconds", parts[i+1])
		}
		steps = append(steps, exec.Step{Signal: sig, Wait: time.Duration(ms) * time.Millisecond})
	}
	return steps, nil
}
