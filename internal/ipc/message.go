package ipc

// Payload encoding. Control messages are hand-written binary: unsigned
// varints, zig-zag varints and length-prefixed strings (encoding/binary's
// AppendUvarint/AppendVarint), in a fixed field order per kind (doc.go).
//
// Why not JSON: a Job carries the whole environment (a few KiB) and is sent
// once per job; a Done comes back once per job. encoding/json would cost
// reflection and several allocations per field on both ends, and its
// decoder would need its own limits against hostile input. The binary form
// is a few dozen lines, allocates only the strings it returns, checks every
// length against the bytes actually present (so a count can never make it
// allocate more than the payload's size), and is easy to implement in any
// language from doc.go. Chunk data is never encoded at all: it follows its
// small header raw.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/parrun/parrun/internal/exec"
)

// Streams of a Chunk.
const (
	streamStdin  = 0 // coordinator → worker: the job's standard input
	streamStdout = 1
	streamStderr = 2
)

// message is one decoded payload. The types are unexported: the wire format
// in doc.go is the contract, and these are this package's reading of it.
type message interface {
	kind() Kind
	// appendPayload appends the encoded payload to b.
	appendPayload(b []byte) []byte
}

// hello is the first frame each way.
type hello struct {
	Version uint64 // ProtocolVersion of the sender
	PID     int    // the sender's process id, for messages
	Parrun  string // the sender's parrun build (Version())
}

// jobMsg asks a worker to run a job. Its stdin, when StdinLen > 0, follows
// in Chunk frames of stream 0 (stdin is filled in by the worker's reader).
type jobMsg struct {
	Seq      uint64
	Argv     []string
	Env      []string
	HasEnv   bool // Env is set (nil Env inherits the worker's environment)
	MergeEnv bool // Env is added to the worker's environment
	HasStdin bool // the job reads StdinLen bytes rather than /dev/null
	NoStdout bool // the job's stdout goes to /dev/null: no chunks
	NoStderr bool
	// KeepBackground: the job's leftover processes may outlive it.
	KeepBackground bool
	Dir            string
	StdinLen       uint64
	Timeout        time.Duration
	Terminate      []exec.Step

	stdin []byte // assembled from the stdin chunks; not in the payload
}

// Flag bits of a Job payload.
const (
	jobHasEnv = 1 << iota
	jobMergeEnv
	jobHasStdin
	jobNoStdout
	jobNoStderr
	jobKeepBackground
	jobFlagsKnown = 1<<iota - 1
)

// chunk is a piece of one stream of one job. Data aliases the frame's
// payload when decoded.
type chunk struct {
	Seq    uint64
	Stream byte
	Data   []byte
}

// doneMsg is the result of a job: exec.Result on the wire. Its error
// crosses as text (Err shadows the Result's, which stays nil), and whether
// it is a resource limit as a flag.
type doneMsg struct {
	Seq uint64
	exec.Result
	Err     string // Result.Err's message, "" for nil
	limited bool   // Result.Err is an exec.ErrResourceLimit
}

// Flag bits of a Done payload.
const (
	doneTimedOut = 1 << iota
	doneKilled
	doneLimited
	doneStdinUnread
	doneFlagsKnown = 1<<iota - 1
)

// errorMsg is a worker's last word: why it cannot go on.
type errorMsg struct{ Msg string }

// cancelMsg asks the worker to run job Seq's termination sequence, with
// Signal (when not 0) as its first signal.
type cancelMsg struct {
	Seq    uint64
	Signal syscall.Signal
}

// killMsg asks the worker to SIGKILL job Seq's process group now.
type killMsg struct{ Seq uint64 }

// shutdownMsg asks an idle worker to exit.
type shutdownMsg struct{}

func (hello) kind() Kind       { return KindHello }
func (jobMsg) kind() Kind      { return KindJob }
func (chunk) kind() Kind       { return KindChunk }
func (doneMsg) kind() Kind     { return KindDone }
func (errorMsg) kind() Kind    { return KindError }
func (cancelMsg) kind() Kind   { return KindCancel }
func (killMsg) kind() Kind     { return KindKill }
func (shutdownMsg) kind() Kind { return KindShutdown }

// The appendPayload methods follow doc.go's field order exactly; the
// decoder methods below read the same order back.

func (m hello) appendPayload(b []byte) []byte {
	b = binary.AppendUvarint(b, m.Version)
	b = binary.AppendUvarint(b, uint64(m.PID))
	return appendString(b, m.Parrun)
}

