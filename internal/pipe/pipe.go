// Package pipe cuts a byte stream into blocks that end on record
// boundaries, for GNU parallel's --pipe (SPEC §12): each block is one
// job's standard input. It follows GNU parallel 20221122's cutting rules
// byte for byte (its spreadstdin): blocks of about --block bytes cut at
// the last --recend/--recstart boundary, or -N records, or -L line
// records, each with the --header prepended.
package pipe

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
)

// DefaultBlock is --block's default, GNU's 1M.
const DefaultBlock = 1 << 20

// maxBlock is as far as a block grows to hold a record longer than
// --block (GNU's 2 GB - 1).
const maxBlock = 1<<31 - 1

// Active reports whether --pipe or --pipe-part is on.
func (o Options) Active() bool { return o.On || o.Part }

// Text is a string flag's parser for settings.NewValue: given, even as "",
// it is set.
func Text(s string) (*string, error) { return &s, nil }

// Options are --pipe's settings as typed.
type Options struct {
	// On is --pipe; Part is --pipe-part, which cuts seekable files in
	// place (Parts) and implies it.
	On, Part bool
	// Block is --block's size in bytes; 0 is DefaultBlock, and for
	// --pipe-part GNU's -10: a negative -N makes N parts a job slot (Jobs)
	// of the files' whole size.
	Block int
	// RecEnd and RecStart are --recend and --recstart (nil: not given);
	// a record ends where RecEnd is followed by RecStart. RecEnd is "\n"
	// when neither is given, else "" when not given, as GNU's.
	RecEnd, RecStart *string
	// Regexp reads RecEnd and RecStart as regular expressions.
	Regexp bool
	// RemoveRecSep (--rrs) takes the separators out of each block: every
	// RecEnd+RecStart, a RecStart at its start, a RecEnd at its end.
	RemoveRecSep bool
	// Records, when positive, cuts blocks of that many records (-N)
	// instead of by size; Lines makes a record that many lines (-L).
	Records, Lines int
	// Header is --header: "" none, ":" the first line, N the first N
	// lines, anything else a regular expression matching the header at
	// the start of the input. The header goes before every block.
	Header string
	// RoundRobin (--round-robin) deals the blocks to at most Jobs jobs,
	// each taking the next block when it is done with one. The header
	// then goes to each job once, before its first block (Header), not
	// before every block.
	RoundRobin bool
	Jobs       int
	// Cat (--cat) and Fifo (--fifo) give each job its block as a file
	// in TmpDir ("": the system's) — a temporary file, or a named pipe —
	// whose name is {}, instead of on stdin.
	Cat, Fifo bool
	TmpDir    string
	// BlockTimeout, when positive, ends a round that has not filled its
	// block after that long (--block-timeout): the records read so far go
	// out, for a slow producer such as tail -f. The reader must then
	// support read deadlines (a pollable pipe).
	BlockTimeout time.Duration
	// Warn, when set, receives GNU's notice that a record was longer
	// than the block, which then grows.
	Warn func(string)
}

// A Splitter cuts blocks from a stream. It is not safe for concurrent use.
// Blocks without a header are slices of its read buffer, which it never
// writes again once a block holds a part of it: each byte read is copied
// once, by the read, and the rest of a round's data (less than a record)
// once more into the next round's buffer.
type Splitter struct {
	r     io.Reader
	o     Options
	block int    // the block size now (it grows past a long record)
	end   []byte // RecEnd
	sep   []byte // RecEnd+RecStart: what a boundary looks like
	re    *regexp.Regexp
	// reStart and reEnd, under Regexp with RemoveRecSep: RecStart at the
	// start of a block, RecEnd at its end.
	reStart, reEnd *regexp.Regexp
	header         []byte
	buf            []byte // bytes read; those from off on are not cut yet
	off            int
	shared         *share      // who holds buf: this Splitter and its blocks
	free           chan []byte // released round buffers, for the next rounds
	chunk          int64       // GNU's chunk number: each cut counts, empty ones too
	ready          []Block
	eof            bool
	timedOut       bool // the last fill ran out of --block-timeout
	err            error
	done           bool
	began          bool
}

