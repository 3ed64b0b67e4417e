package main

// TestGNUOracle compares parrun with GNU parallel 20221122 on the command
// lines GNU users type (SPEC §11). The cases are testdata/gnu/cases.txt; GNU's
// results were recorded into testdata/gnu/expected by testdata/gnu/record.sh
// (make gnu-oracle), so the test needs no GNU parallel. The result format is
// documented at the top of record.sh; resultText below writes the same bytes.
//
// The test is a ratchet. testdata/gnu/known-differences.txt lists the cases
// where parrun is known to differ today: an unlisted case that differs fails,
// and so does a listed case that now matches, so the list only shrinks.
// testdata/gnu/rejected.txt lists the cases parrun refuses on purpose: they
// must exit 255 with exactly one "parrun: " line on stderr and no output.
// testdata/gnu/not-run.txt lists case/mode pairs too costly to run here.
// In all three files a line is KEY<TAB>REASON, KEY is a case name, or
// name@mode for one mode only; # starts a comment line. A known difference
// whose REASON starts "sometimes: " does not happen on every run, and a run
// that matches GNU is let through.
//
//	go test -run TestGNUOracle -v ./cmd/parrun -args -gnu.summary
//	go test -run TestGNUOracle ./cmd/parrun -args -gnu.out /tmp/parrun-gnu
//	diff -r testdata/gnu/expected /tmp/parrun-gnu/thread
//	go test -run TestGNUOracle ./cmd/parrun -args -gnu.tool 'parallel --will-cite'

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	gnuSummary = flag.Bool("gnu.summary", os.Getenv("PARRUN_GNU_SUMMARY") != "",
		"TestGNUOracle: log how many cases are identical, clear errors or differ, per mode (also PARRUN_GNU_SUMMARY=1)")
	gnuOut = flag.String("gnu.out", "",
		"TestGNUOracle: write each result to DIR/<mode>/<name>.txt (stderr to <name>.stderr), for diff -r with testdata/gnu/expected")
	gnuTool = flag.String("gnu.tool", "",
		"TestGNUOracle: run the cases with this $P instead of parrun, in one pass that must match the recording everywhere (checks the recording itself)")
)

const (
	// gnuDir holds the cases, the fixture, GNU's recording and the lists.
	gnuDir = "../../testdata/gnu"
	// gnuCaseTimeout is record.sh's `timeout 30`; a case that hits it
	// exits 124, as timeout(1) does.
	gnuCaseTimeout = 30 * time.Second
	// gnuTextMax is the largest content written line by line (record.sh).
	gnuTextMax = 16384
	// gnuConcurrency is how many cases run at once. Most of a case is
	// waiting for processes, and t.Parallel would hold it to GOMAXPROCS
	// (2 on CI), so the test runs its own pool.
	gnuConcurrency = 6
)

// gnuSometimes starts the reason of a known difference that parrun shows
// only on some runs (a race between jobs that GNU runs one at a time): a
// run that matches GNU does not fail the ratchet then.
const gnuSometimes = "sometimes: "

var gnuCaseName = regexp.MustCompile(`^[a-z0-9_]+$`)

// A gnuCase is one line of cases.txt.
type gnuCase struct {
	name, stdin, command string
}

// A gnuOutcome is what one run of a case did.
type gnuOutcome struct {
	result string // record.sh's format
	stderr []byte
	exit   int
	took   time.Duration
	err    error // the case could not be run at all
}

// gnuClass is how a parrun result compares with GNU's.
type gnuClass int

const (
	gnuIdentical  gnuClass = iota // the same as GNU
	gnuClearError                 // differs, but parrun said why in one line
	gnuDiffers                    // parrun ran and did something else
	gnuNotRun                     // listed in not-run.txt
)

func (c gnuClass) String() string {
	return [...]string{"identical", "clear error", "differs", "not run"}[c]
}

