// Package onall runs GNU parallel's --onall and --nonall: the whole job
// list on every host. As GNU parallel 20221122 does it, each host runs
// the list in a run of its own, one job at a time, and -j says how many
// hosts run at once (all of them by default). A host's output is held
// until its run ends and then written as one group: hosts in the order
// they finish, or with KeepOrder in the order of their names. The hosts'
// joblogs are joined into one, host after host in that order, under one
// header. The exit status counts the hosts whose run failed.
package onall

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
)

// Options say how the hosts' runs are held together.
type Options struct {
	// Hosts is how many hosts run the list; they are numbered from 0, in
	// the order their output and joblog lines are written with KeepOrder.
	Hosts int
	// AtOnce is how many hosts run at once; 0 (or more than Hosts) is all.
	AtOnce int
	// KeepOrder writes the hosts' output in host order (-k).
	KeepOrder bool
	// TmpDir holds each host's output until its run ends (unlinked files).
	TmpDir string
	// Joblog is --joblog's FILE ("+FILE" appends, "-" is stdout), or "".
	Joblog string
}

// A Run runs the job list on host i, writing the jobs' output to stdout
// and stderr and, when joblog is not "", its joblog to that file; it
// returns the run's exit status. A Run must return when ctx is done.
type Run func(ctx context.Context, i int, stdout, stderr io.Writer, joblog string) int

// Order returns the indices of names sorted by name, bytewise, each name
// once: the hosts of a run as GNU parallel keeps them (a map keyed by the
// login, its keys sorted).
func Order(names []string) []int {
	idx := make([]int, 0, len(names))
	for i := range names {
		idx = append(idx, i)
	}
	slices.SortStableFunc(idx, func(a, b int) int { return strings.Compare(names[a], names[b]) })
	return slices.CompactFunc(idx, func(a, b int) bool { return names[a] == names[b] })
}

// Do runs run on every host and writes their output to stdout and stderr.
// It returns how many hosts' runs failed (a non-zero exit status). When
// ctx ends, the hosts not started yet are not started, and the error is
// the context's cause; an output that cannot be written or held is an
// error too, and the hosts still running are waited for.
func Do(ctx context.Context, o Options, run Run, stdout, stderr io.Writer) (failed int, err error) {
	logs, err := tempJoblogs(o)
	defer removeAll(logs)
	if err != nil {
		return 0, err
	}
	atOnce := o.AtOnce
	if atOnce <= 0 || atOnce > o.Hosts {
		atOnce = o.Hosts
	}
	w := &writer{stdout: stdout, stderr: stderr, keepOrder: o.KeepOrder, turn: make([]chan struct{}, o.Hosts+1)}
	for i := range w.turn {
		w.turn[i] = make(chan struct{})
	}
	close(w.turn[0])
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	sem := make(chan struct{}, atOnce)
start:
	for i := 0; i < o.Hosts; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done(): // the hosts started are 0..i-1: their turns come
			mu.Lock()
			errs = append(errs, context.Cause(ctx))
			mu.Unlock()
			break start
		}
		wg.Go(func() {
			defer func() { <-sem }()
			code, err := host(ctx, o.TmpDir, i, run, logs[i], w)
			mu.Lock()
			defer mu.Unlock()
			if code != 0 {
				failed++
			}
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if err := joinJoblogs(o.Joblog, logs, stdout); err != nil {
		errs = append(errs, err)
	}
	return failed, errors.Join(errs...)
}

// host runs the list on host i into two unlinked files of its own, then
// writes them out in its turn.
func host(ctx context.Context, tmpDir string, i int, run Run, joblog string, w *writer) (int, error) {
	out, err := unlinkedTemp(tmpDir)
	if err != nil {
		w.done(i, nil, nil)
		return 1, err
	}
	defer out.Close()
	errOut, err := unlinkedTemp(tmpDir)
	if err != nil {
		w.done(i, nil, nil)
		return 1, err
	}
	defer errOut.Close()
	code := run(ctx, i, out, errOut, joblog)
	return code, w.done(i, out, errOut)
}

// unlinkedTemp creates a file in dir and removes its name at once: it
// goes away with its last descriptor, whatever happens to parrun.
func unlinkedTemp(dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, "parrun-onall-*")
	if err != nil {
		return nil, fmt.Errorf("--onall: holding a host's output in %s: %w", dir, err)
	}
	os.Remove(f.Name())
	return f, nil
}

