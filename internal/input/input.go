// Package input reads job records as a stream — lines or other separated
// records from stdin or files, ::: arguments, their products and links,
// --colsep columns, -n batches, and JSONL structured jobs — and turns each
// into a job.Job with its input sequence number (SPEC §1).
//
// A record that cannot become a job (malformed JSONL, a record too long)
// still becomes a job, one whose Err says why, so that it is reported as a
// failure of its own and never silently dropped.
package input

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/parrun/parrun/internal/job"
	"github.com/parrun/parrun/internal/pipe"
)

// A Source is one input source: a ::: group of literal values, or a file
// (:::: or -a; "-" is standard input).
type Source struct {
	Values []string
	File   string
	IsFile bool
	// Link joins this source element-wise to the one before it (:::+ and
	// ::::+): as in GNU parallel, the linked unit stops at its shortest
	// member.
	Link bool
	// skipHeader: the file's first record is --header's (TakeHeader).
	skipHeader bool
}

// Config says what to read and how to split it.
type Config struct {
	// Sources in order; none means standard input.
	Sources []Source
	// LinkAll links every source element-wise (GNU's --link/--xapply):
	// the jobs are as many as the longest source has values, and the
	// shorter sources wrap around.
	LinkAll bool
	Stdin   io.Reader
	// Delim separates records; "" means "\n".
	Delim string
	// Colsep, when set, splits each record into columns {1}, {2}, ….
	Colsep *regexp.Regexp
	// CSV splits each record into columns as CSV (GNU's --csv), at
	// Colsep's text when set, else at commas; a quoted field may hold
	// the separator, the record delimiter and doubled quotes.
	CSV bool
	// MaxArgs puts that many records into one job (-n); 0 means 1.
	MaxArgs int
	// Shuffle runs the jobs in a random order (GNU's --shuf): the whole
	// input is read first, and the jobs are numbered ({#}) in the new
	// order, as GNU numbers them.
	Shuffle bool
	// Count reads the whole input first, too, and sets each job's Total
	// (--plus's {##} and {0#}, as GNU does).
	Count bool
	// Fit, when set, packs records into a job while they fit on its
	// command line (GNU's -m, -X, --xargs), MaxArgs aside: it returns the
	// measure of a job's line, whose Add reports whether a record's values
	// still fit, counting them if they do.
	Fit func(j *job.Job) Fitter
	// Spread, above 1 with Fit, shares the records evenly among that many
	// jobs when they fit in fewer (GNU's -m and -X with several job
	// slots): the whole input is read first.
	Spread int
	// NoValues makes each record a job that substitutes nothing (-n 0,
	// GNU's -N0): the record is read, its values are not used.
	NoValues bool
	// JSONL reads each record as a JSON object describing one job.
	JSONL bool
	// Pipe, when On, cuts standard input into blocks, each a job's stdin
	// (GNU's --pipe).
	Pipe pipe.Options
	// Template reports whether a command template was given; without one,
	// each record is itself a command line.
	Template bool
	// Shell runs records that are command lines.
	Shell string
	// Trim says which blanks to take off each value (--trim): "n" none,
	// "l" leading, "r" trailing, "lr" or "rl" both; "" is GNU's default,
	// "lr" with Colsep and "n" without.
	Trim string
	// SkipBlank makes a record whose values are all blanks (spaces, tabs,
	// an empty line) no job: -r/--no-run-if-empty, as GNU parallel.
	SkipBlank bool
	// PriorityCol, when positive, takes each job's --order priority from
	// that column ({N}) of its record; it must be an integer.
	PriorityCol int
}

// A Reader yields jobs in input order. It is not safe for concurrent use.
// Close releases the files it opened.
type Reader struct {
	cfg     Config
	next    func() (rec, error) // the next tuple of values
	seq     int64
	total   int64 // jobs in all, when known before reading (-1: unknown)
	pending *rec  // a bad record met while filling a -n batch
	// shuffled holds the jobs left under Shuffle or Count, the input read
	// whole (shuffled only under Shuffle); shuffleErr is the error that
	// ended reading them.
	shuffled    []*job.Job
	shuffleErr  error
	readAll     bool
	spread      int // Spread's share of records per job, once the input is read
	closer      []io.Closer
	blocks      *pipe.Splitter     // under --pipe
	ranges      *pipe.FileSplitter // under --pipe, stdin a regular file
	file        *os.File           // that file
	parts       []*job.Job         // under --pipe-part, the ranges left
	feed        *feed              // under --round-robin
	firstBlocks []pipe.Block       // its first blocks, one a job
}

// rec is one input tuple: a value per source, and the record number it came
// from (the line number for a single streamed source).
type rec struct {
	vals []string
	line int64
	err  error
}

