package completion

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
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

func TestCommands(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, f := range []struct {
		dir, name string
		mode      os.FileMode
	}{{a, "gzip", 0o755}, {a, "gzexe", 0o755}, {b, "gzip", 0o755}, {b, "gznotexec", 0o644}, {b, "other", 0o755}} {
		if err := os.WriteFile(filepath.Join(f.dir, f.name), nil, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(b, "gzdir"), 0o755)
	got := commands(a+string(os.PathListSeparator)+b, "gz")
	if want := []string{"gzexe", "gzip"}; !slices.Equal(got, want) {
		t.Errorf("commands = %q; want %q", got, want)
	}
}

func TestShells(t *testing.T) {
	f := filepath.Join(t.TempDir(), "shells")
	os.WriteFile(f, []byte("# comment\n/bin/sh\n\n/bin/bash\n"), 0o644)
	if got := shells(f); !slices.Equal(got, []string{"/bin/sh", "/bin/bash"}) {
		t.Errorf("shells = %q", got)
	}
}
