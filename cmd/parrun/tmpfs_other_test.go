//go:build !linux

package main

import "github.com/rogpeppe/go-internal/testscript"

// cmdTmpfs: mounting a tmpfs is Linux's; the scripts that need it skip
// elsewhere ([linux]).
func cmdTmpfs(ts *testscript.TestScript, neg bool, args []string) {
	ts.Fatalf("tmpfs: only on Linux")
}
