package exec

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

func readAll(t *testing.T, b *Buffer) []byte {
	t.Helper()
	got, err := io.ReadAll(b.Reader())
	if err != nil {
		t.Fatalf("reading the buffer: %v", err)
	}
	var w bytes.Buffer
	if _, err := b.WriteTo(&w); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	if !bytes.Equal(w.Bytes(), got) {
		t.Fatalf("WriteTo wrote %d bytes, Reader read %d: they differ", w.Len(), len(got))
	}
	return got
}

func TestBufferZeroValue(t *testing.T) {
	var b Buffer
	defer b.Close()
	data := spewData(100_000)
	if n, err := b.Write(data); n != len(data) || err != nil {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(data))
	}
	if b.Spilled() {
		t.Errorf("Spilled() = true; want false below DefaultBufferSize")
	}
	if b.Len() != int64(len(data)) {
		t.Errorf("Len() = %d; want %d", b.Len(), len(data))
	}
	if got := readAll(t, &b); !bytes.Equal(got, data) {
		t.Errorf("contents differ from what was written")
	}
}

func TestBufferEmpty(t *testing.T) {
	b := NewBuffer(10, t.TempDir())
	defer b.Close()
	if got := readAll(t, b); len(got) != 0 || b.Len() != 0 || b.Spilled() {
		t.Errorf("empty buffer: contents %q, Len %d, Spilled %v; want none, 0, false", got, b.Len(), b.Spilled())
	}
}

func TestBufferSpillsAboveLimit(t *testing.T) {
	dir := t.TempDir()
	b := NewBuffer(100, dir)
	defer b.Close()
	// Exactly the limit stays in memory.
	first := bytes.Repeat([]byte("a"), 100)
	if _, err := b.Write(first); err != nil {
		t.Fatal(err)
	}
	if b.Spilled() {
		t.Fatalf("Spilled() = true at exactly the limit; want false")
	}
	// One byte more spills.
	if _, err := b.Write([]byte("b")); err != nil {
		t.Fatal(err)
	}
	if !b.Spilled() {
		t.Fatalf("Spilled() = false above the limit; want true")
	}
	more := spewData(50_000)
	if _, err := b.Write(more); err != nil {
		t.Fatal(err)
	}
	want := append(append(append([]byte{}, first...), 'b'), more...)
	if b.Len() != int64(len(want)) {
		t.Errorf("Len() = %d; want %d", b.Len(), len(want))
	}
	if got := readAll(t, b); !bytes.Equal(got, want) {
		t.Errorf("contents differ from what was written")
	}
	// Reading does not consume: a second read gives the same.
	if got := readAll(t, b); !bytes.Equal(got, want) {
		t.Errorf("second read differs")
	}
	assertEmptyDir(t, dir) // unlinked at once
	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	assertEmptyDir(t, dir)
}

func TestBufferReadFrom(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int
		n     int
		spill bool
	}{
		{"small", 1 << 20, 1000, false},
		{"spills", 4096, 300_000, true},
		{"tiny-limit", 1, 5000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			b := NewBuffer(tc.limit, dir)
			defer b.Close()
			data := spewData(tc.n)
			// A reader that returns little at a time, as a pipe does.
			n, err := b.ReadFrom(iotest.HalfReader(bytes.NewReader(data)))
			if n != int64(len(data)) || err != nil {
				t.Fatalf("ReadFrom = %d, %v; want %d, nil", n, err, len(data))
			}
			if b.Spilled() != tc.spill {
				t.Errorf("Spilled() = %v; want %v", b.Spilled(), tc.spill)
			}
			if b.Len() != int64(len(data)) {
				t.Errorf("Len() = %d; want %d", b.Len(), len(data))
			}
			if got := readAll(t, b); !bytes.Equal(got, data) {
				t.Errorf("contents differ from what was read (%d bytes; want %d)", len(got), len(data))
			}
			assertEmptyDir(t, dir)
		})
	}
}

// TestBufferReadFromAtLimit: output of exactly Limit bytes fits in memory
// (as it does through Write) and needs no spill file; with an unusable
// spill directory, spilling it would even fail a job whose output fits.
func TestBufferReadFromAtLimit(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-dir")
	b := NewBuffer(4096, missing)
	defer b.Close()
	data := spewData(4096)
	n, err := b.ReadFrom(bytes.NewReader(data))
	if n != int64(len(data)) || err != nil {
		t.Errorf("ReadFrom(exactly Limit bytes) = %d, %v; want %d, nil", n, err, len(data))
	}
	if b.Spilled() {
		t.Errorf("Spilled() = true for exactly Limit bytes; want false (Write keeps them in memory)")
	}
}

