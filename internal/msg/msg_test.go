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

func TestTruncate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"0123456789abc", 10, "0123456789 … (3 more bytes)"},
		{"ééééé", 3, "é … (8 more bytes)"},
	} {
		if got := Truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q; want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestRoot(t *testing.T) {
	err := fmt.Errorf("spawn: %w", fmt.Errorf("fork: %w", syscall.EAGAIN))
	if got := Root(err); got != syscall.EAGAIN {
		t.Errorf("Root = %v; want EAGAIN", got)
	}
	two := fmt.Errorf("%w: %w", errors.New("category"), fmt.Errorf("pipe: %w", syscall.EMFILE))
	if got := Root(two); got != syscall.EMFILE {
		t.Errorf("Root(two) = %v; want EMFILE", got)
	}
	plain := errors.New("plain")
	if got := Root(plain); got != plain {
		t.Errorf("Root(plain) = %v", got)
	}
}
