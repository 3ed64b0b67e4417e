package timeline

import (
	"bufio"
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// The chart's geometry, in SVG user units (CSS pixels at the default zoom).
const (
	svgWidth    = 1200 // the SVG's fixed width
	marginTop   = 8    // above the first row
	marginRight = 16   // right of the plot
	axisHeight  = 46   // below the last row: tick labels and caption
	plotHeight  = 480  // what the rows aim to fill together
	minRowH     = 3    // the thinnest row, however many rows
	maxRowH     = 64   // the thickest row, however few rows
	labelGap    = 13   // the least room between two row labels
	minBarW     = 0.5  // the narrowest bar, so short jobs still show
	sepBarW     = 4    // bars this wide on average get a white outline
)

// style is the page's only CSS: colours by outcome class and layout.
const style = `body{font:14px/1.4 sans-serif;margin:16px;color:#222;background:#fff}
h1{font-size:18px;margin:0 0 4px;overflow-wrap:anywhere}
h2{font-size:16px;margin:0 0 2px;font-weight:normal}
.meta{color:#555;margin:0 0 8px}
.legend{list-style:none;padding:0;margin:0 0 10px;display:flex;flex-wrap:wrap;gap:18px}
.sw{display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:-1px}
.ok{fill:#2ca02c;background:#2ca02c}
.failed{fill:#d62728;background:#d62728}
.timedout{fill:#ff7f0e;background:#ff7f0e}
.killed{fill:#9467bd;background:#9467bd}
svg{display:block}
svg text{font:11px sans-serif;fill:#333}
.caption{fill:#555}
.stripe{fill:#f3f3f3}
.grid{stroke:#ddd;stroke-width:1}
.base{stroke:#888;stroke-width:1}
.sep .j{stroke:#fff;stroke-width:.5}
.j:hover{opacity:.6}
.empty{font-size:16px;color:#555}
`

// WriteHTML writes the page. slots is the configured number of slots per
// host: rows are the distinct host/slot pairs seen, and at least slots 1 to
// slots of localhost when any job ran locally. title is shown in the
// heading (e.g. the parrun command line). A run without jobs gives a page
// that says "no jobs".
func (r *Recorder) WriteHTML(w io.Writer, title string, slots int) error {
	p := &page{bw: bufio.NewWriterSize(w, 64<<10)}
	if title == "" {
		title = "parrun"
	}
	p.str("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>")
	p.text("timeline: " + title)
	p.str("</title>\n<style>\n" + style + "</style>\n</head>\n<body>\n<header>\n<h1>")
	p.text(title)
	p.str("</h1>\n")
	if len(r.recs) == 0 {
		p.str("</header>\n<p class=\"empty\">no jobs</p>\n")
	} else {
		s := r.summarise(slots)
		p.summary(r, s)
		p.str("</header>\n")
		p.legend(s)
		p.chart(r, s)
	}
	p.str("</body>\n</html>\n")
	// bufio.Writer keeps the first write error and returns it from Flush.
	if err := p.bw.Flush(); err != nil {
		return fmt.Errorf("timeline: writing the HTML page: %w", err)
	}
	return nil
}

// page writes the HTML. Its write errors stick in bw, which Flush reports.
type page struct {
	bw  *bufio.Writer
	buf []byte // scratch for numbers
}

// str writes s as it is: markup, or text known to need no escaping.
func (p *page) str(s string) { _, _ = p.bw.WriteString(s) }

// text writes s escaped for XML and HTML text and attribute values; invalid
// UTF-8 and characters XML cannot hold become U+FFFD.
func (p *page) text(s string) { _ = xml.EscapeText(p.bw, []byte(s)) }

// num writes v with at most two decimals.
func (p *page) num(v float64) {
	p.buf = appendNum(p.buf[:0], v)
	_, _ = p.bw.Write(p.buf)
}

// appendNum appends v with at most two decimals, trailing zeros dropped.
func appendNum(b []byte, v float64) []byte {
	n := len(b)
	b = strconv.AppendFloat(b, v, 'f', 2, 64)
	for b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	if b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	if string(b[n:]) == "-0" {
		b = append(b[:n], '0')
	}
	return b
}

// itoa is n in decimal.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// summary writes the utilisation heading and the line under it.
func (p *page) summary(r *Recorder, s *stats) {
	p.str("<h2 id=\"utilisation\">")
	p.str(fmt.Sprintf("Utilisation %.1f%%: %s busy slot-seconds / (%d slots × %s s wall)",
		100*s.utilisation(), seconds(s.busy), len(s.rows), seconds(s.wall())))
	p.str("</h2>\n<p class=\"meta\">")
	p.str(fmt.Sprintf("%d jobs · started %s", len(r.recs),
		r.base.Add(time.Duration(s.first)).Format("2006-01-02 15:04:05 MST")))
	p.str("</p>\n")
}

// seconds is v seconds with a precision that suits its size.
func seconds(v float64) string {
	switch {
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 0.1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// legend writes the outcomes' colours and how many jobs had each.
func (p *page) legend(s *stats) {
	p.str("<ul class=\"legend\">\n")
	for o := range Outcome(numOutcomes) {
		p.str("<li><span class=\"sw " + o.class() + "\"></span>" + o.String() + ": " +
			itoa(int64(s.counts[o])) + "</li>\n")
	}
	p.str("</ul>\n")
}

// geometry is where the chart's parts go.
type geometry struct {
	left, plotW float64 // the plot's left edge and width
	rowH, barH  float64 // a row's height and its bars'
	labelEvery  int     // label every labelEvery-th row
	height      float64 // the whole SVG's height
	first       int64   // the time at the plot's left edge, ns since base
	span        float64 // the time across the plot, ns, > 0
	sep         bool    // whether bars get a white outline
}

// newGeometry lays out s's rows and time span: rows thin down as they grow
// in number (labels thinning to match), and bars lose their outline when
// they are too narrow for it.
func newGeometry(s *stats, jobs int) geometry {
	longest := 0
	for _, rw := range s.rows {
		longest = max(longest, utf8.RuneCountInString(rw.label))
	}
	g := geometry{left: min(max(12+6.5*float64(longest), 60), 300), first: s.first}
	g.plotW = svgWidth - g.left - marginRight
	n := float64(len(s.rows))
	g.rowH = min(max(math.Floor(plotHeight/n), minRowH), maxRowH)
	g.barH = g.rowH
	if g.rowH >= 6 {
		g.barH = math.Round(g.rowH * 0.8)
	}
	g.labelEvery = int(math.Ceil(labelGap / g.rowH))
	g.height = marginTop + n*g.rowH + axisHeight
	g.span = float64(s.last - s.first)
	if g.span <= 0 {
		g.span = 1e9 // no wall time: show one second
	}
	g.sep = s.busy*1e9/g.span*g.plotW/float64(jobs) >= sepBarW
	return g
}

// x is where time t (ns since base) falls.
func (g *geometry) x(t int64) float64 { return g.left + float64(t-g.first)/g.span*g.plotW }

// rowY is the top of row i.
func (g *geometry) rowY(i int) float64 { return marginTop + float64(i)*g.rowH }

// chart writes the SVG: row stripes and labels, the time axis, the bars.
func (p *page) chart(r *Recorder, s *stats) {
	g := newGeometry(s, len(r.recs))
	p.str("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + itoa(svgWidth) + "\" height=\"")
	p.num(g.height)
	p.str("\" viewBox=\"0 0 " + itoa(svgWidth) + " ")
	p.num(g.height)
	if g.sep {
		p.str("\" class=\"sep")
	}
	p.str("\" role=\"img\">\n")
	p.rows(s, &g)
	p.axis(&g)
	p.bars(r, s, &g)
	p.str("</svg>\n")
}

// rows writes every other row's stripe and the row labels.
func (p *page) rows(s *stats, g *geometry) {
	for i, rw := range s.rows {
		y := g.rowY(i)
		if i%2 == 1 && g.rowH >= 6 {
			p.str("<rect class=\"stripe\" x=\"")
			p.num(g.left)
			p.str("\" y=\"")
			p.num(y)
			p.str("\" width=\"")
			p.num(g.plotW)
			p.str("\" height=\"")
			p.num(g.rowH)
			p.str("\"/>\n")
		}
		if i%g.labelEvery == 0 {
			p.str("<text class=\"label\" x=\"")
			p.num(g.left - 6)
			p.str("\" y=\"")
			p.num(y + g.rowH/2)
			p.str("\" text-anchor=\"end\" dominant-baseline=\"middle\">")
			p.text(rw.label)
			p.str("</text>\n")
		}
	}
}

// ticks is a round step between time axis ticks for a span of spanSec
// seconds, giving about six ticks, and the decimals its labels need.
func ticks(spanSec float64) (step float64, decimals int) {
	raw := spanSec / 6
	if !(raw > 0) || math.IsInf(raw, 0) {
		return 1, 0
	}
	exp := math.Floor(math.Log10(raw))
	f := raw / math.Pow(10, exp)
	nice := 10.0
	switch {
	case f < 1.5:
		nice = 1
	case f < 3.5:
		nice = 2
	case f < 7.5:
		nice = 5
	}
	step = nice * math.Pow(10, exp)
	return step, max(0, int(-math.Floor(math.Log10(step)+1e-9)))
}

// axis writes the time axis: a base line, and grid lines with labels in
// seconds since the first start.
func (p *page) axis(g *geometry) {
	bottom := g.height - axisHeight
	spanSec := g.span / 1e9
	step, decimals := ticks(spanSec)
	for k := 0; float64(k)*step <= spanSec*(1+1e-9); k++ {
		v := float64(k) * step
		x := g.left + v/spanSec*g.plotW
		p.str("<line class=\"grid\" x1=\"")
		p.num(x)
		p.str("\" x2=\"")
		p.num(x)
		p.str("\" y1=\"" + itoa(marginTop) + "\" y2=\"")
		p.num(bottom + 4)
		p.str("\"/>\n<text class=\"tick\" x=\"")
		p.num(x)
		p.str("\" y=\"")
		p.num(bottom + 17)
		p.str("\" text-anchor=\"middle\">" + strconv.FormatFloat(v, 'f', decimals, 64) + " s</text>\n")
	}
	p.str("<line class=\"base\" x1=\"")
	p.num(g.left)
	p.str("\" x2=\"")
	p.num(g.left + g.plotW)
	p.str("\" y1=\"")
	p.num(bottom)
	p.str("\" y2=\"")
	p.num(bottom)
	p.str("\"/>\n<text class=\"caption\" x=\"")
	p.num(g.left + g.plotW/2)
	p.str("\" y=\"")
	p.num(bottom + 36)
	p.str("\" text-anchor=\"middle\">seconds since the first job started</text>\n")
}

// bars writes one rect a job, row by row in order of start, each with its
// tooltip.
func (p *page) bars(r *Recorder, s *stats, g *geometry) {
	rowOf := make([]int32, len(r.recs))
	order := make([]int32, len(r.recs))
	for i := range r.recs {
		b := &r.recs[i]
		rowOf[i] = int32(s.rowOf[[2]int64{int64(b.host), int64(b.slot)}])
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		ra, rb := &r.recs[a], &r.recs[b]
		return cmp.Or(cmp.Compare(rowOf[a], rowOf[b]), cmp.Compare(ra.start, rb.start), cmp.Compare(ra.seq, rb.seq))
	})
	for _, i := range order {
		b := &r.recs[i]
		p.str("<rect class=\"j " + b.out.class() + "\" x=\"")
		p.num(g.x(b.start))
		p.str("\" y=\"")
		p.num(g.rowY(int(rowOf[i])) + (g.rowH-g.barH)/2)
		p.str("\" width=\"")
		p.num(max(float64(b.dur)/g.span*g.plotW, minBarW))
		p.str("\" height=\"")
		p.num(g.barH)
		p.str("\"><title>")
		p.tooltip(r, b, s.rows[rowOf[i]].label, s.first)
		p.str("</title></rect>\n")
	}
}

// tooltip writes b's tooltip text: the job number and row, the command,
// then outcome, exit status or signal, duration and start. Host, command
// and signal are escaped; the rest is known to need no escaping.
func (p *page) tooltip(r *Recorder, b *rec, label string, first int64) {
	p.str("job " + itoa(b.seq) + " · ")
	p.text(label)
	p.str("\n")
	p.text(b.cmd)
	p.str("\n" + b.out.String())
	if sig := r.names[b.sig]; sig != "" {
		p.str(", signal ")
		p.text(sig)
	} else {
		p.str(", exit " + itoa(int64(b.exit)))
	}
	p.str(" · " + roundDur(b.dur).String() + " · from +" + roundDur(b.start-first).String())
}

// roundDur is ns nanoseconds rounded to milliseconds, or microseconds when
// under a millisecond.
func roundDur(ns int64) time.Duration {
	d := time.Duration(ns)
	if d < time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(time.Millisecond)
}
