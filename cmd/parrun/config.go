package main

import (
	"errors"
	"fmt"

	"github.com/parrun/parrun/internal/settings"
)

// explain says where a bad value came from when it was not the command
// line: "config file F: key K: …" or "PARRUN_K: …".
func explain(st *settings.Origin, err error) error {
	var fe *FlagError
	if st == nil || !errors.As(err, &fe) || fe.Flag == "" {
		return err
	}
	switch st.Source[fe.Flag] {
	case settings.File:
		return &FlagError{Err: fmt.Errorf("config file %s: key %q: %w", st.File, fe.Flag, fe.Err), Flag: fe.Flag}
	case settings.Env:
		return &FlagError{Err: fmt.Errorf("%s: %w", settings.EnvName(fe.Flag), fe.Err), Flag: fe.Flag}
	}
	return err
}
