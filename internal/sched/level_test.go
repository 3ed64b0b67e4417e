package sched

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseJobs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "procfile")
	if err := os.WriteFile(file, []byte("3\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		s         string
		cores     int
		slots     int
		level     string // "", "file" or "auto"
		start     int
		wantError string
	}{
		{"4", 2, 4, "", 4, ""},
		{"+1", 2, 3, "", 3, ""},
		{"auto", 2, 128, "auto", 2, ""},
		{"auto", 8, 512, "auto", 8, ""},
		{"auto", 64, DefaultConcurrency, "auto", 64, ""}, // never above -j 0
		{"4auto", 2, 4, "auto", 2, ""},
		{"1auto", 2, 1, "auto", 1, ""},
		{"200%auto", 2, 4, "auto", 2, ""},
		{file, 2, DefaultConcurrency, "file", 3, ""},
		{"xauto", 2, 0, "", 0, "-j xauto: want auto, or Nauto"},
		{"x", 2, 0, "", 0, "-j x: "},
		{dir, 2, 0, "", 0, "-j " + dir}, // a directory is no procfile
	}
	for _, tt := range tests {
		slots, level, err := ParseJobs(tt.s, tt.cores)
		if tt.wantError != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantError) {
				t.Errorf("ParseJobs(%q, %d) error %v; want %q in it", tt.s, tt.cores, err, tt.wantError)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseJobs(%q, %d): %v", tt.s, tt.cores, err)
			continue
		}
		kind := ""
		switch level.(type) {
		case *FileLevel:
			kind = "file"
		case *AutoLevel:
			kind = "auto"
		}
		o := Options{Slots: slots, Level: level}
		if slots != tt.slots || kind != tt.level || o.StartLevel() != tt.start {
			t.Errorf("ParseJobs(%q, %d) = %d slots, %q level starting at %d; want %d, %q, %d",
				tt.s, tt.cores, slots, kind, o.StartLevel(), tt.slots, tt.level, tt.start)
		}
	}
}

func TestFileLevel(t *testing.T) {
	file := filepath.Join(t.TempDir(), "procfile")
	write := func(s string, age time.Duration) {
		t.Helper()
		if err := os.WriteFile(file, []byte(s), 0o666); err != nil {
			t.Fatal(err)
		}
		// A distinct mtime for each write: the level sees a change
		// even where the clock is coarse.
		at := time.Now().Add(-age)
		if err := os.Chtimes(file, at, at); err != nil {
			t.Fatal(err)
		}
	}
	write("2", time.Hour)
	f, err := NewFileLevel(file, 4)
	if err != nil {
		t.Fatal(err)
	}
	var notices []string
	f.Notify = func(s string) { notices = append(notices, s) }
	steps := []struct {
		write string // "" leaves the file alone
		want  int
		note  string
	}{
		{"", 2, ""},
		{"5\n", 5, "running at most 5 at once (was 2)"},
		{"", 5, ""},
		{"5 ", 5, ""}, // changed, but the same level: nothing to say
		{"50%", 2, "at most 2 at once (was 5)"},
		{"lots", 2, `holds "lots"`},
		{"", 2, ""}, // unchanged since the bad value: no second notice
		{"+2", 6, "at most 6"},
	}
	for i, st := range steps {
		if st.write != "" {
			write(st.write, time.Duration(len(steps)-i)*time.Minute)
		}
		notices = nil
		if got := f.Tick(Tally{}); got != st.want {
			t.Errorf("step %d (%q): Tick = %d; want %d", i, st.write, got, st.want)
		}
		switch {
		case st.note == "" && len(notices) > 0:
			t.Errorf("step %d: notices %q; want none", i, notices)
		case st.note != "" && (len(notices) != 1 || !strings.Contains(notices[0], st.note)):
			t.Errorf("step %d: notices %q; want one with %q", i, notices, st.note)
		}
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if got := f.Tick(Tally{}); got != 6 {
		t.Errorf("after the file went away: Tick = %d; want 6, as before", got)
	}
}

func TestNewFileLevelBad(t *testing.T) {
	file := filepath.Join(t.TempDir(), "procfile")
	if err := os.WriteFile(file, []byte("many"), 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFileLevel(file, 2); err == nil || !strings.Contains(err.Error(), `holds "many"`) {
		t.Errorf("NewFileLevel of a bad value: %v; want it to quote the value", err)
	}
}
