package report

// The report is driven as the scheduler drives it: Start for each job, the
// job's writes into the writers Start returned (from the job's own
// goroutine), then Done on one goroutine, then Close.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/job"
)

var (
	direct = job.Parse([]string{"prog", "{}"}, "/bin/sh", false)
	shell  = job.Parse([]string{"echo", "{}", "|", "wc"}, "/bin/sh", false)
)

// lockedBuffer is parrun's stdout or stderr: written under the report's
// lock, but read by the test while jobs run.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type harness struct {
	t              *testing.T
	r              *Report
	stdout, stderr *lockedBuffer
}

func newHarness(t *testing.T, opts Options) *harness {
	h := &harness{t: t, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	h.r = New(opts, h.stdout, h.stderr)
	return h
}

// running is a job between Start and Done.
type running struct {
	h        *harness
	d        *job.Done
	out, err io.Writer
}

func (h *harness) start(seq int64, tmpl *job.Template, args ...string) *running {
	j := &job.Job{Seq: seq, Whole: args}
	cmd := j.Command(tmpl, 1)
	o := h.r.Start(j, cmd, 1)
	out, err := job.Streams(o)
	return &running{h: h, d: &job.Done{Job: j, Command: cmd, Slot: 1, Attempts: 1, Output: o}, out: out, err: err}
}

func (j *running) write(w io.Writer, s string) {
	j.h.t.Helper()
	if w == nil {
		return
	}
	if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
		j.h.t.Fatalf("job %d: Write(%q) = %d, %v", j.d.Job.Seq, s, n, err)
	}
}

func (j *running) stdout(s string) { j.h.t.Helper(); j.write(j.out, s) }
func (j *running) stderr(s string) { j.h.t.Helper(); j.write(j.err, s) }

// done reports the job finished with res (exit 0 when nil).
func (j *running) done(res *exec.Result) error {
	if res == nil {
		res = &exec.Result{}
	}
	j.d.Result = res
	return j.h.r.Done(j.d)
}

func (j *running) mustDone(res *exec.Result) {
	j.h.t.Helper()
	if err := j.done(res); err != nil {
		j.h.t.Fatalf("Done(job %d) = %v", j.d.Job.Seq, err)
	}
}

func (h *harness) check(wantOut, wantErr string) {
	h.t.Helper()
	if got := h.stdout.String(); got != wantOut {
		h.t.Errorf("stdout = %q; want %q", got, wantOut)
	}
	if got := h.stderr.String(); got != wantErr {
		h.t.Errorf("stderr = %q; want %q", got, wantErr)
	}
}

func TestGroupWritesWholeJobs(t *testing.T) {
	h := newHarness(t, Options{Grouping: Group})
	a := h.start(1, direct, "a")
	b := h.start(2, direct, "b")
	// Interleaved as two running jobs would.
	a.stdout("a1\n")
	b.stdout("b1\n")
	a.stdout("a2 partial")
	b.stderr("b-err\n")
	a.stderr("a-err\n")
	a.stdout(" line\n")
	h.check("", "") // nothing goes out before a job ends
	b.mustDone(nil)
	h.check("b1\n", "b-err\n")
	a.mustDone(nil)
	h.check("b1\na1\na2 partial line\n", "b-err\na-err\n")
	if err := h.r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	h.check("b1\na1\na2 partial line\n", "b-err\na-err\n")
}

func TestGroupLargeOutputSpills(t *testing.T) {
	tmp := t.TempDir()
	h := newHarness(t, Options{Grouping: Group, BufferSize: 1024, TmpDir: tmp})
	j := h.start(1, direct, "x")
	var want strings.Builder
	for i := range 20000 {
		line := fmt.Sprintf("line %06d\n", i)
		want.WriteString(line)
		j.stdout(line)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("spill directory holds %d entries while the job runs; want none (unlinked)", len(ents))
	}
	j.mustDone(nil)
	if got := h.stdout.String(); got != want.String() {
		t.Errorf("stdout: %d bytes; want the job's %d bytes, byte-equal", len(got), want.Len())
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("spill directory holds %d entries after Done; want none", len(ents))
	}
}

func TestTag(t *testing.T) {
	for _, mode := range []struct {
		name string
		m    Grouping
	}{{"group", Group}, {"line-buffer", LineBuffer}, {"ungroup", Ungroup}} {
		t.Run(mode.name, func(t *testing.T) {
			h := newHarness(t, Options{Grouping: mode.m, Tag: true})
			j := h.start(1, direct, "a b")
			j.stdout("x\ny")
			j.stdout("\nz\n")
			j.stderr("e1\ne2") // no final newline
			j.mustDone(nil)
			h.check("a b\tx\na b\ty\na b\tz\n", "a b\te1\na b\te2")
		})
	}
}

