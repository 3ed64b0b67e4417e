package sched

import (
	"context"
	"testing"
)

func TestFreeSlotsLowestFirst(t *testing.T) {
	f := newFreeSlots(4)
	ctx := context.Background()
	take := func() int {
		t.Helper()
		s, ok := f.take(ctx)
		if !ok {
			t.Fatal("take: no slot")
		}
		return s
	}
	for want := 1; want <= 4; want++ {
		if got := take(); got != want {
			t.Fatalf("take = %d, want %d", got, want)
		}
	}
	if s, ok := f.tryTake(); ok {
		t.Fatalf("tryTake with none free = %d", s)
	}
	f.put(3)
	f.put(1)
	if got := take(); got != 1 {
		t.Fatalf("after put 3, 1: take = %d, want 1", got)
	}
	f.put(4)
	if !f.retireHighest() {
		t.Fatal("retireHighest with 3 and 4 free: nothing retired")
	}
	if got := take(); got != 3 {
		t.Fatalf("after retiring the highest of 3, 4: take = %d, want 3", got)
	}
	if f.retireHighest() {
		t.Fatal("retireHighest with none free retired one")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if s, ok := f.take(cctx); ok {
		t.Fatalf("take on a done context with none free = %d", s)
	}
}
