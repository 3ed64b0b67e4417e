package main

import (
	"errors"
	"github.com/parrun/parrun/internal/settings"
	"strings"
	"syscall"
	"testing"

	"github.com/parrun/parrun/internal/sched"
)

func TestCodeFor(t *testing.T) {
	tests := []struct {
		err    error
		failed int
		cause  error
		want   exitCode
	}{
		{nil, 0, nil, exitOK},
		{nil, 3, nil, 3},
		{nil, 100, nil, 100},
		{nil, 150, nil, exitManyFailed},
		{nil, 2, interrupted{sig: syscall.SIGINT}, 130},
		{nil, 2, interrupted{sig: syscall.SIGTERM}, 143},
		{nil, 0, interrupted{sig: syscall.SIGHUP}, 129},
		{nil, 0, interrupted{sig: syscall.SIGQUIT}, 131},
		{errors.New("boom"), 0, nil, exitError},
	}
	for _, tt := range tests {
		if got := codeFor(tt.err, failedCode(tt.failed), tt.cause); got != tt.want {
			t.Errorf("codeFor(%v, %d, %v) = %d; want %d", tt.err, tt.failed, tt.cause, got, tt.want)
		}
	}
}

// TestScaleOutOptions: hosts set the slot count and process mode; a mode
// typed on the command line that cannot hold them is an error, one from
// the environment gives way; file moves need hosts.
func TestScaleOutOptions(t *testing.T) {
	base := func() *Options {
		o := &Options{Workers: "3", Mode: "thread", Halt: "never", Order: "fifo",
			Args: []string{"echo"}, settings: &settings.Origin{Source: map[string]settings.Source{"mode": settings.Env}}}
		o.c.sched.Concurrency, o.c.input.MaxArgs, o.c.input.Shell, o.c.progress, o.c.sched.QueueSize, o.c.report.BufferSize = 1, 1, "/bin/sh", "auto", -1, 1<<20
		return o
	}
	tests := []struct {
		name      string
		set       func(o *Options)
		workers   int
		mode, err string
	}{
		{"hosts with and without N/", func(o *Options) { o.SSH = []string{"2/a,b", ":"} }, 2 + 3 + 3, "process", ""},
		{"worker-cmd keeps -j", func(o *Options) { o.c.remote.WorkerCmd = "srun --" }, 3, "process", ""},
		{"mode typed", func(o *Options) {
			o.SSH = []string{"a"}
			o.settings.Source["mode"] = settings.Flag
		}, 0, "", "--mode thread: --ssh and --worker-cmd"},
		{"mode process typed", func(o *Options) {
			o.SSH, o.Mode = []string{"a"}, "process"
			o.settings.Source["mode"] = settings.Flag
		}, 3, "process", ""},
		{"transfer alone", func(o *Options) { o.c.remote.Files.Transfer = true }, 0, "", "need --ssh or --worker-cmd"},
		{"return alone", func(o *Options) { o.Return = []string{"x"} }, 0, "", "need --ssh or --worker-cmd"},
		{"remote-parrun alone", func(o *Options) { o.c.remote.RemoteParrun = "/opt/parrun" }, 0, "", "needs one of them"},
		{"cleanup with nothing to clean", func(o *Options) { o.SSH, o.c.remote.Files.Cleanup = []string{"a"}, true }, 0, "", "needs one of them"},
		{"bad login", func(o *Options) { o.SSH = []string{"a,0/b"} }, 0, "", `--ssh: bad login "0/b"`},
		{"missing ssh-file", func(o *Options) { o.SSHFile = "/nonexistent/hosts" }, 0, "", "--ssh-file: open /nonexistent/hosts"},
	}
	for _, tt := range tests {
		o := base()
		tt.set(o)
		c, err := o.validate(4)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err %v, want one containing %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if c.sched.Slots != tt.workers || c.sched.Mode != sched.Mode(tt.mode) {
			t.Errorf("%s: workers %d, mode %q; want %d, %q", tt.name, c.sched.Slots, c.sched.Mode, tt.workers, tt.mode)
		}
	}
}
