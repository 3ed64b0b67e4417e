package sched

import (
	"container/heap"
	"context"
	"sync"

	"github.com/parrun/parrun/internal/job"
)

// Order is the order jobs leave the read-ahead window (--order, SPEC §3).
type Order string

// The orders.
const (
	OrderFIFO     Order = "fifo"
	OrderLIFO     Order = "lifo"
	OrderPriority Order = "priority"
)

// ParseOrder checks an --order value; "" is OrderFIFO.
func ParseOrder(s string) (Order, error) {
	return parseChoice("--order", s, OrderFIFO, OrderLIFO, OrderPriority)
}

// queue is the bounded read-ahead window between the input reader and the
// dispatcher: a heap ordered by the run's --order, holding at most size
// jobs (size 0: unbounded, and nothing is popped until input has ended).
// A full queue blocks the reader: that is the back-pressure that keeps
// memory flat however long the input is (SPEC §1).
//
// One goroutine pushes and one pops. Cancelling ctx releases both.
type queue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	h       jobHeap
	size    int
	closed  bool
	stopped bool // ctx is done
	stop    func() bool
}

func newQueue(ctx context.Context, order Order, size int) *queue {
	q := &queue{size: size}
	q.cond = sync.NewCond(&q.mu)
	switch order {
	case OrderLIFO:
		q.h.less = func(a, b *job.Job) bool { return a.Seq > b.Seq }
	case OrderPriority:
		q.h.less = func(a, b *job.Job) bool {
			if a.Priority != b.Priority {
				return a.Priority < b.Priority
			}
			return a.Seq < b.Seq // ties in input order
		}
	default:
		q.h.less = func(a, b *job.Job) bool { return a.Seq < b.Seq }
	}
	q.stop = context.AfterFunc(ctx, func() {
		q.mu.Lock()
		q.stopped = true
		q.mu.Unlock()
		q.cond.Broadcast()
	})
	return q
}

// release detaches the queue from its context. Call it when done.
func (q *queue) release() { q.stop() }

// push adds j, waiting while the queue is full. It returns false when the
// run was cancelled.
func (q *queue) push(j *job.Job) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.size > 0 && q.h.Len() >= q.size && !q.stopped {
		q.cond.Wait()
	}
	if q.stopped {
		return false
	}
	heap.Push(&q.h, j)
	q.cond.Broadcast()
	return true
}

// close says no more jobs will be pushed.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

// pop removes the next job in order, waiting for one. It returns false when
// the input has ended and the queue is empty, or the run was cancelled.
func (q *queue) pop() (*job.Job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for !q.stopped && (q.h.Len() == 0 || (q.size == 0 && !q.closed)) {
		if q.closed && q.h.Len() == 0 {
			return nil, false
		}
		q.cond.Wait()
	}
	if q.stopped {
		return nil, false
	}
	j := heap.Pop(&q.h).(*job.Job)
	q.cond.Broadcast()
	return j, true
}

// jobHeap is a container/heap of jobs under a less function.
type jobHeap struct {
	items []*job.Job
	less  func(a, b *job.Job) bool
}

func (h *jobHeap) Len() int           { return len(h.items) }
func (h *jobHeap) Less(i, k int) bool { return h.less(h.items[i], h.items[k]) }
func (h *jobHeap) Swap(i, k int)      { h.items[i], h.items[k] = h.items[k], h.items[i] }
func (h *jobHeap) Push(x any)         { h.items = append(h.items, x.(*job.Job)) }
func (h *jobHeap) Pop() any {
	n := len(h.items) - 1
	j := h.items[n]
	h.items[n] = nil
	h.items = h.items[:n]
	return j
}

// take removes the job with sequence number seq if it is queued.
func (q *queue) take(seq int64) (*job.Job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, j := range q.h.items {
		if j.Seq == seq {
			heap.Remove(&q.h, i)
			q.cond.Broadcast()
			return j, true
		}
	}
	return nil, false
}

// window bounds how many jobs may run ahead of the oldest unreported one
// when results are put back in input order (-k with lifo or priority), so
// that finished results held for reordering stay O(workers). When the
// window is full, the job the output waits for goes next if it is queued,
// whatever the order says; otherwise the dispatcher waits for the writer.
type window struct {
	ctx  context.Context
	size int64

	mu       sync.Mutex
	next     int64          // oldest unreported sequence number
	ahead    map[int64]bool // dispatched, not yet reported
	progress chan struct{}  // signalled when next moves
}

func newWindow(ctx context.Context, size int) *window {
	return &window{ctx: ctx, size: int64(size), next: 1, ahead: map[int64]bool{}, progress: make(chan struct{}, 1)}
}

// pop returns the next job to dispatch, waiting while the window is full.
func (w *window) pop(q *queue) (*job.Job, bool) {
	for {
		w.mu.Lock()
		full := int64(len(w.ahead)) >= w.size
		next := w.next
		w.mu.Unlock()
		if !full {
			j, ok := q.pop()
			if ok {
				w.dispatched(j.Seq)
			}
			return j, ok
		}
		if j, ok := q.take(next); ok {
			w.dispatched(j.Seq)
			return j, true
		}
		select {
		case <-w.progress:
		case <-w.ctx.Done():
			return nil, false
		}
	}
}

func (w *window) dispatched(seq int64) {
	w.mu.Lock()
	w.ahead[seq] = true
	w.mu.Unlock()
}

// advance records that every job before next has been reported.
func (w *window) advance(next int64) {
	w.mu.Lock()
	for s := range w.ahead {
		if s < next {
			delete(w.ahead, s)
		}
	}
	moved := next != w.next
	w.next = next
	w.mu.Unlock()
	if moved {
		select {
		case w.progress <- struct{}{}:
		default:
		}
	}
}
