// Package shell chooses the shell that runs commands the way GNU parallel
// 20221122 does (SPEC §2): $PARALLEL_SHELL, else the nearest ancestor
// process that is a known shell, else $SHELL, else /bin/sh. The choice is
// made once, in the parrun the user started, and travels with each
// command, so process-mode workers and remote workers use it too.
package shell

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// known are the shell names GNU parallel's parent_shell accepts.
var known = []string{"ash", "bash", "bsd-csh", "csh", "dash", "fdsh", "fish", "fizsh", "ksh",
	"ksh93", "lksh", "mksh", "pdksh", "posh", "rbash", "rc", "rush", "rzsh", "sash", "sh",
	"static-sh", "tcsh", "yash", "zsh", "-sh", "-csh", "-bash", "-sh (sh)"}

// fakeName maps a login shell's argv[0] to the names to look up on PATH.
var fakeName = map[string][]string{
	"-sh (sh)": {"sh"}, "-sh": {"sh"}, "-csh": {"tcsh", "csh"}, "-ash": {"ash", "dash", "sh"},
	"-dash": {"dash", "ash", "sh"}, "-bash": {"bash", "sh"}, "-ksh": {"ksh", "sh"}, "-zsh": {"zsh", "sh"},
}

// argv0 matches a shell's argv[0] as GNU's regexp does: "[sh]", "-sh",
// "sh", "busybox sh", "/bin/sh", but not "foo.sh", "sshd" or "ssh".
var argv0 = func() *regexp.Regexp {
	q := make([]string, len(known))
	for i, k := range known {
		q[i] = regexp.QuoteMeta(k)
	}
	sh := "(?:" + strings.Join(q, "|") + ")"
	return regexp.MustCompile(`^((\[)(-?)(` + sh + `)(\])|(|\S+/|busybox )(-?)(` + sh + `))( *$| [^(])`)
}()

// Name returns the shell name in a process's argv[0], and whether it is
// a login shell ("-bash"); ok is false when it is not a known shell.
func Name(arg0 string) (name string, dash, ok bool) {
	m := argv0.FindStringSubmatch(arg0)
	if m == nil {
		return "", false, false
	}
	if m[4] != "" {
		return m[4], m[3] != "", true
	}
	return m[8], m[7] != "", true
}

// A Proc reads the process table: the argv[0], executable and parent of
// a pid. Linux reads /proc; elsewhere the walk finds nothing.
type Proc struct {
	Root string // "/proc"
}

func (p Proc) arg0(pid int) (string, bool) {
	b, err := os.ReadFile(filepath.Join(p.Root, strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return "", false
	}
	s, _, _ := strings.Cut(string(b), "\x00")
	return s, true
}

func (p Proc) parent(pid int) int {
	b, err := os.ReadFile(filepath.Join(p.Root, strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	// pid (comm) state ppid ...: comm may hold spaces, so cut at the last ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// Parent walks from pid up the process tree and returns the path of the
// first known shell, or "" when there is none.
func (p Proc) Parent(pid int, lookPath func(string) (string, error)) string {
	for seen := 0; pid > 0 && seen < 1000; seen++ {
		a, ok := p.arg0(pid)
		if !ok {
			return ""
		}
		if name, dash, ok := Name(a); ok {
			if name == "sh" && dash {
				if exe, err := os.Readlink(filepath.Join(p.Root, strconv.Itoa(pid), "exe")); err == nil {
					if n, _, ok := Name(exe); ok && strings.HasSuffix(exe, "/"+n) {
						return exe
					}
				}
			}
			for _, n := range append([]string{name}, fakeName[name]...) {
				if path, err := lookPath(n); err == nil {
					return path
				}
			}
			return ""
		}
		pid = p.parent(pid)
	}
	return ""
}

// Choose returns the shell for a run whose --shell/PARRUN_SHELL was not
// given: $PARALLEL_SHELL, the parent shell of pid, $SHELL, /bin/sh.
func Choose(getenv func(string) string, proc Proc, pid int) string {
	if s := getenv("PARALLEL_SHELL"); s != "" {
		return s
	}
	if s := proc.Parent(pid, exec.LookPath); s != "" {
		return s
	}
	if s := getenv("SHELL"); s != "" {
		return s
	}
	return "/bin/sh"
}

// Runnable reports whether path names a program that can be run: a path
// to an executable file, or a name on PATH (what --shell must name).
func Runnable(path string) bool {
	_, err := exec.LookPath(path)
	return err == nil
}
