package timeline

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// t0 is when the test runs start.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// at is t0 plus s seconds.
func at(s float64) time.Time { return t0.Add(secs(s)) }

// secs is s seconds.
func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// jobRect is a job's bar as the page draws it.
type jobRect struct {
	class      string
	x, y, w, h float64
	title      string
}

// label is a row label and where it is.
type label struct {
	text string
	y    float64
}

// parsed is what a page holds, read back with encoding/xml.
type parsed struct {
	h1, util, empty string
	style           string
	legend          []string
	labels          []label
	rects           []jobRect
	svgs            int
	elements        map[string]int
}

// element is an open element while parsing.
type element struct {
	name  string
	attrs map[string]string
	text  strings.Builder
}

// parse reads page as XML (failing the test if it is not well-formed) and
// gathers its parts.
func parse(t *testing.T, page []byte) *parsed {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	p := &parsed{elements: map[string]int{}}
	var stack []*element
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("page is not well-formed XML: %v\n%s", err, page)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := &element{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			stack = append(stack, e)
			p.elements[e.name]++
		case xml.CharData:
			for _, e := range stack {
				e.text.Write(tok)
			}
		case xml.EndElement:
			e := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			p.collect(t, e, stack)
		}
	}
	if len(stack) != 0 {
		t.Fatalf("%d elements left open", len(stack))
	}
	return p
}

// collect notes a closed element e inside stack.
func (p *parsed) collect(t *testing.T, e *element, stack []*element) {
	t.Helper()
	parent := ""
	if len(stack) > 0 {
		parent = stack[len(stack)-1].name
	}
	switch {
	case e.name == "h1":
		p.h1 = e.text.String()
	case e.name == "h2" && e.attrs["id"] == "utilisation":
		p.util = e.text.String()
	case e.name == "p" && e.attrs["class"] == "empty":
		p.empty = e.text.String()
	case e.name == "style":
		p.style = e.text.String()
	case e.name == "li":
		p.legend = append(p.legend, e.text.String())
	case e.name == "svg":
		p.svgs++
	case e.name == "text" && e.attrs["class"] == "label":
		p.labels = append(p.labels, label{e.text.String(), attrNum(t, e, "y")})
	case e.name == "title" && parent == "rect":
		stack[len(stack)-1].attrs["title"] = e.text.String()
	case e.name == "rect" && strings.HasPrefix(e.attrs["class"], "j "):
		p.rects = append(p.rects, jobRect{
			class: strings.TrimPrefix(e.attrs["class"], "j "),
			x:     attrNum(t, e, "x"), y: attrNum(t, e, "y"),
			w: attrNum(t, e, "width"), h: attrNum(t, e, "height"),
			title: e.attrs["title"],
		})
	}
}

// attrNum is e's attribute name as a number.
func attrNum(t *testing.T, e *element, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(e.attrs[name], 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", e.name, name, e.attrs[name], err)
	}
	return v
}

// render writes bars' page and parses it.
func render(t *testing.T, title string, slots int, bars ...Bar) (*parsed, []byte) {
	t.Helper()
	var r Recorder
	for _, b := range bars {
		r.Add(b)
	}
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf, title, slots); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	return parse(t, buf.Bytes()), buf.Bytes()
}

func TestUtilisation(t *testing.T) {
	tests := []struct {
		name  string
		slots int
		bars  []Bar
		want  string
	}{
		{"two slots", 2, []Bar{
			{Seq: 1, Slot: 1, Start: at(0), Duration: secs(10)},
			{Seq: 2, Slot: 2, Start: at(0), Duration: secs(5)},
		}, "Utilisation 75.0%: 15.0 busy slot-seconds / (2 slots × 10.0 s wall)"},
		{"idle configured slots count", 4, []Bar{
			{Seq: 1, Slot: 1, Start: at(0), Duration: secs(10)},
		}, "Utilisation 25.0%: 10.0 busy slot-seconds / (4 slots × 10.0 s wall)"},
		{"wall from first start to last end", 1, []Bar{
			{Seq: 2, Slot: 1, Start: at(3), Duration: secs(1)},
			{Seq: 1, Slot: 1, Start: at(1), Duration: secs(1)},
		}, "Utilisation 66.7%: 2.00 busy slot-seconds / (1 slots × 3.00 s wall)"},
		{"remote hosts only", 4, []Bar{
			{Seq: 1, Host: "a", Slot: 1, Start: at(0), Duration: secs(4)},
			{Seq: 2, Host: "b", Slot: 1, Start: at(2), Duration: secs(4)},
		}, "Utilisation 66.7%: 8.00 busy slot-seconds / (2 slots × 6.00 s wall)"},
		{"no wall time", 1, []Bar{
			{Seq: 1, Slot: 1, Start: at(0)},
		}, "Utilisation 0.0%: 0.000 busy slot-seconds / (1 slots × 0.000 s wall)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := render(t, "parrun", tt.slots, tt.bars...)
			if p.util != tt.want {
				t.Errorf("heading %q, want %q", p.util, tt.want)
			}
			if len(p.rects) != len(tt.bars) {
				t.Errorf("%d job rects, want %d", len(p.rects), len(tt.bars))
			}
		})
	}
}

