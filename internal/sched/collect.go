package sched

import (
	"maps"
	"slices"
	"sync"

	"github.com/parrun/parrun/internal/job"
)

// A collector hands results to the sink, from one goroutine of its own so
// that the sink needs no lock, in one of three orders:
//
//   - asFinished: as jobs finish (no -k);
//   - fifoSlots: -k with --order fifo. The dispatcher queues a 1-buffered
//     slot per job, in input order, and the collector drains them in that
//     order; the slots channel's capacity bounds how far the dispatcher
//     runs ahead of the oldest unfinished job: O(parallel) memory (STYLE
//     habit 14);
//   - reordered: -k with --order lifo|priority. Jobs start out of input
//     order, so results are held by sequence number until every earlier
//     one is in; a window (queue.go) bounds how far ahead jobs start.
//
// The dispatcher calls pop and reserve, in dispatch order; the runners
// call deliver; the reader calls skipped. close is called once, after all
// of them are done, and returns when every result has been handed on.
type collector interface {
	// pop returns the next job to dispatch from q.
	pop(q *queue) (*job.Job, bool)
	// reserve gives a job about to be dispatched its place in the results.
	reserve(j *job.Job) item
	// deliver hands on the job's result; nil for a job that never started.
	deliver(it item, d *job.Done)
	// skipped says that --resume skipped j: it will have no result.
	skipped(j *job.Job)
	close()
}

// item is one job on its way from the dispatcher through a pool, with its
// place in the results.
type item struct {
	j *job.Job
	s slot // fifoSlots only
	// admitted: the job holds a place in the run's admission, given back
	// when it finishes.
	admitted bool
}

// slot is where a job's result lands: a 1-buffered channel, queued in input
// order for the fifoSlots collector.
type slot chan *job.Done

// newCollector returns the run's collector, its goroutine started.
func newCollector(r *run) collector {
	fifo := r.opts.Order == "" || r.opts.Order == OrderFIFO
	switch {
	case r.opts.KeepOrder && fifo:
		c := &fifoSlots{slots: make(chan slot, 2*r.parallel()+1)}
		c.wg.Go(func() {
			for s := range c.slots {
				r.done(<-s)
			}
		})
		return c
	case r.opts.KeepOrder:
		// As many as fifoSlots allow: the slot the writer waits on plus
		// the 2×parallel+1 queued behind it.
		c := &reordered{asFinished: asFinished{results: make(chan *job.Done, r.opts.Slots)}, win: newWindow(r.startCtx, 2*r.parallel()+2)}
		c.wg.Go(func() { c.drain(r) })
		return c
	}
	c := &asFinished{results: make(chan *job.Done, r.opts.Slots)}
	c.wg.Go(func() {
		for d := range c.results {
			r.done(d)
		}
	})
	return c
}

// asFinished hands results on as jobs finish.
type asFinished struct {
	results chan *job.Done
	wg      sync.WaitGroup
}

func (c *asFinished) pop(q *queue) (*job.Job, bool) { return q.pop() }
func (c *asFinished) reserve(j *job.Job) item       { return item{j: j} }
func (c *asFinished) skipped(*job.Job)              {}
func (c *asFinished) close()                        { close(c.results); c.wg.Wait() }

func (c *asFinished) deliver(_ item, d *job.Done) {
	if d != nil {
		c.results <- d
	}
}

// fifoSlots hands results on in input order through per-job slots.
type fifoSlots struct {
	slots chan slot
	wg    sync.WaitGroup
}

func (c *fifoSlots) pop(q *queue) (*job.Job, bool) { return q.pop() }
func (c *fifoSlots) skipped(*job.Job)              {}
func (c *fifoSlots) close()                        { close(c.slots); c.wg.Wait() }

// reserve queues the job's slot; it blocks while the collector is
// 2×parallel+1 jobs behind: that is the back-pressure of -k.
func (c *fifoSlots) reserve(j *job.Job) item {
	s := make(slot, 1)
	c.slots <- s
	return item{j: j, s: s}
}

// deliver fills the job's slot; nil releases it empty.
func (c *fifoSlots) deliver(it item, d *job.Done) { it.s <- d }

// reordered puts results back in input order when jobs start out of it.
type reordered struct {
	asFinished
	win *window
}

func (c *reordered) pop(q *queue) (*job.Job, bool) { return c.win.pop(q) }

// skipped sends a placeholder (a Done without a Result) for a job --resume
// skipped: sequence numbers are contiguous, and the writer must not wait
// for a result that will never come.
func (c *reordered) skipped(j *job.Job) { c.results <- &job.Done{Job: j} }

// drain hands results to the sink in input order: a result waits until
// every job before it has been reported. The window keeps the number of
// jobs started ahead of the oldest unreported one bounded, so memory stays
// O(parallel).
func (c *reordered) drain(r *run) {
	next := int64(1)
	held := map[int64]*job.Done{}
	for d := range c.results {
		held[d.Job.Seq] = d
		for h, ok := held[next]; ok; h, ok = held[next] {
			delete(held, next)
			r.done(h)
			next++
		}
		c.win.advance(next)
	}
	// A stopped run leaves gaps (jobs that never started): report what
	// finished, in order.
	for _, k := range slices.Sorted(maps.Keys(held)) {
		r.done(held[k])
	}
}
