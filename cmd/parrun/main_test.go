package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "update testscript golden output")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"parrun": main})
}

// scriptCmds are the scripts' own commands; a test file adds its own in an
// init func, beside the command's code.
var scriptCmds = map[string]func(*testscript.TestScript, bool, []string){
	"sshd-start": cmdSSHDStart,
	"exits":      cmdExits,
	"tmpfs":      cmdTmpfs,
}

// scriptModes are the modes every behaviour script runs under (SPEC §3:
// every mode passes the same behavioural tests). PARRUN_TEST_MODES narrows
// the list, e.g. to run one mode while debugging.
func scriptModes() []string {
	if m := os.Getenv("PARRUN_TEST_MODES"); m != "" {
		return strings.Fields(m)
	}
	return []string{"thread", "coroutine", "process"}
}

// TestScripts runs every script under testdata/script, once per mode: the
// list is the directory, never a hand-kept table.
func TestScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("the end-to-end scripts take minutes under -race; make test runs them")
	}
	parrunBin, err := exec.LookPath("parrun") // testscript.Main put it on PATH
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range scriptModes() {
		t.Run(mode, func(t *testing.T) {
			testscript.Run(t, testscript.Params{
				Dir:                 filepath.Join("..", "..", "testdata", "script"),
				RequireExplicitExec: true,
				UpdateScripts:       *update,
				Cmds:                scriptCmds,
				Setup: func(env *testscript.Env) error {
					// Flags given in a script beat this, as any flag beats
					// the environment (SPEC §7).
					env.Setenv("PARRUN_MODE", mode)
					env.Setenv("MODE", mode)
					env.Setenv("TMPDIR", env.WorkDir+"/tmp")
					// The worker binary --ssh starts on "another machine".
					env.Setenv("PARRUN_BIN", parrunBin)
					return os.MkdirAll(env.WorkDir+"/tmp", 0o755)
				},
				Condition: func(cond string) (bool, error) {
					switch cond {
					case "thread", "coroutine", "process":
						return cond == mode, nil
					case "sshd":
						return sshdUsable()
					case "slurm":
						return slurmUsable()
					case "screen":
						return screenUsable()
					case "root":
						return isRoot(), nil
					case "cores2":
						return runtime.GOMAXPROCS(0) >= 2, nil
					}
					return false, fmt.Errorf("unknown condition %q", cond)
				},
			})
		})
	}
}
