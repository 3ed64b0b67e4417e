package sched

// The scheduler is tested with a fake Transport and a recording Sink: no
// processes. Completion is controlled through channels; waits are bounded
// by the test's deadline; goleak checks that Run leaves no goroutine
// behind (STYLE habit 1).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/job"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var tmpl = job.Parse([]string{"prog"}, "/bin/sh", false)

func newJob(seq int64) *job.Job {
	return &job.Job{Seq: seq, Whole: []string{strconv.FormatInt(seq, 10)}}
}

// ---- sources ----

// genSource yields jobs 1..total (total < 0: forever), counting the calls
// of Next. check, when set, is called at each Next before it returns.
type genSource struct {
	total int64
	calls atomic.Int64 // Next calls, EOF included
	read  atomic.Int64 // jobs returned
	check func(call int64)
	// badEvery makes every badEvery-th job a bad record.
	badEvery int64
}

func (s *genSource) Next() (*job.Job, error) {
	c := s.calls.Add(1)
	if s.check != nil {
		s.check(c)
	}
	seq := s.read.Load() + 1
	if s.total >= 0 && seq > s.total {
		return nil, io.EOF
	}
	s.read.Add(1)
	j := newJob(seq)
	if s.badEvery > 0 && seq%s.badEvery == 0 {
		j.Err = fmt.Errorf("record %d is malformed", seq)
	}
	return j, nil
}

// ---- transports ----

type transportFunc func(ctx context.Context, t *Task) *exec.Result

func (f transportFunc) Run(ctx context.Context, t *Task) *exec.Result { return f(ctx, t) }

func ok() *exec.Result { return &exec.Result{ExitCode: 0, Start: time.Now()} }

// ---- sink ----

// recSink records what the scheduler hands it.
type recSink struct {
	mu     sync.Mutex
	starts map[int64]int
	done   []*job.Done
	// notify, when set, receives each job's Seq as it is reported.
	notify chan int64
	// onDone, when set, decides Done's error.
	onDone func(*job.Done) error
	// onStart, when set, runs in Start.
	onStart func(*job.Job)
	// delivered counts Done calls.
	delivered atomic.Int64
}

func (s *recSink) Start(j *job.Job, cmd job.Command, slot int) job.Output {
	if s.onStart != nil {
		s.onStart(j)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.starts == nil {
		s.starts = map[int64]int{}
	}
	s.starts[j.Seq]++
	return nil
}

func (s *recSink) Done(d *job.Done) error {
	s.mu.Lock()
	s.done = append(s.done, d)
	s.mu.Unlock()
	s.delivered.Add(1)
	if s.notify != nil {
		s.notify <- d.Job.Seq
	}
	if s.onDone != nil {
		return s.onDone(d)
	}
	return nil
}

func (s *recSink) seqs() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]int64, len(s.done))
	for i, d := range s.done {
		out[i] = d.Job.Seq
	}
	return out
}

// checkOnce checks that every started job and every bad record was
// reported exactly once, and nothing else was.
func (s *recSink) checkOnce(t *testing.T) map[int64]*job.Done {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	byseq := map[int64]*job.Done{}
	for _, d := range s.done {
		if byseq[d.Job.Seq] != nil {
			t.Errorf("job %d reported twice", d.Job.Seq)
		}
		byseq[d.Job.Seq] = d
	}
	for seq, n := range s.starts {
		if n != 1 {
			t.Errorf("job %d started %d times; want once (no retries)", seq, n)
		}
		if byseq[seq] == nil {
			t.Errorf("job %d started but never reported", seq)
		}
	}
	for seq, d := range byseq {
		if s.starts[seq] == 0 && d.Job.Err == nil {
			t.Errorf("job %d reported but never started", seq)
		}
	}
	return byseq
}

// ---- harness ----

func testDeadline(t *testing.T) time.Time {
	d, ok := t.Deadline()
	if !ok {
		return time.Now().Add(2 * time.Minute)
	}
	return d.Add(-min(5*time.Second, time.Until(d)/10))
}

