package report

import (
	"bytes"
	"io"
)

// newLineWriter returns a writer that emits whole lines to w under the
// output lock, each with prefix, keeping a partial line until it is
// completed (or flushed when the job ends). A partial line longer than the
// buffer size is written as it is, so memory stays bounded.
func (r *Report) newLineWriter(w io.Writer, prefix string) *lineWriter {
	return &lineWriter{r: r, w: w, prefix: prefix, limit: r.opts.BufferSize}
}

// lineWriter is fed by one goroutine (the job's output copy); mu guards
// only the shared destination.
type lineWriter struct {
	r       *Report // whose output lock to take; nil when the caller holds it
	w       io.Writer
	prefix  string
	limit   int
	partial []byte
	out     []byte
	// mid is set when what was last written ended inside a line (a long
	// line written in pieces): its rest gets no second prefix.
	mid bool
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	i := bytes.LastIndexByte(p, '\n')
	if i < 0 {
		l.partial = append(l.partial, p...)
		if l.limit > 0 && len(l.partial) > l.limit {
			return n, l.emit(true)
		}
		return n, nil
	}
	l.partial = append(l.partial, p[:i+1]...)
	rest := p[i+1:]
	err := l.emit(false)
	l.partial = append(l.partial[:0], rest...)
	return n, err
}

// emit writes the buffered complete lines (all of partial when all is set).
func (l *lineWriter) emit(all bool) error {
	data := l.partial
	if len(data) == 0 {
		return nil
	}
	l.out = l.out[:0]
	for len(data) > 0 {
		j := bytes.IndexByte(data, '\n')
		line := data
		if j >= 0 {
			line = data[:j+1]
		} else if !all {
			break
		}
		if !l.mid {
			l.out = append(l.out, l.prefix...)
		}
		l.out = append(l.out, line...)
		l.mid = line[len(line)-1] != '\n'
		data = data[len(line):]
	}
	l.partial = l.partial[:0]
	if l.r != nil {
		l.r.lock()
		defer l.r.unlock()
	}
	_, err := l.w.Write(l.out)
	if err != nil && l.r != nil {
		l.r.stop(err)
	}
	return err
}

// flush writes a final partial line.
func (l *lineWriter) flush() error {
	return l.emit(true)
}
