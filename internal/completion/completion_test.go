package completion

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestCommand checks that each shell gets its script and anything else is
// refused.
func TestCommand(t *testing.T) {
	for shell, mark := range map[string]string{"bash": "bash completion V2 for parrun", "zsh": "#compdef parrun",
		"fish": "fish completion for parrun", "powershell": "powershell completion for parrun"} {
		root := &cobra.Command{Use: "parrun"}
		root.AddCommand(Command(root))
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs([]string{"completion", shell})
		if err := root.Execute(); err != nil || !strings.Contains(out.String(), mark) {
			t.Errorf("completion %s = %v, %.60q…; want a script with %q", shell, err, out.String(), mark)
		}
	}
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		root := &cobra.Command{Use: "parrun"}
		root.AddCommand(Command(root))
		root.SetOut(&bytes.Buffer{})
		root.SetErr(&bytes.Buffer{})
		root.SetArgs(args)
		if err := root.Execute(); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}
