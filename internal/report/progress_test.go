package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestBarClearErasesWholeLine: whatever the bar drew, clearing it erases
// the whole line (not only the columns progressbar counted), and only
// when a frame is on the screen; finish leaves the erase last.
func TestBarClearErasesWholeLine(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps func(b *barDisplay, c *counts)
		want  int // erase-line sequences written
	}{
		{"never drawn", func(b *barDisplay, c *counts) { b.clear() }, 0},
		{"drawn once", func(b *barDisplay, c *counts) { b.draw(); b.clear(); b.clear() }, 1},
		{"total learned late", func(b *barDisplay, c *counts) {
			b.draw()
			c.done = 2
			b.draw()
			c.total = 2
			b.finish()
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			c := &counts{total: -1, start: time.Now()}
			b := newBar(&out, c)
			tc.steps(b, c)
			got := out.String()
			if n := strings.Count(got, eraseLine); n != tc.want {
				t.Errorf("%d erase-line sequences; want %d in %q", n, tc.want, got)
			}
			if tc.want > 0 && !strings.HasSuffix(got, eraseLine) {
				t.Errorf("output does not end with the erase: %q", got)
			}
		})
	}
}
