// Package msg shapes text for the user's terminal: parrun's messages are
// one line each on stderr (SPEC §6), whatever the error or command they
// quote. It imports nothing of parrun's, so every package may use it.
package msg

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// OneLine joins the lines of s with "; ", trimming the ends: for an
// error whose every line matters (a parser's, ssh's stderr).
func OneLine(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ")
}

// FirstLine is the first line of s, with " …" when more lines follow: for
// text whose first line says enough (a panic with its stack, a command
// line with newlines in it).
func FirstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// Root is the innermost error err wraps: the errno behind a system
// call's error, or the message behind a parser's wrappers.
// Of an error that wraps several (fmt.Errorf with two %w), the last is
// followed: the cause, where parrun puts a category first.
func Root(err error) error {
	for {
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			if u.Unwrap() == nil {
				return err
			}
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			errs := u.Unwrap()
			if len(errs) == 0 {
				return err
			}
			err = errs[len(errs)-1]
		default:
			return err
		}
	}
}

// Truncate cuts s to at most n bytes, at a character boundary, and says
// how much was left out: for a command of megabytes in a one-line message
// (issue 18 item 14). The joblog and --json keep the whole text.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + " … (" + strconv.Itoa(len(s)-cut) + " more bytes)"
}