// writer writes each host's held output, one host at a time: in the
// order they finish, or in host order (each waits for the turn of the
// host before it).
type writer struct {
	stdout, stderr io.Writer
	keepOrder      bool
	mu             sync.Mutex
	// turn[i] is closed when host i may write (KeepOrder).
	turn []chan struct{}
}

// done writes host i's output (nil files: none) and passes the turn on.
func (w *writer) done(i int, out, errOut *os.File) error {
	if w.keepOrder {
		<-w.turn[i]
		defer close(w.turn[i+1])
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var errs []error
	for _, c := range []struct {
		f  *os.File
		to io.Writer
	}{{out, w.stdout}, {errOut, w.stderr}} {
		if c.f == nil {
			continue
		}
		if _, err := c.f.Seek(0, io.SeekStart); err != nil {
			errs = append(errs, fmt.Errorf("--onall: reading a host's held output: %w", err))
			continue
		}
		if _, err := io.Copy(c.to, c.f); err != nil {
			errs = append(errs, fmt.Errorf("--onall: writing a host's output: %w", err))
		}
	}
	return errors.Join(errs...)
}

// tempJoblogs makes an empty file for each host's joblog, when there is
// a joblog to write.
func tempJoblogs(o Options) ([]string, error) {
	logs := make([]string, o.Hosts)
	if o.Joblog == "" {
		return logs, nil
	}
	for i := range logs {
		f, err := os.CreateTemp(o.TmpDir, "parrun-onall-*.log")
		if err != nil {
			return logs, fmt.Errorf("--onall: a host's joblog in %s: %w", o.TmpDir, err)
		}
		logs[i] = f.Name()
		f.Close()
	}
	return logs, nil
}

// removeAll removes the hosts' joblogs.
func removeAll(logs []string) {
	for _, l := range logs {
		if l != "" {
			os.Remove(l)
		}
	}
}

// joinJoblogs writes the hosts' joblogs to the joblog as one: the header
// once (not at all when "+FILE" appends to a file that has one), then each
// host's lines, host after host (GNU).
func joinJoblogs(joblog string, logs []string, stdout io.Writer) error {
	if joblog == "" {
		return nil
	}
	to, header, closeTo, err := openJoblog(joblog, stdout)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(to)
	for _, l := range logs {
		if err := copyJoblog(bw, l, &header); err != nil {
			closeTo()
			return err
		}
	}
	if err := errors.Join(bw.Flush(), closeTo()); err != nil {
		return fmt.Errorf("--joblog %s: %w", joblog, err)
	}
	return nil
}

// openJoblog opens --joblog's FILE and says whether it needs a header.
func openJoblog(joblog string, stdout io.Writer) (io.Writer, bool, func() error, error) {
	if joblog == "-" {
		return stdout, true, func() error { return nil }, nil
	}
	flag, path := os.O_WRONLY|os.O_CREATE|os.O_TRUNC, joblog
	if p, ok := strings.CutPrefix(joblog, "+"); ok {
		flag, path = os.O_WRONLY|os.O_CREATE|os.O_APPEND, p
	}
	f, err := os.OpenFile(path, flag, 0o666)
	if err != nil {
		return nil, false, nil, fmt.Errorf("--joblog %s: %w", joblog, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, false, nil, fmt.Errorf("--joblog %s: %w", joblog, err)
	}
	return f, fi.Size() == 0, f.Close, nil
}

// copyJoblog copies one host's joblog: its header line only while header
// is still wanted, then its job lines.
func copyJoblog(to io.Writer, path string, header *bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--onall: reading a host's joblog: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	first, err := r.ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("--onall: reading a host's joblog: %w", err)
	}
	if first == "" {
		return nil // the host wrote no joblog (it never started)
	}
	if *header {
		if _, err := io.WriteString(to, first); err != nil {
			return err
		}
		*header = false
	}
	_, err = io.Copy(to, r)
	return err
}
