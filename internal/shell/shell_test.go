package shell

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestName(t *testing.T) {
	for _, c := range []struct {
		arg0, name string
		dash, ok   bool
	}{
		{"bash", "bash", false, true}, {"/bin/bash", "bash", false, true}, {"-bash", "bash", true, true},
		{"[sh]", "sh", false, true}, {"busybox sh", "sh", false, true}, {"-sh (sh)", "-sh (sh)", false, true},
		{"zsh -l", "zsh", false, true}, {"foo.sh", "", false, false}, {"sshd", "", false, false},
		{"ssh", "", false, false}, {"/usr/bin/perl", "", false, false}, {"parrun", "", false, false},
	} {
		name, dash, ok := Name(c.arg0)
		if name != c.name || dash != c.dash || ok != c.ok {
			t.Errorf("Name(%q) = %q, %v, %v; want %q, %v, %v", c.arg0, name, dash, ok, c.name, c.dash, c.ok)
		}
	}
}

// fakeProc writes a /proc-like tree: each entry is pid -> (argv0, ppid).
func fakeProc(t *testing.T, procs map[int][2]string) Proc {
	root := t.TempDir()
	for pid, p := range procs {
		d := filepath.Join(root, strconv.Itoa(pid))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "cmdline"), []byte(p[0]+"\x00-c\x00x\x00"), 0o644)
		os.WriteFile(filepath.Join(d, "stat"), []byte(strconv.Itoa(pid)+" (a b) S "+p[1]+" 1 1"), 0o644)
	}
	return Proc{Root: root}
}

func TestChoose(t *testing.T) {
	proc := fakeProc(t, map[int][2]string{
		10: {"parrun", "9"}, 9: {"/usr/bin/python3", "8"}, 8: {"-bash", "1"}, 1: {"/sbin/init", "0"},
		20: {"parrun", "1"},
	})
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		name string
		env  map[string]string
		pid  int
		want string
	}{
		{"PARALLEL_SHELL wins", map[string]string{"PARALLEL_SHELL": "zsh", "SHELL": "/bin/ksh"}, 10, "zsh"},
		{"grandparent shell", map[string]string{"SHELL": "/bin/ksh"}, 10, "bash"},
		{"SHELL", map[string]string{"SHELL": "/bin/ksh"}, 20, "/bin/ksh"},
		{"default", nil, 20, "/bin/sh"},
	} {
		got := Choose(env(c.env), proc, c.pid)
		if c.want == "bash" {
			if filepath.Base(got) != "bash" {
				t.Errorf("%s: got %q, want a bash", c.name, got)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestParentNotFound(t *testing.T) {
	proc := fakeProc(t, map[int][2]string{5: {"zsh", "1"}, 1: {"init", "0"}})
	if got := proc.Parent(5, func(string) (string, error) { return "", errors.New("no") }); got != "" {
		t.Errorf("Parent = %q, want \"\" when the shell is not on PATH", got)
	}
}

func FuzzName(f *testing.F) {
	for _, s := range []string{"bash", "-sh (sh)", "[sh]", "busybox sh", "/x/zsh -l"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if name, _, ok := Name(s); ok && name == "" {
			t.Errorf("Name(%q): ok without a name", s)
		}
	})
}

func TestRunnable(t *testing.T) {
	for _, tt := range []struct {
		path string
		want bool
	}{{"sh", true}, {"/bin/sh", true}, {"/nonexistent/sh", false}, {"no-such-program-here", false}, {"/etc/passwd", false}} {
		if got := Runnable(tt.path); got != tt.want {
			t.Errorf("Runnable(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}