// Check reports what is wrong with the configuration before anything
// runs: a usage error, naming the flag or the file. Open checks too; a
// caller checks first to refuse a run before it starts anything else.
func (cfg *Config) Check() error {
	switch {
	case cfg.MaxArgs < 0:
		return fmt.Errorf("-n %d: must be at least 1", cfg.MaxArgs)
	case cfg.JSONL && (len(cfg.Sources) > 1 || cfg.MaxArgs > 1 || cfg.Colsep != nil || cfg.CSV):
		return errors.New("--jsonl reads one input source, one object per job: it does not combine with several sources, -n, --colsep or --csv")
	case len(cfg.Sources) > 0 && cfg.Sources[0].Link:
		return errors.New(":::+ needs an input source before it to link to")
	case !slices.Contains([]string{"", "n", "l", "r", "lr", "rl"}, cfg.Trim):
		return fmt.Errorf("--trim %q: want n, l, r, lr or rl", cfg.Trim)
	case cfg.PriorityCol < 0:
		return fmt.Errorf("--priority-col %d: want a column number from 1", cfg.PriorityCol)
	case cfg.PriorityCol > 0 && cfg.JSONL:
		return errors.New("--priority-col: JSONL jobs carry their own \"priority\"")
	case cfg.Pipe.Active():
		if err := cfg.checkPipe(); err != nil {
			return err
		}
	}
	for _, s := range cfg.Sources {
		if s.IsFile && s.File != "-" {
			f, err := os.Open(s.File)
			if err != nil {
				return fmt.Errorf("cannot read input file: %w", err)
			}
			fi, err := f.Stat()
			f.Close()
			if err == nil && fi.IsDir() {
				return fmt.Errorf("cannot read input file %s: it is a directory", s.File)
			}
		}
	}
	return nil
}

// ReadsStdin reports whether the run reads its job records (or --pipe's
// stream) from standard input.
func (cfg *Config) ReadsStdin() bool {
	if cfg.Pipe.Part {
		return false
	}
	for _, s := range cfg.Sources {
		if s.IsFile && s.File == "-" {
			return true
		}
	}
	return len(cfg.Sources) == 0 || cfg.Pipe.On
}

// Delimiter returns the record separator that -d delim (C escapes
// allowed; "" for none) and -0 (null) ask for: "\n" when neither does.
func Delimiter(delim string, null bool) (string, error) {
	switch {
	case null && delim != "":
		return "", errors.New("-0 and -d both set the delimiter: use one")
	case null:
		return "\x00", nil
	case delim == "":
		return "\n", nil
	}
	d, err := Unescape(delim)
	if err != nil {
		return "", fmt.Errorf("-d %q: %w", delim, err)
	}
	if d == "" {
		return "", fmt.Errorf("-d %q: empty delimiter", delim)
	}
	return d, nil
}

// Open checks the configuration, opens files, and returns a Reader. Errors
// here are usage errors: nothing has run yet.
func Open(cfg Config) (*Reader, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if cfg.Delim == "" {
		cfg.Delim = "\n"
	}
	if cfg.MaxArgs == 0 {
		cfg.MaxArgs = 1
	}
	if cfg.Stdin == nil {
		cfg.Stdin = strings.NewReader("")
	}
	r := &Reader{cfg: cfg, total: -1}
	if cfg.Pipe.Active() {
		if err := r.openPipe(); err != nil {
			r.Close() // the files --pipe-part opened
			return nil, err
		}
		return r, nil
	}
	srcs := cfg.Sources
	if len(srcs) == 0 {
		srcs = []Source{{File: "-", IsFile: true}}
	}
	// A single file or stdin is streamed; several sources are combined in
	// memory (their product needs every value of all but the first).
	if len(srcs) == 1 && srcs[0].IsFile {
		sp, err := r.splitter(srcs[0])
		if err != nil {
			return nil, err
		}
		r.next = func() (rec, error) {
			b, n, err := sp.record()
			if err != nil && !errors.Is(err, errTooLong) {
				if errors.Is(err, io.EOF) {
					return rec{}, io.EOF
				}
				return rec{line: n + 1, err: fmt.Errorf("%s: %w", name(srcs[0].File), err)}, nil
			}
			if err != nil {
				return rec{line: n, err: err}, nil
			}
			return rec{vals: []string{string(b)}, line: n}, nil
		}
		return r, nil
	}
	groups := make([][]string, len(srcs))
	for i, s := range srcs {
		if !s.IsFile {
			groups[i] = s.Values
			continue
		}
		sp, err := r.splitter(s)
		if err != nil {
			r.Close()
			return nil, err
		}
		for {
			b, _, err := sp.record()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				r.Close()
				return nil, fmt.Errorf("%s: %w", name(s.File), err)
			}
			groups[i] = append(groups[i], string(b))
		}
	}
	r.next = product(groups, srcs, r.cfg.LinkAll)
	if !cfg.JSONL && !cfg.SkipBlank { // -r: blank records are known only by reading
		r.total = productSize(groups, srcs, r.cfg.LinkAll)
		if r.total > 0 {
			r.total = (r.total + int64(cfg.MaxArgs) - 1) / int64(cfg.MaxArgs)
		}
	}
	return r, nil
}

