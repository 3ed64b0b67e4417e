// Package cpuinfo counts this machine's CPU sockets, physical cores and
// hardware threads from /proc/cpuinfo, for GNU parallel's
// --number-of-sockets, --number-of-cores (and --number-of-cpus) and
// --number-of-threads.
package cpuinfo

import (
	"bufio"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Counts are the CPUs of a machine.
type Counts struct {
	Sockets, Cores, Threads int
}

// Of is the count GNU's --number-of-WHAT prints: what is sockets, cores,
// cpus (GNU: the cores too) or threads; anything else is 0.
func (c Counts) Of(what string) int {
	switch what {
	case "sockets":
		return c.Sockets
	case "cores", "cpus":
		return c.Cores
	case "threads":
		return c.Threads
	}
	return 0
}

// Read counts the CPUs /proc/cpuinfo describes; where it cannot be read
// (not Linux), every count is runtime.NumCPU, as GNU parallel falls back
// to one number too.
func Read() Counts {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		n := runtime.NumCPU()
		return Counts{1, n, n}
	}
	defer f.Close()
	return Parse(f)
}

// Parse counts the processors of a /proc/cpuinfo text: threads are the
// "processor" entries, cores the distinct (physical id, core id) pairs,
// sockets the distinct physical ids. An entry without those ids (some
// virtual machines and ARM kernels) counts as a core and socket of its
// own, at least one socket in all.
func Parse(r io.Reader) Counts {
	sockets, cores := map[string]bool{}, map[string]bool{}
	var c Counts
	var phys, core string
	flush := func() {
		if c.Threads == 0 {
			return
		}
		if phys == "" && core == "" {
			phys, core = "t"+strconv.Itoa(c.Threads), "t"+strconv.Itoa(c.Threads)
		}
		sockets[phys], cores[phys+"/"+core] = true, true
		phys, core = "", ""
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "processor":
			flush()
			c.Threads++
		case "physical id":
			phys = strings.TrimSpace(v)
		case "core id":
			core = strings.TrimSpace(v)
		}
	}
	flush()
	c.Sockets, c.Cores = max(len(sockets), 1), max(len(cores), 1)
	c.Threads = max(c.Threads, 1)
	return c
}
