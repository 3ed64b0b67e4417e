package main

import "os"

// isRoot is the script condition [root].
func isRoot() bool { return os.Geteuid() == 0 }
