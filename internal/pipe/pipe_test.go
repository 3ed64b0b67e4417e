package pipe

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func str(s string) *string { return &s }

// blocks cuts in under o and returns the blocks' texts.
func blocks(t *testing.T, in string, o Options) []string {
	t.Helper()
	s, err := New(iotest.HalfReader(strings.NewReader(in)), o)
	if err != nil {
		t.Fatalf("New(%+v) = %v", o, err)
	}
	var out []string
	for {
		b, err := s.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next() = %v", err)
		}
		out = append(out, string(b.Data))
		b.Release()
	}
}

// TestCutAsGNU checks blocks against what GNU parallel 20221122 gave for
// the same input and options (run by hand with --pipe … -k, each job
// printing its stdin).
func TestCutAsGNU(t *testing.T) {
	seq10 := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"
	tests := []struct {
		name string
		in   string
		o    Options
		want []string
	}{
		{"block 5", seq10, Options{Block: 5}, []string{"1\n2\n", "3\n4\n", "5\n6\n", "7\n8\n", "9\n10\n"}},
		{"block 7", seq10, Options{Block: 7}, []string{"1\n2\n3\n", "4\n5\n6\n", "7\n8\n9\n", "10\n"}},
		{"no final newline", "a\nb\nc", Options{Block: 2}, []string{"a\n", "b\n", "c"}},
		{"-N3", seq10, Options{Records: 3}, []string{"1\n2\n3\n", "4\n5\n6\n", "7\n8\n9\n", "10\n"}},
		{"-L2 grows the block", seq10, Options{Block: 3, Lines: 2}, []string{"1\n2\n", "3\n4\n", "5\n6\n", "7\n8\n", "9\n10\n"}},
		{"--recstart -N1", ">a\nx\n>b\ny\n>c\nz\n", Options{RecStart: str(">"), Records: 1}, []string{">a\nx\n", ">b\ny\n", ">c\nz\n"}},
		{"text before the first --recstart", "x>a\nx\n>b\ny\n", Options{RecStart: str(">"), Records: 1}, []string{"x", ">a\nx\n", ">b\ny\n"}},
		{"--recend ; -N2", "a;b;c;", Options{RecEnd: str(";"), Records: 2}, []string{"a;b;", "c;"}},
		{"an empty line joins the next block under -N", "a\n\nb\n", Options{Records: 1}, []string{"a\n", "\nb\n"}},
		{"empty lines by size", "a\n\n\nb\n", Options{Block: 3}, []string{"a\n\n", "\nb\n"}},
		{"--header : -N1", "h\na\nb\n", Options{Header: ":", Records: 1}, []string{"h\na\n", "h\nb\n"}},
		{"--header 2 -N1", "h1\nh2\na\nb\n", Options{Header: "2", Records: 1}, []string{"h1\nh2\na\n", "h1\nh2\nb\n"}},
		{"header only", "h\n", Options{Header: ":"}, nil},
		{"empty input", "", Options{}, nil},
		{"--regexp", "a1b22c333d", Options{Regexp: true, RecEnd: str("[0-9]+"), Records: 1}, []string{"a1", "b22", "c333", "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := blocks(t, tt.in, tt.o)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("blocks = %q; want %q", got, tt.want)
			}
		})
	}
}

// TestSeqCountsEmptyCuts checks {#}: GNU numbers every cut, also one of
// nothing (here -L2 on a block smaller than a record), and so does Seq.
func TestSeqCountsEmptyCuts(t *testing.T) {
	s, _ := New(strings.NewReader("1\n2\n3\n4\n"), Options{Block: 3, Lines: 2})
	var seqs []int64
	for b, err := s.Next(); err == nil; b, err = s.Next() {
		seqs = append(seqs, b.Seq)
	}
	if len(seqs) != 2 || seqs[0] != 2 || seqs[1] <= 2 {
		t.Errorf("seqs = %v; want [2 N>2]: the empty first cut counts", seqs)
	}
}

// TestBlocksJoinToInput checks the splitter's promise: the blocks, one
// after the other, are the input byte for byte, and every block but the
// last ends on a record end.
func TestBlocksJoinToInput(t *testing.T) {
	long := strings.Repeat("x", 5000) + "\n"
	inputs := []string{"", "a", "a\n", "a\nb", "a\r\nb\r\n", long + "a\n" + long, strings.Repeat("12345\n", 1000), "no newline at all"}
	opts := []Options{{Block: 7}, {Block: 100}, {Records: 2}, {Lines: 3, Block: 10}, {RecStart: str("a"), Block: 9}, {RecEnd: str("\r\n"), Block: 5}}
	for _, in := range inputs {
		for _, o := range opts {
			got := blocks(t, in, o)
			if j := strings.Join(got, ""); j != in {
				t.Fatalf("%+v: blocks of %q join to %q", o, in, j)
			}
			end := "\n"
			if o.RecEnd != nil {
				end = *o.RecEnd
			}
			for i, b := range got[:max(len(got)-1, 0)] {
				if o.RecStart == nil && !strings.HasSuffix(b, end) {
					t.Errorf("%+v: block %d of %q, %q, ends inside a record", o, i, in, b)
				}
			}
		}
	}
}

