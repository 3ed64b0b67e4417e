package main

import (
	"errors"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/parrun/parrun/internal/exec"
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
		{nil, 2, interrupted{sig: syscall.SIGINT}, exitInterrupt},
		{nil, 2, interrupted{sig: syscall.SIGTERM}, exitTerminated},
		{errors.New("boom"), 0, nil, exitError},
	}
	for _, tt := range tests {
		if got := codeFor(tt.err, tt.failed, tt.cause); got != tt.want {
			t.Errorf("codeFor(%v, %d, %v) = %d; want %d", tt.err, tt.failed, tt.cause, got, tt.want)
		}
	}
}
