package throttle

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTree writes files (slash-separated path → content) under a fresh
// directory and returns a Machine rooted there.
func fakeTree(t *testing.T, files map[string]string) Machine {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Machine{Root: root}
}

const meminfo = `MemTotal:        8000000 kB
MemFree:          500000 kB
MemAvailable:    4000000 kB
Buffers:           10000 kB
`

const gib4 = 4000000 * 1024 // MemAvailable of meminfo, in bytes

func TestMemAvailable(t *testing.T) {
	const self = "0::/user.slice/parrun.scope\n"
	tests := []struct {
		name  string
		files map[string]string
		want  int64
	}{
		{"meminfo only", map[string]string{"proc/meminfo": meminfo}, gib4},
		{"cgroup v1 only", map[string]string{
			"proc/meminfo":     meminfo,
			"proc/self/cgroup": "4:memory:/x\n1:cpu:/\n",
		}, gib4},
		{"cgroup limit lower", map[string]string{
			"proc/meminfo":     meminfo,
			"proc/self/cgroup": self,
			"sys/fs/cgroup/user.slice/parrun.scope/memory.max":     "1000000\n",
			"sys/fs/cgroup/user.slice/parrun.scope/memory.current": "250000\n",
		}, 750000},
		{"cgroup limit higher", map[string]string{
			"proc/meminfo":     meminfo,
			"proc/self/cgroup": self,
			"sys/fs/cgroup/user.slice/parrun.scope/memory.max":     "100000000000\n",
			"sys/fs/cgroup/user.slice/parrun.scope/memory.current": "0\n",
		}, gib4},
		{"ancestor tighter", map[string]string{
			"proc/meminfo":     meminfo,
			"proc/self/cgroup": self,
			"sys/fs/cgroup/user.slice/parrun.scope/memory.max":     "3000000\n",
			"sys/fs/cgroup/user.slice/parrun.scope/memory.current": "1000000\n",
			"sys/fs/cgroup/user.slice/memory.max":                  "5000000\n",
			"sys/fs/cgroup/user.slice/memory.current":              "4500000\n",
		}, 500000},
		{"max is no limit", map[string]string{
			"proc/meminfo":     meminfo,
			"proc/self/cgroup": self,
			"sys/fs/cgroup/user.slice/parrun.scope/memory.max":     "max\n",
			"sys/fs/cgroup/user.slice/parrun.scope/memory.current": "123456\n",
		}, gib4},
		{"over limit is 0", map[string]string{
			"proc/meminfo":     meminfo,
			"proc/self/cgroup": self,
			"sys/fs/cgroup/user.slice/parrun.scope/memory.max":     "1000\n",
			"sys/fs/cgroup/user.slice/parrun.scope/memory.current": "2000\n",
		}, 0},
		{"max without current", map[string]string{
			"proc/meminfo":     meminfo,
			"proc/self/cgroup": self,
			"sys/fs/cgroup/user.slice/parrun.scope/memory.max": "1000\n",
		}, gib4},
		{"root cgroup", map[string]string{
			"proc/meminfo":                 meminfo,
			"proc/self/cgroup":             "0::/\n",
			"sys/fs/cgroup/memory.max":     "2048\n",
			"sys/fs/cgroup/memory.current": "1024\n",
		}, 1024},
		{"namespaced path stays inside", map[string]string{
			"proc/meminfo":                 meminfo,
			"proc/self/cgroup":             "0::/../..\n",
			"sys/fs/cgroup/memory.max":     "2048\n",
			"sys/fs/cgroup/memory.current": "0\n",
		}, 2048},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fakeTree(t, tt.files).MemAvailable()
			if err != nil {
				t.Fatalf("MemAvailable: %v", err)
			}
			if got != tt.want {
				t.Errorf("MemAvailable = %d; want %d", got, tt.want)
			}
		})
	}
}

