package throttle_test

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parrun/parrun/internal/throttle"
)

// The files of a fake machine: 2 GiB available, 3 processes runnable
// (4 running and blocked, less the reader), some swap activity.
const (
	fakeMeminfo = "MemTotal:        8388608 kB\nMemFree:          524288 kB\nMemAvailable:    2097152 kB\n"
	fakeStat    = "cpu  1 2 3 4\nctxt 99\nprocs_running 3\nprocs_blocked 1\n"
	fakeVmstat  = "nr_free_pages 12345\npswpin 17\npswpout 42\n"
)

// fakeMachine returns a Machine rooted at a fresh directory holding the
// named files of /proc ("meminfo", "stat", "vmstat") with the contents
// above.
func fakeMachine(t *testing.T, names ...string) throttle.Machine {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	content := map[string]string{"meminfo": fakeMeminfo, "stat": fakeStat, "vmstat": fakeVmstat}
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, "proc", name), []byte(content[name]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return throttle.Machine{Root: dir}
}

var allFiles = []string{"meminfo", "stat", "vmstat"}

func TestConfigGateNone(t *testing.T) {
	var c throttle.Config
	if c.Active() {
		t.Errorf("zero Config: Active() = true; want false")
	}
	// No files at all: nothing is read when nothing is asked for.
	g, err := c.Gate(fakeMachine(t), 4)
	if g != nil || err != nil {
		t.Errorf("zero Config: Gate = %v, %v; want nil, nil", g, err)
	}
}

