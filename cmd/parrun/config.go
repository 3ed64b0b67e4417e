package main

import (
	"errors"

	"github.com/parrun/parrun/internal/settings"
)

// explain says where a bad value came from when it was not the command
// line (settings.Origin.Explain).
func explain(st *settings.Origin, err error) error {
	if fe := (*FlagError)(nil); errors.As(err, &fe) {
		return &FlagError{Err: st.Explain(fe.Flag, fe.Err), Flag: fe.Flag}
	}
	return err
}
