package ipc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parrun/parrun/internal/exec"
)

// allMessages is one message of every kind, with every field set.
func allMessages() []message {
	start := time.Unix(0, 1_700_000_000_123_456_789)
	return []message{
		hello{Version: ProtocolVersion, PID: 4242, Parrun: "v1.2.3 abcdef"},
		jobMsg{
			Seq: 7, Argv: []string{"sh", "-c", "echo 'a b'; exit 3"}, Env: []string{"A=1", "B="},
			HasEnv: true, MergeEnv: true, HasStdin: true, NoStderr: true, Dir: "/tmp/x",
			StdinLen: 5, Timeout: 1500 * time.Millisecond,
			Terminate: []exec.Step{{Signal: syscall.SIGINT, Wait: time.Second}, {Signal: syscall.SIGTERM, Wait: 2 * time.Second}},
		},
		jobMsg{Seq: 1, Argv: []string{"true"}, HasEnv: true, Env: []string{}}, // set and empty
		jobMsg{Seq: 2, Argv: []string{"true"}},                                // inherit
		chunk{Seq: 7, Stream: streamStdout, Data: []byte("hello\x00\xff")},
		chunk{Seq: 7, Stream: streamStdin, Data: []byte("x")},
		doneMsg{Seq: 7, Result: exec.Result{ExitCode: 137, Signal: syscall.SIGKILL, TimedOut: true, Start: start,
			Duration: 3 * time.Second, User: time.Millisecond, System: 2 * time.Millisecond}, Err: "exec: starting x: resource temporarily unavailable"},
		doneMsg{Seq: 8, Result: exec.Result{ExitCode: -1}},
		doneMsg{Seq: 9, Result: exec.Result{Signal: syscall.SIGPIPE, StdinUnread: true}}, // version 4's flag
		errorMsg{Msg: "ipc: coordinator: malformed frame"},
		shutdownMsg{},
		cancelMsg{Seq: 7, Signal: syscall.SIGINT},
		cancelMsg{Seq: 7},
		killMsg{Seq: 7},
	}
}

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, "test")
	msgs := allMessages()
	for _, m := range msgs {
		if err := w.Write(encode(m)); err != nil {
			t.Fatalf("Write(%s): %v", m.kind(), err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := NewReader(&buf, "test")
	for _, want := range msgs {
		got, err := readMessage(r)
		if err != nil {
			t.Fatalf("reading %s: %v", want.kind(), err)
		}
		if c, ok := got.(chunk); ok {
			c.Data = bytes.Clone(c.Data) // it aliases the reader's buffer
			got = c
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %#v; want %#v", got, want)
		}
	}
	if _, err := r.Read(); err != io.EOF {
		t.Errorf("after the last frame: got %v; want io.EOF", err)
	}
}

func TestHelloIgnoresTrailingFields(t *testing.T) {
	// A later version may append fields; its version must still decode.
	p := append(hello{Version: 2, PID: 1, Parrun: "next"}.appendPayload(nil), 1, 2, 3)
	m, err := decode(Frame{Kind: KindHello, Payload: p})
	if err != nil {
		t.Fatal(err)
	}
	if h := m.(hello); h.Version != 2 || h.Parrun != "next" {
		t.Errorf("got %+v", h)
	}
}

// header returns a frame header.
func header(length uint32, kind Kind) []byte {
	h := binary.BigEndian.AppendUint32(nil, length)
	return append(h, byte(kind))
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		is      error  // errors.Is
		message string // exact, or prefix when it ends with "…"
	}{
		{"truncated header", []byte{0, 0}, io.ErrUnexpectedEOF,
			"ipc: worker 3: reading frame header: unexpected EOF"},
		{"truncated payload", append(header(10, KindChunk), 1, 1, 'a'), io.ErrUnexpectedEOF,
			"ipc: worker 3: reading Chunk payload: unexpected EOF"},
		{"header only", header(10, KindDone), io.ErrUnexpectedEOF,
			"ipc: worker 3: reading Done payload: unexpected EOF"},
		{"oversize", header(MaxFrame+1, KindChunk), ErrMalformed,
			"ipc: worker 3: reading frame header: malformed frame: payload length 1048577 over the 1048576-byte limit…"},
		{"huge", header(0xffffffff, KindJob), ErrMalformed,
			"ipc: worker 3: reading frame header: malformed frame: payload length 4294967295 over the 1048576-byte limit…"},
		{"zero length", header(0, KindJob), ErrMalformed,
			"ipc: worker 3: reading frame header: malformed frame: empty Job frame…"},
		{"shutdown with payload", append(header(1, KindShutdown), 0), ErrMalformed,
			"ipc: worker 3: reading frame header: malformed frame: Shutdown frame with a 1-byte payload…"},
		{"unknown kind", append(header(1, 99), 0), ErrMalformed,
			"ipc: worker 3: reading frame header: malformed frame: unknown kind Kind(99)…"},
		{"kind zero", append(header(1, 0), 0), ErrMalformed,
			"ipc: worker 3: reading frame header: malformed frame: unknown kind Kind(0)…"},
		{"garbage", []byte("Welcome to Ubuntu 24.04 LTS\n"), ErrMalformed,
			`ipc: worker 3: reading frame header: malformed frame: payload length 1466264675 over the 1048576-byte limit (first bytes "Welcome to Ubuntu 24.04 LTS\n")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(tt.in), "worker 3")
			_, err := r.Read()
			if !errors.Is(err, tt.is) {
				t.Fatalf("got %v; want an error wrapping %v", err, tt.is)
			}
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Errorf("got %T; want *FrameError", err)
			}
			if p, ok := strings.CutSuffix(tt.message, "…"); ok {
				if !strings.HasPrefix(err.Error(), p) {
					t.Errorf("got %q; want it to start with %q", err, p)
				}
			} else if err.Error() != tt.message {
				t.Errorf("got %q; want %q", err, tt.message)
			}
			if errors.Is(err, ErrMalformed) && r.buf != nil {
				t.Errorf("allocated %d bytes for a header it rejects", cap(r.buf))
			}
		})
	}
}

func TestReadCleanEOF(t *testing.T) {
	r := NewReader(bytes.NewReader(nil), "")
	if _, err := r.Read(); err != io.EOF {
		t.Errorf("empty stream: got %v; want io.EOF itself", err)
	}
	r = NewReader(bytes.NewReader(header(0, KindShutdown)), "")
	if f, err := r.Read(); err != nil || f.Kind != KindShutdown {
		t.Fatalf("got %v, %v; want a Shutdown", f, err)
	}
	if _, err := r.Read(); err != io.EOF {
		t.Errorf("after a frame: got %v; want io.EOF itself", err)
	}
}

func TestReadError(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(bytes.NewReader([]byte{0}), errReader{boom}), "worker 1")
	_, err := r.Read()
	if !errors.Is(err, boom) || err.Error() != "ipc: worker 1: reading frame header: boom" {
		t.Errorf("got %v", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestWriterRejects(t *testing.T) {
	w := NewWriter(io.Discard, "worker 2")
	for _, f := range []Frame{
		{Kind: KindChunk, Payload: make([]byte, MaxFrame+1)},
		{Kind: KindJob},
		{Kind: KindShutdown, Payload: []byte{1}},
		{Kind: 0, Payload: []byte{1}},
		{Kind: 42, Payload: []byte{1}},
	} {
		if err := w.Write(f); err == nil || !strings.HasPrefix(err.Error(), "ipc: worker 2: writing ") {
			t.Errorf("Write(%s, %d bytes): got %v; want an error", f.Kind, len(f.Payload), err)
		}
	}
	if err := w.Write(Frame{Kind: KindChunk, Payload: make([]byte, MaxFrame)}); err != nil {
		t.Errorf("a MaxFrame payload: %v", err)
	}
}

func TestWriterError(t *testing.T) {
	pr, pw := io.Pipe()
	pr.CloseWithError(errors.New("gone"))
	w := NewWriter(pw, "worker 2")
	w.Write(encode(killMsg{Seq: 1}))
	if err := w.Flush(); err == nil || err.Error() != "ipc: worker 2: flushing frames: gone" {
		t.Errorf("got %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	job := func(f func(b []byte) []byte) []byte {
		b := binary.AppendUvarint(nil, 1) // seq
		return f(b)
	}
	tests := []struct {
		name string
		f    Frame
		want string
	}{
		{"job count over payload", Frame{KindJob, job(func(b []byte) []byte {
			b = append(b, 0)
			return binary.AppendUvarint(b, 1<<60) // argc
		})}, "malformed frame: Job payload: count 1152921504606846976 over the 0 bytes left"},
		{"job string over payload", Frame{KindJob, job(func(b []byte) []byte {
			b = append(b, 0, 1)
			return binary.AppendUvarint(b, 1<<40)
		})}, "malformed frame: Job payload: string of 1099511627776 bytes with 0 left"},
		{"job empty argv", Frame{KindJob, jobMsg{Seq: 1}.appendPayload(nil)}, "malformed frame: Job payload: empty argv"},
		{"job unknown flags", Frame{KindJob, job(func(b []byte) []byte { return append(b, 0x80) })}, "malformed frame: Job payload: unknown flags 0x80"},
		{"job stdin without flag", Frame{KindJob, jobMsg{Seq: 1, Argv: []string{"x"}, StdinLen: 3}.appendPayload(nil)},
			"malformed frame: Job payload: stdin length 3 without stdin"},
		{"job negative timeout", Frame{KindJob, jobMsg{Seq: 1, Argv: []string{"x"}, Timeout: -1}.appendPayload(nil)},
			"malformed frame: Job payload: negative duration"},
		{"trailing bytes", Frame{KindKill, []byte{1, 2}}, "malformed frame: Kill payload: 1 trailing bytes"},
		{"bad varint", Frame{KindKill, []byte{0xff}}, "malformed frame: Kill payload: bad varint"},
		{"bad stream", Frame{KindChunk, []byte{1, 3, 'x'}}, "malformed frame: Chunk payload: stream 3"},
		{"unknown signal", Frame{KindCancel, append([]byte{1, 4}, "NOPE"...)}, `malformed frame: Cancel payload: unknown signal "NOPE"`},
		{"truncated done", Frame{KindDone, []byte{1}}, "malformed frame: Done payload: bad varint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(tt.f)
			if !errors.Is(err, ErrMalformed) || err.Error() != tt.want {
				t.Errorf("got %v; want %q", err, tt.want)
			}
		})
	}
	// Named by the reader, with the payload's first bytes.
	var buf bytes.Buffer
	w := NewWriter(&buf, "")
	w.Write(Frame{KindKill, []byte{1, 2}})
	w.Flush()
	_, err := readMessage(NewReader(&buf, "worker 5"))
	if want := `ipc: worker 5: decoding Kill frame: malformed frame: Kill payload: 1 trailing bytes (first bytes "\x01\x02")`; err == nil || err.Error() != want {
		t.Errorf("got %v; want %q", err, want)
	}
}

func TestSignalNumbers(t *testing.T) {
	// A signal with no name travels as its number.
	m := cancelMsg{Seq: 1, Signal: syscall.Signal(40)}
	got, err := decode(encode(m))
	if err != nil || got != m {
		t.Errorf("got %v, %v; want %v", got, err, m)
	}
}

// FuzzReadFrame feeds arbitrary bytes to the Reader and the message
// decoder: no panic, no payload over MaxFrame, only the documented errors,
// and every message that decodes encodes back to the same message.
func FuzzReadFrame(f *testing.F) {
	for _, m := range allMessages() {
		fr := encode(m)
		f.Add(append(header(uint32(len(fr.Payload)), fr.Kind), fr.Payload...))
	}
	f.Add([]byte("Welcome to Ubuntu\n"))
	f.Add(header(MaxFrame+1, KindChunk))
	f.Add(append(header(3, KindCancel), 1, 1, 'X'))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), "fuzz")
		for range 64 {
			fr, err := r.Read()
			if err == io.EOF {
				return
			}
			if err != nil {
				var fe *FrameError
				if !errors.As(err, &fe) || !(errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrMalformed)) {
					t.Fatalf("unexpected error %T: %v", err, err)
				}
				return
			}
			if len(fr.Payload) > MaxFrame || cap(r.buf) > len(data) {
				t.Fatalf("payload of %d bytes, buffer of %d, from %d bytes of input", len(fr.Payload), cap(r.buf), len(data))
			}
			m, err := decode(fr)
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("decode: unexpected error %v", err)
				}
				continue
			}
			again, err := decode(encode(m))
			if err != nil {
				t.Fatalf("re-decoding %#v: %v", m, err)
			}
			if !reflect.DeepEqual(normal(again), normal(m)) {
				t.Fatalf("round trip: got %#v; want %#v", again, m)
			}
		}
	})
}

// normal makes decoded messages comparable: empty and nil data alike.
func normal(m message) message {
	if c, ok := m.(chunk); ok && len(c.Data) == 0 {
		c.Data = nil
		return c
	}
	return m
}

// BenchmarkChunkThroughput measures job output through a Writer and a
// Reader over a real pipe, the way a worker sends it: through a sender,
// one flush per chunk (no other goroutine is waiting to add to it).
func BenchmarkChunkThroughput(b *testing.B) {
	pr, pw, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	defer pr.Close()
	data := bytes.Repeat([]byte("0123456789abcdef"), ChunkSize/16)
	head := chunk{Seq: 1, Stream: streamStdout}.appendHead(nil)
	b.SetBytes(ChunkSize)
	b.ReportAllocs()
	var wg sync.WaitGroup
	wg.Add(1)
	var werr error
	go func() {
		defer wg.Done()
		defer pw.Close()
		s := newSender(NewWriter(pw, "bench"))
		for range b.N {
			if werr = s.sendChunk(1, streamStdout, data); werr != nil {
				return
			}
		}
	}()
	r := NewReader(pr, "bench")
	n := 0
	for {
		f, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if len(f.Payload) != len(head)+ChunkSize {
			b.Fatalf("payload of %d bytes", len(f.Payload))
		}
		n++
	}
	wg.Wait()
	if werr != nil || n != b.N {
		b.Fatalf("%d frames of %d; write error %v", n, b.N, werr)
	}
}