func TestMemAvailableErrors(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		inError string // a path below Root the error must name
		notExit bool   // the error must be fs.ErrNotExist
	}{
		{"missing meminfo", map[string]string{"proc/stat": ""}, "proc/meminfo", true},
		{"no MemAvailable line", map[string]string{"proc/meminfo": "MemTotal: 1 kB\nMemAvailableX: 2 kB\n"}, "proc/meminfo", false},
		{"bad MemAvailable", map[string]string{"proc/meminfo": "MemAvailable: lots kB\n"}, "proc/meminfo", false},
		{"bad memory.max", map[string]string{
			"proc/meminfo":             meminfo,
			"proc/self/cgroup":         "0::/\n",
			"sys/fs/cgroup/memory.max": "plenty\n",
		}, "sys/fs/cgroup/memory.max", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fakeTree(t, tt.files)
			_, err := m.MemAvailable()
			if err == nil {
				t.Fatal("MemAvailable: no error")
			}
			if want := m.file(tt.inError); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
			if !strings.HasPrefix(err.Error(), "throttle: reading free memory: ") {
				t.Errorf("error %q does not say what failed", err)
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tt.notExit {
				t.Errorf("errors.Is(%q, fs.ErrNotExist) = %v; want %v", err, got, tt.notExit)
			}
		})
	}
}

func TestRunnable(t *testing.T) {
	tests := []struct {
		name string
		stat string
		want int
	}{
		{"3 running, 1 blocked", "cpu  1 2 3 4\nintr 5 6 7\nctxt 99\nprocs_running 3\nprocs_blocked 1\n", 3},
		{"only us", "procs_running 1\nprocs_blocked 0\n", 0},
		{"never below 0", "procs_running 0\nprocs_blocked 0", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fakeTree(t, map[string]string{"proc/stat": tt.stat}).Runnable()
			if err != nil {
				t.Fatalf("Runnable: %v", err)
			}
			if got != tt.want {
				t.Errorf("Runnable = %d; want %d", got, tt.want)
			}
		})
	}
}

func TestRunnableErrors(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"missing stat":       {"proc/meminfo": meminfo},
		"no procs_blocked":   {"proc/stat": "procs_running 3\n"},
		"bad procs_running":  {"proc/stat": "procs_running -3\nprocs_blocked 1\n"},
		"prefix is no match": {"proc/stat": "procs_running_x 3\nprocs_blocked 1\n"},
	} {
		t.Run(name, func(t *testing.T) {
			m := fakeTree(t, files)
			_, err := m.Runnable()
			if err == nil {
				t.Fatal("Runnable: no error")
			}
			if want := m.file("proc/stat"); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
		})
	}
}

func TestSwapped(t *testing.T) {
	const vmstat = "nr_free_pages 12345\npswpin 17\npswpout 42\npswpin_extra 1\n"
	in, out, err := fakeTree(t, map[string]string{"proc/vmstat": vmstat}).Swapped()
	if err != nil {
		t.Fatalf("Swapped: %v", err)
	}
	if in != 17 || out != 42 {
		t.Errorf("Swapped = %d, %d; want 17, 42", in, out)
	}

	m := fakeTree(t, map[string]string{"proc/vmstat": "pswpin 17\n"})
	if _, _, err := m.Swapped(); err == nil || !strings.Contains(err.Error(), m.file("proc/vmstat")) {
		t.Errorf("Swapped without pswpout: error %v; want one naming %s", err, m.file("proc/vmstat"))
	}
	m = fakeTree(t, nil)
	if _, _, err := m.Swapped(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Swapped without vmstat: error %v; want fs.ErrNotExist", err)
	}
}

