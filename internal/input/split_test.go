package input

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// splitAll reads every record from s until io.EOF and fails the test on any
// other error. It also checks the record numbers count from 1.
func splitAll(t *testing.T, s *splitter) []string {
	t.Helper()
	recs := []string{}
	for {
		b, n, err := s.next()
		if errors.Is(err, io.EOF) {
			if int(n) != len(recs) {
				t.Errorf("at EOF, record count = %d; want %d", n, len(recs))
			}
			return recs
		}
		if err != nil {
			t.Fatalf("next() after %d records: %v", len(recs), err)
		}
		recs = append(recs, string(b))
		if int(n) != len(recs) {
			t.Errorf("record %q numbered %d; want %d", b, n, len(recs))
		}
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		in, delim string
		want      []string
	}{
		{"", "\n", []string{}},
		{"\n", "\n", []string{""}},
		{"\n\n", "\n", []string{"", ""}},
		{"a", "\n", []string{"a"}},
		{"a\n", "\n", []string{"a"}},
		{"a\nb", "\n", []string{"a", "b"}},
		{"a\nb\n", "\n", []string{"a", "b"}},
		{"a\n\nb\n", "\n", []string{"a", "", "b"}},
		{"a\nb\n\n", "\n", []string{"a", "b", ""}},
		// Lines keep their \r: CRLF is no separator unless asked for.
		{"a\r\nb\r\n", "\n", []string{"a\r", "b\r"}},
		{"a\r\nb\r\n", "\r\n", []string{"a", "b"}},
		// -0: records may hold newlines.
		{"a\nb\x00c\n\x00", "\x00", []string{"a\nb", "c\n"}},
		{"x\x00\x00y", "\x00", []string{"x", "", "y"}},
		{"one line\n", "\x00", []string{"one line\n"}},
		// -d with other and multi-character separators.
		{"a\tb\tc", "\t", []string{"a", "b", "c"}},
		{"a,,b,,", ",,", []string{"a", "b"}},
		{"a,b,,c", ",,", []string{"a,b", "c"}},
		{"a,,,b", ",,", []string{"a", ",b"}},
		{"aaa", "aa", []string{"", "a"}},
		{"aaaa", "aa", []string{"", ""}},
		{"xabab", "ab", []string{"x", ""}},
		{"xaab", "ab", []string{"xa"}},
		{"a<SEP>b<SEP", "<SEP>", []string{"a", "b<SEP"}},
		{"\xff\xfe\n\x80", "\n", []string{"\xff\xfe", "\x80"}},
	}
	for _, tt := range tests {
		got := splitAll(t, newSplitter(strings.NewReader(tt.in), tt.delim, false))
		if !slices.Equal(got, tt.want) {
			t.Errorf("split(%q, %q) = %q; want %q", tt.in, tt.delim, got, tt.want)
		}
	}
}

// TestSplitReaders checks that how the bytes arrive does not matter.
func TestSplitReaders(t *testing.T) {
	in := "alpha,,beta,,,gamma,,"
	want := []string{"alpha", "beta", ",gamma"}
	for name, r := range map[string]io.Reader{
		"one byte": iotest.OneByteReader(strings.NewReader(in)),
		"half":     iotest.HalfReader(strings.NewReader(in)),
		"data+EOF": iotest.DataErrReader(strings.NewReader(in)),
	} {
		if got := splitAll(t, newSplitter(r, ",,", false)); !slices.Equal(got, want) {
			t.Errorf("%s: split = %q; want %q", name, got, want)
		}
	}
}

// TestSplitBufferBoundary checks records longer than the read buffer, and
// multi-byte separators straddling its edge.
func TestSplitBufferBoundary(t *testing.T) {
	const bufSize = 64 << 10
	for _, n := range []int{bufSize - 3, bufSize - 2, bufSize - 1, bufSize, bufSize + 1, 3*bufSize + 7} {
		for _, delim := range []string{"\n", "<>", "<=>"} {
			long := strings.Repeat("x", n)
			in := long + delim + "short" + delim + long
			got := splitAll(t, newSplitter(strings.NewReader(in), delim, false))
			want := []string{long, "short", long}
			if !slices.Equal(got, want) {
				t.Errorf("record of %d bytes, delim %q: got %d records of lengths %v; want lengths [%d 5 %d]",
					n, delim, len(got), lengths(got), n, n)
			}
		}
	}
}

// brief quotes s, eliding the middle of a long one.
func brief(s string) string {
	if len(s) <= 80 {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:30]) + "…(" + strconv.Itoa(len(s)) + " bytes)…" + strconv.Quote(s[len(s)-30:])
}

func briefs(ss []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(brief(s))
	}
	b.WriteByte(']')
	return b.String()
}

func lengths(recs []string) []int {
	var ls []int
	for _, r := range recs {
		ls = append(ls, len(r))
	}
	return ls
}

var errBoom = errors.New("boom")

func TestSplitReadError(t *testing.T) {
	r := io.MultiReader(strings.NewReader("a\nb"), iotest.ErrReader(errBoom))
	s := newSplitter(r, "\n", false)
	b, n, err := s.next()
	if err != nil || string(b) != "a" || n != 1 {
		t.Fatalf("next() = %q, %d, %v; want \"a\", 1, nil", b, n, err)
	}
	_, _, err = s.next()
	if !errors.Is(err, errBoom) || !strings.Contains(err.Error(), "record 2") {
		t.Fatalf("next() error = %v; want one wrapping %v and naming record 2", err, errBoom)
	}
	if _, _, err := s.next(); !errors.Is(err, io.EOF) {
		t.Errorf("next() after a read error = %v; want io.EOF", err)
	}
}

