package report

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/sys/unix"

	"github.com/parrun/parrun/internal/job"
)

// Progress styles (SPEC §5).
const (
	ProgressOff   = "off"
	ProgressBar   = "bar"
	ProgressPlain = "plain"
	ProgressAuto  = "auto"
	// ProgressOn is a bare --progress, GNU's switch: show progress, the
	// bar on a terminal and plain lines otherwise.
	ProgressOn = "on"
)

// Tuning knobs of the progress display.
const (
	// barRedraw is how often the bar is redrawn when nothing happens, so
	// the rate and ETA stay current.
	barRedraw = 200 * time.Millisecond
	// PlainInterval is how often --progress=plain prints a status line.
	PlainInterval = 5 * time.Second
)

// progress is the live display. Every method is called with the report's
// output lock held, so the display never interleaves with job output:
// clear erases the bar before output is written, draw puts it back below.
type progress interface {
	clear()
	draw()
	// tick is called periodically (plain: print a status line).
	tick(now time.Time)
	finish()
}

// counts is what the display shows. Guarded by the output lock.
type counts struct {
	done, failed int
	read         int64
	total        int64 // -1 while input is still being read
	start        time.Time
	// held says why the run holds starts back ("" when it does not);
	// level is how many jobs may run at once when -j moves, else 0.
	held  string
	level int
}

// throttle is what the display adds to its line: ", at most 12 at once,
// waiting: memory 180 MiB free < 1 GiB".
func (c *counts) throttle() string {
	var s string
	if c.level > 0 {
		s = fmt.Sprintf(", at most %d at once", c.level)
	}
	if c.held != "" {
		s += ", waiting: " + c.held
	}
	return s
}

// barDisplay draws a schollz/progressbar bar on stderr. progressbar only
// renders the frames, into io.Discard (String is the last one); the
// display writes each itself, fitted to the terminal's width, and erases
// it: progressbar's own Clear overwrites only as many columns as it
// believes it drew, and it never counts its full-bar frame, which is
// wider than the spinner frames of a run whose total was learned late:
// that frame stayed beside the shell's next line (issue 16). A frame wider
// than the terminal would wrap, and no erase reaches the row above.
type barDisplay struct {
	w io.Writer
	c *counts
	// bar counts every job from the start, against a max no run reaches
	// until the total is known: then its count, rate and clock are right
	// (a bar of unknown length counts modulo its width).
	bar *progressbar.ProgressBar
	// spin is the spinner shown while the total is unknown; nil after.
	spin  *progressbar.ProgressBar
	n     int        // jobs the bars have been told about
	max   int64      // the total bar has been told, -1 for none
	desc  string     // the bars' description
	shown bool       // a frame is on the screen
	cols  func() int // the terminal's width, 0 when unknown
}

// unknownMax is bar's max while the total is unknown.
const unknownMax = math.MaxInt32

func newBar(w io.Writer, c *counts) *barDisplay {
	return &barDisplay{w: w, c: c, bar: newProgressBar(unknownMax), spin: newProgressBar(-1),
		max: -1, desc: "jobs", cols: termCols(w)}
}

