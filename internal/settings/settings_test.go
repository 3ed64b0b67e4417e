package settings

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// TestApplyLayers checks the order flags > PARRUN_* > config file >
// defaults, and that each flag's source is recorded.
func TestApplyLayers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(file, []byte("workers: 3\ntimeout: 5s\nmode: thread\narg-file: [a, b]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("workers", "", "")
	fs.String("timeout", "", "")
	fs.String("mode", "", "")
	fs.String("kill-after", "2s", "")
	fs.StringSlice("arg-file", nil, "")
	if err := fs.Parse([]string{"--mode", "process"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PARRUN_TIMEOUT": "9s", "PARRUN_MODE": "coroutine"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	o, err := Apply(fs, file, func(k string) string { return env[k] }, lookup)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		"mode":       {"process", "flag"},
		"timeout":    {"9s", "env"},
		"workers":    {"3", "file"},
		"kill-after": {"2s", "default"},
		"arg-file":   {"[a,b]", "file"},
	}
	for name, w := range want {
		if got := fs.Lookup(name).Value.String(); got != w[0] {
			t.Errorf("--%s = %q, want %q", name, got, w[0])
		}
		if got := string(o.Source[name]); got != w[1] {
			t.Errorf("--%s came from %q, want %q", name, got, w[1])
		}
	}
}

func TestApplyBadFile(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", "wokers: 3\n", `unknown key "wokers"`},
		{"list for a scalar", "workers: [1, 2]\n", "a list of 2 values, but --workers takes one"},
		{"not yaml", "workers: [\n", "config file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(file, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			fs.String("workers", "", "")
			_, err := Apply(fs, file, func(string) string { return "" }, func(string) (string, bool) { return "", false })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	parse := func(s string) (time.Duration, error) { return time.ParseDuration(s) }
	tests := []struct {
		def, set string
		want     time.Duration
		wantErr  bool
	}{
		{def: "", set: "1s", want: time.Second},
		{def: "2s", set: "", want: 2 * time.Second},
		{def: "", set: "", want: 0},
		{def: "2s", set: "zz", want: 2 * time.Second, wantErr: true},
	}
	for _, tt := range tests {
		var got time.Duration
		d := NewDuration(&got, tt.def, parse)
		err := d.Set(tt.set)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("def %q, Set(%q): got %v, err %v; want %v, error %v", tt.def, tt.set, got, err, tt.want, tt.wantErr)
		}
		if want := tt.set; err == nil && d.String() != want {
			t.Errorf("def %q, Set(%q): String() = %q", tt.def, tt.set, d.String())
		}
	}
}

// TestExplain checks that a bad value names where it came from.
func TestExplain(t *testing.T) {
	st := &Origin{File: "/etc/parrun.toml", Source: map[string]Source{"jobs": File, "halt": Env, "delay": Flag}}
	bad := errors.New("bad")
	tests := []struct {
		st   *Origin
		flag string
		want string
	}{
		{st, "jobs", `config file /etc/parrun.toml: key "jobs": bad`},
		{st, "halt", "PARRUN_HALT: bad"},
		{st, "delay", "bad"},
		{st, "", "bad"},
		{nil, "jobs", "bad"},
	}
	for _, tt := range tests {
		got := tt.st.Explain(tt.flag, bad)
		if got.Error() != tt.want || !errors.Is(got, bad) {
			t.Errorf("Explain(%q) = %q; want %q wrapping the error", tt.flag, got, tt.want)
		}
	}
}
