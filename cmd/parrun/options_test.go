package main

import (
	"errors"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/sched"
)

func TestParseWorkers(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"", 4, false},
		{"3", 3, false},
		{"0", 1024, false},
		{"50%", 2, false},
		{"200%", 8, false},
		{"10%", 1, false}, // never below one
		{"+2", 6, false},
		{"-1", 3, false},
		{"-9", 1, false},
		{"x", 0, true},
		{"-x", 0, true},
		{"%", 0, true},
		{"-5%", 0, true},
		{"70000", 0, true},
	}
	for _, tt := range tests {
		got, err := parseWorkers(tt.in, 4)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseWorkers(%q, 4) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{`,`, ",", false},
		{`\t`, "\t", false},
		{`\0`, "\x00", false},
		{`\n\r\\`, "\n\r\\", false},
		{`\x41B`, "AB", false},
		{`\101`, "A", false},
		{`::`, "::", false},
		{`a\`, `a\`, false},
		{`\x4`, "", true},
		{`\q`, "", true},
		{`\777`, "", true},
	}
	for _, tt := range tests {
		got, err := unescape(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("unescape(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"", exec.DefaultBufferSize, false},
		{"1024", 1024, false},
		{"64K", 64 << 10, false},
		{"1m", 1 << 20, false},
		{"2G", 2 << 30, false},
		{"-1", 0, true},
		{"K", 0, true},
		{"1T", 0, true},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseTermSeq(t *testing.T) {
	got, err := parseTermSeq("TERM,200,SIGINT,100,KILL,25")
	want := []exec.Step{{Signal: syscall.SIGTERM, Wait: 200 * time.Millisecond}, {Signal: syscall.SIGINT, Wait: 100 * time.Millisecond}, {Signal: syscall.SIGKILL, Wait: 25 * time.Millisecond}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("parseTermSeq = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"TERM", "TERM,x", "NOPE,10", "TERM,-1"} {
		if _, err := parseTermSeq(bad); err == nil {
			t.Errorf("parseTermSeq(%q): no error", bad)
		}
	}
}

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
		if got := codeFor(tt.err, tt.failed, tt.cause); got != tt.want {
			t.Errorf("codeFor(%v, %d, %v) = %d; want %d", tt.err, tt.failed, tt.cause, got, tt.want)
		}
	}
}

// TestScaleOutOptions: hosts set the slot count and process mode; a mode
// typed on the command line that cannot hold them is an error, one from
// the environment gives way; file moves need hosts.
func TestScaleOutOptions(t *testing.T) {
	base := func() *Options {
		return &Options{Workers: "3", Mode: "thread", Concurrency: 1, MaxArgs: 1, Shell: "/bin/sh",
			Halt: "never", Order: "fifo", Progress: "auto", BufferSize: "1M", QueueSize: -1,
			Args: []string{"echo"}, settings: &settings{source: map[string]configSource{"mode": fromEnv}}}
	}
	tests := []struct {
		name      string
		set       func(o *Options)
		workers   int
		mode, err string
	}{
		{"hosts with and without N/", func(o *Options) { o.SSH = []string{"2/a,b", ":"} }, 2 + 3 + 3, "process", ""},
		{"worker-cmd keeps -j", func(o *Options) { o.WorkerCmd = "srun --" }, 3, "process", ""},
		{"mode typed", func(o *Options) {
			o.SSH = []string{"a"}
			o.settings.source["mode"] = fromFlag
		}, 0, "", "--mode thread: --ssh and --worker-cmd"},
		{"mode process typed", func(o *Options) {
			o.SSH, o.Mode = []string{"a"}, "process"
			o.settings.source["mode"] = fromFlag
		}, 3, "process", ""},
		{"transfer alone", func(o *Options) { o.Transfer = true }, 0, "", "need --ssh or --worker-cmd"},
		{"return alone", func(o *Options) { o.Return = []string{"x"} }, 0, "", "need --ssh or --worker-cmd"},
		{"remote-parrun alone", func(o *Options) { o.RemoteParrun = "/opt/parrun" }, 0, "", "needs one of them"},
		{"cleanup with nothing to clean", func(o *Options) { o.SSH, o.Cleanup = []string{"a"}, true }, 0, "", "needs one of them"},
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
		if c.sched.Slots != tt.workers || c.mode != sched.Mode(tt.mode) || c.sched.Mode != sched.Mode(tt.mode) {
			t.Errorf("%s: workers %d, mode %q/%q; want %d, %q", tt.name, c.sched.Slots, c.mode, c.sched.Mode, tt.workers, tt.mode)
		}
	}
}
