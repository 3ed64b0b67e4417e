// Package completion is parrun's shell completion: the command that prints
// the scripts, from cobra's generators.
package completion

import (
	"cmp"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/parrun/parrun/internal/report"
	"github.com/parrun/parrun/internal/sched"
)

// Command is "parrun completion bash|zsh|fish|powershell". It is
// the one word parrun does not treat as a COMMAND: "parrun completion" does
// not run a program of that name (README).
func Command(root *cobra.Command) *cobra.Command {
	gen := map[string]func(io.Writer) error{
		"bash":       func(w io.Writer) error { return root.GenBashCompletionV2(w, true) },
		"zsh":        root.GenZshCompletion,
		"fish":       func(w io.Writer) error { return root.GenFishCompletion(w, true) },
		"powershell": root.GenPowerShellCompletionWithDesc,
	}
	return &cobra.Command{
		Use:                   "completion bash|zsh|fish|powershell",
		Short:                 "Print a shell completion script",
		DisableFlagsInUseLine: true,
		ValidArgs:             slices.Sorted(maps.Keys(gen)),
		Args:                  cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		RunE:                  func(c *cobra.Command, args []string) error { return gen[args[0]](c.OutOrStdout()) },
	}
}

// Values are the candidates offered for the enumerated flags' values.
var Values = map[string][]string{
	"mode":     {string(sched.ModeThread), string(sched.ModeProcess), string(sched.ModeCoroutine)},
	"progress": {report.ProgressAuto, report.ProgressBar, report.ProgressPlain, report.ProgressOff},
	"order":    {string(sched.OrderFIFO), string(sched.OrderLIFO), string(sched.OrderPriority)},
	"halt":     {"never", "soon,fail=1", "now,fail=1", "soon,success=1", "now,success=1", "soon,done=1", "now,done=1", "soon,fail=10%", "now,fail=10%"},
	"trim":     {"n", "l", "r", "lr"},
}

// Register sets up what completion offers beyond flag names: the
// commands on PATH for COMMAND (the first word), files after it, Values
// for the enumerated flags, and the shells of /etc/shells for --shell.
func Register(root *cobra.Command) {
	root.ValidArgsFunction = func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return commands(os.Getenv("PATH"), toComplete), cobra.ShellCompDirectiveNoFileComp
		}
		return nil, cobra.ShellCompDirectiveDefault // files
	}
	for flag, vals := range Values {
		root.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(vals, cobra.ShellCompDirectiveNoFileComp))
	}
	root.RegisterFlagCompletionFunc("shell", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return shells("/etc/shells"), cobra.ShellCompDirectiveNoFileComp
	})
}

// commands are the executables on path whose names start with prefix,
// each once, sorted.
func commands(path, prefix string) []string {
	seen := map[string]bool{}
	for _, dir := range filepath.SplitList(path) {
		entries, _ := os.ReadDir(cmp.Or(dir, "."))
		for _, e := range entries {
			name := e.Name()
			if seen[name] || !strings.HasPrefix(name, prefix) {
				continue
			}
			if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
				seen[name] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// shells are the login shells file lists, one a line, # comments left out.
func shells(file string) []string {
	b, _ := os.ReadFile(file)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}