// A Block is one job's input: Data (the header included) and its number
// from 1, {#}. Release gives Data back for a later block to reuse: call
// it once, when nothing will read Data again (the job is done with its
// stdin); a Block never released is left to the garbage collector.
type Block struct {
	Data []byte
	Seq  int64
	sh   *share
}

// Release gives the block's bytes back to the Splitter.
func (b Block) Release() {
	if b.sh != nil {
		b.sh.drop()
	}
}

// A share counts the holders of one round buffer: the Splitter while it
// cuts, and each block cut from it. The last to let go frees it.
type share struct {
	buf  []byte
	refs atomic.Int32
	free chan []byte
}

func (sh *share) drop() {
	if sh.refs.Add(-1) != 0 {
		return
	}
	select {
	case sh.free <- sh.buf[:0]:
	default: // enough buffers are free: leave this one to the collector
	}
}

// New checks o and returns a Splitter reading r.
func New(r io.Reader, o Options) (*Splitter, error) {
	if o.Block == 0 {
		o.Block = DefaultBlock
	}
	if o.Block < 0 {
		return nil, fmt.Errorf("--block %d: a negative block (N parts a job slot) is --pipe-part's", o.Block)
	}
	end, start := "", ""
	switch {
	case o.RecEnd == nil && o.RecStart == nil:
		end = "\n"
	case o.RecEnd != nil:
		end = *o.RecEnd
	}
	if o.RecStart != nil {
		start = *o.RecStart
	}
	s := &Splitter{r: r, o: o, block: o.Block, end: []byte(end), sep: []byte(end + start), free: make(chan []byte, 4)}
	switch {
	case o.Block < 1:
		return nil, fmt.Errorf("--block %d: must be at least 1 byte", o.Block)
	case o.Records < 0, o.Lines < 0:
		return nil, errors.New("-N and -L must be at least 1 with --pipe")
	case o.Regexp:
		re, err := regexp.Compile("(?m)(" + end + ")(" + start + ")")
		if err != nil {
			return nil, fmt.Errorf("--recend/--recstart with --regexp: %w", err)
		}
		s.re = re
		if o.RemoveRecSep {
			s.reStart, s.reEnd = regexp.MustCompile("^(?:"+start+")"), regexp.MustCompile("(?:"+end+")$")
		}
	case len(s.sep) == 0:
		return nil, errors.New("--recend and --recstart are both empty: records cannot be told apart")
	}
	return s, nil
}

// Next returns the next block, or io.EOF after the last. Any other error
// is a read error of the input, after the blocks read before it.
func (s *Splitter) Next() (Block, error) {
	for len(s.ready) == 0 {
		if s.done {
			if s.err != nil {
				return Block{}, s.err
			}
			return Block{}, io.EOF
		}
		s.round()
	}
	b := s.ready[0]
	s.ready = s.ready[1:]
	return b, nil
}

// round reads up to the next multiple of the block size and cuts what it
// can, as one round of GNU's loop: at the end of input the rest is the
// last block; a round that cuts nothing grows the block by 30%.
func (s *Splitter) round() {
	if !s.began {
		s.began = true
		if s.readHeader(); s.err != nil {
			s.done = true
			return
		}
	}
	s.fill()
	cut := false
	switch {
	case s.o.Lines > 0 && s.o.Records == 0:
		cut = s.cutLines()
	case s.o.Records > 0:
		cut = s.cutRecords(s.o.Records * max(s.o.Lines, 1))
	case !s.eof && s.err == nil:
		cut = s.cutLast()
	}
	if s.eof || s.err != nil {
		s.cut(len(s.data()))
		s.done = true
		return
	}
	if s.timedOut {
		s.timedOut = false
		return // a partial block is no sign of a long record: GNU grows no block then
	}
	if !cut && s.block < maxBlock {
		old := s.block
		s.block = min(int(math.Ceil(float64(old)*1.3+1)), maxBlock)
		if s.o.Warn != nil {
			s.o.Warn(fmt.Sprintf("a record was longer than %d bytes: --block grows to %d", old, s.block))
		}
	}
}

