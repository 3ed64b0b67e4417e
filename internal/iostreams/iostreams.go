// Package iostreams holds parrun's standard streams, built once in main and
// injected from there, so that terminal behaviour is testable (cli/cli's
// pkg/iostreams).
package iostreams

import (
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// IOStreams are parrun's standard streams, injected so that terminal
// behaviour is testable. TTY state is a value that tests (and the
// PARRUN_FORCE_TTY environment variable) can override.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stderrTTY *bool
}

// System returns the process's own streams.
func System() *IOStreams {
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
}

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool {
	if s.stderrTTY != nil {
		return *s.stderrTTY
	}
	if os.Getenv("PARRUN_FORCE_TTY") == "1" {
		return true
	}
	f, ok := s.ErrOut.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool {
	f, ok := s.In.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// SetStderrTTY overrides terminal detection.
func (s *IOStreams) SetStderrTTY(b bool) { s.stderrTTY = &b }
