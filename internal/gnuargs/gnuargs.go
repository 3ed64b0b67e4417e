// Package gnuargs rewrites GNU parallel's spellings of parrun's flags
// (aliases and no-ops) before pflag parses the arguments (issue 13). It
// reads parrun's own flags only, up to the command, "--" or ":::".
package gnuargs

import (
	"fmt"
	"slices"
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
	// GNU colours the tags of --ctag and --ctagstring; parrun's tags are
	// plain (README).
	"--ctag": "--tag", "--ctagstring": "--tagstring",
	// GNU's --filter-hosts leaves out the hosts ssh cannot log in to
	// before any job starts: what parrun always does (README).
	"--filter-hosts": "",
	// -q quotes every word of the command so that no shell reads it:
	// what --no-shell does without a shell.
	"-q": "--no-shell", "--quote": "--no-shell",
}

// Rewrite returns args with the aliases of the flags before the command
// replaced by parrun's names and the no-ops left out. A long flag parrun
// does not have is read as GNU parallel reads it: one of its names, or an
// unambiguous abbreviation of one (--keep, --res); a GNU option parrun
// lacks, or an ambiguous abbreviation, is an error naming it, so that no
// GNU flag is ever taken for something else.
func Rewrite(fs *pflag.FlagSet, args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || a == "-" || !strings.HasPrefix(a, "-") || strings.HasPrefix(a, ":::") {
			return append(out, args[i:]...), nil
		}
		if r, skip, ok := replaceFlag(args[i:]); ok {
			if r == "" {
				return nil, fmt.Errorf("-I needs a value: the string that stands for {}")
			}
			out = append(out, r)
			i += skip
			continue
		}
		name, val, hasVal := strings.Cut(a, "=")
		name, err := short(fs, name)
		if err != nil {
			return nil, err
		}
		if _, alias := Aliases[name]; strings.HasPrefix(name, "--") && fs.Lookup(name[2:]) == nil && !alias {
			long := name[2:]
			to, err := resolve(fs, long)
			if err != nil {
				return nil, err
			}
			if to != "" {
				name = to
			}
		}
		if to, ok := Aliases[name]; ok {
			if to == "" {
				continue
			}
			name = to
		}
		if hasVal {
			a = name + "=" + val
		} else {
			a = name
		}
		out = append(out, a)
		if !hasVal && takesValue(fs, name) && i+1 < len(args) {
			i++
			out = append(out, args[i])
		}
	}
	return out, nil
}

// replaceFlag reads GNU's -I STR (-ISTR) and its -i/--replace, whose value
// is optional as Getopt::Long's ":s" is: the next word is the value unless
// it starts with "-" (so "-i echo {}" makes echo the replacement string,
// as in GNU). It returns parrun's --replace=STR ("" for a -I with no
// value) and how many more words it took.
func replaceFlag(args []string) (string, int, bool) {
	a := args[0]
	switch {
	case a == "-I" || a == "-i" || a == "--replace":
		if len(args) > 1 && (a == "-I" || !strings.HasPrefix(args[1], "-")) {
			return "--replace=" + args[1], 1, true
		}
		if a == "-I" {
			return "", 0, true
		}
		return "--replace={}", 0, true
	case strings.HasPrefix(a, "-I") || strings.HasPrefix(a, "-i"):
		return "--replace=" + a[2:], 0, true
	}
	return "", 0, false
}

// resolve maps a long flag name parrun does not have to parrun's spelling
// ("--keep-order", or an Aliases key), as GNU parallel's Getopt::Long
// reads it: a name of one of its options, or a prefix of names of one
// option only. It returns "" when GNU has no such option either, for
// pflag to call it unknown.
func resolve(fs *pflag.FlagSet, name string) (string, error) {
	opt := gnuOption(name)
	if opt == nil {
		var cands [][]string
		for _, o := range gnuOptions {
			for _, n := range o {
				if len(n) > 1 && strings.HasPrefix(n, name) {
					cands = append(cands, o)
					break
				}
			}
		}
		switch len(cands) {
		case 0:
			return "", nil
		case 1:
			opt = cands[0]
		default:
			names := make([]string, len(cands))
			for i, o := range cands {
				names[i] = "--" + o[0]
			}
			return "", fmt.Errorf("--%s is ambiguous: it abbreviates %s", name, strings.Join(names, ", "))
		}
	}
	for _, n := range opt {
		if len(n) > 1 && fs.Lookup(n) != nil {
			return "--" + n, nil
		}
		if _, ok := Aliases["--"+n]; ok {
			return "--" + n, nil
		}
	}
	return "", notSupported(name, opt)
}

// gnuOption returns the GNU option one of whose names is name, or nil.
func gnuOption(name string) []string {
	for _, o := range gnuOptions {
		if slices.Contains(o, name) {
			return o
		}
	}
	return nil
}

// notSupported is the error for a GNU option parrun does not have.
func notSupported(typed string, opt []string) error {
	dash := func(n string) string {
		if len(n) == 1 {
			return "-" + n
		}
		return "--" + n
	}
	if len(typed) > 1 && !slices.Contains(opt, typed) { // an abbreviation
		return fmt.Errorf("--%s (GNU parallel's %s) is not supported by parrun yet", typed, dash(opt[0]))
	}
	return fmt.Errorf("%s: GNU parallel's option is not supported by parrun yet", dash(typed))
}

// short reads a bundle of short flags (-k, -kX, -C,) as GNU parallel
// would. A first letter parrun lacks but knows under another spelling
// becomes that (-P4 is -j4, -C, is --colsep=,); the first letter parrun
// lacks that GNU has, with no parrun equivalent, is an error; a letter
// neither has is left for pflag to call unknown.
func short(fs *pflag.FlagSet, name string) (string, error) {
	if strings.HasPrefix(name, "--") || len(name) < 2 {
		return name, nil
	}
	for i := 0; i+1 < len(name); i++ {
		c := name[i+1]
		if c >= 0x80 {
			return name, nil // no flag letter: pflag's to report
		}
		f := fs.ShorthandLookup(string(c))
		if f != nil {
			if f.NoOptDefVal == "" && f.Value.Type() != "bool" {
				return name, nil // the rest of the bundle is this flag's value
			}
			continue
		}
		opt := gnuOption(string(c))
		if opt == nil {
			return name, nil
		}
		if i == 0 {
			if to, ok := Aliases[name[:2]]; ok && to != "" {
				return to + name[2:], nil
			}
			for _, n := range opt {
				if len(n) > 1 && fs.Lookup(n) != nil {
					if rest := name[2:]; rest != "" {
						return "--" + n + "=" + rest, nil
					}
					return "--" + n, nil
				}
			}
		}
		return "", notSupported(string(c), opt)
	}
	return name, nil
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
