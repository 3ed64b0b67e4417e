package sched

import (
	"container/heap"
	"context"
	"slices"
	"sync"
)

// freeSlots is the set of idle slot numbers, handed out lowest first: GNU
// parallel gives a starting job the lowest free slot, and users map {%}
// onto GPUs and ports, so the first job gets slot 1 and a run of one job
// at a time never leaves it (SPEC §2). tokens counts the slots in the set
// and is what take waits on; a slot is pushed before its token is sent and
// a token is received before a slot is popped, so a token always has a
// slot behind it.
type freeSlots struct {
	mu     sync.Mutex
	slots  intHeap
	tokens chan struct{}
}

// newFreeSlots returns the set 1..n, all free.
func newFreeSlots(n int) *freeSlots {
	f := &freeSlots{tokens: make(chan struct{}, n)}
	for s := 1; s <= n; s++ {
		f.put(s)
	}
	return f
}

// take waits for a free slot and returns the lowest; false once ctx is
// done first.
func (f *freeSlots) take(ctx context.Context) (int, bool) {
	select {
	case <-f.tokens:
		return f.pop(), true
	case <-ctx.Done():
		return 0, false
	}
}

// tryTake returns the lowest free slot, if one is free now.
func (f *freeSlots) tryTake() (int, bool) {
	select {
	case <-f.tokens:
		return f.pop(), true
	default:
		return 0, false
	}
}

// retireHighest takes the highest free slot out of the set for good, if
// one is free now, so that the slots left in use stay 1..k.
func (f *freeSlots) retireHighest() bool {
	select {
	case <-f.tokens:
	default:
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	heap.Remove(&f.slots, slices.Index(f.slots, slices.Max(f.slots)))
	return true
}

// put gives a slot back.
func (f *freeSlots) put(s int) {
	f.mu.Lock()
	heap.Push(&f.slots, s)
	f.mu.Unlock()
	f.tokens <- struct{}{}
}

func (f *freeSlots) pop() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return heap.Pop(&f.slots).(int)
}

// intHeap is a min-heap of slot numbers for container/heap.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
