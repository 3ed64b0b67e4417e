package sched

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestMakeDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "afile")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dir, wantErr string
	}{
		{"", ""},
		{filepath.Join(dir, "a", "b", "c"), ""},
		{dir, ""},
		{file, "not a directory"},
		{filepath.Join(file, "sub"), "not a directory"},
		{"...", "not supported"},
		{".", "not supported"},
	}
	for _, tt := range tests {
		err := MakeDir(tt.dir)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("MakeDir(%q): %v", tt.dir, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("MakeDir(%q): error %v, want one saying %q", tt.dir, err, tt.wantErr)
		}
		if tt.wantErr == "" && tt.dir != "" {
			if fi, err := os.Stat(tt.dir); err != nil || !fi.IsDir() {
				t.Errorf("MakeDir(%q) made no directory: %v", tt.dir, err)
			}
		}
	}
}

func TestExports(t *testing.T) {
	environ := []string{"PATH=/bin", "FOO=bar", "FOOD=x", "BASH_FUNC_f%%=() {  echo hi\n}", "EMPTY="}
	tests := []struct {
		names, want []string
		wantErr     bool
	}{
		{nil, nil, false},
		{[]string{"FOO"}, []string{"FOO=bar"}, false},
		{[]string{"UNSET"}, nil, false},
		{[]string{"f", "EMPTY"}, []string{"BASH_FUNC_f%%=() {  echo hi\n}", "EMPTY="}, false},
		{[]string{"_"}, nil, true},
	}
	for _, tt := range tests {
		got, err := Exports(environ, tt.names)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("Exports(%q) = %q, %v; want %q, error %v", tt.names, got, err, tt.want, tt.wantErr)
		}
	}
}
