package main

// TestREADME runs the examples of README.md as written, so that none of
// them rots (issue 16: every example runs). Which text is an example:
//
//   - Each line of a ```sh fenced block is one command, run on its own, unless
//     it is blank or starts with #. A line ending in a backslash goes on on
//     the next line. A step that needs the one before is joined to it with
//     && on the same line.
//   - In a table whose header has a column named "example", each code span
//     of that column is one command; \| in it is |, as in GitHub's tables.
//     Text after the span that starts with → gives the command's output: the
//     words it prints must be those words, in any order (without -k, jobs
//     finish in any order).
//   - A ```text block straight after a ```sh block of one command is that
//     command's exact standard output.
//   - "(needs: X)" in a line's comment or in a table cell outside the code
//     span: X is a program the example needs (jq), and the example runs only
//     when X is on PATH; anything else (network, ssh hosts) is skipped, with
//     X as the reason.
//   - "(exit N)" the same way: the command's exit status is N; otherwise it
//     must be 0.
//
// Indented code blocks (the two set-up commands, the usage synopsis) and code
// spans in prose are not run.
//
// Each command runs as sh -c COMMAND in a fresh copy of testdata/readme (the
// files the examples name), with stdin /dev/null, a HOME and TMPDIR of its own,
// no PARRUN_* settings, the parrun under test first on PATH, and a 10 s limit:
// a hanging example fails, its process group killed.
//
//	go test -count=1 -run TestREADME ./cmd/parrun -v
//	go test -count=1 -run 'TestREADME/L52' ./cmd/parrun -v   # the example on README line 52

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parrun/parrun/internal/ipc"
)

const (
	readmePath     = "../../README.md"
	readmeFixture  = "../../testdata/readme"
	exampleTimeout = 10 * time.Second
)

// A readmeExample is one command of README.md and what it must do.
type readmeExample struct {
	line   int    // README line of the command
	cmd    string // the command, for sh -c
	needs  string // "(needs: X)": X, or ""
	exit   int    // the exit status it must end with
	words  []string
	stdout *string // the ```text block after it, if any
}

func (e readmeExample) name() string { return "L" + strconv.Itoa(e.line) }

var (
	needsRE = regexp.MustCompile(`\(needs: ([^)]+)\)`)
	exitRE  = regexp.MustCompile(`\(exit (\d+)\)`)
	spanRE  = regexp.MustCompile("`([^`]+)`")
)

func TestREADME(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every README example: seconds of process starts")
	}
	src, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	examples, err := readmeExamples(string(src))
	if err != nil {
		t.Fatalf("%s: %v", readmePath, err)
	}
	if len(examples) < 20 {
		t.Fatalf("%s: found only %d examples; has the README's layout changed under the rule at the top of readme_test.go?", readmePath, len(examples))
	}
	bin, err := exec.LookPath("parrun") // testscript.Main put it on PATH
	if err != nil {
		t.Fatal(err)
	}
	fixture, err := filepath.Abs(readmeFixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH")
	for _, ex := range examples {
		t.Run(ex.name(), func(t *testing.T) {
			if reason := ex.skipReason(); reason != "" {
				t.Skipf("%s: needs %s", ex.cmd, reason)
			}
			t.Parallel()
			runExample(t, ex, fixture, path)
		})
	}
}

// skipReason says why ex cannot run here, or "" when it can.
func (e readmeExample) skipReason() string {
	if e.needs == "" {
		return ""
	}
	if !strings.ContainsAny(e.needs, " /") {
		if _, err := exec.LookPath(e.needs); err == nil {
			return ""
		}
		return e.needs + ", which is not on PATH"
	}
	return e.needs
}

