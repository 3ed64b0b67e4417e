package ipc

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Tuning knobs and hard limits, in one place (STYLE: one const block per
// package).
const (
	// ProtocolVersion is the version both ends send in their Hello. Bump it
	// on any change to a payload layout or to the meaning of a field; the
	// frame header and the first field of Hello are frozen, so that two
	// different versions can always tell each other so.
	ProtocolVersion = 4

	// MaxFrame is the largest payload a Reader accepts and a Writer sends.
	// It bounds what one untrusted length prefix can make a Reader allocate;
	// job output never needs it, because it travels in Chunk frames of at
	// most ChunkSize bytes of data.
	MaxFrame = 1 << 20

	// ChunkSize is the most data one Chunk frame carries. 32 KiB is what
	// io.Copy reads from a job's pipe at once, so one pipe read becomes one
	// frame, and a frame fits whole in the Writer's buffer (one write(2)).
	ChunkSize = 32 << 10

	// HandshakeTimeout bounds how long Start waits for a worker's Hello
	// when ctx has no earlier deadline. Generous, for ssh and cluster
	// launchers; a local worker answers in milliseconds.
	HandshakeTimeout = 30 * time.Second

	// CloseTimeout is how long Close waits for a worker to exit after
	// Shutdown before it kills the worker's process group.
	CloseTimeout = 5 * time.Second

	// exitGrace is how long a worker that closed its output is given to
	// exit before it is killed, so that reaping it can never hang.
	exitGrace = 2 * time.Second

	// killGrace is how long, beyond a job's termination sequence, the
	// coordinator waits for the Done of a cancelled job before it decides
	// the worker is wedged and kills it.
	killGrace = 10 * time.Second

	// bufSize is the Reader's and Writer's buffer: two chunk frames.
	bufSize = 64 << 10

	// headerSize is the frame header: 4-byte length, 1-byte kind.
	headerSize = 5

	// seenMax is how many bytes of a malformed stream an error quotes.
	seenMax = 48
)

// A Kind says what a frame's payload is. doc.go describes every payload.
type Kind byte

// The kinds of frame. The numbers are part of the wire format.
const (
	KindHello    Kind = 1 // both ways, first frame: version, pid, parrun version
	KindJob      Kind = 2 // coordinator → worker: run a job
	KindChunk    Kind = 3 // job stdin (→ worker) or stdout/stderr (→ coordinator)
	KindDone     Kind = 4 // worker → coordinator: the job's result
	KindError    Kind = 5 // worker → coordinator: the worker cannot go on
	KindShutdown Kind = 6 // coordinator → worker: exit when idle; empty payload
	KindCancel   Kind = 7 // coordinator → worker: run the job's termination sequence
	KindKill     Kind = 8 // coordinator → worker: SIGKILL the job's group now
)

var kindNames = [...]string{
	KindHello:    "Hello",
	KindJob:      "Job",
	KindChunk:    "Chunk",
	KindDone:     "Done",
	KindError:    "Error",
	KindShutdown: "Shutdown",
	KindCancel:   "Cancel",
	KindKill:     "Kill",
}

// String returns the kind's name, such as "Chunk", or "Kind(42)".
func (k Kind) String() string {
	if k.valid() {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", byte(k))
}

func (k Kind) valid() bool { return k >= KindHello && k <= KindKill }

// emptyPayload reports whether frames of kind k carry no payload. Every
// other kind must carry one: a zero length there is malformed.
func (k Kind) emptyPayload() bool { return k == KindShutdown }

// A Frame is one message on the wire: a Kind and its payload.
type Frame struct {
	Kind    Kind
	Payload []byte
}

// ErrMalformed is wrapped by every error about bytes that are not a valid
// frame or payload: garbage on the stream, a bad length, an unknown kind, a
// payload that does not decode.
var ErrMalformed = errors.New("malformed frame")

// A FrameError is a failure to read or decode a frame. Its message names
// the other end: "ipc: worker 3: reading frame header: unexpected EOF".
type FrameError struct {
	// Name is the other end of the stream ("worker 3"), or "".
	Name string
	// Op is what was being done: "reading frame header", "reading frame
	// payload", "decoding Done frame".
	Op string
	// Seen holds the first bytes of the frame that failed (at most a few
	// dozen), for diagnosis: a login banner or a shell error on a worker's
	// stdout shows up here.
	Seen []byte
	// Err is io.ErrUnexpectedEOF, an error wrapping ErrMalformed, or the
	// underlying reader's error.
	Err error
}

func (e *FrameError) Error() string {
	s := prefix(e.Name) + e.Op + ": " + e.Err.Error()
	if len(e.Seen) > 0 && errors.Is(e.Err, ErrMalformed) {
		s += fmt.Sprintf(" (first bytes %q)", e.Seen)
	}
	return s
}

func (e *FrameError) Unwrap() error { return e.Err }

// prefix is the start of every error message about the stream to name.
func prefix(name string) string {
	if name == "" {
		return "ipc: "
	}
	return "ipc: " + name + ": "
}

// A Reader reads frames from an underlying io.Reader, through a buffer of
// its own. It is not safe for concurrent use: one goroutine owns it.
// A Reader never allocates more than MaxFrame for a payload, however
// malformed its input.
type Reader struct {
	name string
	br   *bufio.Reader
	hdr  [headerSize]byte
	buf  []byte // payload buffer, reused from frame to frame
}

// NewReader returns a Reader of frames from r. name identifies the other
// end in errors ("worker 3", "coordinator"); it may be "".
func NewReader(r io.Reader, name string) *Reader {
	return &Reader{name: name, br: bufio.NewReaderSize(r, bufSize)}
}

// Read returns the next frame. Its Payload is valid only until the next
// call to Read: the buffer is reused, so a stream of chunks costs no
// allocation per frame.
//
// At a clean end of stream (EOF exactly between two frames) Read returns
// io.EOF itself. EOF inside a header or a payload is a *FrameError wrapping
// io.ErrUnexpectedEOF. A length above MaxFrame, a zero length for a kind
// that needs a payload, a payload for Shutdown and an unknown kind are
// *FrameErrors wrapping ErrMalformed, detected from the header alone, before
// any allocation. Other errors of the underlying reader are returned in a
// *FrameError. After an error the stream is out of step: stop reading.
func (r *Reader) Read() (Frame, error) {
	n, err := io.ReadFull(r.br, r.hdr[:])
	if err != nil {
		if err == io.EOF {
			return Frame{}, io.EOF
		}
		return Frame{}, &FrameError{Name: r.name, Op: "reading frame header", Seen: r.seen(n), Err: err}
	}
	length := binary.BigEndian.Uint32(r.hdr[:4])
	kind := Kind(r.hdr[4])
	var bad string
	switch {
	case length > MaxFrame:
		bad = fmt.Sprintf("payload length %d over the %d-byte limit", length, MaxFrame)
	case !kind.valid():
		bad = "unknown kind " + kind.String()
	case length == 0 && !kind.emptyPayload():
		bad = "empty " + kind.String() + " frame"
	case length != 0 && kind.emptyPayload():
		bad = fmt.Sprintf("%s frame with a %d-byte payload", kind, length)
	}
	if bad != "" {
		return Frame{}, &FrameError{Name: r.name, Op: "reading frame header", Seen: r.seen(headerSize),
			Err: fmt.Errorf("%w: %s", ErrMalformed, bad)}
	}
	if int(length) > cap(r.buf) {
		r.buf = make([]byte, length)
	}
	p := r.buf[:length]
	if n, err := io.ReadFull(r.br, p); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, &FrameError{Name: r.name, Op: "reading " + kind.String() + " payload",
			Seen: append(r.hdr[:], p[:min(n, seenMax-headerSize)]...), Err: err}
	}
	return Frame{Kind: kind, Payload: p}, nil
}

// seen returns the first n header bytes and, after them, whatever the
// buffer already holds, up to seenMax bytes: what an error quotes.
func (r *Reader) seen(n int) []byte {
	s := append([]byte(nil), r.hdr[:n]...)
	more, _ := r.br.Peek(min(r.br.Buffered(), seenMax-n))
	return append(s, more...)
}

// A Writer writes frames to an underlying io.Writer through a buffer.
// Write only buffers; Flush sends what is buffered. It is not safe for
// concurrent use: one goroutine owns it, or a mutex serialises it (see
// sender). Errors are sticky: after one, every Write and Flush fails.
type Writer struct {
	name string
	bw   *bufio.Writer
}

// NewWriter returns a Writer of frames to w. name identifies the other end
// in errors; it may be "".
func NewWriter(w io.Writer, name string) *Writer {
	return &Writer{name: name, bw: bufio.NewWriterSize(w, bufSize)}
}

// Write buffers one frame. A frame that does not fit the rest of the buffer
// pushes the buffer out first. It checks the frame as Read would, so a
// Writer never sends what a Reader rejects.
func (w *Writer) Write(f Frame) error {
	return w.writeFrame(f.Kind, nil, f.Payload)
}

// writeFrame buffers a frame whose payload is head followed by body: a
// Chunk's small header and its data go straight into the buffer, without
// being joined first.
func (w *Writer) writeFrame(kind Kind, head, body []byte) error {
	n := len(head) + len(body)
	switch {
	case !kind.valid():
		return fmt.Errorf("%swriting frame: unknown kind %s", prefix(w.name), kind)
	case n > MaxFrame:
		return fmt.Errorf("%swriting %s frame: payload of %d bytes over the %d-byte limit", prefix(w.name), kind, n, MaxFrame)
	case (n == 0) != kind.emptyPayload():
		return fmt.Errorf("%swriting %s frame: bad payload length %d", prefix(w.name), kind, n)
	}
	// The header is built in the buffer's free space: a local array would
	// escape through the io.Writer and cost an allocation per frame.
	hdr := binary.BigEndian.AppendUint32(w.bw.AvailableBuffer(), uint32(n))
	w.bw.Write(append(hdr, byte(kind)))
	w.bw.Write(head)
	if _, err := w.bw.Write(body); err != nil {
		return fmt.Errorf("%swriting %s frame: %w", prefix(w.name), kind, err)
	}
	return nil
}

// Flush writes out every buffered frame.
func (w *Writer) Flush() error {
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("%sflushing frames: %w", prefix(w.name), err)
	}
	return nil
}