// Total returns how many jobs the input holds, when that is known before
// reading it (::: groups and files combined in memory); ok is false for a
// streamed source.
func (r *Reader) Total() (n int64, ok bool) { return r.total, r.total >= 0 }

// productSize is the number of tuples product yields.
func productSize(groups [][]string, srcs []Source, linkAll bool) int64 {
	n := int64(1)
	for _, u := range units(groups, srcs, linkAll) {
		n *= int64(u.n)
	}
	return n
}

// A unit is a run of linked groups that advance together: n tuples.
type unit struct {
	members [][]string
	n       int
}

// units groups the sources into linked units. A :::+ unit stops at its
// shortest member (GNU parallel); with linkAll (--link) every source is one
// unit as long as its longest member, the shorter ones wrapping around.
// A member with no values empties its unit either way: it has nothing to
// wrap around to.
func units(groups [][]string, srcs []Source, linkAll bool) []*unit {
	var us []*unit
	for i, g := range groups {
		if i == 0 || !(srcs[i].Link || linkAll) {
			us = append(us, &unit{n: len(g)})
		}
		u := us[len(us)-1]
		u.members = append(u.members, g)
		if linkAll {
			u.n = max(u.n, len(g))
		} else {
			u.n = min(u.n, len(g))
		}
		if len(g) == 0 {
			u.n = 0
		}
	}
	return us
}

func name(file string) string {
	if file == "-" {
		return "standard input"
	}
	return file
}

func (r *Reader) open(file string) (io.Reader, error) {
	if file == "-" {
		return r.cfg.Stdin, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("opening input: %w", err)
	}
	r.closer = append(r.closer, f)
	return f, nil
}

// splitter opens the file source s and reads past its --header line.
func (r *Reader) splitter(s Source) (*splitter, error) {
	f, err := r.open(s.File)
	if err != nil {
		return nil, err
	}
	sp := newSplitter(f, r.cfg.Delim, r.cfg.CSV)
	if s.skipHeader {
		if _, _, err := sp.record(); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: %w", name(s.File), err)
		}
	}
	return sp, nil
}

// Close closes the files the Reader opened.
func (r *Reader) Close() error {
	var errs []error
	for _, c := range r.closer {
		errs = append(errs, c.Close())
	}
	r.closer = nil
	return errors.Join(errs...)
}

// product iterates over the cartesian product of the linked units of
// groups (see units), first unit slowest.
func product(groups [][]string, srcs []Source, linkAll bool) func() (rec, error) {
	units := units(groups, srcs, linkAll)
	empty := false
	for _, u := range units {
		empty = empty || u.n == 0
	}
	idx := make([]int, len(units))
	done := empty
	var count int64
	return func() (rec, error) {
		if done {
			return rec{}, io.EOF
		}
		vals := make([]string, 0, len(groups))
		for k, u := range units {
			for _, m := range u.members {
				vals = append(vals, m[idx[k]%len(m)])
			}
		}
		// Advance the odometer: the last unit fastest.
		k := len(units) - 1
		for ; k >= 0; k-- {
			idx[k]++
			if idx[k] < units[k].n {
				break
			}
			idx[k] = 0
		}
		if k < 0 {
			done = true
		}
		count++
		return rec{vals: vals, line: count}, nil
	}
}

// Next returns the next job, or io.EOF after the last one. Any other error
// is an I/O error that ends the input; malformed records are returned as
// jobs with Err set instead.
func (r *Reader) Next() (*job.Job, error) {
	if r.cfg.Pipe.Active() {
		return r.nextBlock()
	}
	if !r.cfg.Shuffle && !r.cfg.Count {
		return r.next1()
	}
	if !r.readAll {
		r.readAll = true
		for {
			j, err := r.next1()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					r.shuffleErr = err
				}
				break
			}
			r.shuffled = append(r.shuffled, j)
		}
		if r.cfg.Shuffle {
			rand.Shuffle(len(r.shuffled), func(a, b int) { r.shuffled[a], r.shuffled[b] = r.shuffled[b], r.shuffled[a] })
			for i, j := range r.shuffled {
				j.Seq = int64(i + 1) // {#} counts in the order jobs run, as GNU's
			}
		}
		for _, j := range r.shuffled {
			j.Total = int64(len(r.shuffled))
		}
	}
	if len(r.shuffled) == 0 {
		return nil, cmp.Or(r.shuffleErr, io.EOF)
	}
	j := r.shuffled[0]
	r.shuffled = r.shuffled[1:]
	return j, nil
}

