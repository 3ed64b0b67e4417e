// Package buildinfo says which build of parrun is running: its version
// with the VCS revision and time the Go toolchain stamped into the binary
// (debug.ReadBuildInfo), for --version and bug reports.
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// Version is base followed by the build's revision, commit time and
// whether the tree had local changes, when the binary carries them:
// "0.1.0-dev (1a2b3c4d5e6f, 2026-12-03T12:00:00Z, modified)".
func Version(base string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return base
	}
	return versionOf(base, bi)
}

func versionOf(base string, bi *debug.BuildInfo) string {
	var rev, at, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value[:min(len(s.Value), 12)]
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "modified"
			}
		}
	}
	var parts []string
	for _, p := range []string{rev, at, modified} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return base + " (no VCS information: built outside a checkout or with -buildvcs=false)"
	}
	return base + " (" + strings.Join(parts, ", ") + ")"
}
