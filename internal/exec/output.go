//go:build unix

package exec

import (
	"io"
	"os"
	osexec "os/exec"
	"time"
)

// A Filer is an output writer that stands for a file: a job run here
// writes to the file itself, with no copy through parrun.
type Filer interface {
	File() *os.File
}

// outputs are the output streams of one job being run: an *os.File goes to
// the job as it is; any other writer is fed from a pipe by a copy
// goroutine that the outputs own, and that drain waits for.
type outputs struct {
	copies []copier
	done   chan struct{} // a copier says it is done
	errs   [2]error      // the first error writing stdout, stderr
}

// copier is one piped stream: the read end parrun copies from, the write
// end the job writes to, and where the bytes go.
type copier struct {
	stream int // 0 stdout, 1 stderr
	w      io.Writer
	r, pw  *os.File
}

// newOutputs connects stdout and stderr (nil: /dev/null) to cmd.
func newOutputs(cmd *osexec.Cmd, stdout, stderr io.Writer) (*outputs, error) {
	o := &outputs{done: make(chan struct{}, 2)}
	for i, w := range []io.Writer{stdout, stderr} {
		target := &cmd.Stdout
		if i == 1 {
			target = &cmd.Stderr
		}
		if w == nil {
			continue // os/exec hands the job /dev/null
		}
		if f, ok := w.(*os.File); ok {
			*target = f
			continue
		}
		if f, ok := w.(Filer); ok {
			*target = f.File()
			continue
		}
		pr, pw, err := outputPipe()
		if err != nil {
			o.closeAll()
			return nil, err
		}
		*target = pw
		o.copies = append(o.copies, copier{stream: i, w: w, r: pr, pw: pw})
	}
	return o, nil
}

// started is called after cmd.Start: the write ends belong to the child
// now. When it started, the copies begin; otherwise the read ends close.
func (o *outputs) started(ok bool) {
	for _, c := range o.copies {
		c.pw.Close()
	}
	if !ok {
		o.closeReads()
		o.copies = nil
		return
	}
	for _, c := range o.copies {
		go func() {
			defer func() { o.done <- struct{}{} }()
			_, o.errs[c.stream] = io.Copy(c.w, c.r)
			if o.errs[c.stream] != nil {
				// Keep draining so the job is not blocked on a full pipe;
				// the error is reported with its result.
				io.Copy(io.Discard, c.r)
			}
		}()
	}
}

// drain waits for the copies to reach the end of their pipes, after the
// job's leader has exited. A process the job left behind (cmd &) may still
// hold them: it gets waitDelay (0: DefaultKillAfter) to finish writing,
// then parrun stops reading: the job has ended, and a daemon must not hold
// a worker forever (STYLE habit 3, as os/exec's WaitDelay). That is not a
// failure of the job. When stop is closed (the run is being stopped), it
// stops reading at once. drain returns when every copy goroutine has
// exited.
func (o *outputs) drain(waitDelay time.Duration, stop <-chan struct{}) {
	n := len(o.copies)
	var giveUp <-chan time.Time
	for n > 0 {
		select {
		case <-o.done:
			n--
			continue
		default:
		}
		if giveUp == nil {
			if waitDelay <= 0 {
				waitDelay = DefaultKillAfter
			}
			t := time.NewTimer(waitDelay)
			defer t.Stop()
			giveUp = t.C
		}
		select {
		case <-o.done:
			n--
		case <-giveUp:
			o.closeReads()
		case <-stop:
			stop = nil
			o.closeReads()
		}
	}
	o.closeReads()
}

func (o *outputs) closeReads() {
	for _, c := range o.copies {
		c.r.Close()
	}
}

func (o *outputs) closeAll() {
	for _, c := range o.copies {
		c.r.Close()
		c.pw.Close()
	}
}