// data is what was read and not yet cut.
func (s *Splitter) data() []byte { return s.buf[s.off:] }

// fill reads until the data reaches the next multiple of the block size
// (GNU's read_block), or the input ends. The data not yet cut moves to a
// buffer of its own first, so that no block's bytes are written again.
func (s *Splitter) fill() {
	if dl, ok := s.r.(interface{ SetReadDeadline(time.Time) error }); ok && s.o.BlockTimeout > 0 {
		dl.SetReadDeadline(time.Now().Add(s.o.BlockTimeout))
		defer dl.SetReadDeadline(time.Time{})
	}
	want := s.block - len(s.data())%s.block
	next := s.buffer(len(s.data()) + want)[:len(s.data())]
	copy(next, s.data())
	if s.shared != nil {
		s.shared.drop()
	}
	s.shared = &share{buf: next, free: s.free}
	s.shared.refs.Store(1)
	s.buf, s.off = next, 0
	for want > 0 {
		n, err := s.r.Read(s.buf[len(s.buf) : len(s.buf)+want])
		s.buf, want = s.buf[:len(s.buf)+n], want-n
		switch {
		case errors.Is(err, io.EOF):
			s.eof = true
			return
		case errors.Is(err, os.ErrDeadlineExceeded):
			s.timedOut = true // --block-timeout: cut what there is
			return
		case err != nil:
			s.err = fmt.Errorf("reading standard input: %w", err)
			return
		}
	}
}

// buffer returns a free round buffer of n bytes' room, or a new one.
func (s *Splitter) buffer(n int) []byte {
	for {
		select {
		case b := <-s.free:
			if cap(b) >= n {
				return b[:n]
			}
			continue // from before the block grew
		default:
		}
		return make([]byte, n)
	}
}

// cut makes the first n bytes of the data a block, the header before
// them. It counts the chunk even when n is 0, which makes no block, as
// GNU numbers its chunks.
func (s *Splitter) cut(n int) {
	s.chunk++
	if n == 0 {
		return
	}
	data := s.buf[s.off : s.off+n : s.off+n]
	s.off += n
	if s.o.RemoveRecSep {
		data = s.removeRecSep(data) // a copy: nothing shared
	}
	if len(s.header) > 0 && !s.o.RoundRobin {
		data = append(slices.Clip(s.header), data...) // a copy: nothing shared
	}
	if s.o.RemoveRecSep || (len(s.header) > 0 && !s.o.RoundRobin) {
		s.ready = append(s.ready, Block{Data: data, Seq: s.chunk})
		return
	}
	s.shared.refs.Add(1)
	s.ready = append(s.ready, Block{Data: data, Seq: s.chunk, sh: s.shared})
}

// Header is the --header the blocks carry, read with the first block.
func (s *Splitter) Header() []byte { return s.header }

// removeRecSep is data without its record separators, as GNU's
// remove_rec_sep: each RecEnd+RecStart, then a RecStart at the start and
// a RecEnd at the end.
func (s *Splitter) removeRecSep(data []byte) []byte {
	if s.re != nil {
		out := s.re.ReplaceAll(data, nil)
		if m := s.reStart.FindIndex(out); m != nil {
			out = out[m[1]:]
		}
		if m := s.reEnd.FindIndex(out); m != nil {
			out = out[:m[0]]
		}
		return out
	}
	out := bytes.ReplaceAll(data, s.sep, nil)
	out = bytes.TrimPrefix(out, s.sep[len(s.end):])
	return bytes.TrimSuffix(out, s.end)
}

