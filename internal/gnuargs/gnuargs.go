// Package gnuargs rewrites GNU parallel's spellings of parrun's flags
// (aliases and no-ops) before pflag parses the arguments (issue 13). It
// reads parrun's own flags only, up to the command, "--" or ":::".
package gnuargs

import (
	"strings"

	"github.com/spf13/pflag"
)

// Aliases map a GNU spelling to parrun's; "" drops a no-op.
var Aliases = map[string]string{
	"-P": "-j", "--max-procs": "--workers", "--lb": "--line-buffer", "--dryrun": "--dry-run",
	"--will-cite": "", "--no-notice": "",
	"--sshlogin": "--ssh", "--slf": "--ssh-file", "--sshloginfile": "--ssh-file",
	// GNU's --bar and --eta draw on stderr; parrun's bar shows done/total
	// and the ETA (SPEC §5).
	"--bar": "--progress=bar", "--eta": "--progress=bar",
}

// Rewrite returns args with the aliases of the flags before the command
// replaced by parrun's names and the no-ops left out.
func Rewrite(fs *pflag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || a == "-" || !strings.HasPrefix(a, "-") || strings.HasPrefix(a, ":::") {
			return append(out, args[i:]...)
		}
		name, val, hasVal := strings.Cut(a, "=")
		if to, ok := Aliases[name]; ok {
			if to == "" {
				continue
			}
			name = to
			a = to
			if hasVal {
				a += "=" + val
			}
		}
		out = append(out, a)
		if !hasVal && takesValue(fs, name) && i+1 < len(args) {
			i++
			out = append(out, args[i])
		}
	}
	return out
}

// takesValue reports whether the flag spelt name (-x or --long, a bare
// word) reads the next argument as its value.
func takesValue(fs *pflag.FlagSet, name string) bool {
	var f *pflag.Flag
	switch {
	case strings.HasPrefix(name, "--"):
		f = fs.Lookup(name[2:])
	case len(name) == 2:
		f = fs.ShorthandLookup(name[1:])
	default: // -j4, -kj 4: a value attached, or a bundle ending in a flag with one
		f = fs.ShorthandLookup(name[len(name)-1:])
		if f != nil && fs.ShorthandLookup(name[1:2]) != nil && fs.ShorthandLookup(name[1:2]).NoOptDefVal == "" {
			return false
		}
	}
	return f != nil && f.NoOptDefVal == ""
}