// runExample runs ex in a fresh copy of fixture and checks its outcome.
func runExample(t *testing.T, ex readmeExample, fixture, path string) {
	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	if err := os.CopyFS(work, os.DirFS(fixture)); err != nil {
		t.Fatalf("copying %s: %v", fixture, err)
	}
	for _, d := range []string{"home", "tmp"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), exampleTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", ex.cmd)
	cmd.Dir = work
	cmd.Env = []string{
		"PATH=" + path,
		"HOME=" + filepath.Join(dir, "home"),
		"TMPDIR=" + filepath.Join(dir, "tmp"),
		"USER=readme", "LOGNAME=readme", "LC_ALL=C.UTF-8", "TZ=UTC",
		// A race-built parrun sleeps 1 s as it exits unless told not to.
		"GORACE=atexit_sleep_ms=0",
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	if cmd.Process != nil {
		// Whatever the example left in sh's process group goes with it.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	report := func(format string, args ...any) {
		t.Errorf("README.md:%d: %s\n%s\nstdout:\n%s\nstderr:\n%s",
			ex.line, ex.cmd, fmt.Sprintf(format, args...), indent(stdout.String()), indent(stderr.String()))
	}
	var ee *exec.ExitError
	exit := 0
	switch {
	case ctx.Err() != nil:
		report("still running after %v: killed", exampleTimeout)
		return
	case errors.As(err, &ee):
		exit = ee.ExitCode()
	case errors.Is(err, exec.ErrWaitDelay):
		report("a process it left behind held its output open for %v after it exited", cmd.WaitDelay)
		return
	case err != nil:
		report("sh -c: %v", err)
		return
	}
	if exit != ex.exit {
		report("exit status %d, want %d", exit, ex.exit)
	}
	if ex.words != nil {
		got := strings.Fields(stdout.String())
		slices.Sort(got)
		want := slices.Sorted(slices.Values(ex.words))
		if !slices.Equal(got, want) {
			report("printed the words %q, want %q (in any order)", got, want)
		}
	}
	if ex.stdout != nil && stdout.String() != *ex.stdout {
		report("stdout differs from the text block after it; want:\n%s", indent(*ex.stdout))
	}
}

func indent(s string) string {
	if s == "" {
		return "\t(empty)"
	}
	return "\t" + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n\t")
}

// readmeExamples finds the examples of a README by the rule at the top of
// this file.
func readmeExamples(src string) ([]readmeExample, error) {
	lines := strings.Split(src, "\n")
	var out []readmeExample
	for i := 0; i < len(lines); i++ {
		switch {
		case strings.HasPrefix(lines[i], "```"):
			exs, next, err := fencedExamples(lines, i)
			if err != nil {
				return nil, err
			}
			out = append(out, exs...)
			i = next - 1
		case strings.HasPrefix(lines[i], "|"):
			exs, next, err := tableExamples(lines, i)
			if err != nil {
				return nil, err
			}
			out = append(out, exs...)
			i = next - 1
		}
	}
	return out, nil
}

// fence returns the lines of the fenced block opening at lines[i], its
// language and the index of the line after its closing fence.
func fence(lines []string, i int) (lang string, body []string, next int, err error) {
	lang = strings.TrimSpace(strings.TrimPrefix(lines[i], "```"))
	for j := i + 1; j < len(lines); j++ {
		if strings.HasPrefix(lines[j], "```") {
			return lang, lines[i+1 : j], j + 1, nil
		}
	}
	return "", nil, 0, fmt.Errorf("line %d: the ``` block never ends", i+1)
}

// fencedExamples reads the fenced block at lines[i]: a ```sh block's
// commands, with the ```text block after it as the stdout of its one command.
func fencedExamples(lines []string, i int) ([]readmeExample, int, error) {
	lang, body, next, err := fence(lines, i)
	if err != nil || lang != "sh" {
		return nil, next, err
	}
	var out []readmeExample
	for j := 0; j < len(body); j++ {
		first := j
		text := body[j]
		for strings.HasSuffix(text, `\`) && j+1 < len(body) {
			j++
			text += "\n" + body[j]
		}
		if t := strings.TrimSpace(text); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		ex, err := newExample(i+2+first, text, text)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, ex)
	}
	if next < len(lines) && strings.TrimSpace(lines[next]) == "```text" {
		_, want, after, err := fence(lines, next)
		if err != nil {
			return nil, 0, err
		}
		if len(out) != 1 {
			return nil, 0, fmt.Errorf("line %d: a ```text block follows a ```sh block of %d commands; it can only be the output of one", next+1, len(out))
		}
		s := strings.Join(want, "\n") + "\n"
		out[0].stdout = &s
		next = after
	}
	return out, next, nil
}

// tableExamples reads the table starting at lines[i]: the code spans of its
// "example" column, if it has one.
func tableExamples(lines []string, i int) ([]readmeExample, int, error) {
	next := i
	for next < len(lines) && strings.HasPrefix(lines[next], "|") {
		next++
	}
	col := slices.Index(tableCells(lines[i]), "example")
	if col < 0 {
		return nil, next, nil
	}
	var out []readmeExample
	for j := i + 2; j < next; j++ {
		cells := tableCells(lines[j])
		if col >= len(cells) {
			return nil, 0, fmt.Errorf("line %d: the row has no example column (%d cells)", j+1, len(cells))
		}
		cell := strings.ReplaceAll(cells[col], `\|`, "|")
		rest := spanRE.ReplaceAllString(cell, "")
		for _, m := range spanRE.FindAllStringSubmatch(cell, -1) {
			ex, err := newExample(j+1, m[1], rest)
			if err != nil {
				return nil, 0, err
			}
			if _, after, ok := strings.Cut(rest, "→"); ok {
				after = needsRE.ReplaceAllString(exitRE.ReplaceAllString(after, ""), "")
				ex.words = strings.Fields(after)
			}
			out = append(out, ex)
		}
	}
	return out, next, nil
}

// tableCells splits a table row at the bars that are not \|.
func tableCells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	var cells []string
	var cell strings.Builder
	for k := 0; k < len(row); k++ {
		switch {
		case row[k] == '\\' && k+1 < len(row) && row[k+1] == '|':
			cell.WriteString(`\|`)
			k++
		case row[k] == '|':
			cells = append(cells, strings.TrimSpace(cell.String()))
			cell.Reset()
		default:
			cell.WriteByte(row[k])
		}
	}
	return append(cells, strings.TrimSpace(cell.String()))
}

// newExample makes the example of cmd at README line n, with the markers
// found in marks (the command's line, or its table cell outside the code).
func newExample(n int, cmd, marks string) (readmeExample, error) {
	ex := readmeExample{line: n, cmd: cmd}
	if m := needsRE.FindStringSubmatch(marks); m != nil {
		ex.needs = strings.TrimSpace(m[1])
	}
	if m := exitRE.FindStringSubmatch(marks); m != nil {
		code, err := strconv.Atoi(m[1])
		if err != nil || code > 255 {
			return ex, fmt.Errorf("line %d: bad exit status in %q", n, m[0])
		}
		ex.exit = code
	}
	return ex, nil
}

// TestREADMEExampleRule checks the rule at the top of this file on a small
// README, so that a change to the parser cannot quietly stop finding examples.
func TestREADMEExampleRule(t *testing.T) {
	src := strings.Join([]string{
		"# t",
		"    make test        # indented: not run",
		"```sh",
		"# a comment",
		"echo a \\",
		"  b             # (exit 3)",
		"```",
		"```sh",
		"echo '{}' | jq .  # (needs: jq)",
		"```",
		"```text",
		"{}",
		"```",
		"| flag | what | example |",
		"|---|---|---|",
		"| `-x` | x | `seq 3 \\| wc -l` → 3 |",
		"| `-y` | y | |",
		"| `-S` | s | `parrun -S h true` (needs: ssh hosts) |",
		"",
		"| mode | what |",
		"|---|---|",
		"| `a` | `not run` |",
	}, "\n")
	got, err := readmeExamples(src)
	if err != nil {
		t.Fatal(err)
	}
	jq := "{}\n"
	want := []readmeExample{
		{line: 5, cmd: "echo a \\\n  b             # (exit 3)", exit: 3},
		{line: 9, cmd: "echo '{}' | jq .  # (needs: jq)", needs: "jq", stdout: &jq},
		{line: 16, cmd: "seq 3 | wc -l", words: []string{"3"}},
		{line: 18, cmd: "parrun -S h true", needs: "ssh hosts"},
	}
	if len(got) != len(want) {
		t.Fatalf("found %d examples, want %d: %+v", len(got), len(want), got)
	}
	for k := range want {
		g, w := got[k], want[k]
		if g.line != w.line || g.cmd != w.cmd || g.needs != w.needs || g.exit != w.exit ||
			!slices.Equal(g.words, w.words) || (g.stdout == nil) != (w.stdout == nil) ||
			(g.stdout != nil && *g.stdout != *w.stdout) {
			t.Errorf("example %d = %+v, want %+v", k, g, w)
		}
	}
	if r := got[3].skipReason(); r != "ssh hosts" {
		t.Errorf("skip reason of the ssh example = %q, want %q", r, "ssh hosts")
	}
}

// mdLinkRE matches a markdown link's target: [text](target).
var mdLinkRE = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestDocsStandAlone: the repository's documents point at no file outside
// it (issue 16: the repository stands on its own). Every relative link must
// name a file or directory in the repository, and no document may send the
// reader up out of it.
func TestDocsStandAlone(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	docs := []string{"README.md", "CONTRIBUTING.md", "docs/design.md", "docs/protocol.md", "docs/spec.md"}
	for _, doc := range docs {
		src, err := os.ReadFile(filepath.Join(root, doc))
		if err != nil {
			t.Error(err)
			continue
		}
		for n, line := range strings.Split(string(src), "\n") {
			if strings.Contains(line, "../shared") || strings.Contains(line, "/work/") {
				t.Errorf("%s:%d points outside the repository: %s", doc, n+1, line)
			}
			for _, m := range mdLinkRE.FindAllStringSubmatch(line, -1) {
				checkLink(t, root, doc, n+1, m[1])
			}
		}
	}
}

// checkLink checks that target, a link in doc at line n, is in the
// repository when it is a relative path.
func checkLink(t *testing.T, root, doc string, n int, target string) {
	t.Helper()
	if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
		return
	}
	target, _, _ = strings.Cut(target, "#")
	p := filepath.Join(root, filepath.Dir(doc), target)
	if rel, err := filepath.Rel(root, p); err != nil || strings.HasPrefix(rel, "..") {
		t.Errorf("%s:%d: link %s leaves the repository", doc, n, target)
		return
	}
	if _, err := os.Stat(p); err != nil {
		t.Errorf("%s:%d: link %s: %v", doc, n, target, err)
	}
}

