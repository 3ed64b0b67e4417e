package pipe

import (
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestFileSplitterAsStream checks that cutting a file in place gives the
// very blocks, numbers included, that cutting it as a stream gives.
func TestFileSplitterAsStream(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	long := strings.Repeat("y", 300<<10) + "\n" // past a read window
	for n := 0; n < 200; n++ {
		var b strings.Builder
		for range rng.IntN(60) {
			b.WriteString(strings.Repeat("x", rng.IntN(30)))
			if rng.IntN(20) == 0 {
				b.WriteString(long)
			}
			b.WriteString([]string{"\n", "\r\n", ">"}[rng.IntN(3)])
		}
		in := b.String()
		for _, o := range []Options{{Block: 1 + rng.IntN(80)}, {Block: 1 + rng.IntN(80), RecStart: str(">")}, {Block: 7, RecEnd: str("\r\n")}} {
			want := blocks(t, in, o)
			s, err := NewFile(strings.NewReader(in), 0, int64(len(in)), o)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for {
				r, err := s.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, in[r.Off:r.Off+r.Len])
			}
			if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
				t.Fatalf("%+v on %q:\nfile   %q\nstream %q", o, in, got, want)
			}
		}
	}
}

// TestParts checks --pipe-part's ranges against GNU's rule: from each
// block multiple forward to the next record end.
func TestParts(t *testing.T) {
	in := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"
	tests := []struct {
		block int
		want  []string
	}{
		{3, []string{"1\n2\n", "3\n4\n", "5\n6\n", "7\n8\n", "9\n10\n"}},
		{5, []string{"1\n2\n3\n", "4\n5\n6\n", "7\n8\n9\n", "10\n"}},
		{100, []string{in}},
	}
	for _, tt := range tests {
		rs, err := Parts(strings.NewReader(in), int64(len(in)), Options{Block: tt.block})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i, r := range rs {
			got = append(got, in[r.Off:r.Off+r.Len])
			if r.Seq != int64(i+1) {
				t.Errorf("range %d numbered %d", i, r.Seq)
			}
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("block %d: %q; want %q", tt.block, got, tt.want)
		}
	}
}