func TestSplitEOFRepeats(t *testing.T) {
	s := newSplitter(strings.NewReader("a\n"), "\n", false)
	splitAll(t, s)
	for i := 0; i < 2; i++ {
		if _, _, err := s.next(); !errors.Is(err, io.EOF) {
			t.Errorf("next() call %d after EOF = %v; want io.EOF", i+1, err)
		}
	}
}

// xReader is an endless stream of 'x': long records without holding their
// input in memory.
type xReader struct{}

func (xReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// xs returns a reader of n bytes of 'x'.
func xs(n int) io.Reader { return io.LimitReader(xReader{}, int64(n)) }

// TestSplitMaxRecord checks the record-length limit. Each case makes the
// splitter hold up to MaxRecord bytes (tens of MiB), so there are few.
func TestSplitMaxRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates MaxRecord-sized buffers")
	}
	type result struct {
		length  int  // of an accepted record
		tooLong bool // errTooLong instead
	}
	tests := []struct {
		name  string
		in    io.Reader
		delim string
		want  []result
	}{
		{
			name:  "exactly MaxRecord",
			in:    io.MultiReader(xs(MaxRecord), strings.NewReader("\nb\n")),
			delim: "\n",
			want:  []result{{length: MaxRecord}, {length: 1}},
		},
		{
			name:  "too long, then more records",
			in:    io.MultiReader(strings.NewReader("a\n"), xs(MaxRecord+100<<10), strings.NewReader("\nbb\n")),
			delim: "\n",
			want:  []result{{length: 1}, {tooLong: true}, {length: 2}},
		},
		{
			name:  "too long at EOF without separator",
			in:    io.MultiReader(strings.NewReader("a\n"), xs(MaxRecord+100<<10)),
			delim: "\n",
			want:  []result{{length: 1}, {tooLong: true}},
		},
		{
			name:  "too long, multi-byte separator",
			in:    io.MultiReader(xs(MaxRecord+100<<10+1), strings.NewReader("<=>ccc<=>")),
			delim: "<=>",
			want:  []result{{tooLong: true}, {length: 3}},
		},
		{
			// MaxRecord is "the longest record parrun reads": one byte
			// more is too long, however the reads fall.
			name:  "MaxRecord+1",
			in:    io.MultiReader(xs(MaxRecord+1), strings.NewReader("\nb\n")),
			delim: "\n",
			want:  []result{{tooLong: true}, {length: 1}},
		},
	}
	for _, tt := range tests {
		s := newSplitter(tt.in, tt.delim, false)
		var got []result
		for {
			b, n, err := s.next()
			if errors.Is(err, io.EOF) {
				break
			}
			switch {
			case errors.Is(err, errTooLong):
				got = append(got, result{tooLong: true})
				if want := "record " + strconv.Itoa(len(got)); !strings.Contains(err.Error(), want) {
					t.Errorf("%s: error %q does not name %q", tt.name, err, want)
				}
			case err != nil:
				t.Fatalf("%s: next() = %v", tt.name, err)
			default:
				got = append(got, result{length: len(b)})
			}
			if int(n) != len(got) {
				t.Errorf("%s: record %d numbered %d", tt.name, len(got), n)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: records = %+v; want %+v", tt.name, got, tt.want)
		}
	}
}

// FuzzSplit checks that the splitter never panics and that its records,
// joined with the separator, give back the input (less one trailing
// separator), which is what strings.Split says they must be.
func FuzzSplit(f *testing.F) {
	f.Add([]byte("a\nb\n"), "\n", uint8(0))
	f.Add([]byte("a\x00b\nc\x00"), "\x00", uint8(0))
	f.Add([]byte("aaaa"), "aa", uint8(0))
	f.Add([]byte("x,,y,,,z,,"), ",,", uint8(1))
	f.Add([]byte("<=>q<=><=>"), "<=>", uint8(2))
	f.Add([]byte(""), "\n", uint8(0))
	f.Add([]byte("\n\n\n"), "\n\n", uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, delim string, pad uint8) {
		if delim == "" || len(delim) > 16 {
			t.Skip("Open never passes an empty separator")
		}
		in := data
		if pad > 0 {
			// Push the interesting bytes across the 64 KiB read buffer's edge.
			in = append(bytes.Repeat([]byte("x"), 64<<10-int(pad)), data...)
		}
		var r io.Reader = bytes.NewReader(in)
		if pad%2 == 1 {
			r = iotest.HalfReader(r)
		}
		got := splitAll(t, newSplitter(r, delim, false))
		// An empty piece after the last separator is no record.
		want := strings.Split(string(in), delim)
		if want[len(want)-1] == "" {
			want = want[:len(want)-1]
		}
		if !slices.Equal(got, want) {
			t.Fatalf("split(%s, %q) = %s; want %s", brief(string(in)), delim, briefs(got), briefs(want))
		}
		joined := strings.Join(got, delim)
		if joined != string(in) && joined+delim != string(in) {
			t.Fatalf("split(%s, %q) = %s, which joins to %s", brief(string(in)), delim, briefs(got), brief(joined))
		}
	})
}