// next1 returns the next job in input order.
func (r *Reader) next1() (*job.Job, error) {
	var first rec
	for {
		if r.pending != nil {
			first, r.pending = *r.pending, nil
		} else {
			var err error
			if first, err = r.next(); err != nil {
				return nil, err
			}
		}
		// A blank JSONL line is no record (JSON Lines readers skip them),
		// nor, with -r, a blank record.
		if first.err != nil || !r.skip(first) {
			break
		}
	}
	r.seq++
	j := &job.Job{Seq: r.seq, Line: first.line}
	if first.err != nil {
		j.Err = first.err
		return j, nil
	}
	if r.cfg.JSONL {
		parseJSONL(j, first.vals[0], r.cfg.Template, r.cfg.Shell)
		return j, nil
	}
	if err := r.fill(j, first); err != nil {
		return nil, err
	}
	if len(j.RecordArgs) == 1 {
		j.RecordArgs = nil // one record after all
	}
	if p := r.cfg.PriorityCol; p > 0 && j.Err == nil {
		if p > len(j.Args) {
			j.Err = fmt.Errorf("record %d: no column %d for --priority-col", j.Line, p)
		} else if n, err := strconv.ParseInt(strings.TrimSpace(j.Args[p-1]), 10, 64); err != nil {
			j.Err = fmt.Errorf("record %d: --priority-col %d: %q is not an integer", j.Line, p, j.Args[p-1])
		} else {
			j.Priority = n
		}
	}
	if !r.cfg.Template {
		c := job.ShellCommand(r.cfg.Shell, strings.Join(j.Whole, " "))
		j.Cmd = &c
	}
	return j, nil
}

// skip reports whether a record is no job: a blank JSONL line, or with
// -r a record of only blanks.
func (r *Reader) skip(x rec) bool {
	if !r.cfg.JSONL && !r.cfg.SkipBlank {
		return false
	}
	for _, v := range x.vals {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// addRecord adds one input tuple to j's values. With --colsep a record's
// columns are its values, for {} as for {N}: GNU parallel's {} is the
// columns, each quoted on its own, never the raw line.
func (r *Reader) addRecord(j *job.Job, vals []string) {
	if r.cfg.NoValues {
		return
	}
	vals, err := r.values(vals)
	if err != nil && j.Err == nil {
		j.Err = fmt.Errorf("record %d: not CSV: %w", j.Line, err)
	}
	j.Whole = append(j.Whole, vals...)
	j.Args = append(j.Args, vals...)
	if r.cfg.MaxArgs > 1 || r.cfg.Fit != nil {
		j.RecordArgs = append(j.RecordArgs, len(vals))
	}
}

// values are what a record's values become in a job: its columns under
// --colsep or --csv, trimmed as --trim says. A value that is not CSV
// under --csv stays whole, and the error says why.
func (r *Reader) values(vals []string) ([]string, error) {
	var err error
	switch {
	case r.cfg.CSV:
		var cols []string
		for _, v := range vals {
			fields, bad := csvFields(v, r.cfg.csvSep())
			if bad != nil {
				fields, err = []string{v}, cmp.Or(err, bad)
			}
			cols = append(cols, fields...)
		}
		vals = cols
	case r.cfg.Colsep != nil:
		var cols []string
		for _, v := range vals {
			cols = append(cols, r.cfg.Colsep.Split(v, -1)...)
		}
		vals = cols
	}
	if t := r.trim(); t != "n" {
		vals = slices.Clone(vals)
		for i, v := range vals {
			vals[i] = trim(t, v)
		}
	}
	return vals, err
}

// trim is the --trim in effect.
func (r *Reader) trim() string {
	switch {
	case r.cfg.Trim != "":
		return r.cfg.Trim
	case r.cfg.Colsep != nil:
		return "lr"
	}
	return "n"
}

// trim takes the blanks perl's \s matches off one or both ends of s, as
// GNU parallel's --trim does.
func trim(mode, s string) string {
	const blanks = " \t\n\r\f\v"
	if mode != "r" {
		s = strings.TrimLeft(s, blanks)
	}
	if mode != "l" {
		s = strings.TrimRight(s, blanks)
	}
	return s
}