func newProgressBar(max int64) *progressbar.ProgressBar {
	return progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(io.Discard),
		progressbar.OptionSetDescription("jobs"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("jobs"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetWidth(24),
		// The display is redrawn by the report's own ticker, whose
		// goroutine the report owns and stops; progressbar's spinner
		// goroutine would outlive the run.
		progressbar.OptionSetSpinnerChangeInterval(0),
		progressbar.OptionThrottle(0),
	)
}

// Terminal controls (ECMA-48); the bar is drawn only on a terminal.
const (
	// eraseLine erases the whole line (EL 2) and returns to its start.
	eraseLine = "\x1b[2K\r"
	// eraseRight erases from the cursor to the end of the line (EL 0).
	eraseRight = "\x1b[K"
)

// clear erases the frame on the screen, if one is.
func (b *barDisplay) clear() {
	if b.shown {
		io.WriteString(b.w, eraseLine)
		b.shown = false
	}
}

// draw writes the current frame over the line the cursor is on, erasing
// what is right of it, and leaves the cursor after it.
func (b *barDisplay) draw() {
	b.update()
	shown := b.bar
	if b.spin != nil {
		shown = b.spin
	}
	frame := fitFrame(shown.String(), b.cols())
	if frame == "" {
		return
	}
	io.WriteString(b.w, "\r"+frame+eraseRight)
	b.shown = true
}

// update tells the bars the counts; they render their frames.
func (b *barDisplay) update() {
	if b.c.total >= 0 && b.c.total != b.max {
		b.max, b.spin = b.c.total, nil
		b.bar.ChangeMax64(max(b.c.total, 1))
	}
	desc := "jobs"
	if b.c.failed > 0 {
		desc = fmt.Sprintf("jobs (%d failed)", b.c.failed)
	}
	if t := b.c.throttle(); t != "" {
		desc += " (" + t[2:] + ")"
	}
	d := max(b.c.done-b.n, 0)
	b.n = b.c.done
	for _, bar := range []*progressbar.ProgressBar{b.bar, b.spin} {
		if bar == nil {
			continue
		}
		if desc != b.desc {
			bar.Describe(desc)
		}
		bar.Add(d)
	}
	b.desc = desc
}

func (b *barDisplay) tick(time.Time) { b.draw() }

// finish draws the last frame (a log of the terminal shows the final
// count) and erases it: the screen is left as if the bar had never been
// there.
func (b *barDisplay) finish() {
	b.draw()
	b.clear()
}

// fitFrame is a frame of progressbar's as the display writes it: without
// its carriage return and trailing blanks and, on a terminal cols wide,
// in at most cols-1 columns: one that wrapped could not be erased, and
// one of exactly cols would leave the cursor past the last column, where
// an erase takes the last character too. The bar narrows first (down to
// nothing), then the frame is cut. Every rune of a frame is one column.
func fitFrame(frame string, cols int) string {
	r := []rune(strings.TrimRight(strings.TrimLeft(frame, "\r"), " "))
	if cols <= 0 {
		return string(r)
	}
	limit := cols - 1
	if over := len(r) - limit; over > 0 {
		r = narrowBar(r, over)
	}
	return string(r[:min(len(r), limit)])
}

// narrowBar takes up to n columns off the bar between the frame's two
// "|", keeping the part of it filled.
func narrowBar(r []rune, n int) []rune {
	open := slices.Index(r, '|')
	if open < 0 {
		return r
	}
	end := slices.Index(r[open+1:], '|')
	if end <= 0 {
		return r
	}
	inner := r[open+1 : open+1+end]
	width := max(len(inner)-n, 0)
	filled := strings.Count(string(inner), "█") * width / len(inner)
	out := append([]rune{}, r[:open+1]...)
	out = append(out, []rune(strings.Repeat("█", filled)+strings.Repeat(" ", width-filled))...)
	return append(out, r[open+1+end:]...)
}

// termCols returns a function giving the width of the terminal w is, or
// 0 when w is not one (PARRUN_FORCE_TTY): then frames are not cut.
func termCols(w io.Writer) func() int {
	f, ok := w.(*os.File)
	if !ok {
		return func() int { return 0 }
	}
	rc, err := f.SyscallConn() // not f.Fd(), which would make f blocking
	if err != nil {
		return func() int { return 0 }
	}
	return func() int {
		cols := 0
		rc.Control(func(fd uintptr) {
			if ws, err := unix.IoctlGetWinsize(int(fd), unix.TIOCGWINSZ); err == nil {
				cols = int(ws.Col)
			}
		})
		return cols
	}
}

// plainDisplay prints a status line every PlainInterval, with no carriage
// returns or escape codes: readable in a CI log.
type plainDisplay struct {
	w    io.Writer
	c    *counts
	last time.Time
}

func (p *plainDisplay) clear() {}
func (p *plainDisplay) draw()  {}

func (p *plainDisplay) tick(now time.Time) {
	if now.Sub(p.last) < PlainInterval {
		return
	}
	p.last = now
	fmt.Fprintln(p.w, p.line(now))
}

func (p *plainDisplay) line(now time.Time) string {
	el := now.Sub(p.c.start)
	rate := 0.0
	if s := el.Seconds(); s > 0 {
		rate = float64(p.c.done) / s
	}
	total := "?"
	eta := ""
	if p.c.total >= 0 {
		total = fmt.Sprint(p.c.total)
		if rate > 0 {
			left := float64(p.c.total-int64(p.c.done)) / rate
			eta = fmt.Sprintf(", ETA %s", time.Duration(left*float64(time.Second)).Round(time.Second))
		}
	}
	return fmt.Sprintf("parrun: %d/%s done, %d failed, %.1f jobs/s, elapsed %s%s%s",
		p.c.done, total, p.c.failed, rate, el.Round(time.Second), eta, p.c.throttle())
}

func (p *plainDisplay) finish() {
	fmt.Fprintln(p.w, p.line(time.Now()))
}

// ParseProgress checks a --progress value and resolves auto: a bar when
// stderr is a terminal, nothing at all otherwise (SPEC §9).
func ParseProgress(style string, stderrTTY bool) (string, error) {
	switch style {
	case ProgressBar, ProgressPlain, ProgressOff:
		return style, nil
	case ProgressAuto, ProgressOn:
		if stderrTTY {
			return ProgressBar, nil
		}
		if style == ProgressOn {
			return ProgressPlain, nil
		}
		return ProgressOff, nil
	}
	return "", fmt.Errorf("--progress=%q: want auto, bar, plain or off (or a bare --progress)", style)
}

// Counting wraps the run's job source so that the display knows how many
// jobs have been read, and the total once the input has ended.
func (r *Report) Counting(src Source) Source { return &countingSource{src: src, rep: r} }

// A Source yields jobs; Next returns io.EOF after the last (sched.Source).
type Source interface {
	Next() (*job.Job, error)
}

type countingSource struct {
	src Source
	rep *Report
	n   int64
}

func (c *countingSource) Next() (*job.Job, error) {
	j, err := c.src.Next()
	if err == nil {
		c.n++
		if c.n&63 == 1 {
			c.rep.Read(c.n, false)
		}
	} else if errors.Is(err, io.EOF) {
		c.rep.Read(c.n, true)
	}
	return j, err
}

// StartProgress starts the display chosen by style ("bar", "plain"; "off"
// or "" shows nothing). The caller must call StopProgress before Close.
func (r *Report) StartProgress(style string) {
	r.counts.start = time.Now()
	switch style {
	case ProgressBar:
		r.prog = newBar(r.stderr, &r.counts)
	case ProgressPlain:
		r.prog = &plainDisplay{w: r.stderr, c: &r.counts, last: r.counts.start}
	default:
		return
	}
	interval := barRedraw
	if style == ProgressPlain {
		interval = PlainInterval / 5
	}
	r.progStop = make(chan struct{})
	r.progWG.Add(1)
	go func() {
		defer r.progWG.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-r.progStop:
				return
			case now := <-t.C:
				r.outMu.Lock()
				r.prog.tick(now)
				r.outMu.Unlock()
			}
		}
	}()
}