func TestEscaping(t *testing.T) {
	tests := []struct {
		name, cmd string
		want      string // in the tooltip, as parsed back
	}{
		{"script", `<script>alert("x")</script>`, `<script>alert("x")</script>`},
		{"markup characters", `a && b > c < d "q" 'r'`, `a && b > c < d "q" 'r'`},
		{"entity look-alike", `echo &amp; &#60;`, `echo &amp; &#60;`},
		{"cdata end", `echo ]]> x`, `echo ]]> x`},
		{"invalid UTF-8", "echo \xff\xfe ok", "echo \uFFFD\uFFFD ok"},
		{"control characters", "echo \x01\x1b[31m", "echo \uFFFD\uFFFD[31m"},
		{"newline and tab", "echo a\n\tb", "echo a\n\tb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, raw := render(t, "parrun "+tt.cmd, 1, Bar{Seq: 7, Slot: 1, Start: at(0), Duration: secs(1), Command: tt.cmd})
			if bytes.Contains(bytes.ToLower(raw), []byte("<script")) {
				t.Errorf("page holds a raw <script:\n%s", raw)
			}
			if len(p.rects) != 1 {
				t.Fatalf("%d job rects, want 1", len(p.rects))
			}
			if lines := strings.SplitN(p.rects[0].title, "\n", 2); len(lines) < 2 || !strings.HasPrefix(lines[1], tt.want+"\n") {
				t.Errorf("tooltip %q does not hold the command %q", p.rects[0].title, tt.want)
			}
			if p.h1 != "parrun "+tt.want {
				t.Errorf("heading %q, want %q", p.h1, "parrun "+tt.want)
			}
		})
	}
}

func TestLongCommandCut(t *testing.T) {
	long := strings.Repeat("é", 1000) // two bytes a rune: cutting must not split one
	p, _ := render(t, "", 1, Bar{Seq: 1, Slot: 1, Start: at(0), Duration: secs(1), Command: long})
	cmd := strings.Split(p.rects[0].title, "\n")[1]
	if len(cmd) > maxCommand || !strings.HasSuffix(cmd, "é…") || strings.ContainsRune(cmd, '\uFFFD') {
		t.Errorf("long command shown as %q (%d bytes)", cmd, len(cmd))
	}
}

func TestOutcomes(t *testing.T) {
	colours := map[string]string{"ok": "#2ca02c", "failed": "#d62728", "timedout": "#ff7f0e", "killed": "#9467bd"}
	tests := []struct {
		bar         Bar
		class, tips string
	}{
		{Bar{Seq: 1, Outcome: OK, Duration: secs(1.5)}, "ok", "ok, exit 0 · 1.5s"},
		{Bar{Seq: 2, Outcome: Failed, ExitCode: 3, Duration: secs(2)}, "failed", "failed, exit 3 · 2s"},
		{Bar{Seq: 3, Outcome: TimedOut, Signal: "TERM", Duration: secs(10)}, "timedout", "timed out, signal TERM · 10s"},
		{Bar{Seq: 4, Outcome: Killed, Signal: "KILL", Duration: secs(0.25)}, "killed", "killed, signal KILL · 250ms"},
		{Bar{Seq: 5, Outcome: Outcome(42), ExitCode: 1, Duration: secs(1)}, "failed", "failed, exit 1 · 1s"},
	}
	var bars []Bar
	for _, tt := range tests {
		b := tt.bar
		b.Slot, b.Start, b.Command = 1, at(float64(b.Seq)*20), fmt.Sprintf("job%d", b.Seq)
		bars = append(bars, b)
	}
	p, _ := render(t, "", 1, bars...)
	if len(p.rects) != len(tests) {
		t.Fatalf("%d job rects, want %d", len(p.rects), len(tests))
	}
	for i, tt := range tests {
		r := p.rects[i]
		want := fmt.Sprintf("job %d · slot 1\njob%d\n%s · from +%s", tt.bar.Seq, tt.bar.Seq, tt.tips, secs(float64(tt.bar.Seq-1)*20))
		if r.class != tt.class || r.title != want {
			t.Errorf("job %d: class %q, tooltip %q; want %q, %q", tt.bar.Seq, r.class, r.title, tt.class, want)
		}
	}
	for class, colour := range colours {
		if !regexp.MustCompile(`(?m)^\.` + class + `\{fill:` + colour + `;`).MatchString(p.style) {
			t.Errorf("style does not fill .%s with %s:\n%s", class, colour, p.style)
		}
	}
	wantLegend := []string{"ok: 1", "failed: 2", "timed out: 1", "killed: 1"}
	if fmt.Sprint(p.legend) != fmt.Sprint(wantLegend) {
		t.Errorf("legend %q, want %q", p.legend, wantLegend)
	}
}

