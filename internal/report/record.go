package report

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/job"
)

// Record is one job as --json and result.json describe it (SPEC §4). The
// README documents the schema; keep the two in step.
type Record struct {
	Seq     int64    `json:"seq"`
	ID      string   `json:"id"`
	Args    []string `json:"args"`
	Command string   `json:"command"`
	// ArgsB64 and CommandB64 are there when an argument or the command is
	// not valid UTF-8: JSON strings would hold U+FFFD in place of its
	// bytes, and the record would no longer say which input it was
	// (issue 18 item 15). Each argument is base64 (standard encoding).
	ArgsB64    []string  `json:"args_b64,omitempty"`
	CommandB64 string    `json:"command_b64,omitempty"`
	ExitCode   int       `json:"exit_code"`
	Signal     string    `json:"signal"`
	TimedOut   bool      `json:"timed_out"`
	Attempts   int       `json:"attempts"`
	Worker     int       `json:"worker"`
	Host       string    `json:"host"`
	StartedAt  time.Time `json:"started_at"`
	DurationMS float64   `json:"duration_ms"`
	BytesIn    int64     `json:"bytes_in,omitempty"`
	Error      string    `json:"error,omitempty"`
}

// NewRecord describes a finished job (without its output).
func NewRecord(d *job.Done) *Record {
	j, res := d.Job, d.Result
	id := j.ID
	if id == "" {
		id = strconv.FormatInt(j.Seq, 10)
	}
	args := j.Args
	if args == nil {
		args = []string{}
	}
	rec := &Record{
		Seq:        j.Seq,
		ID:         id,
		Args:       args,
		Command:    d.Command.String(),
		ExitCode:   res.ExitCode,
		Signal:     exec.SignalName(res.Signal),
		TimedOut:   res.TimedOut,
		Attempts:   d.Attempts,
		Worker:     d.Slot,
		Host:       d.Host,
		StartedAt:  res.Start.UTC().Truncate(time.Millisecond),
		DurationMS: float64(res.Duration.Microseconds()) / 1000,
		BytesIn:    d.Sent,
	}
	if rec.Host == "" {
		rec.Host = "localhost"
	}
	if !utf8.ValidString(rec.Command) {
		rec.CommandB64 = base64.StdEncoding.EncodeToString([]byte(rec.Command))
	}
	for _, a := range args {
		if !utf8.ValidString(a) {
			for _, a := range args {
				rec.ArgsB64 = append(rec.ArgsB64, base64.StdEncoding.EncodeToString([]byte(a)))
			}
			break
		}
	}
	if j.Err != nil {
		rec.Error = j.Err.Error()
	} else if res.Err != nil {
		rec.Error = res.Err.Error()
	}
	return rec
}

// writeJSON writes rec as one JSON line, with the job's stdout and stderr
// as strings ("stdout", "stderr") when they are UTF-8, or base64
// ("stdout_b64", "stderr_b64") when not. Output is streamed from the
// buffers, never loaded whole: a job's output may be larger than memory.
func writeJSON(w io.Writer, rec *Record, stdout, stderr rereader) error {
	head, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head[:len(head)-1]) // without the closing brace
	for i, r := range []rereader{stdout, stderr} {
		name := [2]string{"stdout", "stderr"}[i]
		if err := writeOutputField(bw, name, r); err != nil {
			return err
		}
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// A rereader is output that can be read from the start again (exec.Buffer
// is one); the first pass checks UTF-8, the second encodes.
type rereader interface {
	Reader() io.Reader
}

func writeOutputField(bw *bufio.Writer, name string, r rereader) error {
	if r == nil {
		bw.WriteString(`,"` + name + `":""`)
		return nil
	}
	valid, err := validUTF8(r.Reader())
	if err != nil {
		return err
	}
	if valid {
		bw.WriteString(`,"` + name + `":"`)
		if err := escapeJSON(bw, r.Reader()); err != nil {
			return err
		}
		bw.WriteByte('"')
		return nil
	}
	bw.WriteString(`,"` + name + `_b64":"`)
	enc := base64.NewEncoder(base64.StdEncoding, bw)
	if _, err := io.Copy(enc, r.Reader()); err != nil {
		return err
	}
	enc.Close()
	bw.WriteByte('"')
	return nil
}

// validUTF8 reports whether everything r yields is valid UTF-8, reading in
// chunks and carrying an incomplete rune across chunk boundaries.
func validUTF8(r io.Reader) (bool, error) {
	buf := make([]byte, 32<<10)
	carry := 0
	for {
		n, err := r.Read(buf[carry:])
		n += carry
		data := buf[:n]
		// Hold back a trailing incomplete rune for the next read.
		cut := len(data)
		for k := 1; k <= utf8.UTFMax && k <= len(data); k++ {
			if utf8.RuneStart(data[len(data)-k]) {
				if !utf8.FullRune(data[len(data)-k:]) {
					cut = len(data) - k
				}
				break
			}
		}
		if err == io.EOF {
			return utf8.Valid(data), nil
		}
		if err != nil {
			return false, err
		}
		if !utf8.Valid(data[:cut]) {
			return false, nil
		}
		carry = copy(buf, data[cut:])
	}
}

// escapeJSON writes r's bytes (valid UTF-8) as the inside of a JSON string.
func escapeJSON(bw *bufio.Writer, r io.Reader) error {
	br := bufio.NewReaderSize(r, 32<<10)
	for {
		c, _, err := br.ReadRune()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case c == '"':
			bw.WriteString(`\"`)
		case c == '\\':
			bw.WriteString(`\\`)
		case c == '\n':
			bw.WriteString(`\n`)
		case c == '\r':
			bw.WriteString(`\r`)
		case c == '\t':
			bw.WriteString(`\t`)
		case c < 0x20, c == 0x2028, c == 0x2029:
			bw.WriteString(`\u`)
			const hex = "0123456789abcdef"
			bw.WriteByte(hex[c>>12&0xf])
			bw.WriteByte(hex[c>>8&0xf])
			bw.WriteByte(hex[c>>4&0xf])
			bw.WriteByte(hex[c&0xf])
		default:
			bw.WriteRune(c)
		}
	}
}
