package input

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// TakeHeader reads the column names of GNU parallel's --header (without
// --pipe): the first record of every input source, split into columns
// as the records are, the names numbered on from one source to the next
// ("::: x 1 2 ::: y 3" names {x} 1 and {y} 2). The sources then start
// after their headers. Any spec but "0" does this (GNU 20221122 reads no
// regular expression here); "0" reads nothing and names each file source
// by its file name instead, as GNU's --header 0 does.
//
// As in GNU, --header splits records into columns at a tab when neither
// --colsep nor --csv says otherwise, without --colsep's trimming.
func (cfg *Config) TakeHeader(spec string) ([]string, error) {
	if cfg.JSONL {
		return nil, errors.New("--header names the columns of records: JSONL jobs name their own fields")
	}
	if cfg.Colsep == nil && !cfg.CSV {
		cfg.Colsep, cfg.Trim = regexp.MustCompile(`\t`), cmp.Or(cfg.Trim, "n")
	}
	if len(cfg.Sources) == 0 {
		cfg.Sources = []Source{{File: "-", IsFile: true}}
	}
	var names []string
	for i := range cfg.Sources {
		s := &cfg.Sources[i]
		if spec == "0" {
			if s.IsFile {
				names = append(names, s.File)
			}
			continue
		}
		line, err := cfg.header(s)
		if err != nil {
			return nil, err
		}
		names = append(names, cfg.headerNames(line)...)
	}
	return names, nil
}

// header takes the first record off s and returns it.
func (cfg *Config) header(s *Source) (string, error) {
	if !s.IsFile {
		if len(s.Values) == 0 {
			return "", nil
		}
		line := s.Values[0]
		s.Values = s.Values[1:]
		return line, nil
	}
	var r io.Reader
	if s.File == "-" {
		// The rest of stdin is read through the same buffer (the
		// splitter takes a big enough bufio.Reader as it is).
		br := bufio.NewReaderSize(cfg.Stdin, splitterBuffer)
		cfg.Stdin, r = br, br
	} else {
		f, err := os.Open(s.File)
		if err != nil {
			return "", fmt.Errorf("cannot read input file: %w", err)
		}
		defer f.Close()
		r, s.skipHeader = f, true // Open reads the file afresh
	}
	sp := newSplitter(r, cmp.Or(cfg.Delim, "\n"), cfg.CSV)
	b, _, err := sp.record()
	switch {
	case errors.Is(err, io.EOF):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("reading the header of %s: %w", name(s.File), err)
	}
	return string(b), nil
}

// headerNames splits a header record into its column names.
func (cfg *Config) headerNames(line string) []string {
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return nil
	}
	if cfg.CSV {
		if names, err := csvFields(line, cfg.csvSep()); err == nil {
			return names
		}
	}
	if cfg.Colsep == nil {
		return []string{line}
	}
	names := cfg.Colsep.Split(line, -1)
	for len(names) > 0 && names[len(names)-1] == "" { // perl's split drops them
		names = names[:len(names)-1]
	}
	return names
}