func TestGNUOracle(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every GNU case in every mode: minutes under -race")
	}
	cases := loadGNUCases(t)
	names := make(map[string]bool, len(cases))
	for _, c := range cases {
		names[c.name] = true
	}
	checkRecordings(t, names)
	known := loadGNUList(t, "known-differences.txt", names)
	rejected := loadGNUList(t, "rejected.txt", names)
	notRun := loadGNUList(t, "not-run.txt", names)

	fixture, err := filepath.Abs(filepath.Join(gnuDir, "fixture"))
	if err != nil {
		t.Fatal(err)
	}
	before, err := gnuManifest(fixture)
	if err != nil {
		t.Fatal(err)
	}
	stdins := make(map[string][]byte, len(cases))
	for _, c := range cases {
		if stdins[c.name], err = gnuStdin(c.stdin); err != nil {
			t.Fatalf("%s: stdin %q: %v", c.name, c.stdin, err)
		}
	}

	tool, modes := "parrun", scriptModes()
	if *gnuTool != "" {
		tool, modes = *gnuTool, []string{"tool"}
	} else if _, err := exec.LookPath("parrun"); err != nil {
		t.Fatal(err) // testscript.Main puts it on PATH
	}

	root := t.TempDir()
	sem := make(chan struct{}, gnuConcurrency)
	var mu sync.Mutex
	counts := make(map[string]*[4]int)
	silent := make(map[string][]string)
	for _, mode := range modes {
		counts[mode] = new([4]int)
	}
	count := func(mode, name string, class gnuClass) {
		mu.Lock()
		defer mu.Unlock()
		counts[mode][class]++
		if class == gnuDiffers {
			silent[mode] = append(silent[mode], name)
		}
	}
	// Cleanups run once every subtest is done.
	t.Cleanup(func() {
		if !*gnuSummary {
			return
		}
		var b strings.Builder
		fmt.Fprintf(&b, "GNU oracle, %d cases, $P=%s:\n", len(cases), tool)
		for _, mode := range modes {
			n := counts[mode]
			fmt.Fprintf(&b, "  %-9s identical %d, clear error %d, differs %d, not run %d\n",
				mode, n[gnuIdentical], n[gnuClearError], n[gnuDiffers], n[gnuNotRun])
		}
		for _, mode := range modes {
			if len(silent[mode]) > 0 {
				sort.Strings(silent[mode])
				fmt.Fprintf(&b, "  differs in %s: %s\n", mode, strings.Join(silent[mode], " "))
			}
		}
		t.Log(b.String())
	})

	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					if reason, skip := lookupGNU(notRun, c.name, mode); skip && tool == "parrun" {
						count(mode, c.name, gnuNotRun)
						t.Skip("not-run.txt: " + reason)
					}
					// The run starts now and takes its turn in the pool
					// while t.Parallel holds this subtest back: the pool,
					// not -parallel (GOMAXPROCS), sets how many cases run at
					// once, and -run still chooses which. This subtest
					// waits for its run: nothing outlives the test.
					done := make(chan gnuOutcome, 1)
					go func() {
						sem <- struct{}{}
						defer func() { <-sem }()
						done <- runGNUCase(root, c, stdins[c.name], tool, mode, fixture, before)
					}()
					t.Parallel()
					out := <-done
					if out.err != nil {
						t.Fatal(out.err)
					}
					if out.took > 5*time.Second {
						t.Logf("slow: ran in %v", out.took.Round(time.Millisecond))
					}
					if *gnuOut != "" {
						writeGNUOut(t, mode, c.name, out)
					}
					want, err := os.ReadFile(filepath.Join(gnuDir, "expected", c.name+".txt"))
					if err != nil {
						t.Fatal(err)
					}
					if head := fmt.Sprintf("command %s\nstdin %s\n", c.command, c.stdin); !strings.HasPrefix(string(want), head) {
						t.Fatalf("expected/%s.txt was recorded for another line of cases.txt: run make gnu-oracle where GNU parallel is installed", c.name)
					}
					class := classifyGNU(c, out, string(want))
					count(mode, c.name, class)
					if tool != "parrun" {
						if class != gnuIdentical {
							t.Errorf("%s differs from the recording:\n%s", tool, gnuDiff(string(want), out.result))
						}
						return
					}
					checkGNURatchet(t, c, mode, class, out, string(want), known, rejected)
				})
			}
		})
	}
}

