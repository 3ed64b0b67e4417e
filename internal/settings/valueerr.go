package settings

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/pflag"
)

// Plain says a bad flag value in the user's words. pflag's
//
//	invalid argument "x" for "-n, --max-args" flag: strconv.ParseInt: parsing "x": invalid syntax
//
// becomes "-n/--max-args "x": want a whole number"; a value parrun parses
// itself keeps its own message: "--delay: bad duration "zz": …". Any
// other error is returned as it is.
func Plain(err error) error {
	var bad *pflag.InvalidValueError
	if !errors.As(err, &bad) {
		return err
	}
	f := bad.GetFlag()
	name := "--" + f.Name
	if f.Shorthand != "" {
		name = "-" + f.Shorthand + "/" + name
	}
	var num *strconv.NumError
	if !errors.As(bad, &num) {
		return fmt.Errorf("%s: %w", name, errors.Unwrap(bad))
	}
	want := "want a whole number"
	switch {
	case num.Func == "ParseBool":
		want = "want true or false"
	case errors.Is(num.Err, strconv.ErrRange):
		want = "out of range"
	}
	return fmt.Errorf("%s %q: %s", name, bad.GetValue(), want)
}
