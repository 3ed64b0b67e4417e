package input

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
)

// MaxRecord is the longest record parrun reads. A longer one becomes a
// failed job of its own (its message names the record), and reading goes on
// at the next separator: input is never held whole in memory.
const MaxRecord = 16 << 20

// errTooLong is wrapped in a too-long record's error.
var errTooLong = errors.New("record longer than 16 MiB")

// splitter reads records separated by a delimiter from a stream.
type splitter struct {
	r     *bufio.Reader
	delim []byte
	buf   []byte
	n     int64 // records returned so far
	done  bool
	csv   bool // a record goes on past a separator inside CSV quotes
}

// splitterBuffer is the size of a splitter's read buffer.
const splitterBuffer = 64 << 10

// newSplitter reads records from r, through r itself when it is a
// bufio.Reader of splitterBuffer bytes or more. With csv, a separator
// inside a quoted field does not end its record (GNU's --csv).
func newSplitter(r io.Reader, delim string, csv bool) *splitter {
	return &splitter{r: bufio.NewReaderSize(r, splitterBuffer), delim: []byte(delim), csv: csv}
}

// record returns the next record as next does; under csv, while the
// record's quotes are unbalanced the next piece joins it, separator and
// all, as GNU's --csv reads a quoted field that spans lines. The record
// keeps the number of its first piece.
func (s *splitter) record() ([]byte, int64, error) {
	b, n, err := s.next()
	if !s.csv || err != nil || bytes.Count(b, quote)%2 == 0 {
		return b, n, err
	}
	whole := slices.Clone(b)
	for bytes.Count(whole, quote)%2 == 1 {
		more, _, err := s.next()
		if errors.Is(err, io.EOF) {
			break // an unclosed quote: the record's CSV error says so
		}
		if err != nil {
			return nil, n, err
		}
		whole = append(append(whole, s.delim...), more...)
	}
	return whole, n, nil
}

var quote = []byte{'"'}

// next returns the next record without its separator, and its 1-based
// number. A final record without a trailing separator is returned too; an
// empty piece after the last separator is not a record. At the end it
// returns io.EOF. A record longer than MaxRecord returns an error wrapping
// errTooLong, after which reading resumes at the next record.
func (s *splitter) next() ([]byte, int64, error) {
	if s.done {
		return nil, s.n, io.EOF
	}
	s.buf = s.buf[:0]
	last := s.delim[len(s.delim)-1]
	tooLong := false
	for {
		chunk, err := s.r.ReadSlice(last)
		if tooLong {
			// Skip to the next separator, keeping only the bytes a
			// multi-byte separator may straddle.
			if keep := len(s.delim) - 1; len(s.buf) > keep {
				s.buf = s.buf[:copy(s.buf, s.buf[len(s.buf)-keep:])]
			}
		}
		s.buf = append(s.buf, chunk...)
		if len(s.buf) > MaxRecord+len(s.delim) {
			tooLong = true
		}
		if err == nil && bytes.HasSuffix(s.buf, s.delim) {
			s.n++
			if tooLong {
				return nil, s.n, fmt.Errorf("record %d: %w", s.n, errTooLong)
			}
			return s.buf[:len(s.buf)-len(s.delim)], s.n, nil
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			s.done = true
			if tooLong || len(s.buf) > MaxRecord {
				s.n++
				return nil, s.n, fmt.Errorf("record %d: %w", s.n, errTooLong)
			}
			if len(s.buf) == 0 {
				return nil, s.n, io.EOF
			}
			s.n++
			return s.buf, s.n, nil
		default:
			s.done = true
			return nil, s.n, fmt.Errorf("reading record %d: %w", s.n+1, err)
		}
	}
}