// StopProgress stops the display, leaving a final line (plain) or a clean
// terminal line (bar). It waits for the display's goroutine.
func (r *Report) StopProgress() {
	if r.prog == nil {
		return
	}
	close(r.progStop)
	r.progWG.Wait()
	r.outMu.Lock()
	r.prog.finish()
	r.outMu.Unlock()
	r.prog = nil
}

// Read tells the display how many jobs have been read, and whether that
// is all of them.
func (r *Report) Read(n int64, all bool) {
	r.outMu.Lock()
	defer r.outMu.Unlock()
	r.counts.read = n
	if all {
		r.counts.total = n
	}
}

// ExpectTotal says how many jobs the input holds before it is read (GNU's
// --total-jobs), for the progress bar and its ETA; the input's end still
// gives the real number.
func (r *Report) ExpectTotal(n int64) {
	r.outMu.Lock()
	defer r.outMu.Unlock()
	r.counts.total = n
}

// Throttled tells the display why the run holds starts back ("" when it
// does not) and, when -j moves, how many jobs may run at once (else 0).
// The plain display says at once when starts begin to be held back, or
// for another reason: a slow run explains itself in a CI log.
func (r *Report) Throttled(held string, level int) {
	r.outMu.Lock()
	defer r.outMu.Unlock()
	was := r.counts.held
	r.counts.held, r.counts.level = held, level
	if p, ok := r.prog.(*plainDisplay); ok && held != "" && reason(held) != reason(was) {
		fmt.Fprintf(p.w, "parrun: waiting: %s\n", held)
	}
}

// reason is a held-back message with its figures blanked: "memory # free
// < #" of "memory 180 MiB free < 1 GiB", so that a figure that moves is
// not news, but a new reason ("exited #: over the limit" after "exited #:
// way over the limit") is.
func reason(held string) string {
	return figure.ReplaceAllString(held, "#")
}

// figure is a number in a held-back message, with its unit if it is a size.
var figure = regexp.MustCompile(`[0-9][0-9.]*( [KMGTP]iB| B)?`)

// progressState is embedded in Report.
type progressState struct {
	counts   counts
	prog     progress
	progStop chan struct{}
	progWG   sync.WaitGroup
}