func TestPressure(t *testing.T) {
	const (
		self    = "0::/parrun\n"
		cgroup  = "some avg10=12.50 avg60=3.00 avg300=1.00 total=999\nfull avg10=99.00 avg60=0.00 avg300=0.00 total=1\n"
		host    = "some avg10=0.75 avg60=0.10 avg300=0.00 total=42\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
		garbage = "some avg10=soon\n"
	)
	tests := []struct {
		name     string
		resource string
		files    map[string]string
		want     float64
		ok       bool
	}{
		{"cgroup file", "memory", map[string]string{
			"proc/self/cgroup":                     self,
			"sys/fs/cgroup/parrun/memory.pressure": cgroup,
			"proc/pressure/memory":                 host,
		}, 12.5, true},
		{"fallback to /proc/pressure", "cpu", map[string]string{
			"proc/self/cgroup":  self,
			"proc/pressure/cpu": host,
		}, 0.75, true},
		{"garbage cgroup file falls back", "io", map[string]string{
			"proc/self/cgroup":                 self,
			"sys/fs/cgroup/parrun/io.pressure": garbage,
			"proc/pressure/io":                 host,
		}, 0.75, true},
		{"no cgroup v2", "io", map[string]string{"proc/pressure/io": host}, 0.75, true},
		{"missing", "memory", map[string]string{"proc/self/cgroup": self}, 0, false},
		{"garbage only", "cpu", map[string]string{"proc/pressure/cpu": garbage}, 0, false},
		{"no some line", "cpu", map[string]string{"proc/pressure/cpu": "full avg10=1.00\n"}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := fakeTree(t, tt.files).Pressure(tt.resource)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Pressure(%q) = %v, %v; want %v, %v", tt.resource, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestPressureUnknownResource(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "throttle: ") {
			t.Errorf("Pressure(\"../x\") recovered %v; want a throttle: panic", r)
		}
	}()
	Machine{Root: t.TempDir()}.Pressure("../x")
}

// TestMachineReal reads this machine: every method must work on Linux.
func TestMachineReal(t *testing.T) {
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		t.Skipf("no /proc/meminfo (not Linux?): %v", err)
	}
	var m Machine
	if n, err := m.MemAvailable(); err != nil || n <= 0 {
		t.Errorf("MemAvailable = %d, %v; want > 0, nil", n, err)
	}
	if n, err := m.Runnable(); err != nil || n < 0 {
		t.Errorf("Runnable = %d, %v; want >= 0, nil", n, err)
	}
	if _, _, err := m.Swapped(); err != nil {
		t.Errorf("Swapped: %v", err)
	}
	for _, r := range []string{"cpu", "memory", "io"} {
		avg, ok := m.Pressure(r)
		t.Logf("Pressure(%q) = %v, %v", r, avg, ok)
		if avg < 0 {
			t.Errorf("Pressure(%q) = %v; want >= 0", r, avg)
		}
	}
}

func BenchmarkMachine(b *testing.B) {
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		b.Skipf("no /proc/meminfo (not Linux?): %v", err)
	}
	var m Machine
	for b.Loop() {
		if _, err := m.MemAvailable(); err != nil {
			b.Fatal(err)
		}
		if _, err := m.Runnable(); err != nil {
			b.Fatal(err)
		}
		m.Pressure("memory")
	}
}

func FuzzMeminfo(f *testing.F) {
	f.Add([]byte(meminfo))
	f.Add([]byte("MemAvailable: 18446744073709551615 kB\n"))
	f.Add([]byte("MemAvailable:\n"))
	f.Add([]byte("MemAvailable: 5\nprocs_running 2\nsome avg10=1.5 avg60=2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if n, err := parseMeminfo(data); err == nil && n < 0 {
			t.Fatalf("parseMeminfo(%q) = %d", data, n)
		}
		if n, err := number(data, "procs_running"); err != nil && n != 0 {
			t.Fatalf("number(%q) = %d, %v", data, n, err)
		}
		if avg, ok := parsePressure(data); avg < 0 || !ok && avg != 0 {
			t.Fatalf("parsePressure(%q) = %v, %v", data, avg, ok)
		}
	})
}
