//go:build linux

package main

import (
	"fmt"
	"os"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdTmpfs is the script command "tmpfs DIR SIZE" (after [root]): mounts a
// tmpfs of SIZE (mount(8)'s syntax: 1m, 64k) on DIR, made if missing, for
// the full-disk scripts (issue 18: a 1 MiB tmpfs as $TMPDIR or as where
// stdout goes), and unmounts it when the script ends.
func cmdTmpfs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: tmpfs DIR SIZE")
	}
	dir := ts.MkAbs(args[0])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		ts.Fatalf("tmpfs: %v", err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%s,mode=1777", args[1])); err != nil {
		ts.Fatalf("tmpfs: mounting on %s: %v", dir, err)
	}
	ts.Defer(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			ts.Logf("tmpfs: unmounting %s: %v", dir, err)
		}
	})
}
