//go:build !linux

package exec

import (
	"errors"
	"io"
	"os"
)

// spliceable is false off Linux: a file range is copied, not spliced.
func spliceable(io.ReaderAt) bool { return false }

func (f *feeder) splice(bool) error { return errors.New("exec: splice is Linux's") }

func growPipe(*os.File, int) {}
