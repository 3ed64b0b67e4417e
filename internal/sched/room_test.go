package sched

import (
	"strings"
	"testing"
)

func TestFitRoom(t *testing.T) {
	tests := []struct {
		name        string
		opts        Options
		room        int
		slots, conc int
		notice      bool
	}{
		{"thread fits", Options{Mode: ModeThread, Slots: 4}, 100, 4, 0, false},
		{"thread lowered", Options{Mode: ModeThread, Slots: 32}, 36, 12, 0, true},
		{"coroutine lowered", Options{Mode: ModeCoroutine, Slots: 32, Concurrency: 32}, 36, 3, 12, true},
		{"process lowered", Options{Mode: ModeProcess, Slots: 32}, 36, 2, 0, true},
		{"never below one", Options{Mode: ModeProcess, Slots: 8}, 3, 1, 0, true},
	}
	for _, tt := range tests {
		o := tt.opts
		note := o.FitRoom(tt.room)
		if o.Slots != tt.slots || (tt.conc > 0 && o.Concurrency != tt.conc) {
			t.Errorf("%s: slots %d, concurrency %d; want %d, %d", tt.name, o.Slots, o.Concurrency, tt.slots, tt.conc)
		}
		if (note != "") != tt.notice || (note != "" && !strings.Contains(note, "process limit")) {
			t.Errorf("%s: notice %q", tt.name, note)
		}
	}
}
