// Package throttle decides when the machine has room for another job: it
// reads free memory, load, swap activity and pressure (machine.go) and turns
// them into verdicts for the scheduler (gate.go).
package throttle

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"
)

// Machine reads the state of the machine parrun runs on from /proc and
// cgroup v2 files under Root ("" is "/"). Tests point Root at a fake tree.
//
// The zero value reads the real machine. Every method reads its files
// afresh, so a Machine holds no state and is safe for concurrent use.
type Machine struct{ Root string }

// file is the path of name (a slash-separated path below "/") under m.Root.
func (m Machine) file(name string) string {
	root := m.Root
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, filepath.FromSlash(name))
}

// MemAvailable returns the bytes a new job can still use: /proc/meminfo's
// MemAvailable (kB → bytes), lowered to memory.max − memory.current of
// parrun's cgroup v2 or any ancestor of it when that is lower ("max" means no limit).
// parrun's cgroup is the "0::/path" line of Root/proc/self/cgroup; its files are
// under Root/sys/fs/cgroup/path. Missing cgroup files are not an error (no cgroup limit).
// A missing or unreadable /proc/meminfo, or no MemAvailable line, is an error naming the file.
//
// A cgroup whose usage exceeds its limit (the kernel is reclaiming) leaves
// 0 bytes, never a negative number. A cgroup file that exists but holds no
// number is an error naming it.
func (m Machine) MemAvailable() (int64, error) {
	name := m.file("proc/meminfo")
	data, err := os.ReadFile(name)
	if err != nil {
		return 0, fmt.Errorf("throttle: reading free memory: %w", err)
	}
	avail, err := parseMeminfo(data)
	if err != nil {
		return 0, fmt.Errorf("throttle: reading free memory: %s: %w", name, err)
	}
	cg, ok := m.cgroup()
	if !ok {
		return avail, nil
	}
	// A limit anywhere up the tree binds parrun's jobs: a container's limit
	// usually sits on an ancestor of the cgroup systemd or the runtime puts
	// parrun in, and the leaf often has memory.max "max".
	for dir := cg; ; dir = path.Dir(dir) {
		left, ok, err := m.cgroupRoom(dir)
		if err != nil {
			return 0, fmt.Errorf("throttle: reading free memory: %w", err)
		}
		if ok && left < avail {
			avail = left
		}
		if dir == "/" {
			break
		}
	}
	return avail, nil
}

// cgroupRoom returns memory.max − memory.current of the cgroup dir (at
// least 0); ok is false when dir has no limit or either file cannot be read.
func (m Machine) cgroupRoom(dir string) (left int64, ok bool, err error) {
	base := m.file(path.Join("sys/fs/cgroup", dir))
	maxName := filepath.Join(base, "memory.max")
	maxData, rerr := os.ReadFile(maxName)
	if rerr != nil {
		// The root cgroup has no memory.max, cgroup v1 and hybrid hierarchies
		// have none under /sys/fs/cgroup, and a container may hide its
		// ancestors: all mean "no limit known here".
		return 0, false, nil
	}
	maxData = bytes.TrimSpace(maxData)
	if string(maxData) == "max" {
		return 0, false, nil
	}
	limit, ok := parseUint(maxData)
	if !ok {
		return 0, false, fmt.Errorf("%s: bad limit %q", maxName, maxData)
	}
	curName := filepath.Join(base, "memory.current")
	curData, rerr := os.ReadFile(curName)
	if rerr != nil {
		return 0, false, nil
	}
	curData = bytes.TrimSpace(curData)
	used, ok := parseUint(curData)
	if !ok {
		return 0, false, fmt.Errorf("%s: bad usage %q", curName, curData)
	}
	if used >= limit {
		return 0, true, nil
	}
	return int64(min(limit-used, math.MaxInt64)), true, nil
}

// cgroup returns parrun's cgroup v2 path, cleaned and absolute, from the
// "0::" line of Root/proc/self/cgroup; ok is false when there is none
// (cgroup v1 only, or not Linux).
func (m Machine) cgroup() (string, bool) {
	data, err := os.ReadFile(m.file("proc/self/cgroup"))
	if err != nil {
		return "", false
	}
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		if p, found := bytes.CutPrefix(line, []byte("0::")); found {
			// Cleaning from "/" keeps a path such as "/../.." (seen inside
			// cgroup namespaces) from leaving Root/sys/fs/cgroup.
			return path.Clean("/" + string(p)), true
		}
	}
	return "", false
}

// Runnable returns how many processes are running or waiting on the CPU or
// for disk right now: procs_running + procs_blocked of Root/proc/stat, less one
// for parrun's own reading thread (never below 0). This is GNU parallel's
// --load measure (ps states R and D, counted now, not averaged).
func (m Machine) Runnable() (int, error) {
	name := m.file("proc/stat")
	data, err := os.ReadFile(name)
	if err != nil {
		return 0, fmt.Errorf("throttle: reading run queue: %w", err)
	}
	running, err := number(data, "procs_running")
	if err != nil {
		return 0, fmt.Errorf("throttle: reading run queue: %s: %w", name, err)
	}
	blocked, err := number(data, "procs_blocked")
	if err != nil {
		return 0, fmt.Errorf("throttle: reading run queue: %s: %w", name, err)
	}
	// The thread reading /proc/stat is itself running when the kernel
	// counts; it is no load a job competes with.
	n := running + blocked
	if n < 1 {
		return 0, nil
	}
	return int(min(n-1, math.MaxInt)), nil
}

