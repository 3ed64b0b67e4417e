package sched

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// MakeDir makes the directory of GNU's --workdir DIR as GNU parallel does
// (mkdir -p), before the first job starts, for a run on this machine
// (package remote makes it on hosts). GNU's special values "..." (a fresh
// directory for each job under .parallel/tmp, which parrun makes on --ssh
// hosts) and "." (the same directory on other machines) are not supported
// here; "" is none.
func MakeDir(dir string) error {
	switch {
	case dir == "":
		return nil
	case dir == "...":
		return errors.New("--workdir ... (GNU's fresh directory for each job) is made on --ssh hosts; on this machine alone it is not supported by parrun yet")
	case dir == ".":
		return fmt.Errorf("--workdir %s (GNU's special value) is not supported by parrun yet", dir)
	case strings.ContainsRune(dir, 0):
		return errors.New("--workdir: a directory name cannot hold a NUL byte")
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("--workdir %s: %w", dir, errors.Unwrap(err))
	}
	return nil
}

// Exports returns the NAME=value entries of environ that GNU's --env
// names, for Options.Export. A name that is not set is left out, as GNU
// does; a bash function exported with export -f is found by its name.
// GNU's "_" (every variable but ~/.parallel/ignored_vars) is not
// supported.
func Exports(environ, names []string) ([]string, error) {
	var out []string
	for _, name := range names {
		if name == "_" {
			return nil, errors.New("--env _ (GNU's every variable but ~/.parallel/ignored_vars) is not supported by parrun yet")
		}
		for _, kv := range environ {
			k, _, _ := strings.Cut(kv, "=")
			if k == name || k == "BASH_FUNC_"+name+"%%" {
				out = append(out, kv)
			}
		}
	}
	return out, nil
}