// TestDocsProtocol: docs/protocol.md summarises internal/ipc/doc.go; the
// numbers a worker's author reads there are the code's.
func TestDocsProtocol(t *testing.T) {
	src, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src)
	flat := strings.Join(strings.Fields(doc), " ") // phrases may wrap
	for _, want := range []string{
		"internal/ipc/doc.go",
		fmt.Sprintf("protocol version is %d", ipc.ProtocolVersion),
		fmt.Sprintf("MaxFrame, %d bytes", ipc.MaxFrame),
		fmt.Sprintf("ChunkSize, %d bytes", ipc.ChunkSize),
		ipc.CookieKey + "=" + ipc.CookieValue,
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("docs/protocol.md does not say %q (from internal/ipc)", want)
		}
	}
	kinds := map[ipc.Kind]string{}
	for k := ipc.KindHello; k <= ipc.KindKill; k++ {
		kinds[k] = k.String()
	}
	sc := bufio.NewScanner(strings.NewReader(doc))
	seen := map[ipc.Kind]bool{}
	rowRE := regexp.MustCompile("^\\| (\\d) \\| `?([A-Za-z]+)`? \\|")
	for sc.Scan() {
		m := rowRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		k := ipc.Kind(n)
		if kinds[k] != m[2] {
			t.Errorf("docs/protocol.md: kind %d is %s; the code calls it %s", n, m[2], k)
		}
		seen[k] = true
	}
	for k := range kinds {
		if !seen[k] {
			t.Errorf("docs/protocol.md's table of message kinds has no row for %d %s", k, k)
		}
	}
}