func (m jobMsg) appendPayload(b []byte) []byte {
	b = binary.AppendUvarint(b, m.Seq)
	b = append(b, bit(m.HasEnv, jobHasEnv)|bit(m.MergeEnv, jobMergeEnv)|bit(m.HasStdin, jobHasStdin)|
		bit(m.NoStdout, jobNoStdout)|bit(m.NoStderr, jobNoStderr)|bit(m.KeepBackground, jobKeepBackground))
	b = appendStrings(b, m.Argv)
	b = appendStrings(b, m.Env)
	b = appendString(b, m.Dir)
	b = binary.AppendUvarint(b, m.StdinLen)
	b = binary.AppendVarint(b, int64(m.Timeout))
	b = binary.AppendUvarint(b, uint64(len(m.Terminate)))
	for _, st := range m.Terminate {
		b = appendString(b, exec.SignalName(st.Signal))
		b = binary.AppendVarint(b, int64(st.Wait))
	}
	return b
}

func (m chunk) appendPayload(b []byte) []byte {
	return append(m.appendHead(b), m.Data...)
}

// appendHead appends the chunk's header: what precedes its raw data.
func (m chunk) appendHead(b []byte) []byte {
	return append(binary.AppendUvarint(b, m.Seq), m.Stream)
}

func (m doneMsg) appendPayload(b []byte) []byte {
	b = binary.AppendUvarint(b, m.Seq)
	b = binary.AppendVarint(b, int64(m.ExitCode))
	b = appendString(b, exec.SignalName(m.Signal))
	b = append(b, bit(m.TimedOut, doneTimedOut)|bit(m.Killed, doneKilled)|bit(m.limited, doneLimited)|
		bit(m.StdinUnread, doneStdinUnread))
	var start int64
	if !m.Start.IsZero() {
		start = m.Start.UnixNano()
	}
	b = binary.AppendVarint(b, start)
	b = binary.AppendVarint(b, int64(m.Duration))
	b = binary.AppendVarint(b, int64(m.User))
	b = binary.AppendVarint(b, int64(m.System))
	return appendString(b, m.Err)
}

func (m errorMsg) appendPayload(b []byte) []byte {
	// The message is the whole payload, without a length: nothing follows.
	if m.Msg == "" {
		return append(b, "unknown error"...) // the payload must not be empty
	}
	return append(b, m.Msg...)
}

func (m cancelMsg) appendPayload(b []byte) []byte {
	return appendString(binary.AppendUvarint(b, m.Seq), exec.SignalName(m.Signal))
}

func (m killMsg) appendPayload(b []byte) []byte { return binary.AppendUvarint(b, m.Seq) }

func (shutdownMsg) appendPayload(b []byte) []byte { return b }

// bit returns mask when on, else 0: one flag of a flags byte.
func bit(on bool, mask byte) byte {
	if on {
		return mask
	}
	return 0
}

// appendString appends s as a string field: uvarint length, then bytes.
func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// appendStrings appends a strings field: uvarint count, then each string.
// nil and empty encode alike; Job's flags say which was meant.
func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

// encode returns m as a frame, with a payload of its own.
func encode(m message) Frame {
	return Frame{Kind: m.kind(), Payload: m.appendPayload(nil)}
}

// decode parses a frame's payload. A Chunk's Data aliases f.Payload; every
// other message owns its memory. Errors wrap ErrMalformed.
func decode(f Frame) (message, error) {
	d := decoder{b: f.Payload, kind: f.Kind}
	var m message
	switch f.Kind {
	case KindHello:
		h := hello{Version: d.uvarint(), PID: int(d.uvarint()), Parrun: d.string()}
		// Trailing bytes are allowed in Hello only: a later version may add
		// fields, and must still be decoded far enough to say it is later.
		return h, d.err
	case KindJob:
		m = d.job()
	case KindChunk:
		c := chunk{Seq: d.uvarint(), Stream: d.byte()}
		if d.err == nil && c.Stream > streamStderr {
			d.fail("stream %d", c.Stream)
		}
		c.Data, d.b = d.b, nil
		m = c
	case KindDone:
		m = d.done()
	case KindError:
		m = errorMsg{Msg: string(f.Payload)}
		d.b = nil
	case KindCancel:
		m = cancelMsg{Seq: d.uvarint(), Signal: d.signal()}
	case KindKill:
		m = killMsg{Seq: d.uvarint()}
	case KindShutdown:
		m = shutdownMsg{}
	default:
		d.fail("unknown kind")
	}
	if d.err == nil && len(d.b) > 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	return m, d.err
}

// decoder reads payload fields. After the first error every read returns a
// zero value, so decoding code can read a whole message and check once.
type decoder struct {
	b    []byte
	kind Kind
	err  error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s payload: %s", ErrMalformed, d.kind, fmt.Sprintf(format, args...))
	}
	d.b = nil
}

// uvarint reads an unsigned varint. A truncated or over-long one (more
// than 10 bytes, or overflowing 64 bits) is malformed.
func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// varint reads a zig-zag signed varint.
func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// byte reads one byte (flags, a stream number).
func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// count reads a number of items that are each at least one byte long: it
// cannot exceed what is left, which bounds any allocation by the payload.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("count %d over the %d bytes left", n, len(d.b))
		return 0
	}
	return int(n)
}

