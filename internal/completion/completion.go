// Package completion is parrun's shell completion: the command that prints
// the scripts, from cobra's generators.
package completion

import (
	"io"
	"maps"
	"slices"

	"github.com/spf13/cobra"
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
