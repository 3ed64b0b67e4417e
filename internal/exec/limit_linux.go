package exec

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ProcessRoom returns how many more processes and threads this user (under
// RLIMIT_NPROC, which counts both and which root is exempt from) and this
// cgroup (pids.max) may start, and ok false when neither limit applies.
// parrun fits its concurrency into it (issue 18 item 7): a Go runtime that
// cannot start a thread aborts, and a job whose shell cannot fork fails.
func ProcessRoom() (room int, ok bool) {
	room = -1
	var rl unix.Rlimit
	if os.Geteuid() != 0 && unix.Getrlimit(unix.RLIMIT_NPROC, &rl) == nil && rl.Cur != unix.RLIM_INFINITY {
		room = int(rl.Cur) - userThreads(os.Getuid())
	}
	if max, cur, ok := cgroupPids(); ok && (room < 0 || max-cur < room) {
		room = max - cur
	}
	return max(room, 0), room >= 0
}

// userThreads counts the threads of the processes whose real user is uid:
// what RLIMIT_NPROC counts.
func userThreads(uid int) int {
	dirs, _ := filepath.Glob("/proc/[0-9]*/status")
	n := 0
	for _, st := range dirs {
		b, err := os.ReadFile(st)
		if err != nil {
			continue // gone meanwhile
		}
		var real, threads int
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "Uid:"); ok {
				if f := strings.Fields(v); len(f) > 0 {
					real, _ = strconv.Atoi(f[0])
				}
			} else if v, ok := strings.CutPrefix(line, "Threads:"); ok {
				threads, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		if real == uid {
			n += threads
		}
	}
	return n
}

// cgroupPids reads this process's cgroup v2 pids.max and pids.current.
func cgroupPids() (max, cur int, ok bool) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0, 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		path, found := strings.CutPrefix(line, "0::")
		if !found {
			continue
		}
		dir := filepath.Join("/sys/fs/cgroup", path)
		m, err1 := os.ReadFile(filepath.Join(dir, "pids.max"))
		c, err2 := os.ReadFile(filepath.Join(dir, "pids.current"))
		if err1 != nil || err2 != nil {
			return 0, 0, false
		}
		max, err1 = strconv.Atoi(strings.TrimSpace(string(m))) // "max": no limit
		cur, err2 = strconv.Atoi(strings.TrimSpace(string(c)))
		return max, cur, err1 == nil && err2 == nil
	}
	return 0, 0, false
}