// checkGNURatchet fails the test when a case's classification disagrees
// with the lists, either way.
func checkGNURatchet(t *testing.T, c gnuCase, mode string, class gnuClass, out gnuOutcome, want string, known, rejected map[string]string) {
	t.Helper()
	reason, listed := lookupGNU(known, c.name, mode)
	_, mustReject := lookupGNU(rejected, c.name, mode)
	ok := class == gnuIdentical
	what := "matches GNU"
	if mustReject {
		// A refusal also writes nothing on stdout: no job ran.
		ok = gnuOneLine(out.stderr) && out.exit == int(exitError) && gnuStdout(out.result) == ""
		what = "is rejected as rejected.txt wants"
	}
	switch {
	case ok && listed && strings.HasPrefix(reason, gnuSometimes):
		// parrun's result varies from run to run; this run matched.
	case ok && listed:
		t.Errorf("%s now (known-differences.txt says %q): remove the line", what, reason)
	case !ok && !listed && mustReject:
		t.Errorf("rejected.txt: want exit 255, no output and one \"parrun: \" line on stderr; got exit %d, stderr:\n%s\nresult:\n%s",
			out.exit, gnuExcerpt(out.stderr), out.result)
	case !ok && !listed:
		t.Errorf("differs from GNU parallel (%s; not in known-differences.txt):\n%s\nparrun's stderr:\n%s",
			class, gnuDiff(want, out.result), gnuExcerpt(out.stderr))
	}
}

// classifyGNU compares a result with GNU's. A clear error is exactly one
// line on stderr, "parrun: …", with exit 255; when the command does more
// than run $P (a pipe, a list), the case's exit status is not parrun's, and
// the one line is enough.
func classifyGNU(c gnuCase, out gnuOutcome, want string) gnuClass {
	if out.result == want {
		return gnuIdentical
	}
	bare := strings.HasPrefix(c.command, "$P ") && !strings.ContainsAny(c.command, "|;&")
	if gnuOneLine(out.stderr) && (out.exit == int(exitError) || !bare) {
		return gnuClearError
	}
	return gnuDiffers
}

// gnuOneLine reports whether stderr is one line saying "parrun: …" (SPEC §6).
func gnuOneLine(stderr []byte) bool {
	line, rest, ok := bytes.Cut(stderr, []byte("\n"))
	return ok && len(rest) == 0 && bytes.HasPrefix(line, []byte("parrun: "))
}

// gnuStdout returns the stdout section of a result.
func gnuStdout(result string) string {
	var b strings.Builder
	in := false
	for _, l := range strings.SplitAfter(result, "\n") {
		switch {
		case strings.HasPrefix(l, "stdout"):
			in = true
			if l != "stdout\n" {
				b.WriteString(l) // binary summary
			}
		case in && (strings.HasPrefix(l, "|") || strings.HasPrefix(l, `\ `)):
			b.WriteString(l)
		default:
			in = false
		}
	}
	return b.String()
}

// runGNUCase runs one case as record.sh does: in a fresh copy of the
// fixture, sh -c COMMAND with $P set, a clean environment, stdin from the
// printf format, and a time limit.
func runGNUCase(root string, c gnuCase, stdin []byte, tool, mode, fixture string, before []gnuEntry) gnuOutcome {
	dir, err := os.MkdirTemp(root, c.name+"-"+mode+"-")
	if err != nil {
		return gnuOutcome{err: err}
	}
	defer os.RemoveAll(dir)
	runDir := filepath.Join(dir, "run")
	for _, d := range []string{"home", "tmp"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return gnuOutcome{err: err}
		}
	}
	if err := os.CopyFS(runDir, os.DirFS(fixture)); err != nil {
		return gnuOutcome{err: fmt.Errorf("copying the fixture: %w", err)}
	}
	// Lets RemoveAll remove what a case made read-only.
	defer filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		return gnuOutcome{err: err}
	}
	defer stdout.Close()
	var stderr bytes.Buffer

	ctx, cancel := context.WithTimeout(context.Background(), gnuCaseTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", c.command)
	cmd.Dir = runDir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(dir, "home"),
		"TMPDIR=" + filepath.Join(dir, "tmp"),
		"SHELL=/bin/sh", "USER=oracle", "LOGNAME=oracle", "LC_ALL=C", "TZ=UTC",
		"P=" + tool,
	}
	if tool == "parrun" {
		// A race-built parrun sleeps 1 s as it exits unless told not to:
		// with process mode's workers, that was most of the test's time.
		cmd.Env = append(cmd.Env, "PARRUN_MODE="+mode, "GORACE=atexit_sleep_ms=0")
	}
	if c.stdin != "-" {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	cmd.Stdout = stdout
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start)
	exit := 0
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		exit = 124 // timeout(1)'s status
	case errors.As(err, &ee):
		exit = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			exit = 128 + int(ws.Signal())
		}
	case err != nil && !errors.Is(err, exec.ErrWaitDelay):
		return gnuOutcome{err: err}
	}
	// Whatever the case left in sh's process group goes with it.
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)

	out, err := os.ReadFile(stdout.Name())
	if err != nil {
		return gnuOutcome{err: err}
	}
	after, err := gnuManifest(runDir)
	if err != nil {
		return gnuOutcome{err: err}
	}
	result, err := resultText(c, exit, out, before, after, runDir)
	if err != nil {
		return gnuOutcome{err: err}
	}
	return gnuOutcome{result: result, stderr: stderr.Bytes(), exit: exit, took: took}
}

