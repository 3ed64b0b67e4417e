package timeline

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// screenshotCopy is where TestBrowser also copies its screenshot, e.g.
// go test -run Browser ./internal/timeline -timeline.screenshot=$PWD/docs/timeline.png
var screenshotCopy = flag.String("timeline.screenshot", "", "also copy the browser test's screenshot to this `path`")

// browserTimeout bounds each browser run.
const browserTimeout = 90 * time.Second

// findBrowser is a headless-capable Chromium on PATH, or skips the test
// (fails it under PARRUN_CI=1, where the browser must be there).
func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	const why = "no chromium, chromium-browser or google-chrome on PATH"
	if os.Getenv("PARRUN_CI") == "1" {
		t.Fatal(why + " (PARRUN_CI=1 needs one)")
	}
	t.Skip(why)
	return ""
}

// runBrowser runs browser headless on page with extra arguments and is
// its standard output. It kills the browser after browserTimeout.
func runBrowser(t *testing.T, browser, page string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), browserTimeout)
	defer cancel()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir(), "--window-size=1280,900",
	}
	cmd := exec.CommandContext(ctx, browser, append(append(args, extra...), "file://"+page)...)
	cmd.WaitDelay = 5 * time.Second
	// Chromium starts helper processes: it runs in a group of its own,
	// killed whole on a time-out and after it ends, so none outlives the
	// test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	defer func() {
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s %s: %v", filepath.Base(browser), strings.Join(extra, " "), time.Since(start).Round(time.Millisecond))
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish in %v; stderr:\n%s", browser, browserTimeout, stderr.Bytes())
	}
	if err != nil {
		t.Fatalf("%s %s: %v; stderr:\n%s", browser, strings.Join(extra, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// browserPage writes the 2000-job run's page into dir and returns its
// path, the run's bars and the page.
func browserPage(t *testing.T, dir string) (string, []Bar, []byte) {
	t.Helper()
	bars := syntheticRun(2000, 4)
	var r Recorder
	for _, b := range bars {
		r.Add(b)
	}
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf, "parrun -j4 --timeout 1 ./work.sh --level={= rand =} input-{#}.dat ::: ...", 4); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	path := filepath.Join(dir, "timeline.html")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, bars, buf.Bytes()
}

// expectedUtilisation is the heading's figure for bars on slots slots,
// worked out here rather than by the package.
func expectedUtilisation(bars []Bar, slots int) string {
	first, last := bars[0].Start, bars[0].Start.Add(bars[0].Duration)
	var busy time.Duration
	for _, b := range bars {
		if b.Start.Before(first) {
			first = b.Start
		}
		if end := b.Start.Add(b.Duration); end.After(last) {
			last = end
		}
		busy += b.Duration
	}
	return fmt.Sprintf("Utilisation %.1f%%", 100*busy.Seconds()/(float64(slots)*last.Sub(first).Seconds()))
}

func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a headless browser; not with -short")
	}
	browser := findBrowser(t)
	dir := t.TempDir()
	page, bars, html := browserPage(t, dir)
	t.Logf("page for %d jobs: %d bytes", len(bars), len(html))

	dom := string(runBrowser(t, browser, page, "--dump-dom"))
	if n := strings.Count(dom, `<rect class="j `); n != len(bars) {
		t.Errorf("the browser's DOM has %d job rects, want %d", n, len(bars))
	}
	if n := strings.Count(dom, "<title>job "); n != len(bars) {
		t.Errorf("the browser's DOM has %d job tooltips, want %d", n, len(bars))
	}
	util := expectedUtilisation(bars, 4)
	if !strings.Contains(dom, `<h2 id="utilisation">`+util+":") {
		t.Errorf("the browser's DOM lacks the heading %q", util)
	}

	shot := filepath.Join(dir, "timeline.png")
	runBrowser(t, browser, page, "--screenshot="+shot)
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("the browser wrote no screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decoding the screenshot: %v", err)
	}
	checkScreenshot(t, img, bars)
	if *screenshotCopy != "" {
		if err := os.WriteFile(*screenshotCopy, data, 0o644); err != nil {
			t.Fatalf("copying the screenshot: %v", err)
		}
	}
}

// The outcome colours as the style gives them.
var (
	okColour       = color.RGBA{0x2c, 0xa0, 0x2c, 0xff}
	failedColour   = color.RGBA{0xd6, 0x27, 0x28, 0xff}
	timedOutColour = color.RGBA{0xff, 0x7f, 0x0e, 0xff}
	killedColour   = color.RGBA{0x94, 0x67, 0xbd, 0xff}
)

// checkScreenshot checks the page is drawn: not blank, and with ok and
// failed bars in about the proportion of their job time.
func checkScreenshot(t *testing.T, img image.Image, bars []Bar) {
	t.Helper()
	var count [numOutcomes]int
	nonWhite := 0
	colours := []color.RGBA{okColour, failedColour, timedOutColour, killedColour}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if c.R < 0xf0 || c.G < 0xf0 || c.B < 0xf0 {
				nonWhite++
			}
			for o, want := range colours {
				if near(c, want) {
					count[o]++
				}
			}
		}
	}
	var jobTime [numOutcomes]time.Duration
	for _, bar := range bars {
		jobTime[bar.Outcome] += bar.Duration
	}
	total := b.Dx() * b.Dy()
	t.Logf("screenshot %dx%d: %d non-white pixels; ok %d, failed %d, timed out %d, killed %d",
		b.Dx(), b.Dy(), nonWhite, count[OK], count[Failed], count[TimedOut], count[Killed])
	if nonWhite < total/20 {
		t.Errorf("screenshot nearly blank: %d of %d pixels not white", nonWhite, total)
	}
	// Each legend swatch is 12×12 pixels: bars must add more than that.
	for o := range Outcome(numOutcomes) {
		if count[o] <= 2*12*12 {
			t.Errorf("only %d %s pixels in the screenshot: no %s bars drawn", count[o], o, o)
		}
	}
	want := jobTime[Failed].Seconds() / jobTime[OK].Seconds()
	if count[OK] > 0 {
		got := float64(count[Failed]) / float64(count[OK])
		t.Logf("failed/ok: %.3f in pixels, %.3f in job time", got, want)
		if got < want/3 || got > want*3 {
			t.Errorf("failed/ok pixels %.3f, job time ratio %.3f: want within 3×", got, want)
		}
	}
}

// near is whether c is within a small distance of want.
func near(c, want color.RGBA) bool {
	d := func(a, b uint8) int { return (int(a) - int(b)) * (int(a) - int(b)) }
	return d(c.R, want.R)+d(c.G, want.G)+d(c.B, want.B) < 30*30
}
