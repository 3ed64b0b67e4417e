package sched

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/parrun/parrun/internal/job"
)

// fifoPoll is how often a --fifo writer looks for the job opening its
// named pipe: a writer cannot wait for a reader without blocking a thread
// that nothing could then wake.
const fifoPoll = 2 * time.Millisecond

// blockFile makes a --cat or --fifo job's block the file its command
// names ({}) for one attempt: a temporary file holding it, or a named
// pipe a goroutine writes it into once the job opens it. done removes the
// file after the attempt, on every path; for --fifo it first stops the
// writer and waits for it, whether or not the job read the block.
func blockFile(j *job.Job) (done func(), err error) {
	data, err := j.StdinText()
	if err != nil {
		return nil, err
	}
	path := j.Whole[0]
	if j.StdinAs == "cat" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("--cat: %w", err)
		}
		_, werr := io.WriteString(f, data)
		if err := errors.Join(werr, f.Close()); err != nil {
			os.Remove(path)
			return nil, fmt.Errorf("--cat: writing %s: %w", path, err)
		}
		return func() { os.Remove(path) }, nil
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		return nil, fmt.Errorf("--fifo: %s: %w", path, err)
	}
	w := &fifoWriter{stop: make(chan struct{})}
	w.wg.Go(func() { w.write(path, data) })
	return func() {
		w.close()
		w.wg.Wait()
		os.Remove(path)
	}, nil
}

// A fifoWriter writes one block into a named pipe.
type fifoWriter struct {
	wg   sync.WaitGroup
	stop chan struct{}
	mu   sync.Mutex
	f    *os.File // open once the job has opened its end
	done bool
}

// write waits for the job to open the pipe, then writes data; a job that
// stops reading gets EPIPE on its side, one that never opens it close.
func (w *fifoWriter) write(path, data string) {
	poll := time.NewTicker(fifoPoll)
	defer poll.Stop()
	for {
		// Non-blocking: ENXIO until a reader has the pipe open; the file
		// is then the runtime poller's, so close can cut a blocked write.
		f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			w.mu.Lock()
			if w.done {
				w.mu.Unlock()
				f.Close()
				return
			}
			w.f = f
			w.mu.Unlock()
			io.WriteString(f, data) // an error is the job's: it did not read its block
			w.close()
			return
		}
		if !errors.Is(err, syscall.ENXIO) {
			return
		}
		select {
		case <-w.stop:
			return
		case <-poll.C:
		}
	}
}

// close stops the writer: closes the pipe if open, else stops the wait.
func (w *fifoWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return
	}
	w.done = true
	close(w.stop)
	if w.f != nil {
		w.f.Close()
	}
}
