package input

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"unsafe"

	"github.com/parrun/parrun/internal/job"
	"github.com/parrun/parrun/internal/pipe"
)

// checkPipe refuses what --pipe cannot read: it cuts standard input, and
// its blocks are no records to split or number. GNU 20221122 ignores -a,
// :::: and ::: under --pipe and reads stdin all the same; parrun says so.
func (cfg *Config) checkPipe() error {
	switch {
	case cfg.Pipe.Cat && cfg.Pipe.Fifo:
		return errors.New("--cat and --fifo both say how a block reaches its job: give one")
	case cfg.Pipe.RoundRobin && (cfg.Pipe.Cat || cfg.Pipe.Fifo):
		return errors.New("--round-robin streams blocks to its jobs' stdin: not with --cat or --fifo")
	case cfg.Pipe.Part:
		return cfg.checkPipePart()
	}
	switch {
	case len(cfg.Sources) > 0:
		return errors.New("--pipe cuts standard input into blocks: give the input on stdin (< FILE), not as -a, :::: or ::: (GNU ignores them)")
	case cfg.JSONL, cfg.CSV, cfg.Colsep != nil, cfg.Shuffle, cfg.Fit != nil:
		return errors.New("--pipe sends blocks to the jobs' stdin: not with --jsonl, --csv, --colsep, --shuf, -m, -X or --xargs")
	}
	return nil
}

// checkPipePart refuses what --pipe-part cannot cut: anything but files
// that can be read at any offset, given with -a or ::::.
func (cfg *Config) checkPipePart() error {
	if len(cfg.Sources) == 0 || !cfg.Pipe.Simple() {
		return errors.New("--pipe-part cuts files given with -a FILE, by --block size: not yet with -N, -L, --regexp or --header")
	}
	for _, s := range cfg.Sources {
		fi, err := os.Stat(s.File)
		if !s.IsFile || s.File == "-" || err != nil || !fi.Mode().IsRegular() {
			return fmt.Errorf("--pipe-part only cuts regular files (GNU: seekable files), not %q", cmp.Or(s.File, "::: values"))
		}
	}
	return nil
}

// openParts cuts each -a file into --pipe-part's ranges, numbered on from
// one file to the next.
func (r *Reader) openParts() error {
	var total int64
	for _, s := range r.cfg.Sources {
		if fi, err := os.Stat(s.File); err == nil {
			total += fi.Size()
		}
	}
	o := r.cfg.Pipe
	o.Block, o.RoundRobin = o.PartBlock(total), false
	for _, s := range r.cfg.Sources {
		f, err := r.open(s.File)
		if err != nil {
			return err
		}
		fi, err := f.(*os.File).Stat()
		if err != nil {
			return fmt.Errorf("--pipe-part: %w", err)
		}
		rs, err := pipe.Parts(f.(*os.File), fi.Size(), o)
		if err != nil {
			return err
		}
		for _, rg := range rs {
			r.seq++
			r.parts = append(r.parts, &job.Job{Seq: r.seq, Line: r.seq, HasStdin: true, StdinAt: f.(*os.File), StdinOff: rg.Off, StdinLen: rg.Len})
		}
	}
	return nil
}

// openPipe starts cutting standard input into blocks: where it lies in
// a regular file, in place (the jobs read their blocks from the file).
func (r *Reader) openPipe() (err error) {
	if r.cfg.Pipe.Part {
		return r.openParts()
	}
	if r.cfg.Pipe.RoundRobin {
		sp, err := pipe.New(r.cfg.Stdin, r.cfg.Pipe)
		r.feed = newFeed(sp)
		return err
	}
	if f, ok := r.cfg.Stdin.(*os.File); ok && r.cfg.Pipe.Simple() {
		fi, serr := f.Stat()
		at, oerr := f.Seek(0, io.SeekCurrent)
		if serr == nil && oerr == nil && fi.Mode().IsRegular() {
			r.ranges, err = pipe.NewFile(f, at, fi.Size()-at, r.cfg.Pipe)
			r.file = f
			return err
		}
	}
	in := r.cfg.Stdin
	if r.cfg.Pipe.BlockTimeout > 0 {
		if in, err = r.pollable(in); err != nil {
			return err
		}
	}
	r.blocks, err = pipe.New(in, r.cfg.Pipe)
	return err
}

