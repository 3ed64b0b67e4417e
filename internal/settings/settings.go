// Package settings layers parrun's settings (SPEC §7): flags > PARRUN_*
// environment > config file > defaults. Only this package knows about
// viper.
package settings

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/parrun/parrun/internal/msg"
)

// Source says where a setting's value came from.
type Source string

const (
	Flag    Source = "flag"
	Env     Source = "env"
	File    Source = "file"
	Default Source = "default"
)

// Origin is the result of layering: where each flag's value came from,
// and the config file that was read ("" when none).
type Origin struct {
	File   string
	Source map[string]Source
	flags  *pflag.FlagSet
}

// EnvName is the environment variable of a flag: --kill-after reads
// PARRUN_KILL_AFTER.
func EnvName(flag string) string {
	return "PARRUN_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// notConfigurable are flags that make no sense in a config file or the
// environment.
var notConfigurable = map[string]bool{
	"config": true, "print-config": true, "help": true, "version": true,
	"jobs": true, // an alias: read under "workers"
}

// findConfig returns the config file to read: the --config path, else
// ./.parrun.yaml, else $XDG_CONFIG_HOME/parrun/config.yaml, when they
// exist. An explicit path must exist.
func findConfig(explicit string, getenv func(string) string) (string, error) {
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("--config: %w", err)
		}
		return explicit, nil
	}
	candidates := []string{".parrun.yaml"}
	xdg := getenv("XDG_CONFIG_HOME")
	if xdg == "" {
		if home := getenv("HOME"); home != "" {
			xdg = filepath.Join(home, ".config")
		}
	}
	if xdg != "" {
		candidates = append(candidates, filepath.Join(xdg, "parrun", "config.yaml"))
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return "", nil
}

// Apply gives every flag the user did not set on the command line
// its value from the environment or, failing that, the config file. An
// unknown key or a bad value names the key and where it came from.
func Apply(fs *pflag.FlagSet, configFlag string, getenv func(string) string, lookup func(string) (string, bool)) (*Origin, error) {
	st := &Origin{Source: map[string]Source{}, flags: fs}
	file, err := findConfig(configFlag, getenv)
	if err != nil {
		return nil, err
	}
	v := viper.New()
	if file != "" {
		st.File = file
		if err := readConfig(v, file); err != nil {
			return nil, err
		}
		var unknown []string
		for _, k := range v.AllKeys() {
			if f := fs.Lookup(k); f == nil || notConfigurable[k] {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			slices.Sort(unknown)
			return nil, fmt.Errorf("config file %s: unknown key %q", file, unknown[0])
		}
	}
	var firstErr error
	fs.VisitAll(func(f *pflag.Flag) {
		if firstErr != nil || notConfigurable[f.Name] {
			return
		}
		if f.Changed {
			st.Source[f.Name] = Flag
			return
		}
		if val, ok := lookup(EnvName(f.Name)); ok {
			if err := fs.Set(f.Name, val); err != nil {
				firstErr = fmt.Errorf("%s=%q: %w", EnvName(f.Name), val, Plain(err))
			}
			st.Source[f.Name] = Env
			return
		}
		if file != "" && v.InConfig(f.Name) {
			vals := configValues(v.Get(f.Name))
			if _, list := f.Value.(pflag.SliceValue); !list && len(vals) != 1 {
				firstErr = fmt.Errorf("config file %s: key %q: a list of %d values, but --%s takes one", file, f.Name, len(vals), f.Name)
				return
			}
			for _, val := range vals {
				if err := fs.Set(f.Name, val); err != nil {
					firstErr = fmt.Errorf("config file %s: key %q: %w", file, f.Name, Plain(err))
					return
				}
			}
			st.Source[f.Name] = File
			return
		}
		st.Source[f.Name] = Default
	})
	if firstErr != nil {
		return nil, firstErr
	}
	return st, nil
}

// maxConfig is the largest config file parrun reads: a settings file is a
// few hundred bytes, and --config /dev/zero must not read forever.
const maxConfig = 1 << 20

// readConfig reads the YAML config file into v, refusing one over
// maxConfig bytes.
func readConfig(v *viper.Viper, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfig+1))
	if err != nil {
		return fmt.Errorf("config file %s: %w", file, err)
	}
	if len(data) > maxConfig {
		return fmt.Errorf("config file %s: larger than %d KiB: is it a settings file?", file, maxConfig>>10)
	}
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		return fmt.Errorf("config file %s: %w", file, errors.New(msg.OneLine(err.Error())))
	}
	return nil
}

// configValues turns a YAML value into flag values: a list gives one value
// per element (repeatable flags such as arg-file).
func configValues(x any) []string {
	switch x := x.(type) {
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = fmt.Sprint(e)
		}
		return out
	case nil:
		return []string{""}
	}
	return []string{fmt.Sprint(x)}
}

// Print writes the settings and where each came from. inForce holds what
// runs where that differs from the flag's value (a default resolved, -k
// choosing grouping); such a line also shows the value as given.
// Explain says where flag's bad value came from when that was not the
// command line: "config file F: key K: …" or "PARRUN_K: …"; err as it is
// otherwise.
func (st *Origin) Explain(flag string, err error) error {
	if st == nil || flag == "" {
		return err
	}
	switch st.Source[flag] {
	case File:
		return fmt.Errorf("config file %s: key %q: %w", st.File, flag, err)
	case Env:
		return fmt.Errorf("%s: %w", EnvName(flag), err)
	}
	return err
}

func (st *Origin) Print(w io.Writer, inForce map[string]string) error {
	file := st.File
	if file == "" {
		file = "(none)"
	}
	if _, err := fmt.Fprintf(w, "# config file: %s\n", file); err != nil {
		return err
	}
	width := 0
	st.flags.VisitAll(func(f *pflag.Flag) { width = max(width, len(f.Name)+1) })
	var err error
	st.flags.VisitAll(func(f *pflag.Flag) {
		src, ok := st.Source[f.Name]
		if !ok || err != nil {
			return
		}
		val := f.Value.String()
		if sv, isSlice := f.Value.(pflag.SliceValue); isSlice {
			val = "[" + strings.Join(sv.GetSlice(), ", ") + "]"
		}
		note := string(src)
		if v, ok := inForce[f.Name]; ok && v != val {
			note = fmt.Sprintf("%s, as given: %q", src, val)
			val = v
		}
		_, err = fmt.Fprintf(w, "%-*s %-24q # %s\n", width, f.Name+":", val, note)
	})
	return err
}