func TestRows(t *testing.T) {
	tests := []struct {
		name   string
		slots  int
		bars   []Bar
		labels []string
		rowOf  []int // each bar's row
	}{
		{"localhost only", 3, []Bar{
			{Seq: 1, Slot: 2}, {Seq: 2, Host: "localhost", Slot: 1},
		}, []string{"slot 1", "slot 2", "slot 3"}, []int{1, 0}},
		{"slot beyond slots", 1, []Bar{
			{Seq: 1, Slot: 3}, {Seq: 2, Slot: 1},
		}, []string{"slot 1", "slot 3"}, []int{1, 0}},
		{"hosts", 2, []Bar{
			{Seq: 1, Host: "zeta", Slot: 2}, {Seq: 2, Host: "alpha", Slot: 1},
			{Seq: 3, Slot: 1}, {Seq: 4, Host: "alpha", Slot: 4},
		}, []string{"localhost slot 1", "localhost slot 2", "alpha slot 1", "alpha slot 4", "zeta slot 2"}, []int{4, 2, 0, 3}},
		{"remote only", 2, []Bar{
			{Seq: 1, Host: "b", Slot: 1}, {Seq: 2, Host: "a", Slot: 1},
		}, []string{"a slot 1", "b slot 1"}, []int{1, 0}},
		{"host markup escaped", 1, []Bar{
			{Seq: 1, Host: "<h&st>", Slot: 1},
		}, []string{"<h&st> slot 1"}, []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.bars {
				tt.bars[i].Start, tt.bars[i].Duration = at(float64(tt.bars[i].Seq)), secs(1)
			}
			p, _ := render(t, "", tt.slots, tt.bars...)
			var got []string
			for _, l := range p.labels {
				got = append(got, l.text)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.labels) {
				t.Fatalf("row labels %q, want %q", got, tt.labels)
			}
			for _, r := range p.rects {
				seq, _ := strconv.Atoi(strings.Fields(r.title)[1])
				row := tt.rowOf[seq-1]
				if mid := r.y + r.h/2; math.Abs(mid-p.labels[row].y) > 0.01 {
					t.Errorf("job %d drawn at y %.2f, its row %q at %.2f", seq, mid, tt.labels[row], p.labels[row].y)
				}
			}
		})
	}
}

func TestBarsScale(t *testing.T) {
	p, _ := render(t, "", 1,
		Bar{Seq: 1, Slot: 1, Start: at(0), Duration: secs(1)},
		Bar{Seq: 2, Slot: 1, Start: at(1), Duration: secs(3)},
		Bar{Seq: 3, Slot: 1, Start: at(4), Duration: 0},
	)
	a, b, c := p.rects[0], p.rects[1], p.rects[2]
	if math.Abs(b.w-3*a.w) > 0.02 || math.Abs(b.x-(a.x+a.w)) > 0.02 || math.Abs(c.x-(b.x+b.w)) > 0.02 {
		t.Errorf("bars not to scale: %+v %+v %+v", a, b, c)
	}
	if math.Abs(c.w-minBarW) > 0.001 || c.x+c.w > svgWidth-marginRight+minBarW {
		t.Errorf("zero-length job at the end drawn %.2f wide at %.2f", c.w, c.x)
	}
}

func TestEmpty(t *testing.T) {
	p, raw := render(t, "parrun -j4 echo", 4)
	if p.empty != "no jobs" || p.h1 != "parrun -j4 echo" {
		t.Errorf("empty run: heading %q, text %q; want the title and \"no jobs\"\n%s", p.h1, p.empty, raw)
	}
	if len(p.rects) != 0 || p.svgs != 0 || p.elements["html"] != 1 || p.elements["body"] != 1 {
		t.Errorf("empty run: %d job rects, %d svgs, elements %v", len(p.rects), p.svgs, p.elements)
	}
}

func TestSelfContained(t *testing.T) {
	_, raw := render(t, "", 4, syntheticRun(200, 4)...)
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "@import", "url(", "href=", "src="} {
		if bytes.Contains(bytes.ToLower(raw), []byte(bad)) {
			t.Errorf("page holds %q: it must fetch nothing and run nothing", bad)
		}
	}
}

