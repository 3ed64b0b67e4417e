//go:build unix

package exec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrSpill is wrapped in every error of writing or creating a spill file:
// the disk is full or failing, and the run should stop (SPEC §6 issue 5).
var ErrSpill = errors.New("spill file")

// A Buffer holds one stream of a job's output: in memory up to its limit,
// then in a temporary file under its directory ($TMPDIR when empty). The
// file is unlinked as soon as it is created, so it is gone when the Buffer
// is closed or parrun exits, however it exits (SPEC §9: spill files are gone
// when parrun exits, also after Ctrl-C or SIGKILL).
//
// The zero Buffer keeps everything in memory. A Buffer is not safe for
// concurrent use. The owner must call Close when done with it.
type Buffer struct {
	// Limit is how many bytes stay in memory before spilling; 0 means
	// DefaultBufferSize.
	Limit int
	// Dir is where the spill file goes; "" means os.TempDir().
	Dir string

	mem  []byte
	file *os.File
	n    int64
	err  error // sticky: the first write error
}

// NewBuffer returns an empty Buffer that spills above limit bytes into dir.
func NewBuffer(limit int, dir string) *Buffer {
	return &Buffer{Limit: limit, Dir: dir}
}

func (b *Buffer) limit() int {
	if b.Limit <= 0 {
		return DefaultBufferSize
	}
	return b.Limit
}

// Len returns the number of bytes written.
func (b *Buffer) Len() int64 { return b.n }

// Spilled reports whether the buffer went to a temporary file.
func (b *Buffer) Spilled() bool { return b.file != nil }

// Write appends p. Once a write fails (a full disk, say), every later write
// fails with the same error, which names the spill file.
func (b *Buffer) Write(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.file == nil && len(b.mem)+len(p) <= b.limit() {
		b.mem = append(b.mem, p...)
		b.n += int64(len(p))
		return len(p), nil
	}
	if err := b.spill(); err != nil {
		return 0, err
	}
	n, err := b.file.Write(p)
	b.n += int64(n)
	if err != nil {
		b.err = fmt.Errorf("writing %w %s: %w", ErrSpill, b.file.Name(), err)
		return n, b.err
	}
	return n, nil
}

// ReadFrom reads r to EOF into the buffer. It reads straight into the
// in-memory slice, so small outputs cost no intermediate copy buffer.
func (b *Buffer) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		if b.err != nil {
			return total, b.err
		}
		if b.file != nil {
			// Spilled: the rest goes through Write, which counts it and
			// names the spill file in any write error.
			n, err := io.Copy(onlyWriter{b}, r)
			return total + n, err
		}
		if len(b.mem) == cap(b.mem) {
			if len(b.mem) >= b.limit() {
				// Full: spill only if there is more to come, so output of
				// exactly Limit bytes stays in memory.
				var one [1]byte
				n, err := io.ReadFull(r, one[:])
				if n == 0 {
					if err == io.EOF || err == io.ErrUnexpectedEOF {
						return total, nil
					}
					return total, err
				}
				if err := b.spill(); err != nil {
					return total, err
				}
				if _, err := b.Write(one[:]); err != nil {
					return total, err
				}
				total++
				continue
			}
			size := max(512, 2*cap(b.mem))
			grown := make([]byte, len(b.mem), min(size, b.limit()))
			copy(grown, b.mem)
			b.mem = grown
		}
		n, err := r.Read(b.mem[len(b.mem):cap(b.mem)])
		b.mem = b.mem[:len(b.mem)+n]
		total += int64(n)
		b.n += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// onlyWriter hides the Buffer's own ReadFrom from io.Copy, which would
// otherwise call straight back into it.
type onlyWriter struct{ io.Writer }

// spill moves the in-memory bytes to a new unlinked temporary file.
func (b *Buffer) spill() error {
	if b.file != nil {
		return nil
	}
	f, err := os.CreateTemp(b.Dir, "parrun-spill-*")
	if err != nil {
		b.err = fmt.Errorf("creating %w in %s: %w", ErrSpill, dirName(b.Dir), err)
		return b.err
	}
	// Unlink at once: the open descriptor keeps the data; no path is left
	// behind whatever happens to parrun from here on.
	os.Remove(f.Name())
	b.file = f
	if _, err := f.Write(b.mem); err != nil {
		b.err = fmt.Errorf("writing %w %s: %w", ErrSpill, f.Name(), err)
		return b.err
	}
	b.mem = nil
	return nil
}

// WriteTo writes the buffer's contents, from the start, to w.
func (b *Buffer) WriteTo(w io.Writer) (int64, error) {
	if b.file == nil {
		n, err := w.Write(b.mem)
		return int64(n), err
	}
	return io.Copy(w, io.NewSectionReader(b.file, 0, b.n))
}

// Reader returns a reader over the buffer's contents from the start.
func (b *Buffer) Reader() io.Reader {
	if b.file == nil {
		return bytes.NewReader(b.mem)
	}
	return io.NewSectionReader(b.file, 0, b.n)
}

// Err returns the first write error, if any.
func (b *Buffer) Err() error { return b.err }

// Close releases the memory and the spill file. It is safe to call more
// than once, and on a nil Buffer.
func (b *Buffer) Close() error {
	if b == nil {
		return nil
	}
	b.mem = nil
	if b.file == nil {
		return nil
	}
	err := b.file.Close()
	b.file = nil
	return err
}

func dirName(d string) string {
	if d == "" {
		return os.TempDir()
	}
	return d
}

// Tail returns up to the last n bytes written.
func (b *Buffer) Tail(n int) []byte {
	if b.file == nil {
		return append([]byte(nil), b.mem[max(0, len(b.mem)-n):]...)
	}
	off := max(0, b.n-int64(n))
	out := make([]byte, b.n-off)
	k, _ := b.file.ReadAt(out, off)
	return out[:k]
}
