package gnuargs

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func flags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.StringP("workers", "j", "", "")
	fs.BoolP("keep-order", "k", false, "")
	fs.Bool("line-buffer", false, "")
	fs.Bool("dry-run", false, "")
	fs.String("tag", "", "")
	fs.StringArrayP("ssh", "S", nil, "")
	fs.String("ssh-file", "", "")
	fs.String("progress", "auto", "")
	fs.Lookup("progress").NoOptDefVal = "on"
	fs.BoolP("no-run-if-empty", "r", false, "")
	fs.String("colsep", "", "")
	fs.BoolP("verbose", "v", false, "")
	fs.String("results", "", "")
	fs.Bool("resume", false, "")
	fs.StringP("replace", "i", "", "")
	fs.Lookup("replace").NoOptDefVal = "{}"
	return fs
}

func TestRewrite(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"-P 2 -k echo", "-j 2 -k echo"},
		{"--max-procs=3 echo -P", "--workers=3 echo -P"},
		{"--will-cite --no-notice -r -k echo ::: a", "-r -k echo ::: a"}, // -r is a flag of its own,
		{"--lb --dryrun echo", "--line-buffer --dry-run echo"},
		{"--sshlogin 2/h --slf f --sshloginfile g echo", "--ssh 2/h --ssh-file f --ssh-file g echo"},
		{"--bar --eta -k echo", "--progress=bar --progress=bar -k echo"},
		{"-j --lb echo", "-j --lb echo"}, // --lb is -j's value here
		{"-- --lb", "-- --lb"},
		{"--tag -P echo", "--tag -P echo"},
		{"-k ::: --lb", "-k ::: --lb"},
	} {
		got, err := Rewrite(flags(), strings.Fields(c.in))
		if err != nil || !slices.Equal(got, strings.Fields(c.want)) {
			t.Errorf("Rewrite(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

// TestRewriteGNUNames checks GNU parallel's other names and abbreviations
// (Getopt::Long: a prefix of one option's names), GNU's short letters
// for parrun's long flags, and the errors for what parrun lacks.
func TestRewriteGNUNames(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{in: "--keep echo", want: "--keep-order echo"},
		{in: "--keeporder echo", want: "--keep-order echo"},
		{in: "--res out echo", want: "--results out echo"},
		{in: "--res=out echo", want: "--results=out echo"},
		{in: "--resul out echo", want: "--results out echo"}, // result and results: one option
		{in: "--resu echo", err: "--resu is ambiguous: it abbreviates --results, --resume, --resume-failed"},
		{in: "--dry echo", want: "--dry-run echo"},
		{in: "--will echo", want: "echo"},
		{in: "--max-pro 2 echo", want: "--workers 2 echo"},
		{in: "--col-sep , echo", want: "--colsep , echo"},
		{in: "-C, echo", want: "--colsep=, echo"},
		{in: "-C , echo", want: "--colsep , echo"},
		{in: "-P4 echo", want: "-j4 echo"},
		{in: "-t echo", want: "--verbose echo"},
		{in: "--tag echo", want: "--tag echo"}, // exact beats the longer --tagstring
		{in: "--re echo", err: "--re is ambiguous: it abbreviates --"},
		{in: "--tagstring x echo", err: "--tagstring: GNU parallel's option is not supported by parrun yet"},
		{in: "--tagstr x echo", err: "--tagstr (GNU parallel's --tag-string) is not supported by parrun yet"},
		{in: "-X echo", err: "-X: GNU parallel's option is not supported by parrun yet"},
		{in: "-N2 echo", err: "-N: GNU parallel's option is not supported by parrun yet"},
		{in: "-kX echo", err: "-X: GNU parallel's option"},
		// -I STR is --replace=STR; -i and --replace take the next word
		// unless it starts with "-" (Getopt's optional value).
		{in: "-I XX echo XX", want: "--replace=XX echo XX"},
		{in: "-IXX echo", want: "--replace=XX echo"},
		{in: "-I -k echo", want: "--replace=-k echo"},
		{in: "-i echo {}", want: "--replace=echo {}"},
		{in: "-i -k echo", want: "--replace={} -k echo"},
		{in: "--replace echo", want: "--replace=echo"},
		{in: "--replace=@ echo", want: "--replace=@ echo"},
		{in: "-i", want: "--replace={}"},
		{in: "-I", err: "-I needs a value"},
		{in: "--no-such-flag echo", want: "--no-such-flag echo"}, // pflag's to report
		{in: "-Z echo", want: "-Z echo"},
	} {
		got, err := Rewrite(flags(), strings.Fields(c.in))
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Rewrite(%q) = %q, %v; want an error with %q", c.in, got, err, c.err)
			}
		case err != nil || !slices.Equal(got, strings.Fields(c.want)):
			t.Errorf("Rewrite(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func FuzzRewrite(f *testing.F) {
	f.Add("-P 2 -r --lb echo ::: a")
	f.Fuzz(func(t *testing.T, s string) {
		in := strings.Fields(s)
		out, err := Rewrite(flags(), in)
		if err != nil && (out != nil || strings.Contains(err.Error(), "\n")) {
			t.Errorf("Rewrite(%q) = %q, %v: an error is one line, with no words", in, out, err)
		}
		if len(out) > len(in) {
			t.Errorf("Rewrite(%q) = %q: more words than given", in, out)
		}
	})
}
