package report

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
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

// TestFitFrame: a frame fits in one column less than the terminal's
// width, the bar narrowing first; without a width it is left whole.
func TestFitFrame(t *testing.T) {
	full := "\rjobs (2 failed)  50% |████████    | (2/4, 3 jobs/s) [1s:1s] "
	for _, tc := range []struct {
		frame string
		cols  int
		want  string
	}{
		{full, 0, "jobs (2 failed)  50% |████████    | (2/4, 3 jobs/s) [1s:1s]"},
		{full, 120, "jobs (2 failed)  50% |████████    | (2/4, 3 jobs/s) [1s:1s]"},
		{full, 55, "jobs (2 failed)  50% |████   | (2/4, 3 jobs/s) [1s:1s]"},
		{full, 40, "jobs (2 failed)  50% || (2/4, 3 jobs/s)"},
		{"\r| jobs (2/-, 1 jobs/s) [1s] ", 12, "| jobs (2/-"},
		{full, 1, ""},
	} {
		got := fitFrame(tc.frame, tc.cols)
		if got != tc.want {
			t.Errorf("fitFrame(%q, %d) = %q; want %q", tc.frame, tc.cols, got, tc.want)
		}
		if n := utf8.RuneCountInString(got); tc.cols > 0 && n >= tc.cols {
			t.Errorf("fitFrame(%q, %d): %d columns", tc.frame, tc.cols, n)
		}
	}
}

// TestBarLeavesCleanScreen plays what the bar and the output between its
// frames write on a small terminal emulator: a run whose total is learned
// late, with failures, on terminals wide and narrow. The screen ends with
// the output alone, the cursor at the start of an empty line.
func TestBarLeavesCleanScreen(t *testing.T) {
	for _, cols := range []int{120, 40, 20} {
		var out bytes.Buffer
		c := &counts{total: -1, start: time.Now()}
		b := newBar(&out, c)
		b.cols = func() int { return cols }
		write := func(s string) { b.clear(); out.WriteString(s); b.draw() }
		b.draw()
		for i, line := range []string{"got a\n", "got b\n", "got c\n"} {
			c.done, c.failed = i+1, i
			write(line)
			b.tick(time.Now())
		}
		c.total = 3
		b.draw()
		b.finish()
		out.WriteString("rc=2\n")
		screen := emulate(t, out.String(), cols)
		if want := []string{"got a", "got b", "got c", "rc=2", ""}; !slices.Equal(screen, want) {
			t.Errorf("%d columns: screen %q; want %q\nwritten: %q", cols, screen, want, out.String())
		}
	}
}

// emulate plays out on a terminal cols wide (no scrolling) and returns its
// rows, trailing blanks dropped: text, "\r", "\n", and the erases EL 0 and
// EL 2. A character past the last column wraps to the next row.
func emulate(t *testing.T, out string, cols int) []string {
	rows := [][]rune{nil}
	row, col := 0, 0
	put := func(r rune) {
		if col == cols {
			row, col = row+1, 0
		}
		for len(rows) <= row {
			rows = append(rows, nil)
		}
		for len(rows[row]) <= col {
			rows[row] = append(rows[row], ' ')
		}
		rows[row][col] = r
		col++
	}
	for rs := []rune(out); len(rs) > 0; rs = rs[1:] {
		switch {
		case strings.HasPrefix(string(rs), eraseRight):
			rows[row] = rows[row][:min(col, len(rows[row]))]
			rs = rs[len(eraseRight)-1:]
		case strings.HasPrefix(string(rs), "\x1b[2K"):
			rows[row] = nil
			rs = rs[len("\x1b[2K")-1:]
		case rs[0] == '\x1b':
			t.Fatalf("unknown escape in %q", string(rs))
		case rs[0] == '\r':
			col = 0
		case rs[0] == '\n':
			row, col = row+1, 0
			for len(rows) <= row {
				rows = append(rows, nil)
			}
		default:
			put(rs[0])
		}
	}
	screen := make([]string, len(rows))
	for i, r := range rows {
		screen[i] = strings.TrimRight(string(r), " ")
	}
	return screen
}

// TestBarTotalLearnedLate: when the total is learned after more jobs
// than the bar is wide have ended, the full bar counts them all (a bar of
// unknown length counts modulo its width, 24: it showed 0%), also for a
// total of 24 (which progressbar takes as its max while it is unknown).
func TestBarTotalLearnedLate(t *testing.T) {
	for _, tc := range []struct {
		done, total int
		want        string
	}{
		{24, 24, "100%"}, {30, 40, "75%"}, {48, 48, "100%"},
	} {
		c := &counts{total: -1, start: time.Now()}
		b := newBar(io.Discard, c)
		b.draw()
		c.done = tc.done
		b.draw()
		if f := b.spin.String(); !strings.Contains(f, fmt.Sprintf("(%d/-", tc.done)) {
			t.Fatalf("frame %q; want the unknown total %d/-", f, tc.done)
		}
		c.total = int64(tc.total)
		b.draw()
		if f := b.bar.String(); !strings.Contains(f, tc.want) || !strings.Contains(f, fmt.Sprintf("(%d/%d", tc.done, tc.total)) {
			t.Errorf("frame %q; want %s and %d/%d", f, tc.want, tc.done, tc.total)
		}
	}
}

func TestThrottledPlain(t *testing.T) {
	var errb bytes.Buffer
	r := New(Options{}, io.Discard, &errb)
	r.StartProgress(ProgressPlain)
	steps := []struct {
		held string
		say  bool // a "waiting:" line at once
	}{
		{"memory 600 MiB free < 1 GiB", true},
		{"memory 580 MiB free < 1 GiB", false}, // a figure moved: no news
		{"memory 1.5 GiB free < 2 GiB", false},
		{"memory 300 MiB free < half of --memfree 1 GiB", true},
		{"", false}, // starts again: nothing to say
		{"memory 300 MiB free < half of --memfree 1 GiB", true},
		{`--limit "sh lim.sh" exited 2: way over the limit`, true},
		{`--limit "sh lim.sh" exited 1: over the limit`, true},
	}
	for i, st := range steps {
		before := errb.Len()
		r.Throttled(st.held, 4)
		got := errb.String()[before:]
		want := ""
		if st.say {
			want = "parrun: waiting: " + st.held + "\n"
		}
		if got != want {
			t.Errorf("step %d: Throttled(%q) wrote %q; want %q", i, st.held, got, want)
		}
	}
	r.StopProgress()
	if last := errb.String(); !strings.Contains(last, "at most 4 at once, waiting: --limit") {
		t.Errorf("final plain line %q; want it to say the level and why starts wait", last)
	}
}