// gnuStdin expands a case's stdin field with printf(1), as record.sh does.
func gnuStdin(format string) ([]byte, error) {
	if format == "-" {
		return nil, nil
	}
	return exec.Command("sh", "-c", `printf "$1"`, "sh", format).Output()
}

// A gnuEntry is one line of record.sh's manifest.
type gnuEntry struct {
	path, kind, what string // kind f, d, l or o; what the sha256 or link target
}

// gnuManifest lists everything under dir, sorted by path bytewise, but
// for the result.json files parrun adds to GNU's --results layout.
func gnuManifest(dir string) ([]gnuEntry, error) {
	var es []gnuEntry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		if n := d.Name(); n == "result.json" || strings.HasSuffix(n, ".result.json") {
			return nil // parrun's own beside GNU's --results files (SPEC §4)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		e := gnuEntry{path: filepath.ToSlash(rel), what: "-"}
		switch t := d.Type(); {
		case t&fs.ModeSymlink != 0:
			e.kind = "l"
			if e.what, err = os.Readlink(p); err != nil {
				return err
			}
		case t.IsDir():
			e.kind = "d"
		case t.IsRegular():
			e.kind = "f"
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			e.what = fmt.Sprintf("%x", sha256.Sum256(b))
		default:
			e.kind = "o"
		}
		es = append(es, e)
		return nil
	})
	sort.Slice(es, func(i, j int) bool { return es[i].path < es[j].path })
	return es, err
}

// resultText writes a case's result in record.sh's format.
func resultText(c gnuCase, exit int, stdout []byte, before, after []gnuEntry, runDir string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "command %s\nstdin %s\nexit %d\n", c.command, c.stdin, exit)
	gnuContent(&b, "stdout", stdout)
	was := make(map[string]gnuEntry, len(before))
	for _, e := range before {
		was[e.path] = e
	}
	now := make(map[string]bool, len(after))
	var changed []gnuEntry
	for _, e := range after {
		now[e.path] = true
		if w, ok := was[e.path]; !ok || w.kind != e.kind || w.what != e.what {
			changed = append(changed, e)
		}
	}
	for _, e := range before {
		if !now[e.path] {
			changed = append(changed, gnuEntry{path: e.path, kind: "gone"})
		}
	}
	sort.Slice(changed, func(i, j int) bool { return changed[i].path < changed[j].path })
	for _, e := range changed {
		switch e.kind {
		case "f":
			content, err := os.ReadFile(filepath.Join(runDir, filepath.FromSlash(e.path)))
			if err != nil {
				return "", err
			}
			gnuContent(&b, "file "+e.path, content)
		case "d":
			fmt.Fprintf(&b, "dir %s\n", e.path)
		case "l":
			fmt.Fprintf(&b, "link %s -> %s\n", e.path, e.what)
		case "o":
			fmt.Fprintf(&b, "other %s\n", e.path)
		case "gone":
			fmt.Fprintf(&b, "removed %s\n", e.path)
		}
	}
	return b.String(), nil
}