func TestBufferReadFromReaderError(t *testing.T) {
	b := NewBuffer(100, t.TempDir())
	defer b.Close()
	errBoom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("before"), iotest.ErrReader(errBoom))
	n, err := b.ReadFrom(r)
	if n != 6 || !errors.Is(err, errBoom) {
		t.Errorf("ReadFrom = %d, %v; want 6, %v", n, err, errBoom)
	}
	if got := readAll(t, b); string(got) != "before" {
		t.Errorf("contents = %q; want %q", got, "before")
	}
	// A reader's error is not the buffer's: it still takes writes.
	if _, err := b.Write([]byte("!")); err != nil || b.Err() != nil {
		t.Errorf("Write after a reader error = %v (Err %v); want nil", err, b.Err())
	}
}

// TestBufferMixed interleaves Write and ReadFrom of random sizes across the
// spill point and compares with a bytes.Buffer.
func TestBufferMixed(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		dir := t.TempDir()
		b := NewBuffer(1+rng.IntN(20_000), dir)
		var want bytes.Buffer
		for range 30 {
			chunk := spewData(rng.IntN(5000))
			if rng.IntN(2) == 0 {
				if n, err := b.Write(chunk); n != len(chunk) || err != nil {
					t.Fatalf("round %d: Write = %d, %v", round, n, err)
				}
			} else {
				if n, err := b.ReadFrom(iotest.HalfReader(bytes.NewReader(chunk))); n != int64(len(chunk)) || err != nil {
					t.Fatalf("round %d: ReadFrom = %d, %v", round, n, err)
				}
			}
			want.Write(chunk)
		}
		if got := readAll(t, b); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("round %d (limit %d): contents differ (%d bytes; want %d)", round, b.Limit, len(got), want.Len())
		}
		if b.Len() != int64(want.Len()) {
			t.Fatalf("round %d: Len() = %d; want %d", round, b.Len(), want.Len())
		}
		b.Close()
		assertEmptyDir(t, dir)
	}
}

func TestBufferSpillError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-dir")
	check := func(t *testing.T, b *Buffer, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("err = nil; want an error creating the spill file in %s", missing)
		}
		if msg := err.Error(); !strings.Contains(msg, "spill") || !strings.Contains(msg, missing) {
			t.Errorf("err = %q; want it to name the spill file and %s", msg, missing)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("errors.Is(%v, fs.ErrNotExist) = false; want true", err)
		}
		if b.Err() != err {
			t.Errorf("Err() = %v; want %v", b.Err(), err)
		}
		// Sticky: later writes fail with the same error.
		if n, err2 := b.Write([]byte("x")); n != 0 || err2 != err {
			t.Errorf("later Write = %d, %v; want 0, %v", n, err2, err)
		}
		if _, err2 := b.ReadFrom(strings.NewReader("x")); err2 != err {
			t.Errorf("later ReadFrom error = %v; want %v", err2, err)
		}
	}
	t.Run("Write", func(t *testing.T) {
		b := NewBuffer(10, missing)
		defer b.Close()
		_, err := b.Write(make([]byte, 11))
		check(t, b, err)
	})
	t.Run("ReadFrom", func(t *testing.T) {
		b := NewBuffer(10, missing)
		defer b.Close()
		_, err := b.ReadFrom(bytes.NewReader(make([]byte, 1000)))
		check(t, b, err)
	})
	t.Run("below-limit-no-error", func(t *testing.T) {
		b := NewBuffer(10, missing)
		defer b.Close()
		if _, err := b.Write(make([]byte, 10)); err != nil {
			t.Errorf("Write below the limit = %v; want nil: nothing spills", err)
		}
	})
}

func TestBufferClose(t *testing.T) {
	var nilBuf *Buffer
	if err := nilBuf.Close(); err != nil {
		t.Errorf("(*Buffer)(nil).Close() = %v; want nil", err)
	}
	b := NewBuffer(10, t.TempDir())
	b.Write(make([]byte, 100))
	if err := b.Close(); err != nil {
		t.Errorf("Close = %v; want nil", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close = %v; want nil", err)
	}
}