// Swapped returns the pages swapped in and out since boot: pswpin and pswpout of Root/proc/vmstat.
func (m Machine) Swapped() (in, out uint64, err error) {
	name := m.file("proc/vmstat")
	data, err := os.ReadFile(name)
	if err != nil {
		return 0, 0, fmt.Errorf("throttle: reading swap activity: %w", err)
	}
	if in, err = number(data, "pswpin"); err != nil {
		return 0, 0, fmt.Errorf("throttle: reading swap activity: %s: %w", name, err)
	}
	if out, err = number(data, "pswpout"); err != nil {
		return 0, 0, fmt.Errorf("throttle: reading swap activity: %s: %w", name, err)
	}
	return in, out, nil
}

// Pressure returns the "some avg10" of the pressure stall file for resource
// ("cpu", "memory" or "io"): parrun's cgroup's <resource>.pressure when it exists,
// else Root/proc/pressure/<resource>. ok is false when neither can be read
// (kernels without PSI): that is not an error.
//
// Pressure panics for any other resource: the name becomes part of a path.
func (m Machine) Pressure(resource string) (avg10 float64, ok bool) {
	switch resource {
	case "cpu", "memory", "io":
	default:
		panic("throttle: Pressure: unknown resource " + strconv.Quote(resource))
	}
	// The cgroup's own file counts only the stalls of parrun and its jobs,
	// which is what a container's share of a busy host should react to.
	if cg, found := m.cgroup(); found {
		if data, err := os.ReadFile(m.file(path.Join("sys/fs/cgroup", cg, resource+".pressure"))); err == nil {
			if avg10, ok = parsePressure(data); ok {
				return avg10, true
			}
		}
	}
	// Reading fails with EOPNOTSUPP, not ENOENT, when the kernel was booted
	// with psi=0, so any error means "no PSI".
	data, err := os.ReadFile(m.file(path.Join("proc/pressure", resource)))
	if err != nil {
		return 0, false
	}
	return parsePressure(data)
}

// parsePressure returns avg10 of the "some" line of a PSI file such as
// "some avg10=1.50 avg60=0.80 avg300=0.20 total=12345".
func parsePressure(data []byte) (float64, bool) {
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		rest, found := bytes.CutPrefix(line, []byte("some "))
		if !found {
			continue
		}
		for len(rest) > 0 {
			var f []byte
			f, rest = nextField(rest)
			if v, found := bytes.CutPrefix(f, []byte("avg10=")); found {
				avg, err := strconv.ParseFloat(string(v), 64)
				if err != nil || avg < 0 || math.IsNaN(avg) || math.IsInf(avg, 0) {
					return 0, false
				}
				return avg, true
			}
		}
		return 0, false
	}
	return 0, false
}

// parseMeminfo returns MemAvailable, in bytes, of a /proc/meminfo text.
func parseMeminfo(data []byte) (int64, error) {
	v, ok := value(data, "MemAvailable")
	if !ok {
		return 0, errors.New("no MemAvailable line")
	}
	num, rest := nextField(v)
	unit, _ := nextField(rest)
	n, ok := parseUint(num)
	if !ok {
		return 0, fmt.Errorf("bad MemAvailable %q", v)
	}
	switch string(unit) {
	case "kB": // what every kernel writes: kibibytes
		if n > math.MaxInt64/1024 {
			return 0, fmt.Errorf("bad MemAvailable %q", v)
		}
		n *= 1024
	case "":
		if n > math.MaxInt64 {
			return 0, fmt.Errorf("bad MemAvailable %q", v)
		}
	default:
		return 0, fmt.Errorf("bad MemAvailable unit %q", unit)
	}
	return int64(n), nil
}

// number returns the unsigned number after key in a "key value" or
// "key: value" text such as /proc/stat or /proc/vmstat.
func number(data []byte, key string) (uint64, error) {
	v, ok := value(data, key)
	if !ok {
		return 0, fmt.Errorf("no %s line", key)
	}
	f, _ := nextField(v)
	n, ok := parseUint(f)
	if !ok {
		return 0, fmt.Errorf("bad %s %q", key, v)
	}
	return n, nil
}

// value returns what follows key and its separator (a colon, blanks or
// both) on the first line that starts with key, without surrounding blanks.
// A key that is only a prefix of the line's key ("Mem" of "MemFree") does
// not match.
func value(data []byte, key string) ([]byte, bool) {
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		if len(line) <= len(key) || string(line[:len(key)]) != key {
			continue
		}
		rest := line[len(key):]
		if c := rest[0]; c != ':' && c != ' ' && c != '\t' {
			continue
		}
		if rest[0] == ':' {
			rest = rest[1:]
		}
		return bytes.Trim(rest, " \t"), true
	}
	return nil, false
}

// nextLine splits data at its first newline.
func nextLine(data []byte) (line, rest []byte) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return data[:i], data[i+1:]
	}
	return data, nil
}

// nextField returns the first blank-separated field of s and what follows it.
func nextField(s []byte) (field, rest []byte) {
	s = bytes.TrimLeft(s, " \t")
	i := bytes.IndexAny(s, " \t")
	if i < 0 {
		return s, nil
	}
	return s[:i], s[i:]
}

// parseUint parses a decimal number without allocating, as strconv would
// for the error it may build; ok is false for an empty, non-digit or
// overflowing s.
func parseUint(s []byte) (n uint64, ok bool) {
	if len(s) == 0 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}
