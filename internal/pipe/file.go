package pipe

import (
	"bytes"
	"fmt"
	"io"
	"math"
)

// A Range is a block of a file the job reads in place: Len bytes from Off.
type Range struct {
	Off, Len int64
	Seq      int64
}

// A FileSplitter cuts a seekable input, Size bytes of At from Start, into
// the same blocks a Splitter cuts from it as a stream — reading only the
// end of each block to find its last record boundary — so that the jobs
// can read their blocks from the file itself (splice(2)), never through
// parrun's memory. It takes the size-cut forms only (Simple).
type FileSplitter struct {
	at        io.ReaderAt
	pos, size int64
	block     int64
	end, sep  []byte
	warn      func(string)
	chunk     int64
	done      bool
	window    []byte
}

// Simple reports whether o cuts by size at a fixed boundary only, what a
// FileSplitter does: no -N, -L, --regexp, --header or --rrs.
func (o Options) Simple() bool {
	return o.Records == 0 && o.Lines == 0 && !o.Regexp && o.Header == "" && !o.RemoveRecSep
}

// NewFile returns a FileSplitter for size bytes of at from start.
func NewFile(at io.ReaderAt, start, size int64, o Options) (*FileSplitter, error) {
	s, err := New(nil, o) // the checks and GNU's defaults
	if err != nil {
		return nil, err
	}
	if !o.Simple() {
		return nil, fmt.Errorf("pipe: NewFile takes size-cut blocks only")
	}
	return &FileSplitter{at: at, pos: start, size: start + size, block: int64(s.block), end: s.end, sep: s.sep,
		warn: o.Warn, window: make([]byte, 256<<10)}, nil
}

// Next returns the next block's range, or io.EOF after the last.
func (s *FileSplitter) Next() (Range, error) {
	for !s.done {
		s.chunk++
		if s.pos+s.block > s.size { // the input ends in this round: the rest is the last block
			s.done = true
			if s.pos == s.size {
				break
			}
			return Range{Off: s.pos, Len: s.size - s.pos, Seq: s.chunk}, nil
		}
		i, err := s.lastBoundary(s.pos, s.pos+s.block)
		if err != nil {
			return Range{}, err
		}
		if cut := i + int64(len(s.end)); i >= 0 && cut > s.pos {
			r := Range{Off: s.pos, Len: cut - s.pos, Seq: s.chunk}
			s.pos = cut
			return r, nil
		}
		old := s.block
		s.block = min(int64(math.Ceil(float64(old)*1.3+1)), maxBlock)
		if s.warn != nil {
			s.warn(fmt.Sprintf("a record was longer than %d bytes: --block grows to %d", old, s.block))
		}
	}
	return Range{}, io.EOF
}

// lastBoundary is the offset of the last boundary (sep) wholly inside
// [from, to), or -1, read backwards a window at a time.
func (s *FileSplitter) lastBoundary(from, to int64) (int64, error) {
	overlap := int64(len(s.sep) - 1)
	for hi := to; hi > from; {
		lo := max(from, hi-int64(len(s.window)))
		w := s.window[:hi-lo]
		if _, err := s.at.ReadAt(w, lo); err != nil && err != io.EOF {
			return -1, fmt.Errorf("reading standard input: %w", err)
		}
		if i := bytes.LastIndex(w, s.sep); i >= 0 {
			return lo + int64(i), nil
		}
		if lo == from {
			break
		}
		hi = lo + overlap // a boundary may straddle two windows
	}
	return -1, nil
}

// PartBlock is --pipe-part's block size for files of total bytes in all:
// Block when positive, else GNU's 1 + total / Jobs / N for --block -N
// (-10 when not given, -1 under --round-robin: one part a job slot).
func (o Options) PartBlock(total int64) int {
	n := -o.Block
	switch {
	case o.Block > 0:
		return o.Block
	case o.RoundRobin:
		n = 1
	case o.Block == 0:
		n = 10
	}
	return int(min(1+total/int64(max(o.Jobs, 1))/int64(n), maxBlock))
}

// Parts cuts size bytes of a seekable file into --pipe-part's ranges, as
// GNU's find_split_positions: from each multiple of the block size past
// the last cut, forward to the next boundary, which starts the next range
// (so ranges are at least a block long, where --pipe's are at most).
// o.Block must be positive here (PartBlock).
func Parts(at io.ReaderAt, size int64, o Options) ([]Range, error) {
	s, err := NewFile(at, 0, size, o)
	if err != nil {
		return nil, err
	}
	cuts := []int64{0}
	for pos := s.block; pos < size; pos += s.block {
		i, err := s.nextBoundary(pos)
		if err != nil {
			return nil, err
		}
		if i < 0 {
			break // no boundary after pos: the rest is one range
		}
		pos = i + int64(len(s.end))
		if pos < size {
			cuts = append(cuts, pos)
		}
	}
	cuts = append(cuts, size)
	var rs []Range
	for k := 0; k+1 < len(cuts); k++ {
		if cuts[k+1] > cuts[k] {
			rs = append(rs, Range{Off: cuts[k], Len: cuts[k+1] - cuts[k], Seq: int64(len(rs) + 1)})
		}
	}
	return rs, nil
}

// nextBoundary is the offset of the first boundary (sep) at or after
// from, or -1, read forwards a window at a time.
func (s *FileSplitter) nextBoundary(from int64) (int64, error) {
	overlap := int64(len(s.sep) - 1)
	for lo := from; lo < s.size; {
		hi := min(s.size, lo+int64(len(s.window)))
		w := s.window[:hi-lo]
		if _, err := s.at.ReadAt(w, lo); err != nil && err != io.EOF {
			return -1, fmt.Errorf("reading the --pipe-part file: %w", err)
		}
		if i := bytes.Index(w, s.sep); i >= 0 {
			return lo + int64(i), nil
		}
		if hi == s.size {
			break
		}
		lo = hi - overlap
	}
	return -1, nil
}