// TestReleaseReuses checks that a released block's bytes are reused and
// that a block not yet released never changes.
func TestReleaseReuses(t *testing.T) {
	in := strings.Repeat("0123456789\n", 1000)
	s, _ := New(strings.NewReader(in), Options{Block: 100})
	first, _ := s.Next()
	keep := string(first.Data)
	allocs := testing.AllocsPerRun(1, func() {
		for {
			b, err := s.Next()
			if err != nil {
				return
			}
			b.Release()
		}
	})
	if string(first.Data) != keep {
		t.Fatalf("a block still held changed: %q", first.Data)
	}
	if allocs > 250 { // 109 more blocks: one buffer each without reuse, plus their bookkeeping
		t.Errorf("%v allocations for 109 blocks released at once: buffers are not reused", allocs)
	}
}

func TestNewRefuses(t *testing.T) {
	for _, o := range []Options{
		{Block: -1}, // --pipe-part's
		{Records: -1},
		{RecEnd: str(""), RecStart: str("")},
		{Regexp: true, RecEnd: str("(")},
	} {
		if _, err := New(strings.NewReader(""), o); err == nil {
			t.Errorf("New(%+v) = nil error", o)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"1", 1}, {"10M", 10 << 20}, {"1m", 1e6}, {"1k", 1000}, {"1K", 1024}, {"1Ki", 1024}, {"1ki", 1024},
		{"1.5K", 1536}, {"1G", 1 << 30}, {"2G", -1}, {"x", -1}, {"-1.5", -1}, {"-1k", -1}, {"0", -1}, {"3G", -1}, {"", -1}, {"1KB", -1},
	}
	if n, err := ParseSize("-10"); n != -10 || err != nil { // --pipe-part's parts a job slot
		t.Errorf(`ParseSize("-10") = %d, %v; want -10`, n, err)
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if tt.want < 0 {
			if err == nil {
				t.Errorf("ParseSize(%q) = %d, nil; want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

// FuzzSplit checks on any input and options that the blocks join to the
// input and that the splitter ends.
func FuzzSplit(f *testing.F) {
	f.Add([]byte("1\n2\n3\n"), uint16(3), uint8(0), uint8(0), ">", false)
	f.Add([]byte(">a\nx\n>b\n"), uint16(4), uint8(1), uint8(0), ">", true)
	f.Add([]byte("a;b;;c"), uint16(2), uint8(2), uint8(2), ";", false)
	f.Fuzz(func(t *testing.T, in []byte, block uint16, records, lines uint8, sep string, start bool) {
		o := Options{Block: int(block%512) + 1, Records: int(records % 4), Lines: int(lines % 4)}
		if sep != "" {
			if start {
				o.RecStart = &sep
			} else {
				o.RecEnd = &sep
			}
		}
		s, err := New(bytes.NewReader(in), o)
		if err != nil {
			return
		}
		var got []byte
		for n := 0; ; n++ {
			b, err := s.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || n > len(in)+1 {
				t.Fatalf("Next() = %v after %d blocks of %d bytes", err, n, len(in))
			}
			got = append(got, b.Data...)
			b.Release()
		}
		if !bytes.Equal(got, in) {
			t.Fatalf("%+v: blocks of %q join to %q", o, in, got)
		}
	})
}

// TestPartBlock checks GNU's --pipe-part block sizes: a size as given, or
// 1 + total / slots / N for --block -N, -10 by default, -1 with
// --round-robin.
func TestPartBlock(t *testing.T) {
	tests := []struct {
		o     Options
		total int64
		want  int
	}{
		{Options{Block: 700}, 3893, 700},
		{Options{Jobs: 2}, 3893, 1 + 3893/2/10},
		{Options{Block: -3, Jobs: 2}, 3893, 1 + 3893/2/3},
		{Options{RoundRobin: true, Jobs: 3}, 3893, 1 + 3893/3},
		{Options{Block: -1}, 0, 1},
	}
	for _, tt := range tests {
		if got := tt.o.PartBlock(tt.total); got != tt.want {
			t.Errorf("%+v.PartBlock(%d) = %d; want %d", tt.o, tt.total, got, tt.want)
		}
	}
}
