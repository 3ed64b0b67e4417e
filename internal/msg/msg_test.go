package msg

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
)

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"a":             "a",
		"a\nb\n":        "a; b",
		"  x\ny\nz  \n": "x; y; z",
		"":              "",
	} {
		if got := OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestFirstLine(t *testing.T) {
	for in, want := range map[string]string{
		"a":          "a",
		"a\nb":       "a …",
		"panic\n\tx": "panic …",
		"":           "",
	} {
		if got := FirstLine(in); got != want {
			t.Errorf("FirstLine(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestRoot(t *testing.T) {
	err := fmt.Errorf("spawn: %w", fmt.Errorf("fork: %w", syscall.EAGAIN))
	if got := Root(err); got != syscall.EAGAIN {
		t.Errorf("Root = %v; want EAGAIN", got)
	}
	plain := errors.New("plain")
	if got := Root(plain); got != plain {
		t.Errorf("Root(plain) = %v", got)
	}
}