// TestTagLongLine: a line longer than the buffer size is still one line
// with one prefix; the prefix never lands in the middle of a line.
func TestTagLongLine(t *testing.T) {
	for _, mode := range []struct {
		name string
		m    Grouping
	}{{"group", Group}, {"line-buffer", LineBuffer}} {
		t.Run(mode.name, func(t *testing.T) {
			h := newHarness(t, Options{Grouping: mode.m, Tag: true, BufferSize: 8, TmpDir: t.TempDir()})
			j := h.start(1, direct, "t")
			// Longer than the buffer size, and than io.Copy's 32 KiB
			// chunks of a grouped buffer.
			long := strings.Repeat("0123456789", 10_000)
			j.stdout(long)
			j.stdout("KLM\nshort\n")
			j.mustDone(nil)
			want := "t\t" + long + "KLM\nt\tshort\n"
			if got := h.stdout.String(); got != want {
				t.Errorf("stdout holds %d prefixes in %d bytes; want %q…%q (2 prefixes, %d bytes)",
					strings.Count(got, "t\t"), len(got), want[:20], want[len(want)-20:], len(want))
			}
		})
	}
}

func TestLineBuffer(t *testing.T) {
	h := newHarness(t, Options{Grouping: LineBuffer})
	a := h.start(1, direct, "a")
	b := h.start(2, direct, "b")
	a.stdout("a1\na2-part")
	h.check("a1\n", "") // whole lines go out at once, the partial one waits
	b.stdout("b1\n")
	h.check("a1\nb1\n", "")
	a.stdout("ial\na3")
	h.check("a1\nb1\na2-partial\n", "")
	b.stderr("b-err")
	b.stdout("b2")
	b.mustDone(nil) // flushes b's partial lines
	h.check("a1\nb1\na2-partial\nb2", "b-err")
	a.mustDone(nil)
	h.check("a1\nb1\na2-partial\nb2a3", "b-err")
}

// TestLineBufferLongPartialLine: a partial line longer than the buffer
// size is written as it is: memory stays bounded.
func TestLineBufferLongPartialLine(t *testing.T) {
	h := newHarness(t, Options{Grouping: LineBuffer, BufferSize: 8})
	j := h.start(1, direct, "a")
	j.stdout(strings.Repeat("x", 20))
	h.check(strings.Repeat("x", 20), "")
	j.stdout("y\n")
	j.mustDone(nil)
	h.check(strings.Repeat("x", 20)+"y\n", "")
}

// TestLineBufferConcurrentJobs: many jobs writing at once in odd-sized
// pieces; every output line is whole and each job's lines keep their order.
func TestLineBufferConcurrentJobs(t *testing.T) {
	for _, tag := range []bool{false, true} {
		t.Run(fmt.Sprintf("tag=%v", tag), func(t *testing.T) {
			h := newHarness(t, Options{Grouping: LineBuffer, Tag: tag})
			const jobs, lines = 8, 500
			var wg sync.WaitGroup
			rs := make([]*running, jobs)
			for i := range jobs {
				rs[i] = h.start(int64(i+1), direct, fmt.Sprint("j", i))
			}
			for i, j := range rs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var all strings.Builder
					for k := range lines {
						fmt.Fprintf(&all, "job %d line %d\n", i, k)
					}
					rng := rand.New(rand.NewPCG(uint64(i), 7))
					for rest := all.String(); rest != ""; {
						n := min(len(rest), 1+rng.IntN(40))
						if _, err := j.out.Write([]byte(rest[:n])); err != nil {
							t.Errorf("write: %v", err)
							return
						}
						rest = rest[n:]
					}
				}()
			}
			wg.Wait()
			for _, j := range rs {
				j.mustDone(nil)
			}
			next := make([]int, jobs)
			out := h.stdout.String()
			for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				whole, pre := line, ""
				if tag {
					var ok bool
					if pre, line, ok = strings.Cut(line, "\t"); !ok {
						t.Fatalf("line %q has no tag", whole)
					}
				}
				var i, k int
				if _, err := fmt.Sscanf(line, "job %d line %d", &i, &k); err != nil || fmt.Sprintf("job %d line %d", i, k) != line {
					t.Fatalf("torn line %q", whole)
				}
				if tag && pre != fmt.Sprint("j", i) {
					t.Errorf("line %q tagged %q; want j%d", whole, pre, i)
				}
				if k != next[i] {
					t.Fatalf("job %d: line %d after line %d", i, k, next[i]-1)
				}
				next[i]++
			}
			for i, n := range next {
				if n != lines {
					t.Errorf("job %d: %d lines; want %d", i, n, lines)
				}
			}
		})
	}
}

