// Package helperproc lets a package's tests use the test binary itself as
// a child process, the way os/exec's tests do: TestMain dispatches on an
// environment variable to a registered helper command, and a full test run
// fails if a registered helper was never used (a helper nobody runs tests
// nothing) or if goroutines leaked. It is for tests only.
package helperproc

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// A Registry holds one test binary's helper commands. Register helpers in
// init, before TestMain runs.
type Registry struct {
	env  string
	cmds map[string]func(args ...string)
	used sync.Map // name → true
}

// New returns a registry whose children are marked by the variable env.
func New(env string) *Registry {
	return &Registry{env: env, cmds: map[string]func(args ...string){}}
}

// Register adds a helper command. Registering a name twice panics.
func (r *Registry) Register(name string, f func(args ...string)) {
	if r.cmds[name] != nil {
		panic("helperproc: helper " + name + " registered twice")
	}
	r.cmds[name] = f
}

// Has reports whether name is a registered helper.
func (r *Registry) Has(name string) bool { return r.cmds[name] != nil }

// MarkUsed records that a test ran the helper name.
func (r *Registry) MarkUsed(name string) { r.used.Store(name, true) }

// EnvVar is the NAME=1 entry that makes a child run a helper.
func (r *Registry) EnvVar() string { return r.env + "=1" }

// ChildMain runs the helper named by os.Args[1] and exits, when this
// process is a helper child; otherwise it returns.
func (r *Registry) ChildMain() {
	if os.Getenv(r.env) == "" {
		return
	}
	args := os.Args[1:]
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "helper: no command")
		os.Exit(2)
	}
	f := r.cmds[args[0]]
	if f == nil {
		fmt.Fprintf(os.Stderr, "helper: unknown command %q\n", args[0])
		os.Exit(2)
	}
	f(args[1:]...)
	os.Exit(0)
}

// RunTests runs the tests and returns the exit code. On a full run (no
// -run, -skip or -list), an unused helper fails it; any run fails when
// goroutines leaked, with leaked saying whose.
func (r *Registry) RunTests(m *testing.M, leaked string) int {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" &&
		flag.Lookup("test.skip").Value.String() == "" && flag.Lookup("test.list").Value.String() == "" {
		for name := range r.cmds {
			if _, ok := r.used.Load(name); !ok {
				fmt.Fprintf(os.Stderr, "helper command unused: %q\n", name)
				code = 1
			}
		}
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines leaked by %s: %v\n", leaked, err)
			code = 1
		}
	}
	return code
}
