package remote

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"

	"github.com/parrun/parrun/internal/exec"
	"github.com/parrun/parrun/internal/job"
	"github.com/parrun/parrun/internal/msg"
)

// Files moves a job's files between this machine and the host it runs on,
// with GNU parallel's --transferfile {}, --return and --cleanup semantics.
// A relative path is relative to parrun's working directory here and to
// the worker's (the login directory) there; an absolute path is the same on
// both. Every transfer runs a short sh command on the host through its
// Launcher (over ssh's master connection when there is one), so the host
// needs nothing beyond sh, mkdir, cat and rm.
type Files struct {
	// Transfer sends each of the job's input values ({}), a file name, to
	// the host before the job runs.
	Transfer bool
	// Return are the files brought back after the job, expanded per job.
	Return []job.Pattern
	// Cleanup removes the transferred and returned files from the host
	// after the job (and after the return), and the Base files at the end.
	Cleanup bool
	// Base are the --basefile files, sent to each host once, before its
	// first job.
	Base []string
}

// Active reports whether there is anything to move.
func (f *Files) Active() bool { return f.Transfer || len(f.Return) > 0 }

const (
	// receiveScript writes its stdin to the file $1, making its directory.
	receiveScript = `mkdir -p -- "$(dirname -- "$1")" && cat > "$1"`
	// sendScript writes the file $1 to stdout.
	sendScript = `exec cat -- "$1"`
)

// Send copies the job's input files to the host.
func (f *Files) Send(ctx context.Context, l Launcher, host string, slot int, j *job.Job) error {
	if !f.Transfer {
		return nil
	}
	for _, path := range j.Whole {
		in, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("--transfer to %s: %w", host, err)
		}
		err = run(ctx, l.Command(slot, "sh", "-c", receiveScript, "sh", path), in, nil)
		in.Close()
		if err != nil {
			return fmt.Errorf("--transfer %s to %s: %w", path, host, err)
		}
	}
	return nil
}

// Fetch brings the job's --return files back, each written to a temporary
// file beside its destination and renamed into place, so that no file is
// ever half written; then, with Cleanup, it removes the job's files from
// the host. A file the job did not leave fails the job, as it does in GNU
// parallel.
func (f *Files) Fetch(ctx context.Context, l Launcher, host string, slot int, j *job.Job) error {
	var firstErr error
	var remove []string
	if f.Transfer {
		remove = append(remove, j.Whole...)
	}
	for _, p := range f.Return {
		path := p.Expand(j, slot)
		remove = append(remove, path)
		if err := fetch(ctx, l, slot, path); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("--return %s from %s: %w", path, host, err)
		}
	}
	if f.Cleanup && len(remove) > 0 {
		argv := l.Command(slot, append([]string{"rm", "-f", "--"}, remove...)...)
		if err := run(ctx, argv, nil, nil); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("--cleanup on %s: %w", host, err)
		}
	}
	return firstErr
}

func fetch(ctx context.Context, l Launcher, slot int, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".parrun-return-*")
	if err != nil {
		return err
	}
	err = run(ctx, l.Command(slot, "sh", "-c", sendScript, "sh", path), nil, tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// run runs argv with stdin and stdout (nil: /dev/null) and returns an error
// quoting the last of its stderr when it fails. ctx kills it.
func run(ctx context.Context, argv []string, stdin io.Reader, stdout io.Writer) error {
	cmd := osexec.CommandContext(ctx, argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, &tail{buf: &stderr}
	cmd.SysProcAttr = exec.OwnGroup()
	if err := cmd.Run(); err != nil {
		if text := bytes.TrimSpace(stderr.Bytes()); len(text) > 0 {
			return fmt.Errorf("%w: %s", err, msg.OneLine(string(text)))
		}
		return err
	}
	return nil
}

// tail keeps the last 512 bytes written to it.
type tail struct{ buf *bytes.Buffer }

func (t *tail) Write(p []byte) (int, error) {
	t.buf.Write(p)
	if n := t.buf.Len(); n > 512 {
		b := append([]byte(nil), t.buf.Bytes()[n-512:]...)
		t.buf.Reset()
		t.buf.Write(b)
	}
	return len(p), nil
}
