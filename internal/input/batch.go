package input

import (
	"errors"
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
		line.Add(r.values(first.vals))
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
		if more.err != nil || (line != nil && !line.Add(r.values(more.vals))) {
			r.pending = &more
			return nil
		}
		r.addRecord(j, more.vals)
		n++
	}
	return nil
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