// gnuContent writes header and content as record.sh's content() does.
func gnuContent(b *strings.Builder, header string, content []byte) {
	text := len(content) <= gnuTextMax
	for _, c := range content {
		if c != '\t' && c != '\n' && (c < 0x20 || c == 0x7f) {
			text = false
			break
		}
	}
	if !text {
		fmt.Fprintf(b, "%s binary %d bytes sha256 %x\n", header, len(content), sha256.Sum256(content))
		return
	}
	b.WriteString(header + "\n")
	if len(content) == 0 {
		return
	}
	s := string(content)
	eol := strings.HasSuffix(s, "\n")
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if l == "" {
			b.WriteString("|\n")
		} else {
			b.WriteString("| " + l + "\n")
		}
	}
	if !eol {
		b.WriteString("\\ no newline at end\n")
	}
}

// loadGNUCases reads cases.txt, as record.sh does.
func loadGNUCases(t *testing.T) []gnuCase {
	t.Helper()
	f, err := os.Open(filepath.Join(gnuDir, "cases.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []gnuCase
	seen := make(map[string]bool)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 || !gnuCaseName.MatchString(f[0]) || f[1] == "" || f[2] == "" {
			t.Fatalf("cases.txt:%d: want NAME<TAB>STDIN<TAB>COMMAND, NAME in [a-z0-9_]: %q", n, line)
		}
		if seen[f[0]] {
			t.Fatalf("cases.txt:%d: case %s twice", n, f[0])
		}
		seen[f[0]] = true
		cases = append(cases, gnuCase{name: f[0], stdin: f[1], command: f[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// checkRecordings fails when a case has no recording, or a recording no case.
func checkRecordings(t *testing.T, names map[string]bool) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(gnuDir, "expected", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	have := make(map[string]bool)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		have[name] = true
		if !names[name] {
			t.Errorf("expected/%s.txt has no case in cases.txt: remove it", name)
		}
	}
	for name := range names {
		if !have[name] {
			t.Errorf("case %s has no GNU recording: run make gnu-oracle where GNU parallel is installed", name)
		}
	}
}

// loadGNUList reads KEY<TAB>REASON lines; a KEY is a case name, or
// name@mode. Keys that name no case fail the test.
func loadGNUList(t *testing.T, file string, names map[string]bool) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(gnuDir, file))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]string)
	for n, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, reason, ok := strings.Cut(line, "\t")
		name, mode, _ := strings.Cut(key, "@")
		if !ok || reason == "" || !names[name] ||
			(mode != "" && mode != "thread" && mode != "process" && mode != "coroutine") {
			t.Fatalf("%s:%d: want CASE[@MODE]<TAB>REASON for a case in cases.txt: %q", file, n+1, line)
		}
		if _, dup := m[key]; dup {
			t.Fatalf("%s:%d: %s twice", file, n+1, key)
		}
		m[key] = reason
	}
	return m
}

// lookupGNU finds a case's line in a list, for its mode or for all modes.
func lookupGNU(m map[string]string, name, mode string) (string, bool) {
	if r, ok := m[name+"@"+mode]; ok {
		return r, true
	}
	r, ok := m[name]
	return r, ok
}

func writeGNUOut(t *testing.T, mode, name string, out gnuOutcome) {
	dir := filepath.Join(*gnuOut, mode)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".txt"), []byte(out.result), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".stderr"), out.stderr, 0o644); err != nil {
		t.Fatal(err)
	}
}

// gnuExcerpt bounds a stderr for a failure message.
func gnuExcerpt(b []byte) string {
	const max = 2000
	if len(b) > max {
		return string(b[:max/2]) + "\n…\n" + string(b[len(b)-max/2:])
	}
	return string(b)
}

// gnuDiff is a line diff of want (GNU) and got (parrun): "-" lines are
// GNU's only, "+" lines parrun's only.
func gnuDiff(want, got string) string {
	a := strings.SplitAfter(want, "\n")
	b := strings.SplitAfter(got, "\n")
	// lcs[i][j] is the longest common subsequence of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var w strings.Builder
	put := func(prefix, line string) {
		if line == "" {
			return
		}
		w.WriteString(prefix + strings.TrimSuffix(line, "\n") + "\n")
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			put("  ", a[i])
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i][j+1] >= lcs[i+1][j]):
			put("+ ", b[j])
			j++
		default:
			put("- ", a[i])
			i++
		}
	}
	return w.String()
}
