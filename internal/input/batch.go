package input

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/parrun/parrun/internal/job"
)

// A Fitter measures one job's command line as records join it (Config.Fit).
type Fitter interface {
	Add(vals []string) bool
}

// fill adds to j its first record and as many more as the job takes: -n's
// count, or under Fit as many as fit on its line (and, with Spread, no
// more than an even share). A bad record met on the way is kept for the
// next job, a failure of its own.
func (r *Reader) fill(j *job.Job, first rec) error {
	limit := r.cfg.MaxArgs
	var line Fitter
	if r.cfg.Fit != nil {
		share, err := r.share()
		if err != nil {
			return err
		}
		limit, line = share, r.cfg.Fit(j)
		line.Add(r.valuesOnly(first.vals))
	}
	r.addRecord(j, first.vals)
	for n := 1; n < limit; {
		more, err := r.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if more.err == nil && r.skip(more) {
			continue
		}
		if more.err != nil || (line != nil && !line.Add(r.valuesOnly(more.vals))) {
			r.pending = &more
			return nil
		}
		r.addRecord(j, more.vals)
		n++
	}
	return nil
}

// valuesOnly is values without its error: what a record puts on a line.
func (r *Reader) valuesOnly(vals []string) []string {
	v, _ := r.values(vals)
	return v
}

// share is how many records a job may take under Fit: any number, or
// with Spread an even share of the whole input, which it reads (once)
// into memory to count.
func (r *Reader) share() (int, error) {
	if r.cfg.Spread <= 1 {
		return math.MaxInt, nil
	}
	if r.spread == 0 {
		var recs []rec
		for {
			x, err := r.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return 0, err
			}
			recs = append(recs, x)
		}
		r.spread = max((len(recs)+1+r.cfg.Spread-1)/r.cfg.Spread, 1) // +1: the record in hand
		r.next = func() (rec, error) {
			if len(recs) == 0 {
				return rec{}, io.EOF
			}
			x := recs[0]
			recs = recs[1:]
			return x, nil
		}
	}
	return r.spread, nil
}

// DefaultMaxChars is -s's default: the longest single argument Linux
// takes (MAX_ARG_STRLEN, 128 KiB), the shell's -c line being one.
const DefaultMaxChars = 128 * 1024

// FillByLength makes a job take records while t's command line fits in
// maxChars bytes (0: DefaultMaxChars), as GNU's -m, -X and --xargs do,
// sharing them evenly among the slots when they fit in fewer jobs (-m,
// -X; not under xargs).
func (c *Config) FillByLength(t *job.Template, maxChars, slots int, xargs bool) error {
	switch {
	case maxChars != 0 && maxChars < 2:
		return fmt.Errorf("-s %d: must be at least 2", maxChars)
	case t == nil:
		return errors.New("-m, -X and --xargs need a command to put the records on")
	case c.JSONL || c.MaxArgs > 1 || c.NoValues:
		return errors.New("-m, -X and --xargs fill a job by length: not with --jsonl, -n, -N or -L")
	}
	if c.Spread = slots; xargs {
		c.Spread = 0
	}
	maxChars = cmp.Or(maxChars, DefaultMaxChars)
	c.Fit = func(j *job.Job) Fitter {
		return t.NewLine(maxChars, &job.Values{Seq: j.Seq, Slot: 1, ID: j.ID})
	}
	return nil
}
