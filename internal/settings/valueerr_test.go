package settings

import (
	"errors"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestPlain(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-n", "x"}, `-n/--max-args "x": want a whole number`},
		{[]string{"--max-args=99999999999999999999"}, `-n/--max-args "99999999999999999999": out of range`},
		{[]string{"--keep-order=maybe"}, `-k/--keep-order "maybe": want true or false`},
		{[]string{"--delay", "zz"}, `--delay: bad duration "zz"`},
	}
	for _, tt := range tests {
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		fs.IntP("max-args", "n", 1, "")
		fs.BoolP("keep-order", "k", false, "")
		var d time.Duration
		fs.Var(NewDuration(&d, "", func(s string) (time.Duration, error) { return 0, errors.New(`bad duration "` + s + `"`) }), "delay", "")
		err := fs.Parse(tt.args)
		if err == nil {
			t.Fatalf("%q: no error", tt.args)
		}
		if got := Plain(err).Error(); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.args, got, tt.want)
		}
	}
	other := errors.New("unknown flag: --frob")
	if Plain(other) != other {
		t.Errorf("Plain changed an error that is not about a value")
	}
}