func TestManyRowsThinLabels(t *testing.T) {
	var bars []Bar
	for i := range 400 {
		bars = append(bars, Bar{Seq: int64(i + 1), Host: fmt.Sprintf("h%03d", i/8), Slot: i%8 + 1, Start: at(0), Duration: secs(1)})
	}
	p, _ := render(t, "", 8, bars...)
	if len(p.rects) != 400 || len(p.labels) == 0 || len(p.labels) >= 400 {
		t.Fatalf("400 rows: %d rects, %d labels; want 400 and fewer labels", len(p.rects), len(p.labels))
	}
	for i := 1; i < len(p.labels); i++ {
		if gap := p.labels[i].y - p.labels[i-1].y; gap < labelGap {
			t.Fatalf("labels %q and %q only %.1f apart", p.labels[i-1].text, p.labels[i].text, gap)
		}
	}
	if h := p.rects[0].h; h < minRowH || h > 4 {
		t.Errorf("400 rows drawn %.1f high each", h)
	}
}

func TestTicks(t *testing.T) {
	tests := []struct {
		span     float64
		step     float64
		decimals int
	}{
		{0.3, 0.05, 2}, {1, 0.2, 1}, {7, 1, 0}, {12, 2, 0}, {100, 20, 0}, {3600, 500, 0}, {0, 1, 0},
	}
	for _, tt := range tests {
		step, dec := ticks(tt.span)
		if math.Abs(step-tt.step) > 1e-9*tt.step || dec != tt.decimals {
			t.Errorf("ticks(%v) = %v, %d; want %v, %d", tt.span, step, dec, tt.step, tt.decimals)
		}
		if tt.span > 0 {
			if n := tt.span / step; n < 3 || n > 10 {
				t.Errorf("ticks(%v): %.1f ticks", tt.span, n)
			}
		}
	}
}

// errWriter fails every write.
type errWriter struct{}

var errDisk = errors.New("disk full")

func (errWriter) Write([]byte) (int, error) { return 0, errDisk }

func TestWriteError(t *testing.T) {
	var r Recorder
	for _, b := range syntheticRun(2000, 4) {
		r.Add(b)
	}
	err := r.WriteHTML(errWriter{}, "", 4)
	if !errors.Is(err, errDisk) || !strings.Contains(err.Error(), "writing the HTML page") {
		t.Errorf("WriteHTML to a failing writer: %v", err)
	}
}

func TestSizeLinear(t *testing.T) {
	size := func(n int) int {
		var r Recorder
		for _, b := range syntheticRun(n, 8) {
			r.Add(b)
		}
		var buf bytes.Buffer
		if err := r.WriteHTML(&buf, "parrun -j8 ./work.sh {} ::: ...", 8); err != nil {
			t.Fatal(err)
		}
		if n == 10000 {
			if p := parse(t, buf.Bytes()); len(p.rects) != n {
				t.Fatalf("%d job rects, want %d", len(p.rects), n)
			}
		}
		return buf.Len()
	}
	s1, s10 := size(1000), size(10000)
	t.Logf("HTML size: %d bytes for 1000 jobs, %d bytes for 10000 (%d a job)", s1, s10, s10/10000)
	if s10 > 3<<20 {
		t.Errorf("10000 jobs make %d bytes, want under 3 MiB", s10)
	}
	if ratio := float64(s10) / float64(s1); ratio < 8 || ratio > 11 {
		t.Errorf("size grows %.1f× from 1000 to 10000 jobs, want about 10×", ratio)
	}
}

func BenchmarkWriteHTML(b *testing.B) {
	var r Recorder
	for _, bar := range syntheticRun(10000, 8) {
		r.Add(bar)
	}
	for b.Loop() {
		if err := r.WriteHTML(io.Discard, "", 8); err != nil {
			b.Fatal(err)
		}
	}
}

// syntheticRun is n deterministic jobs on slots local slots, each slot
// taking the next job as soon as it is free: about 10% fail, 0.8% time
// out after a second and 0.5% are killed.
func syntheticRun(n, slots int) []Bar {
	rng := rand.New(rand.NewPCG(1, 2))
	free := make([]time.Duration, slots) // when each slot is next free
	bars := make([]Bar, 0, n)
	for seq := 1; seq <= n; seq++ {
		slot := 0
		for i := range free {
			if free[i] < free[slot] {
				slot = i
			}
		}
		b := Bar{
			Seq: int64(seq), Slot: slot + 1, Start: t0.Add(free[slot]),
			Duration: time.Duration(50+rng.IntN(450)) * time.Millisecond,
			Command:  fmt.Sprintf("./work.sh --level=%d input-%05d.dat", rng.IntN(9), seq),
		}
		switch k := rng.IntN(1000); {
		case k < 100:
			b.Outcome, b.ExitCode = Failed, 1+rng.IntN(3)
		case k < 108:
			b.Outcome, b.Signal, b.Duration = TimedOut, "TERM", time.Second
		case k < 113:
			b.Outcome, b.Signal = Killed, "KILL"
		}
		free[slot] += b.Duration + 2*time.Millisecond
		bars = append(bars, b)
	}
	return bars
}