func TestUngroupPassesThrough(t *testing.T) {
	h := newHarness(t, Options{Grouping: Ungroup})
	j := h.start(1, direct, "a")
	j.stdout("par")
	h.check("par", "") // no waiting for a newline
	j.stderr("e")
	j.stdout("tial\n")
	j.mustDone(nil)
	h.check("partial\n", "e")

	// A file goes to the job as it is, with no copy (exec.Filer).
	f, err := os.Create(t.TempDir() + "/out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := New(Options{Grouping: Ungroup}, f, f)
	jb := &job.Job{Seq: 1, Whole: []string{"a"}}
	out, errw := job.Streams(r.Start(jb, jb.Command(direct, 1), 1))
	for _, w := range []io.Writer{out, errw} {
		if fl, ok := w.(exec.Filer); !ok || fl.File() != f {
			t.Errorf("Start returned %T; want an exec.Filer of the *os.File itself", w)
		}
	}
}

func TestDryRun(t *testing.T) {
	for _, tc := range []struct {
		tmpl *job.Template
		arg  string
		tag  bool
		want string
	}{
		{direct, "plain", false, "prog plain\n"},
		{direct, "a b", false, "prog 'a b'\n"},
		{direct, "it's", false, `prog 'it'"'"'s'` + "\n"},
		{shell, "a b", false, "echo 'a b' | wc\n"},
		// --tag tags the printed command, as GNU does.
		{direct, "a b", true, "a b\tprog 'a b'\n"},
	} {
		h := newHarness(t, Options{DryRun: true, Tag: tc.tag})
		j := h.start(1, tc.tmpl, tc.arg)
		if j.out != nil || j.err != nil {
			t.Errorf("dry run: Start returned writers %T, %T; want nil, nil", j.out, j.err)
		}
		j.mustDone(nil)
		h.check(tc.want, "")
		if err := h.r.Close(); err != nil {
			t.Fatal(err)
		}
		h.check(tc.want, "")
	}
}

func TestVerbose(t *testing.T) {
	h := newHarness(t, Options{Grouping: Group, Verbose: true})
	j := h.start(1, direct, "a b")
	h.check("", "prog 'a b'\n")
	j.stdout("out\n")
	j.mustDone(nil)
	h.check("out\n", "prog 'a b'\n")
}

func TestCloseWithoutFailures(t *testing.T) {
	h := newHarness(t, Options{Grouping: Group})
	for i := range 5 {
		h.start(int64(i+1), direct, "ok").mustDone(nil)
	}
	if err := h.r.Close(); err != nil {
		t.Fatal(err)
	}
	h.check("", "")
}

func TestCloseListsFailures(t *testing.T) {
	h := newHarness(t, Options{Grouping: Group})
	h.start(1, direct, "fine").mustDone(nil)
	h.start(2, direct, "bad").mustDone(&exec.Result{ExitCode: 3})
	h.start(3, direct, "slow").mustDone(&exec.Result{ExitCode: 143, Signal: syscall.SIGTERM, TimedOut: true})
	h.start(4, direct, "killed").mustDone(&exec.Result{ExitCode: 137, Signal: syscall.SIGKILL})
	h.start(5, direct, "broken").mustDone(&exec.Result{ExitCode: -1, Err: errors.New("exec: could not start job: prog: resource temporarily unavailable")})
	bad := &job.Job{Seq: 6, Line: 6, Err: errors.New("line 6: malformed JSON")}
	if err := h.r.Done(&job.Done{Job: bad, Result: &exec.Result{ExitCode: -1, Err: bad.Err}}); err != nil {
		t.Fatal(err)
	}
	if err := h.r.Close(); err != nil {
		t.Fatal(err)
	}
	want := "parrun: job 5: exec: could not start job: prog: resource temporarily unavailable\n" +
		"parrun: job 6: line 6: malformed JSON\n" +
		"parrun: 5 jobs failed:\n" +
		"  job 2 (exit 3): prog bad\n" +
		"  job 3 (timed out): prog slow\n" +
		"  job 4 (signal KILL): prog killed\n" +
		"  job 5 (exec: could not start job: prog: resource temporarily unavailable): prog broken\n" +
		"  job 6 (line 6: malformed JSON)\n"
	h.check("", want)
}

func TestCloseOneFailure(t *testing.T) {
	h := newHarness(t, Options{Grouping: Group})
	h.start(1, direct, "bad").mustDone(&exec.Result{ExitCode: 1})
	if err := h.r.Close(); err != nil {
		t.Fatal(err)
	}
	h.check("", "parrun: 1 job failed:\n  job 1 (exit 1): prog bad\n")
}

func TestCloseFailedListBounded(t *testing.T) {
	h := newHarness(t, Options{Grouping: Group})
	const failed = 25
	for i := range failed {
		h.start(int64(i+1), direct, fmt.Sprint("arg", i+1)).mustDone(&exec.Result{ExitCode: 2})
	}
	h.start(failed+1, direct, "fine").mustDone(nil)
	if err := h.r.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(h.stderr.String(), "\n"), "\n")
	if want := fmt.Sprintf("parrun: %d jobs failed:", failed); lines[0] != want {
		t.Errorf("first line = %q; want %q", lines[0], want)
	}
	if len(lines) != 1+maxFailedListed+1 {
		t.Fatalf("stderr has %d lines; want a header, %d jobs and a last line:\n%s", len(lines), maxFailedListed, h.stderr.String())
	}
	for i := 1; i <= maxFailedListed; i++ {
		if want := fmt.Sprintf("  job %d (exit 2): prog arg%d", i, i); lines[i] != want {
			t.Errorf("line %d = %q; want %q", i, lines[i], want)
		}
	}
	if want := fmt.Sprintf("  … and %d more", failed-maxFailedListed); lines[len(lines)-1] != want {
		t.Errorf("last line = %q; want %q", lines[len(lines)-1], want)
	}
}

