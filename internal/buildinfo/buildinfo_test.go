package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestVersionOf(t *testing.T) {
	tests := []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "1a2b3c4d5e6f7a8b9c0d"}, {Key: "vcs.time", Value: "2026-12-03T12:00:00Z"}, {Key: "vcs.modified", Value: "false"}},
			"1.0 (1a2b3c4d5e6f, 2026-12-03T12:00:00Z)"},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}, "1.0 (abc, modified)"},
		{nil, "1.0 (no VCS information: built outside a checkout or with -buildvcs=false)"},
	}
	for _, tt := range tests {
		if got := versionOf("1.0", &debug.BuildInfo{Settings: tt.settings}); got != tt.want {
			t.Errorf("versionOf(%v) = %q; want %q", tt.settings, got, tt.want)
		}
	}
}