// string reads a string field. The length is checked against the bytes
// left before anything is allocated: a hostile length costs nothing.
func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("string of %d bytes with %d left", n, len(d.b))
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// strings reads a strings field. Its count is bounded by count, so the
// slice is never larger than the payload.
func (d *decoder) strings() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	ss := make([]string, 0, n)
	for range n {
		ss = append(ss, d.string())
	}
	return ss
}

// duration reads a varint of nanoseconds; a negative duration never makes
// sense on this wire (a time-out, a wait, a CPU time) and is malformed.
func (d *decoder) duration() time.Duration {
	v := d.varint()
	if v < 0 {
		d.fail("negative duration")
		return 0
	}
	return time.Duration(v)
}

// signal reads a signal by name ("TERM"), so that workers on another
// system, where numbers differ, still send and receive the right one. ""
// is no signal; a number is accepted for signals without a name.
func (d *decoder) signal() syscall.Signal {
	s := d.string()
	if d.err != nil || s == "" {
		return 0
	}
	sig, err := exec.ParseSignal(s)
	if err != nil {
		d.fail("%v", err)
	}
	return sig
}

// job reads a Job payload (not its stdin, which follows in Chunk frames)
// and checks what a worker relies on: a program to run, and no stdin
// length without the stdin flag. Unknown flag bits are malformed rather
// than ignored: a newer coordinator's meaning would be silently lost.
func (d *decoder) job() jobMsg {
	m := jobMsg{Seq: d.uvarint()}
	flags := d.byte()
	if flags&^jobFlagsKnown != 0 {
		d.fail("unknown flags %#x", flags)
	}
	m.HasEnv = flags&jobHasEnv != 0
	m.MergeEnv = flags&jobMergeEnv != 0
	m.HasStdin = flags&jobHasStdin != 0
	m.NoStdout = flags&jobNoStdout != 0
	m.NoStderr = flags&jobNoStderr != 0
	m.KeepBackground = flags&jobKeepBackground != 0
	m.Argv = d.strings()
	m.Env = d.strings()
	if m.HasEnv && m.Env == nil {
		m.Env = []string{} // set, and empty: the job gets no environment
	}
	m.Dir = d.string()
	m.StdinLen = d.uvarint()
	m.Timeout = d.duration()
	if n := d.count(); n > 0 {
		m.Terminate = make([]exec.Step, 0, n)
		for range n {
			m.Terminate = append(m.Terminate, exec.Step{Signal: d.signal(), Wait: d.duration()})
		}
	}
	switch {
	case d.err != nil:
	case len(m.Argv) == 0:
		d.fail("empty argv")
	case !m.HasStdin && m.StdinLen > 0:
		d.fail("stdin length %d without stdin", m.StdinLen)
	}
	return m
}

// done reads a Done payload.
func (d *decoder) done() doneMsg {
	m := doneMsg{Seq: d.uvarint()}
	m.ExitCode, m.Signal = int(d.varint()), d.signal()
	flags := d.byte()
	if flags&^doneFlagsKnown != 0 {
		d.fail("unknown flags %#x", flags)
	}
	m.TimedOut = flags&doneTimedOut != 0
	m.Killed = flags&doneKilled != 0
	m.StdinUnread = flags&doneStdinUnread != 0
	m.limited = flags&doneLimited != 0
	if ns := d.varint(); ns != 0 {
		m.Start = time.Unix(0, ns)
	}
	m.Duration = d.duration()
	m.User = d.duration()
	m.System = d.duration()
	m.Err = d.string()
	return m
}

// result turns a Done into the exec.Result the coordinator returns. The
// job's error crosses the wire as text only: its type (an errno, say) is
// lost, and so is errors.Is on it. The coordinator's Run never needs more:
// a job that could not start is a failed job whatever the reason.
func (m doneMsg) result() *exec.Result {
	r := m.Result
	r.Err = nil
	switch {
	case m.limited:
		// The worker could not start the job: it may be tried again, as
		// in this process (SPEC §3). The errno's name is in the text.
		r.Err = fmt.Errorf("%w: %w: %s", exec.ErrNotStarted, exec.ErrResourceLimit, m.Err)
	case m.Err != "":
		r.Err = errors.New(m.Err)
	}
	return &r
}

// doneOf turns a job's exec.Result into its Done: the inverse of result,
// up to the error's type.
func doneOf(seq uint64, r *exec.Result) doneMsg {
	m := doneMsg{Seq: seq, Result: *r, limited: errors.Is(r.Err, exec.ErrResourceLimit)}
	m.Result.Err = nil
	if r.Err != nil {
		m.Err = r.Err.Error()
	}
	return m
}
