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
		got := Rewrite(flags(), strings.Fields(c.in))
		if !slices.Equal(got, strings.Fields(c.want)) {
			t.Errorf("Rewrite(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzRewrite(f *testing.F) {
	f.Add("-P 2 -r --lb echo ::: a")
	f.Fuzz(func(t *testing.T, s string) {
		in := strings.Fields(s)
		out := Rewrite(flags(), in)
		if len(out) > len(in) {
			t.Errorf("Rewrite(%q) = %q: more words than given", in, out)
		}
	})
}
