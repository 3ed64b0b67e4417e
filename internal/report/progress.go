package report

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

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
}

// barDisplay draws a schollz/progressbar bar on stderr.
type barDisplay struct {
	w     io.Writer
	c     *counts
	bar   *progressbar.ProgressBar
	n     int  // jobs the bar has been told about
	shown bool // a frame is on the screen
}

func newBar(w io.Writer, c *counts) *barDisplay {
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(w),
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
	return &barDisplay{w: w, c: c, bar: bar}
}

// eraseLine is the terminal's "erase the whole line" (ECMA-48 EL 2), then a
// carriage return: the bar is drawn only on a terminal.
const eraseLine = "\x1b[2K\r"

// clear erases the frame on the screen. progressbar's own Clear overwrites
// only as many columns as it believes it drew, which a total learned late
// (ChangeMax64) makes too few: the last frame stayed beside the next
// prompt (issue 16).
func (b *barDisplay) clear() {
	if b.shown {
		io.WriteString(b.w, eraseLine)
		b.shown = false
	}
}

func (b *barDisplay) draw() {
	b.shown = true
	if b.c.total >= 0 && b.bar.GetMax64() != b.c.total {
		b.bar.ChangeMax64(max(b.c.total, 1))
	}
	desc := "jobs"
	if b.c.failed > 0 {
		desc = fmt.Sprintf("jobs (%d failed)", b.c.failed)
	}
	b.bar.Describe(desc)
	if d := b.c.done - b.n; d > 0 {
		b.bar.Add(d)
		b.n = b.c.done
	} else {
		b.bar.Add(0)
	}
}

func (b *barDisplay) tick(time.Time) { b.draw() }

// finish draws the last frame (a log of the terminal shows the final
// count) and erases it: the screen is left as if the bar had never been
// there.
func (b *barDisplay) finish() {
	b.draw()
	b.clear()
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
	return fmt.Sprintf("parrun: %d/%s done, %d failed, %.1f jobs/s, elapsed %s%s",
		p.c.done, total, p.c.failed, rate, el.Round(time.Second), eta)
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

// progressState is embedded in Report.
type progressState struct {
	counts   counts
	prog     progress
	progStop chan struct{}
	progWG   sync.WaitGroup
}