func TestConfigGate(t *testing.T) {
	tests := []struct {
		name  string
		c     throttle.Config
		check func(t *testing.T, g throttle.Gate)
	}{
		{"memfree", throttle.Config{MemFree: "1G"}, func(t *testing.T, g throttle.Gate) {
			m := only[throttle.MemFree](t, g)
			if m.Size != 1<<30 {
				t.Errorf("Size = %d; want %d", m.Size, 1<<30)
			}
			checkVerdict(t, g.Check(), throttle.Start, -1, "") // 2 GiB free
		}},
		{"memfree wait", throttle.Config{MemFree: "3G"}, func(t *testing.T, g throttle.Gate) {
			checkVerdict(t, g.Check(), throttle.Wait, -1, "memory 2 GiB free < 3 GiB")
		}},
		{"limit mem", throttle.Config{Limit: "mem 1G"}, func(t *testing.T, g throttle.Gate) {
			if m := only[throttle.MemFree](t, g); m.Size != 1<<30 {
				t.Errorf("Size = %d; want %d", m.Size, 1<<30)
			}
		}},
		{"limit load", throttle.Config{Limit: "load 3"}, func(t *testing.T, g throttle.Gate) {
			if l := only[throttle.Load](t, g); l.Max != 3 {
				t.Errorf("Max = %v; want 3", l.Max)
			}
			checkVerdict(t, g.Check(), throttle.Wait, -1, "load 3 ≥ --load 3")
		}},
		{"load percent", throttle.Config{Load: "200%"}, func(t *testing.T, g throttle.Gate) {
			if l := only[throttle.Load](t, g); l.Max != 8 {
				t.Errorf("Max = %v; want 8 (200%% of 4 cores)", l.Max)
			}
			checkVerdict(t, g.Check(), throttle.Start, -1, "")
		}},
		{"memsuspend with memfree", throttle.Config{MemFree: "512M", MemSuspend: "1G"}, func(t *testing.T, g throttle.Gate) {
			gs, ok := g.(throttle.Gates)
			if !ok || len(gs) != 2 {
				t.Fatalf("Gate = %#v; want Gates of MemFree and MemSuspend", g)
			}
			ms, ok := gs[1].(throttle.MemSuspend)
			if !ok || ms.Size != 1<<30 || ms.Free != 512<<20 {
				t.Errorf("gates[1] = %#v; want MemSuspend{Size: 1 GiB, Free: 512 MiB}", gs[1])
			}
			// 2 GiB free = 2×Size: nothing suspended, room to start.
			checkVerdict(t, g.Check(), throttle.Start, -1, "")
		}},
		{"noswap", throttle.Config{NoSwap: true}, func(t *testing.T, g throttle.Gate) {
			only[*throttle.NoSwap](t, g)
			checkVerdict(t, g.Check(), throttle.Start, -1, "") // the first sample
		}},
		{"limit command", throttle.Config{Limit: "memcheck --free", Shell: "/bin/sh"}, func(t *testing.T, g throttle.Gate) {
			if l := only[throttle.Limit](t, g); l.Cmd != "memcheck --free" {
				t.Errorf("Cmd = %q; want %q", l.Cmd, "memcheck --free")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.c.Active() {
				t.Errorf("%+v: Active() = false; want true", tt.c)
			}
			g, err := tt.c.Gate(fakeMachine(t, allFiles...), 4)
			if err != nil {
				t.Fatalf("Gate: %v", err)
			}
			tt.check(t, g)
		})
	}
}

// only returns the one gate of g, a Gates, as a G.
func only[G throttle.Gate](t *testing.T, g throttle.Gate) G {
	t.Helper()
	gs, ok := g.(throttle.Gates)
	if !ok || len(gs) != 1 {
		t.Fatalf("Gate = %#v; want Gates of one", g)
	}
	one, ok := gs[0].(G)
	if !ok {
		t.Fatalf("gate = %#v; want a %T", gs[0], one)
	}
	return one
}

func TestConfigGateErrors(t *testing.T) {
	tests := []struct {
		name  string
		c     throttle.Config
		files []string
		want  string // in the error
	}{
		{"io limit", throttle.Config{Limit: "io 10"}, allFiles, "not supported"},
		{"bad memfree", throttle.Config{MemFree: "lots"}, allFiles, `--memfree "lots"`},
		{"negative memfree", throttle.Config{MemFree: "-1G"}, allFiles, `--memfree "-1G"`},
		{"bad memsuspend", throttle.Config{MemSuspend: "1X"}, allFiles, `--memsuspend "1X"`},
		{"zero memsuspend", throttle.Config{MemSuspend: "0"}, allFiles, `--memsuspend "0": must be more than 0`},
		{"bad limit mem", throttle.Config{Limit: "mem 1KB"}, allFiles, `--limit "mem 1KB"`},
		{"bad load", throttle.Config{Load: "x"}, allFiles, `--load "x"`},
		{"bad limit load", throttle.Config{Limit: "load x"}, allFiles, `--limit load "x"`},
		{"missing meminfo", throttle.Config{MemFree: "1G"}, []string{"stat", "vmstat"}, "--memfree: "},
		{"missing meminfo, path named", throttle.Config{MemFree: "1G"}, []string{"stat", "vmstat"}, "proc/meminfo"},
		{"missing meminfo for memsuspend", throttle.Config{MemSuspend: "1G"}, []string{"stat", "vmstat"}, "--memsuspend: "},
		{"missing meminfo for limit mem", throttle.Config{Limit: " mem 1G"}, []string{"stat", "vmstat"}, "--limit mem: "},
		{"missing stat", throttle.Config{Load: "2"}, []string{"meminfo", "vmstat"}, "--load: "},
		{"missing vmstat", throttle.Config{NoSwap: true}, []string{"meminfo", "stat"}, "--noswap: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := tt.c.Gate(fakeMachine(t, tt.files...), 4)
			if err == nil {
				t.Fatalf("Gate = %#v, nil; want an error", g)
			}
			if g != nil {
				t.Errorf("Gate = %#v with error %v; want nil", g, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q; want %q in it", err, tt.want)
			}
		})
	}
}

// TestConfigGateLimitCommand runs real --limit commands through the shell.
func TestConfigGateLimitCommand(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skipf("no /bin/sh: %v", err)
	}
	tests := []struct {
		limit  string
		env    []string
		action throttle.Action
	}{
		{"exit 0", nil, throttle.Start},
		{"exit 1", nil, throttle.Wait},
		{"exit 2", nil, throttle.Kill},
		{"exit 7", nil, throttle.Wait},
		{"kill -9 $$", nil, throttle.Wait}, // no exit status at all
		{`test "$SSHLOGIN" = :`, nil, throttle.Start},
		// SSHLOGIN is this machine's even when parrun's says otherwise.
		{`test "$SSHLOGIN" = :`, []string{"SSHLOGIN=elsewhere"}, throttle.Start},
		{`test "$PARRUN_TEST_LIMIT" = yes`, []string{"PARRUN_TEST_LIMIT=yes"}, throttle.Start},
		{`test "$PARRUN_TEST_LIMIT" = yes`, []string{"PARRUN_TEST_LIMIT=no"}, throttle.Wait},
	}
	for _, tt := range tests {
		t.Run(tt.limit, func(t *testing.T) {
			c := throttle.Config{Limit: tt.limit, Shell: "/bin/sh", Env: tt.env}
			g, err := c.Gate(fakeMachine(t), 4)
			if err != nil {
				t.Fatalf("Gate: %v", err)
			}
			if v := g.Check(); v.Action != tt.action || v.Run != -1 {
				t.Errorf("Check() = %+v; want Action %d, Run -1", v, tt.action)
			}
		})
	}
	t.Run("no such shell", func(t *testing.T) {
		c := throttle.Config{Limit: "exit 0", Shell: filepath.Join(t.TempDir(), "no-such-shell")}
		g, err := c.Gate(fakeMachine(t), 4)
		if err != nil {
			t.Fatalf("Gate: %v", err)
		}
		checkVerdict(t, g.Check(), throttle.Wait, -1, "no-such-shell")
	})
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		s    string
		want int64
	}{
		{"0", 0},
		{"1", 1},
		{"1024", 1024},
		{"1K", 1024},
		{"1k", 1000},
		{"1Ki", 1024},
		{"1ki", 1024},
		{"1KI", 1024},
		{"1M", 1 << 20},
		{"1m", 1e6},
		{"1Mi", 1 << 20},
		{"2G", 2 << 30},
		{"1g", 1e9},
		{"1gi", 1 << 30},
		{"1.5G", 3 << 29},
		{"0.5k", 500},
		{"1T", 1 << 40},
		{"1t", 1e12},
		{"1P", 1 << 50},
		{"1p", 1e15},
		{"1Pi", 1 << 50},
		{"4096P", 1 << 62},
	}
	for _, tt := range tests {
		got, err := throttle.ParseSize(tt.s)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, nil", tt.s, got, err, tt.want)
		}
	}
	for _, s := range []string{"", "x", "1x", "-1", "-1G", "1KB", "1Gii", "G", "Ki", "1iK", "1 G", " 1G", "1E", "NaN", "Inf", "1e30", "8192P"} {
		if got, err := throttle.ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q) = %d, nil; want an error", s, got)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1K", "1k", "1Ki", "1.5G", "1P", "", "x", "-1", "1KB", "1Gii", "i", "Ii", "0x1p4G", "1e18P", "NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := throttle.ParseSize(s)
		if err != nil {
			if n != 0 {
				t.Fatalf("ParseSize(%q) = %d, %v; want 0 with an error", s, n, err)
			}
			return
		}
		if n < 0 || n > math.MaxInt64/2 {
			t.Fatalf("ParseSize(%q) = %d; want 0 to 2^62", s, n)
		}
	})
}