// pollable returns stdin as a file that takes read deadlines, for
// --block-timeout: when it is a pipe, a descriptor of its own, non-blocking
// (which the pipe's other users do not see: its read end is parrun's
// alone), made blocking again by Close.
func (r *Reader) pollable(in io.Reader) (io.Reader, error) {
	f, ok := in.(*os.File)
	if !ok {
		return in, nil // a reader of a test: no deadlines, no time-out
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return nil, errors.New("--block-timeout needs stdin to be a pipe (tail -f FILE | parrun --pipe …)")
	}
	fd, err := syscall.Dup(int(f.Fd()))
	if err == nil {
		err = syscall.SetNonblock(fd, true)
	}
	if err != nil {
		return nil, fmt.Errorf("--block-timeout: %w", err)
	}
	nb := os.NewFile(uintptr(fd), f.Name())
	r.closer = append(r.closer, closerFunc(func() error {
		defer syscall.SetNonblock(fd, false)
		return nb.Close()
	}))
	return nb, nil
}

type closerFunc func() error

func (c closerFunc) Close() error { return c() }

// nextBlock is the job of the next block: its data is the job's stdin
// (or under --cat and --fifo a file named {}), {#} its number.
func (r *Reader) nextBlock() (*job.Job, error) {
	j, err := r.nextBlock1()
	if err == nil && (r.cfg.Pipe.Cat || r.cfg.Pipe.Fifo) {
		j.StdinAs = "fifo"
		if r.cfg.Pipe.Cat {
			j.StdinAs = "cat"
		}
		name := filepath.Join(cmp.Or(r.cfg.Pipe.TmpDir, os.TempDir()), fmt.Sprintf("parrun-%d-%d.%s", os.Getpid(), j.Seq, j.StdinAs))
		j.Whole, j.Args = []string{name}, []string{name}
	}
	return j, err
}

func (r *Reader) nextBlock1() (*job.Job, error) {
	if r.feed != nil {
		return r.nextFeedJob()
	}
	if r.cfg.Pipe.Part {
		if len(r.parts) == 0 {
			return nil, io.EOF
		}
		j := r.parts[0]
		r.parts = r.parts[1:]
		return j, nil
	}
	if r.ranges != nil {
		b, err := r.ranges.Next()
		if err != nil {
			return nil, err
		}
		return &job.Job{Seq: b.Seq, Line: b.Seq, HasStdin: true, StdinAt: r.file, StdinOff: b.Off, StdinLen: b.Len}, nil
	}
	b, err := r.blocks.Next()
	if err != nil {
		return nil, err
	}
	// The block's bytes are never written again (pipe.Splitter), so the
	// string can share them rather than copy a block of megabytes.
	// The job gives the bytes back (Release) when it is done with them.
	return &job.Job{Seq: b.Seq, Line: b.Seq, Stdin: unsafe.String(unsafe.SliceData(b.Data), len(b.Data)), HasStdin: true,
		Release: b.Release}, nil
}

// A feed is --round-robin's cutter, shared by the jobs: each job's stdin
// takes the next block from it once it has passed on the one it has, in
// the order they ask (a ticket queue), so that jobs free at once take
// turns, as GNU deals blocks around its jobs.
type feed struct {
	mu               sync.Mutex
	turn             *sync.Cond
	tickets, serving uint64
	sp               *pipe.Splitter
}

func newFeed(sp *pipe.Splitter) *feed {
	f := &feed{sp: sp}
	f.turn = sync.NewCond(&f.mu)
	return f
}

func (f *feed) next() (pipe.Block, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.tickets
	f.tickets++
	for t != f.serving {
		f.turn.Wait()
	}
	defer f.turn.Broadcast()
	f.serving++
	return f.sp.Next()
}

// feedStdin is one --round-robin job's stdin.
type feedStdin struct {
	f    *feed
	cur  pipe.Block
	rest []byte
}

func (s *feedStdin) Read(p []byte) (int, error) {
	for len(s.rest) == 0 {
		s.cur.Release()
		b, err := s.f.next()
		if err != nil {
			s.cur = pipe.Block{}
			return 0, err
		}
		s.cur, s.rest = b, b.Data
	}
	n := copy(p, s.rest)
	s.rest = s.rest[n:]
	return n, nil
}

// nextFeedJob starts the next --round-robin job: one a block for the
// first Jobs blocks, which are cut before any job runs, so that fewer
// blocks make fewer jobs whatever the timing, as in GNU.
func (r *Reader) nextFeedJob() (*job.Job, error) {
	if r.seq == 0 {
		for range max(r.cfg.Pipe.Jobs, 1) {
			b, err := r.feed.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			r.firstBlocks = append(r.firstBlocks, b)
		}
	}
	if len(r.firstBlocks) == 0 {
		return nil, io.EOF
	}
	b := r.firstBlocks[0]
	r.firstBlocks = r.firstBlocks[1:]
	r.seq++
	if h := r.feed.sp.Header(); len(h) > 0 { // the header once a job, as GNU's --round-robin
		b.Data = append(slices.Clip(h), b.Data...)
	}
	return &job.Job{Seq: r.seq, Line: r.seq, HasStdin: true, StdinStream: &feedStdin{f: r.feed, cur: b, rest: b.Data}}, nil
}
