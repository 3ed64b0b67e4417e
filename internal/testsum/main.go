// Command testsum runs "go test -json …" commands one after the other and
// tells the story short: each package's ok line, the whole output of every
// failed test, and at the end one line of passed / failed / skipped tests
// with why each was skipped (make test, CONTRIBUTING.md). A lone ";"
// separates commands. Its exit status is 1 when a command or a test failed.
//
//	go run ./internal/testsum go test -json -race ./internal/... ";" go test -json ./cmd/parrun
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
)

// event is one line of test2json's output (go doc test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: testsum go test -json [flags] [packages]")
		os.Exit(2)
	}
	t := newTally(os.Stdout)
	status := 0
	args := os.Args[1:]
	for len(args) > 0 {
		argv := args
		if i := slices.Index(args, ";"); i >= 0 {
			argv, args = args[:i], args[i+1:]
		} else {
			args = nil
		}
		if len(argv) > 0 && run(argv, t, os.Stderr) != 0 {
			status = 1
		}
	}
	t.summary()
	os.Exit(status)
}

// run runs one command, adding its tests to t; non-zero when it failed.
func run(argv []string, t *tally, stderr io.Writer) int {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintf(stderr, "testsum: %v\n", err)
		return 1
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "testsum: starting %s: %v\n", argv[0], err)
		return 1
	}
	failedBefore := t.failed
	readErr := t.read(out)
	waitErr := cmd.Wait()
	switch {
	case readErr != nil:
		fmt.Fprintf(stderr, "testsum: reading %s's output: %v\n", argv[0], readErr)
		return 1
	case waitErr != nil:
		if _, ok := waitErr.(*exec.ExitError); !ok {
			fmt.Fprintf(stderr, "testsum: %s: %v\n", argv[0], waitErr)
		}
		return 1
	case t.failed > failedBefore:
		return 1
	}
	return 0
}

// tally keeps each running test's output until it ends: a failed test's is
// printed, a skipped test's last line is its reason.
type tally struct {
	w                     io.Writer
	output                map[string][]string // by package + test
	parents               map[string]bool     // tests that have subtests
	ended                 map[string]string   // test → its last action
	passed, failed, skips int
	reasons               map[string]int
}

func newTally(w io.Writer) *tally {
	return &tally{w: w, output: map[string][]string{}, parents: map[string]bool{},
		ended: map[string]string{}, reasons: map[string]int{}}
}

func (t *tally) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// Not test2json's: a build failure's text, say. Show it.
			fmt.Fprintln(t.w, sc.Text())
			continue
		}
		t.add(&e)
	}
	return sc.Err()
}

func (t *tally) add(e *event) {
	key := e.Package + " " + e.Test
	switch e.Action {
	case "run":
		if i := strings.LastIndex(e.Test, "/"); i >= 0 {
			t.parents[e.Package+" "+e.Test[:i]] = true
		}
	case "output":
		t.output[key] = append(t.output[key], e.Output)
	case "pass", "fail", "skip":
		t.end(e, key)
	}
}

func (t *tally) end(e *event, key string) {
	out := t.output[key]
	delete(t.output, key)
	if e.Test == "" { // the package's own line
		if e.Action == "fail" {
			t.unfinished(e.Package) // a panic or a time-out ends tests without their own end
			fmt.Fprint(t.w, strings.Join(out, ""))
		}
		fmt.Fprintf(t.w, "%-4s %s %.1fs\n", map[string]string{"pass": "ok", "fail": "FAIL", "skip": "ok"}[e.Action], e.Package, e.Elapsed)
		return
	}
	if e.Action == "fail" {
		fmt.Fprint(t.w, strings.Join(out, ""))
	}
	if t.parents[key] {
		return // counted by its subtests
	}
	switch e.Action {
	case "pass":
		t.passed++
	case "fail":
		t.failed++
	case "skip":
		t.skips++
		t.reasons[skipReason(out)]++
	}
}

// unfinished prints the output of pkg's tests that never ended, and
// counts them as failed.
func (t *tally) unfinished(pkg string) {
	var keys []string
	for k := range t.output {
		if test, ok := strings.CutPrefix(k, pkg+" "); ok && test != "" && !t.parents[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprint(t.w, strings.Join(t.output[k], ""))
		delete(t.output, k)
		t.failed++
	}
}

// skipReason is the message a skipped test gave: its last output line
// before "--- SKIP", without the file:line prefix.
func skipReason(out []string) string {
	for i := len(out) - 1; i >= 0; i-- {
		line := strings.TrimSpace(out[i])
		if line == "" || strings.HasPrefix(line, "--- SKIP") || strings.HasPrefix(line, "=== ") {
			continue
		}
		if _, msg, ok := strings.Cut(line, "] skip "); ok && strings.HasPrefix(line, "> ") {
			line = msg // a script's "[cond] skip 'why'"
		} else if j := strings.Index(line, ": "); j >= 0 && strings.Contains(line[:j], ".go:") {
			line = line[j+2:]
		}
		return strings.Trim(line, "'\"")
	}
	return "no reason given"
}

func (t *tally) summary() {
	var why []string
	for r, n := range t.reasons {
		why = append(why, fmt.Sprintf("%d %s", n, r))
	}
	sort.Strings(why)
	line := fmt.Sprintf("tests: %d passed, %d failed, %d skipped", t.passed, t.failed, t.skips)
	if len(why) > 0 {
		line += " (" + strings.Join(why, "; ") + ")"
	}
	fmt.Fprintln(t.w, line)
}
