// Command parrun runs a list of jobs in parallel and gathers their results.
// See README.md and docs/spec.md.
package main

import "os"

func main() { os.Exit(Main()) }