type runResult struct {
	stats Stats
	err   error
}

// startRun runs Run on a goroutine the test owns; wait collects it.
func startRun(t *testing.T, ctx context.Context, opts Options, src Source, tr Transport, sink Sink) <-chan runResult {
	t.Helper()
	if opts.Template == nil {
		opts.Template = tmpl
	}
	ch := make(chan runResult, 1)
	go func() {
		st, err := Run(ctx, opts, src, tr, sink)
		ch <- runResult{st, err}
	}()
	return ch
}

// wait waits for Run to return, failing with every goroutine's stack if it
// does not before the test's deadline (a deadlock).
func wait(t *testing.T, ch <-chan runResult) (Stats, error) {
	t.Helper()
	timer := time.NewTimer(time.Until(testDeadline(t)))
	defer timer.Stop()
	select {
	case r := <-ch:
		return r.stats, r.err
	case <-timer.C:
		pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
		t.Fatalf("sched.Run did not return (deadlock?); goroutines above")
		return Stats{}, nil
	}
}

func runSched(t *testing.T, ctx context.Context, opts Options, src Source, tr Transport, sink Sink) (Stats, error) {
	t.Helper()
	return wait(t, startRun(t, ctx, opts, src, tr, sink))
}

// waitFor polls cond, a condition on counters the code under test moves,
// until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := testDeadline(t)
	for !cond() {
		if time.Now().After(deadline) {
			pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// recv receives from ch within the deadline.
func recv[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	timer := time.NewTimer(time.Until(testDeadline(t)))
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// modes runs f for thread and coroutine mode.
func modes(t *testing.T, f func(t *testing.T, mode Mode)) {
	for _, mode := range []Mode{ModeThread, ModeCoroutine} {
		t.Run(string(mode), func(t *testing.T) { f(t, mode) })
	}
}

// ---- tests ----

func TestEveryJobReportedOnce(t *testing.T) {
	modes(t, func(t *testing.T, mode Mode) {
		for _, keep := range []bool{false, true} {
			t.Run(fmt.Sprintf("keep-order=%v", keep), func(t *testing.T) {
				const total = 300
				src := &genSource{total: total, badEvery: 50}
				var calls sync.Map
				tr := transportFunc(func(ctx context.Context, task *Task) *exec.Result {
					if _, dup := calls.LoadOrStore(task.Job.Seq, true); dup {
						t.Errorf("job %d run twice", task.Job.Seq)
					}
					if task.Job.Err != nil {
						t.Errorf("bad record %d was run", task.Job.Seq)
					}
					return &exec.Result{ExitCode: int(task.Job.Seq % 7 % 2)}
				})
				sink := &recSink{}
				opts := Options{Slots: 3, Concurrency: 5, Mode: mode, KeepOrder: keep, QueueSize: -1}
				st, err := runSched(t, context.Background(), opts, src, tr, sink)
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				byseq := sink.checkOnce(t)
				wantFailed := 0
				for seq := int64(1); seq <= total; seq++ {
					d := byseq[seq]
					if d == nil {
						t.Errorf("job %d never reported", seq)
						continue
					}
					bad := seq%50 == 0
					if bad {
						if d.Result == nil || !errors.Is(d.Result.Err, d.Job.Err) || !d.Failed() {
							t.Errorf("bad record %d: result %+v; want failed with its error", seq, d.Result)
						}
						if sink.starts[seq] != 0 {
							t.Errorf("bad record %d was started", seq)
						}
					}
					if bad || seq%7%2 == 1 {
						wantFailed++
					}
				}
				if st.Jobs != total || st.Failed != wantFailed {
					t.Errorf("Stats = %+v; want Jobs %d, Failed %d", st, total, wantFailed)
				}
				if keep {
					if got := sink.seqs(); !slices.IsSorted(got) {
						t.Errorf("KeepOrder: reported out of input order: %v", got)
					}
				}
			})
		}
	})
}

// TestKeepOrderReverseCompletion: jobs finish in reverse, results come out
// in input order.
func TestKeepOrderReverseCompletion(t *testing.T) {
	modes(t, func(t *testing.T, mode Mode) {
		const workers, total = 4, 8
		started := make(chan int64, total)
		returned := make(chan int64, total)
		release := make([]chan struct{}, total+1)
		for i := range release {
			release[i] = make(chan struct{})
		}
		tr := transportFunc(func(ctx context.Context, task *Task) *exec.Result {
			started <- task.Job.Seq
			<-release[task.Job.Seq]
			defer func() { returned <- task.Job.Seq }()
			return ok()
		})
		sink := &recSink{}
		opts := Options{Slots: workers, Concurrency: workers, Mode: mode, KeepOrder: true, QueueSize: -1}
		ch := startRun(t, context.Background(), opts, &genSource{total: total}, tr, sink)
		var finishOrder []int64
		for batch := int64(0); batch < total/workers; batch++ {
			var got []int64
			for range workers {
				got = append(got, recv(t, "a job to start", started))
			}
			slices.Sort(got)
			first := batch*workers + 1
			if want := []int64{first, first + 1, first + 2, first + 3}; !slices.Equal(got, want) {
				t.Fatalf("started %v; want %v", got, want)
			}
			// Finish them last first, one at a time.
			for seq := first + workers - 1; seq >= first; seq-- {
				close(release[seq])
				finishOrder = append(finishOrder, recv(t, "a job to return", returned))
			}
		}
		if _, err := wait(t, ch); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if want := []int64{4, 3, 2, 1, 8, 7, 6, 5}; !slices.Equal(finishOrder, want) {
			t.Fatalf("jobs finished in order %v; want %v (the test's own control)", finishOrder, want)
		}
		if got, want := sink.seqs(), []int64{1, 2, 3, 4, 5, 6, 7, 8}; !slices.Equal(got, want) {
			t.Errorf("reported in order %v; want input order %v", got, want)
		}
	})
}

// TestNoKeepOrderReportsOnCompletion: without -k a finished job is reported
// while earlier jobs still run (no head-of-line blocking).
func TestNoKeepOrderReportsOnCompletion(t *testing.T) {
	modes(t, func(t *testing.T, mode Mode) {
		const workers = 4
		started := make(chan int64, workers)
		release := make([]chan struct{}, workers+1)
		for i := range release {
			release[i] = make(chan struct{})
		}
		tr := transportFunc(func(ctx context.Context, task *Task) *exec.Result {
			started <- task.Job.Seq
			<-release[task.Job.Seq]
			return ok()
		})
		sink := &recSink{notify: make(chan int64, workers)}
		opts := Options{Slots: workers, Concurrency: workers, Mode: mode, QueueSize: -1}
		ch := startRun(t, context.Background(), opts, &genSource{total: workers}, tr, sink)
		for range workers {
			recv(t, "a job to start", started)
		}
		for seq := int64(workers); seq >= 1; seq-- {
			close(release[seq])
			if got := recv(t, "a job to be reported", sink.notify); got != seq {
				t.Errorf("reported job %d; want %d, the one that just finished", got, seq)
			}
		}
		if _, err := wait(t, ch); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// TestReadAheadBounded: while jobs are blocked, the reader reads at most
// the queue, the running jobs, and the one job each in the reader's and the
// dispatcher's hands.
func TestReadAheadBounded(t *testing.T) {
	modes(t, func(t *testing.T, mode Mode) {
		for _, keep := range []bool{false, true} {
			t.Run(fmt.Sprintf("keep-order=%v", keep), func(t *testing.T) {
				const workers, qsize, total = 2, 3, 60
				const bound = qsize + workers + 2
				var returned, maxAhead atomic.Int64
				src := &genSource{total: total}
				src.check = func(call int64) {
					ahead := call - returned.Load()
					for m := maxAhead.Load(); ahead > m && !maxAhead.CompareAndSwap(m, ahead); m = maxAhead.Load() {
					}
				}
				release := make(chan struct{})
				tr := transportFunc(func(ctx context.Context, task *Task) *exec.Result {
					<-release
					defer returned.Add(1)
					return ok()
				})
				opts := Options{Slots: workers, Concurrency: workers, Mode: mode, QueueSize: qsize, KeepOrder: keep}
				ch := startRun(t, context.Background(), opts, src, tr, &recSink{})
				for k := int64(0); k < total; k++ {
					// Let the reader fill the window, then finish one job.
					want := min(total+1, k+qsize+workers)
					waitFor(t, fmt.Sprintf("%d Next calls", want), func() bool { return src.calls.Load() >= want })
					release <- struct{}{}
					waitFor(t, "a job to return", func() bool { return returned.Load() > k })
				}
				st, err := wait(t, ch)
				if err != nil || st.Jobs != total {
					t.Fatalf("Run = %+v, %v; want %d jobs, nil", st, err, total)
				}
				if m := maxAhead.Load(); m > bound {
					t.Errorf("read %d jobs ahead of the last finished one; want at most QueueSize+Workers+2 = %d", m, bound)
				}
			})
		}
	})
}

// TestQueueSizeZeroReadsAllFirst: --queue-size 0 reads the whole input
// before the first job starts.
func TestQueueSizeZeroReadsAllFirst(t *testing.T) {
	const total = 50
	src := &genSource{total: total}
	var callsAtFirstRun atomic.Int64
	var once sync.Once
	tr := transportFunc(func(ctx context.Context, task *Task) *exec.Result {
		once.Do(func() { callsAtFirstRun.Store(src.calls.Load()) })
		return ok()
	})
	st, err := runSched(t, context.Background(), Options{Slots: 2, QueueSize: 0}, src, tr, &recSink{})
	if err != nil || st.Jobs != total {
		t.Fatalf("Run = %+v, %v; want %d jobs", st, err, total)
	}
	if got := callsAtFirstRun.Load(); got != total+1 {
		t.Errorf("Next had been called %d times when the first job ran; want %d (all input, then EOF)", got, total+1)
	}
}

// errSource yields n jobs, then fails with err on every call.
type errSource struct {
	n, calls   int
	afterError int
	err        error
}

func (s *errSource) Next() (*job.Job, error) {
	s.calls++
	if s.calls <= s.n {
		return newJob(int64(s.calls)), nil
	}
	if s.calls > s.n+1 {
		s.afterError++
		if s.afterError > 100 {
			return nil, io.EOF // do not loop forever in a broken scheduler
		}
	}
	return nil, s.err
}

func TestInputErrorEndsInput(t *testing.T) {
	for _, q := range []int{-1, 0, 1} {
		t.Run(fmt.Sprintf("queue-size=%d", q), func(t *testing.T) {
			errRead := errors.New("read error")
			src := &errSource{n: 2, err: errRead}
			sink := &recSink{}
			st, err := runSched(t, context.Background(), Options{Slots: 2, QueueSize: q, KeepOrder: true},
				src, transportFunc(func(context.Context, *Task) *exec.Result { return ok() }), sink)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if src.afterError != 0 {
				t.Errorf("Next called %d more times after it failed; want 0", src.afterError)
			}
			if st.Jobs != 3 || st.Failed != 1 {
				t.Errorf("Stats = %+v; want 3 jobs (2 and the input error), 1 failed", st)
			}
			var found bool
			for _, d := range sink.done {
				if d.Job.Err != nil {
					found = true
					if !errors.Is(d.Result.Err, errRead) || !strings.Contains(d.Result.Err.Error(), "reading input") {
						t.Errorf("input error job: Err = %v; want it to wrap %v and say reading input", d.Result.Err, errRead)
					}
				}
			}
			if !found {
				t.Errorf("the input error was not reported as a failed job")
			}
		})
	}
}

// sigCause is a cancellation cause such as an interrupt.
type sigCause syscall.Signal

func (c sigCause) Error() string          { return "interrupted" }
func (c sigCause) Signal() syscall.Signal { return syscall.Signal(c) }

// TestCancelStopsDispatch: after cancellation no job starts, running jobs
// see the cancelled context, Run returns, and every started job is
// reported once.
func TestCancelStopsDispatch(t *testing.T) {
	modes(t, func(t *testing.T, mode Mode) {
		for _, keep := range []bool{false, true} {
			t.Run(fmt.Sprintf("keep-order=%v", keep), func(t *testing.T) {
				const workers, qsize = 2, 2
				src := &genSource{total: -1} // endless input
				var running, late atomic.Int64
				tr := transportFunc(func(ctx context.Context, task *Task) *exec.Result {
					if ctx.Err() != nil {
						late.Add(1)
					}
					running.Add(1)
					<-ctx.Done()
					return &exec.Result{ExitCode: 143, Signal: syscall.SIGTERM, Killed: true}
				})
				sink := &recSink{}
				ctx, cancel := context.WithCancelCause(context.Background())
				defer cancel(nil)
				opts := Options{Slots: workers, Concurrency: workers, Mode: mode, QueueSize: qsize, KeepOrder: keep}
				ch := startRun(t, ctx, opts, src, tr, sink)
				waitFor(t, "every worker busy", func() bool { return running.Load() == workers })
				// Input read up to the window's end: the dispatcher holds
				// one more job, waiting for a free worker.
				waitFor(t, "the window to fill", func() bool { return src.calls.Load() >= qsize+workers+2 })
				cause := sigCause(syscall.SIGINT)
				cancel(cause)
				st, err := wait(t, ch)
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				if n := late.Load(); n != 0 {
					t.Errorf("%d jobs started after cancellation; want none", n)
				}
				if n := running.Load(); n != workers {
					t.Errorf("%d jobs ran; want %d (those running when cancelled)", n, workers)
				}
				sink.checkOnce(t)
				if st.Jobs != workers || st.Failed != workers {
					t.Errorf("Stats = %+v; want %d jobs, all failed", st, workers)
				}
				if !errors.Is(st.Stopped, cause) {
					t.Errorf("Stats.Stopped = %v; want the cancellation cause %v", st.Stopped, cause)
				}
			})
		}
	})
}

// TestSinkErrorStopsRun: an error from Done stops the run and is returned.
func TestSinkErrorStopsRun(t *testing.T) {
	errFull := errors.New("disk full")
	sink := &recSink{onDone: func(d *job.Done) error {
		if d.Job.Seq == 3 {
			return errFull
		}
		return nil
	}}
	tr := transportFunc(func(ctx context.Context, task *Task) *exec.Result {
		if task.Job.Seq > 3 {
			<-ctx.Done() // stopped by the sink's error
			return &exec.Result{ExitCode: 143, Signal: syscall.SIGTERM}
		}
		return ok()
	})
	_, err := runSched(t, context.Background(), Options{Slots: 1, QueueSize: -1, KeepOrder: true}, &genSource{total: -1}, tr, sink)
	if !errors.Is(err, errFull) {
		t.Errorf("Run error = %v; want %v", err, errFull)
	}
	if got := sink.seqs(); len(got) < 3 || !slices.Equal(got[:3], []int64{1, 2, 3}) {
		t.Errorf("reported %v; want 1, 2, 3 first", got)
	}
}

// TestPanicBecomesJobFailure: a panic while running a job fails that job,
// with the panic in its error, and the run goes on.
func TestPanicBecomesJobFailure(t *testing.T) {
	modes(t, func(t *testing.T, mode Mode) {
		for _, where := range []string{"transport", "sink-start"} {
			t.Run(where, func(t *testing.T) {
				const total = 10
				panicky := func(seq int64) bool { return seq == 3 || seq == 7 }
				tr := transportFunc(func(ctx context.Context, task *Task) *exec.Result {
					if where == "transport" && panicky(task.Job.Seq) {
						panic(fmt.Sprintf("boom %d", task.Job.Seq))
					}
					return ok()
				})
				sink := &recSink{}
				if where == "sink-start" {
					sink.onStart = func(j *job.Job) {
						if panicky(j.Seq) {
							panic(fmt.Sprintf("boom %d", j.Seq))
						}
					}
				}
				// One worker: it must survive the panic to run the rest.
				opts := Options{Slots: 1, Concurrency: 1, Mode: mode, QueueSize: -1}
				st, err := runSched(t, context.Background(), opts, &genSource{total: total}, tr, sink)
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				if st.Jobs != total || st.Failed != 2 {
					t.Errorf("Stats = %+v; want %d jobs, 2 failed", st, total)
				}
				for _, d := range sink.done {
					if !panicky(d.Job.Seq) {
						if d.Failed() {
							t.Errorf("job %d failed: %+v", d.Job.Seq, d.Result)
						}
						continue
					}
					if d.Result == nil || !d.Failed() || d.Result.Err == nil {
						t.Errorf("job %d: result %+v; want a failure", d.Job.Seq, d.Result)
						continue
					}
					msg := d.Result.Err.Error()
					if !strings.Contains(msg, "panic") || !strings.Contains(msg, fmt.Sprintf("boom %d", d.Job.Seq)) || !strings.Contains(msg, "sched_test.go") {
						t.Errorf("job %d: Err = %q; want the panic value and its stack", d.Job.Seq, firstLines(msg, 3))
					}
				}
			})
		}
	})
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// concurrencyProbe is a transport that counts jobs in flight and checks
// their slots: within 1..limit, never two running jobs in the same slot.
type concurrencyProbe struct {
	t        *testing.T
	limit    int
	gate     chan struct{} // jobs wait for it to close
	inflight atomic.Int64
	max      atomic.Int64
	mu       sync.Mutex
	busy     map[int]int64 // slot → seq
}

func (p *concurrencyProbe) Run(ctx context.Context, task *Task) *exec.Result {
	n := p.inflight.Add(1)
	defer p.inflight.Add(-1)
	for m := p.max.Load(); n > m && !p.max.CompareAndSwap(m, n); m = p.max.Load() {
	}
	if task.Slot < 1 || task.Slot > p.limit {
		p.t.Errorf("job %d in slot %d; want 1..%d", task.Job.Seq, task.Slot, p.limit)
	}
	p.mu.Lock()
	if other, taken := p.busy[task.Slot]; taken {
		p.t.Errorf("jobs %d and %d in slot %d at once", other, task.Job.Seq, task.Slot)
	}
	p.busy[task.Slot] = task.Job.Seq
	p.mu.Unlock()
	<-p.gate
	p.mu.Lock()
	delete(p.busy, task.Slot)
	p.mu.Unlock()
	return ok()
}

func TestConcurrencyLimits(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  Options
		limit int
	}{
		{"thread-workers", Options{Slots: 3, Mode: ModeThread, QueueSize: -1}, 3},
		{"thread-default-mode", Options{Slots: 2, QueueSize: -1}, 2},
		{"coroutine-concurrency", Options{Slots: 1, Concurrency: 5, Mode: ModeCoroutine, QueueSize: -1}, 5},
		{"coroutine-keep-order", Options{Slots: 2, Concurrency: 6, Mode: ModeCoroutine, QueueSize: -1, KeepOrder: true}, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const total = 40
			p := &concurrencyProbe{t: t, limit: tc.limit, gate: make(chan struct{}), busy: map[int]int64{}}
			ch := startRun(t, context.Background(), tc.opts, &genSource{total: total}, p, &recSink{})
			// It reaches the limit…
			waitFor(t, fmt.Sprintf("%d jobs in flight", tc.limit), func() bool { return p.inflight.Load() == int64(tc.limit) })
			close(p.gate)
			st, err := wait(t, ch)
			if err != nil || st.Jobs != total {
				t.Fatalf("Run = %+v, %v; want %d jobs", st, err, total)
			}
			// …and never exceeds it.
			if m := p.max.Load(); m != int64(tc.limit) {
				t.Errorf("at most %d jobs in flight; want exactly %d", m, tc.limit)
			}
		})
	}
}

// TestKeepOrderWindowBounded: with -k, a slow first job holds back the
// dispatcher: memory is O(workers), not O(jobs) (STYLE habit 14).
func TestKeepOrderWindowBounded(t *testing.T) {
	for _, order := range []Order{OrderFIFO, OrderPriority} {
		t.Run(string(order), func(t *testing.T) {
			const workers, total = 3, 200
			// The writer holds the oldest job's slot, the slots channel
			// 2×workers+1 more, and one more may be counted between the
			// writer taking a slot and reporting its job.
			const bound = 2*workers + 3
			sink := &recSink{}
			var started, maxAhead atomic.Int64
			release := make(chan struct{})
			tr := transportFunc(func(ctx context.Context, task *Task) *exec.Result {
				n := started.Add(1)
				ahead := n - sink.delivered.Load()
				for m := maxAhead.Load(); ahead > m && !maxAhead.CompareAndSwap(m, ahead); m = maxAhead.Load() {
				}
				if task.Job.Seq == 1 {
					<-release
				}
				return ok()
			})
			opts := Options{Slots: workers, QueueSize: -1, KeepOrder: true, Order: order}
			ch := startRun(t, context.Background(), opts, &genSource{total: total}, tr, sink)
			waitFor(t, "the dispatcher to run ahead of job 1", func() bool { return started.Load() >= 2*workers+2 })
			close(release)
			st, err := wait(t, ch)
			if err != nil || st.Jobs != total {
				t.Fatalf("Run = %+v, %v; want %d jobs", st, err, total)
			}
			if got := sink.seqs(); !slices.IsSorted(got) {
				t.Errorf("reported out of input order")
			}
			if m := maxAhead.Load(); m > bound {
				t.Errorf("%d jobs started ahead of the oldest unreported one; want at most %d (O(workers))", m, bound)
			}
		})
	}
}

func TestDryRunRunsNothing(t *testing.T) {
	modes(t, func(t *testing.T, mode Mode) {
		tr := transportFunc(func(context.Context, *Task) *exec.Result {
			t.Errorf("transport called in a dry run")
			return ok()
		})
		sink := &recSink{}
		st, err := runSched(t, context.Background(), Options{Slots: 2, Concurrency: 2, Mode: mode, DryRun: true, QueueSize: -1}, &genSource{total: 20}, tr, sink)
		if err != nil || st.Jobs != 20 || st.Failed != 0 {
			t.Fatalf("Run = %+v, %v; want 20 jobs, none failed", st, err)
		}
		for _, d := range sink.checkOnce(t) {
			if got := d.Command.Argv; len(got) != 2 || got[0] != "prog" || got[1] != strconv.FormatInt(d.Job.Seq, 10) {
				t.Errorf("job %d: command %q; want prog %d", d.Job.Seq, got, d.Job.Seq)
			}
		}
	})
}

func TestTask(t *testing.T) {
	var mu sync.Mutex
	tasks := map[int64]*Task{}
	tr := transportFunc(func(ctx context.Context, task *Task) *exec.Result {
		mu.Lock()
		tasks[task.Job.Seq] = task
		mu.Unlock()
		return ok()
	})
	src := &sliceSource{jobs: []*job.Job{
		{Seq: 1, Whole: []string{"a"}, Env: []string{"JOB=1"}},
		{Seq: 2, Whole: []string{"b"}, Timeout: time.Minute},
	}}
	opts := Options{Slots: 1, QueueSize: -1, Env: []string{"RUN=x", "JOB=0"}, Timeout: time.Hour}
	if _, err := runSched(t, context.Background(), opts, src, tr, &recSink{}); err != nil {
		t.Fatal(err)
	}
	t1, t2 := tasks[1], tasks[2]
	if t1 == nil || t2 == nil {
		t.Fatalf("tasks = %v; want jobs 1 and 2", tasks)
	}
	if want := []string{"RUN=x", "JOB=0", "JOB=1", "PARRUN_SEQ=1", "PARRUN_SLOT=1", "PARALLEL_SEQ=1", "PARALLEL_JOBSLOT=1"}; !slices.Equal(t1.Env, want) {
		t.Errorf("job 1 Env = %q; want %q", t1.Env, want)
	}
	if want := []string{"prog", "a"}; !slices.Equal(t1.Argv, want) {
		t.Errorf("job 1 Argv = %q; want %q", t1.Argv, want)
	}
	if t1.Timeout != time.Hour || t2.Timeout != time.Minute {
		t.Errorf("Timeouts = %v, %v; want the run's 1h, then the job's own 1m", t1.Timeout, t2.Timeout)
	}
}

type sliceSource struct {
	jobs []*job.Job
	i    int
}

func (s *sliceSource) Next() (*job.Job, error) {
	if s.i >= len(s.jobs) {
		return nil, io.EOF
	}
	s.i++
	return s.jobs[s.i-1], nil
}

func TestWorkersBelowOnePanics(t *testing.T) {
	defer func() {
		if p := recover(); p == nil || !strings.HasPrefix(fmt.Sprint(p), "sched.Run:") {
			t.Errorf("recovered %v; want a sched.Run: panic", p)
		}
	}()
	Run(context.Background(), Options{Slots: 0}, &genSource{total: 1}, transportFunc(nil), &recSink{})
}

// A job's own Retries wins over Options.Retries, and its zero value takes
// Options.Retries: a Job made without it (a test's, a new input's) runs as
// asked, never until success.
func TestJobRetriesOverride(t *testing.T) {
	cases := []struct {
		name            string
		opts, job       int
		failFirst, want int // attempts that fail; attempts made
	}{
		{"zero value takes --retries 1", 1, 0, 5, 1},
		{"zero value takes --retries 3", 3, 0, 5, 3},
		{"zero value takes until success", job.RetryUntilSuccess, 0, 4, 5},
		{"job's 2 wins over --retries 5", 5, 2, 5, 2},
		{"job's until success wins over --retries 1", 1, job.RetryUntilSuccess, 6, 7},
		{"success ends the tries", 5, 0, 1, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			modes(t, func(t *testing.T, mode Mode) {
				var calls atomic.Int64
				tr := transportFunc(func(context.Context, *Task) *exec.Result {
					if calls.Add(1) <= int64(c.failFirst) {
						return &exec.Result{ExitCode: 1}
					}
					return ok()
				})
				j := newJob(1)
				j.Retries = c.job
				sink := &recSink{}
				opts := Options{Slots: 1, Concurrency: 1, Mode: mode, QueueSize: -1, Retries: c.opts}
				if _, err := runSched(t, context.Background(), opts, &sliceSource{jobs: []*job.Job{j}}, tr, sink); err != nil {
					t.Fatalf("Run: %v", err)
				}
				if len(sink.done) != 1 || sink.starts[1] != c.want {
					t.Fatalf("%d reports, %d starts; want 1 report, %d starts", len(sink.done), sink.starts[1], c.want)
				}
				if d := sink.done[0]; int(calls.Load()) != c.want || d.Attempts != c.want {
					t.Errorf("ran %d times, Done.Attempts %d; want %d", calls.Load(), d.Attempts, c.want)
				}
			})
		})
	}
}