// cutLast cuts at the last boundary in the data (GNU's pass and
// pass_regexp); it reports whether a block was cut.
func (s *Splitter) cutLast() bool {
	d := s.data()
	i := -1
	if s.re != nil {
		if m := s.re.FindAllSubmatchIndex(d, -1); len(m) > 0 {
			i = m[len(m)-1][3] // the end of RecEnd's part
		}
	} else if i = bytes.LastIndex(d, s.sep); i >= 0 {
		i += len(s.end)
	}
	if i < 0 {
		return false
	}
	s.cut(i)
	return i > 0
}

// cutRecords cuts blocks of n records while the data holds n more
// boundaries (GNU's pass_n): each search starts one byte into the data,
// so a boundary at its very start counts for nothing — text before the
// first --recstart is a record of its own, and an empty line after a cut
// joins the next block, as in GNU.
func (s *Splitter) cutRecords(n int) bool {
	cut := false
	for {
		i := s.nthBoundary(s.data(), n)
		if i <= 0 {
			return cut
		}
		s.cut(i)
		cut = true
	}
}

// nthBoundary is where the n-th boundary found from position 1 on splits
// d (after its RecEnd), or -1.
func (s *Splitter) nthBoundary(d []byte, n int) int {
	at := 0
	for k := 0; k < n; k++ {
		if at+1 > len(d) {
			return -1
		}
		rest := d[at+1:]
		var j, split int
		if s.re != nil {
			loc := s.re.FindSubmatchIndex(rest)
			if loc == nil {
				return -1
			}
			j, split = loc[0], loc[3]-loc[0]
		} else {
			if j = bytes.Index(rest, s.sep); j < 0 {
				return -1
			}
			split = len(s.end)
		}
		at += 1 + j
		if k == n-1 {
			return at + split
		}
	}
	return -1
}

// cutLines cuts after the last whole record of Lines lines (GNU's
// pass_n_line_records), counting a cut of nothing.
func (s *Splitter) cutLines() bool {
	d := s.data()
	n := bytes.Count(d, []byte{'\n'})
	n -= n % s.o.Lines
	end := 0
	for k := 0; k < n; k++ {
		end += bytes.IndexByte(d[end:], '\n') + 1
	}
	s.cut(end)
	return end > 0
}

// readHeader reads --header's lines, or its match at the start, and keeps
// it to put before every block.
func (s *Splitter) readHeader() {
	if s.o.Header == "" {
		return
	}
	if s.fill(); s.err != nil {
		return
	}
	lines, err := strconv.Atoi(s.o.Header)
	switch {
	case s.o.Header == ":":
		s.header = s.headerLines(1)
	case err == nil:
		s.header = s.headerLines(lines)
	default:
		re, err := regexp.Compile("^(?:" + s.o.Header + ")")
		if err != nil {
			s.err = fmt.Errorf("--header %q: %w", s.o.Header, err)
			return
		}
		if loc := re.FindIndex(s.data()); loc != nil {
			s.header = slices.Clone(s.data()[:loc[1]])
		}
	}
	s.off += len(s.header)
}

// headerLines reads on until the data holds n lines, and returns a copy
// of them; with fewer lines in all there is no header, as GNU's match of
// (.*\n){n} fails.
func (s *Splitter) headerLines(n int) []byte {
	block := s.block
	defer func() { s.block = block }()
	end := 0
	for k := 0; k < n; k++ {
		i := bytes.IndexByte(s.data()[end:], '\n')
		for i < 0 && !s.eof && s.err == nil {
			s.block *= 2 // a header line longer than the block
			s.fill()
			i = bytes.IndexByte(s.data()[end:], '\n')
		}
		if i < 0 {
			return nil
		}
		end += i + 1
	}
	return slices.Clone(s.data()[:end])
}
