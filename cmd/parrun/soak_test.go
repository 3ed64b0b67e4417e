package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// soakJob is one job of the soak: a slow one (every 50th) says which
// worker runs it while it sleeps, so that kill -9 of that worker lands
// before its side effect; then, with the stop signals ignored, it appends
// its side effect and exits with its own status (every 7th fails). A job
// thus either runs to completion or leaves nothing: a second mark is a
// job run twice, a missing one a job lost.
const soakJob = `n=$1
if [ $((n % 50)) = 0 ]; then
	echo $PPID > "busy/$n.tmp" && mv "busy/$n.tmp" "busy/$n"
	sleep 0.3
	rm -f "busy/$n"
fi
trap '' INT TERM HUP
echo x >> "m/$n"
[ $((n % 7)) != 0 ]
`

// TestSoak runs 10 000 jobs (PARRUN_SOAK_JOBS) with random exit codes in
// process mode, kills workers with kill -9 and interrupts parrun with
// SIGINT at random, then runs --resume rounds until the joblog has every
// job, and checks that every job ran to completion exactly once and that
// parrun's descriptors and threads stayed flat (issue 18: the soak test).
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("minutes long; make test runs it")
	}
	bin, err := osexec.LookPath("parrun")
	if err != nil {
		t.Fatal(err)
	}
	n := 10000
	if s := os.Getenv("PARRUN_SOAK_JOBS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	dir := t.TempDir()
	for _, d := range []string{"m", "busy"} {
		os.Mkdir(filepath.Join(dir, d), 0o755)
	}
	os.WriteFile(filepath.Join(dir, "job.sh"), []byte(soakJob), 0o644)
	var in strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintln(&in, i)
	}
	os.WriteFile(filepath.Join(dir, "in"), []byte(in.String()), 0o644)

	s := &soak{t: t, dir: dir, bin: bin, rng: rand.New(rand.NewPCG(1, 2))}
	deadline := time.Now().Add(time.Until(testDeadline(t)) / 2)
	for round := 1; ; round++ {
		done := s.finished()
		if done == n {
			break
		}
		if time.Now().After(deadline) || round > 40 {
			t.Fatalf("after %d rounds the joblog has %d of %d jobs", round-1, done, n)
		}
		// The last rounds run to the end: the run must finish.
		s.round(round <= 4)
	}
	dups, lost := 0, 0
	for i := 1; i <= n; i++ {
		b, _ := os.ReadFile(filepath.Join(dir, "m", strconv.Itoa(i)))
		switch c := strings.Count(string(b), "x"); {
		case c == 0:
			lost++
		case c > 1:
			dups++
		}
	}
	t.Logf("soak: %d jobs, %d rounds (%d interrupted), %d workers killed, fds %d–%d, threads %d–%d: %d run twice, %d lost",
		n, s.rounds, s.interrupted, s.kills, s.fds.lo, s.fds.hi, s.threads.lo, s.threads.hi, dups, lost)
	if dups != 0 || lost != 0 {
		t.Errorf("%d jobs ran twice and %d were lost; want 0 and 0", dups, lost)
	}
	if s.kills == 0 || s.interrupted == 0 {
		t.Errorf("%d workers killed, %d rounds interrupted: the soak did not test what it says", s.kills, s.interrupted)
	}
	// Flat: a run's descriptors and threads do not grow with its jobs.
	// Bounds: a few per slot (pipes and pidfds of 4 workers and their
	// jobs) above start-up, whatever the count of jobs.
	if s.fds.hi-s.fds.lo > 40 || s.threads.hi-s.threads.lo > 20 {
		t.Errorf("descriptors %d–%d, threads %d–%d over a run: not flat", s.fds.lo, s.fds.hi, s.threads.lo, s.threads.hi)
	}
}

type soak struct {
	t                          *testing.T
	dir, bin                   string
	rng                        *rand.Rand
	rounds, interrupted, kills int
	fds, threads               span
}

// span is the range of a sampled count, after a run's start-up.
type span struct{ lo, hi int }

func (s *span) add(v int) {
	if s.lo == 0 || v < s.lo {
		s.lo = v
	}
	s.hi = max(s.hi, v)
}

// round runs parrun once over the input with --resume; with interrupt, it
// SIGINTs parrun after 1 to 4 s. Meanwhile it kills the worker of a slow
// job now and then, and samples parrun's descriptors and threads.
func (s *soak) round(interrupt bool) {
	s.rounds++
	cmd := osexec.Command(s.bin, "--mode", "process", "-j4", "--joblog", "jl", "--resume",
		"-a", "in", "sh", "job.sh", "{}")
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "PARRUN_MODE=process")
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopAt := time.Now().Add(time.Second + time.Duration(s.rng.IntN(3000))*time.Millisecond)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	started := time.Now()
	for {
		select {
		case <-exited:
			return
		case <-tick.C:
		}
		if time.Since(started) > 500*time.Millisecond {
			s.sample(cmd.Process.Pid)
		}
		if s.rng.IntN(4) == 0 {
			s.killBusyWorker()
		}
		if interrupt && time.Now().After(stopAt) {
			cmd.Process.Signal(syscall.SIGINT)
			s.interrupted++
			interrupt = false
		}
	}
}

// killBusyWorker kill -9s the worker of a slow job that is asleep, before
// its side effect.
func (s *soak) killBusyWorker() {
	ents, _ := os.ReadDir(filepath.Join(s.dir, "busy"))
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			continue
		}
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) > 150*time.Millisecond {
			continue // too close to the end of its sleep
		}
		b, _ := os.ReadFile(filepath.Join(s.dir, "busy", e.Name()))
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				s.kills++
			}
			return
		}
	}
}

func (s *soak) sample(pid int) {
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		s.fds.add(len(ents))
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			s.threads.add(n)
		}
	}
}

// finished counts the jobs the joblog shows as run to their end (Exitval
// not -1), by sequence number.
func (s *soak) finished() int {
	b, err := os.ReadFile(filepath.Join(s.dir, "jl"))
	if err != nil {
		return 0
	}
	done := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Split(line, "\t")
		if len(f) == 9 {
			done[f[0]] = f[6] != "-1"
		}
	}
	n := 0
	for _, ok := range done {
		if ok {
			n++
		}
	}
	return n
}

// testDeadline is when a test must give up waiting.
func testDeadline(t *testing.T) time.Time {
	if d, ok := t.Deadline(); ok {
		return d
	}
	return time.Now().Add(10 * time.Minute)
}
