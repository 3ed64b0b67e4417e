package settings

import (
	"errors"
	"testing"

	"github.com/spf13/pflag"
)

func TestSuggest(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.Bool("keep-order", false, "")
	fs.Bool("joblog", false, "")
	fs.Bool("pipe", false, "")
	fs.Bool("secret", false, "")
	fs.MarkHidden("secret")
	tests := []struct{ err, want string }{
		{"unknown flag: --keep-ordr", "unknown flag: --keep-ordr (did you mean --keep-order?)"},
		{"unknown flag: --jbolog=x", "unknown flag: --jbolog=x (did you mean --joblog?)"},
		{"unknown flag: --pipr", "unknown flag: --pipr (did you mean --pipe?)"},
		{"unknown flag: --frobnicate", "unknown flag: --frobnicate"},
		{"unknown flag: --x", "unknown flag: --x"},
		{"unknown flag: --secre", "unknown flag: --secre"}, // hidden flags are not offered
		{"unknown shorthand flag: 'Q' in -Q", "unknown shorthand flag: 'Q' in -Q"},
	}
	for _, tt := range tests {
		if got := Suggest(errors.New(tt.err), fs).Error(); got != tt.want {
			t.Errorf("Suggest(%q) = %q; want %q", tt.err, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"keep-ordr", "keep-order", 1}, {"jbolog", "joblog", 2}} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d; want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