// TestFailedListStderrTail: the closing list quotes a failed job's last
// stderr lines only where they were not shown already (--json puts them
// in the record on stdout); each failure is reported once.
func TestFailedListStderrTail(t *testing.T) {
	list := "parrun: 1 job failed:\n  job 1 (exit 1): prog x\n"
	for _, tc := range []struct {
		name       string
		opts       Options
		stdout     string // a pattern for --json's record
		wantStderr string
	}{
		{"group", Options{Grouping: Group}, "", "e1\ne2\ne3\ne4\n" + list},
		{"json", Options{Grouping: Group, JSON: true}, `"stderr":"e1\ne2\ne3\ne4\n"`,
			list + "      | e2\n      | e3\n      | e4\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.opts)
			j := h.start(1, direct, "x")
			j.stderr("e1\ne2\ne3\ne4\n")
			j.mustDone(&exec.Result{ExitCode: 1})
			if err := h.r.Close(); err != nil {
				t.Fatal(err)
			}
			if got := h.stdout.String(); !strings.Contains(got, tc.stdout) {
				t.Errorf("stdout = %q; want it to hold %s", got, tc.stdout)
			}
			if got := h.stderr.String(); got != tc.wantStderr {
				t.Errorf("stderr = %q; want %q", got, tc.wantStderr)
			}
		})
	}
}

// failWriter fails every write.
type failWriter struct{}

var errBrokenPipe = errors.New("broken pipe")

func (failWriter) Write([]byte) (int, error) { return 0, errBrokenPipe }

// TestOutputErrorWrapsErrOutput: a write to parrun's own stdout that fails
// makes Done return an error wrapping ErrOutput, in every mode.
func TestOutputErrorWrapsErrOutput(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"group", Options{Grouping: Group}},
		{"group-tag", Options{Grouping: Group, Tag: true}},
		{"line-buffer", Options{Grouping: LineBuffer}},
		{"dry-run", Options{DryRun: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(tc.opts, failWriter{}, io.Discard)
			jb := &job.Job{Seq: 1, Whole: []string{"a"}}
			cmd := jb.Command(direct, 1)
			o := r.Start(jb, cmd, 1)
			if out, _ := job.Streams(o); out != nil {
				out.Write([]byte("partial line")) // held until Done
			}
			err := r.Done(&job.Done{Job: jb, Command: cmd, Result: &exec.Result{}, Output: o})
			if !errors.Is(err, ErrOutput) || !errors.Is(err, errBrokenPipe) {
				t.Errorf("Done = %v; want an error wrapping ErrOutput and %v", err, errBrokenPipe)
			}
		})
	}
}
