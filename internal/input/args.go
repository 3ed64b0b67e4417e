package input

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ParseArgs splits parrun's positional arguments into the command
// template's words and the input sources of GNU parallel's argument
// grammar (SPEC §1): every word up to the first separator is the template;
// each "::: V…" is a group of literal values, each ":::: F…" one source
// per file, and the "+" forms (":::+", "::::+") link the source to the one
// before it. argSep and fileSep, when not "", replace ":::" and "::::"
// (GNU's --arg-sep, --arg-file-sep), which are then ordinary words. -a
// files are not here: they are flags.
func ParseArgs(args []string, argSep, fileSep string) (words []string, sources []Source, err error) {
	if argSep != "" && argSep == fileSep {
		return nil, nil, fmt.Errorf("--arg-sep and --arg-file-sep are both %q: they must differ", argSep)
	}
	if argSep == "" {
		argSep = ":::"
	}
	if fileSep == "" {
		fileSep = "::::"
	}
	isSep := func(s string) bool {
		s = strings.TrimSuffix(s, "+")
		return s == argSep || s == fileSep
	}
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
		if strings.TrimSuffix(sep, "+") == fileSep {
			if len(vals) == 0 {
				return nil, nil, fmt.Errorf("%s needs at least one file", sep)
			}
			for k, f := range vals {
				sources = append(sources, Source{File: f, IsFile: true, Link: link && k == 0})
			}
			continue
		}
		sources = append(sources, Source{Values: vals, Link: link})
	}
	return words, dropEmptyGroups(sources), nil
}

// dropEmptyGroups leaves out the empty ::: groups when another source has
// something, as GNU parallel does ("::: a b :::" is "::: a b"); when every
// source is an empty group there are no jobs, and no stdin is read.
func dropEmptyGroups(sources []Source) []Source {
	kept := sources[:0:0]
	for _, s := range sources {
		if s.IsFile || len(s.Values) > 0 {
			kept = append(kept, s)
		}
	}
	if len(kept) == 0 {
		return sources
	}
	return kept
}

// Unescape interprets the C escapes of a -d delimiter: \n \t \r \0 \\ \a
// \b \f \v, \xHH and \NNN (octal). A backslash at the end stays as it is.
func Unescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		if e, ok := simpleEscapes[s[i]]; ok {
			b.WriteByte(e)
			continue
		}
		switch s[i] {
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

// simpleEscapes are the one-letter C escapes.
var simpleEscapes = map[byte]byte{
	'n': '\n', 't': '\t', 'r': '\r', 'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v', '\\': '\\',
}
