package input

import (
	"errors"
	"unsafe"

	"github.com/parrun/parrun/internal/job"
	"github.com/parrun/parrun/internal/pipe"
)

// checkPipe refuses what --pipe cannot read: it cuts standard input, and
// its blocks are no records to split or number. GNU 20221122 ignores -a,
// :::: and ::: under --pipe and reads stdin all the same; parrun says so.
func (cfg *Config) checkPipe() error {
	switch {
	case len(cfg.Sources) > 0:
		return errors.New("--pipe cuts standard input into blocks: give the input on stdin (< FILE), not as -a, :::: or ::: (GNU ignores them)")
	case cfg.JSONL, cfg.CSV, cfg.Colsep != nil, cfg.Shuffle, cfg.Fit != nil:
		return errors.New("--pipe sends blocks to the jobs' stdin: not with --jsonl, --csv, --colsep, --shuf, -m, -X or --xargs")
	}
	return nil
}

// openPipe starts cutting standard input into blocks.
func (r *Reader) openPipe() (err error) {
	r.blocks, err = pipe.New(r.cfg.Stdin, r.cfg.Pipe)
	return err
}

// nextBlock is the job of the next block: its data is the job's stdin,
// {#} its number.
func (r *Reader) nextBlock() (*job.Job, error) {
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
