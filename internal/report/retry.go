package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxRetrySeq bounds the sequence numbers FailedCommands takes: a joblog
// naming job 10⁹ would otherwise make a list of a billion commands.
const maxRetrySeq = 1 << 24

// FailedCommands reads the joblog for GNU parallel's --retry-failed: the
// jobs to run, as command lines numbered from 1 like the joblog's Seq.
// A job whose last entry failed (or was stopped) is its Command again, a
// newline for each NUL (the joblog's way of writing one); one that
// succeeded is "true", which the run then skips (Open's filter, as under
// --resume-failed); a number the joblog skips is an empty command, as in
// GNU. Lines that do not parse are left out, as --resume does.
func (f Outputs) FailedCommands() ([]string, error) {
	path := strings.TrimPrefix(f.Joblog, "+")
	if path == "" || path == "-" {
		return nil, errors.New("--retry-failed needs --joblog FILE to read the failed commands from")
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--retry-failed: reading joblog: %w", err)
	}
	defer file.Close()
	var cmds []string
	br := bufio.NewReader(file)
	for {
		line, err := br.ReadString('\n')
		if seq, cmd, ok := retryEntry(strings.TrimSuffix(line, "\n")); ok {
			if seq > maxRetrySeq {
				return nil, fmt.Errorf("--retry-failed: joblog %s names job %d: more than parrun retries from one joblog (%d)", path, seq, maxRetrySeq)
			}
			for int64(len(cmds)) < seq {
				cmds = append(cmds, "")
			}
			cmds[seq-1] = cmd
		}
		if errors.Is(err, io.EOF) {
			return cmds, nil
		}
		if err != nil {
			return nil, fmt.Errorf("--retry-failed: reading joblog %s: %w", path, err)
		}
	}
}

// retryEntry is one joblog line's job number and what --retry-failed
// runs for it; ok is false for the header and lines that do not parse.
func retryEntry(line string) (seq int64, cmd string, ok bool) {
	s, e, ok := parseEntry([]byte(line))
	if !ok || s < 1 {
		return 0, "", false
	}
	if e.Exitval == 0 && e.Signal == 0 {
		return s, "true", true
	}
	fields := strings.SplitN(line, "\t", 9)
	return s, strings.ReplaceAll(fields[8], "\x00", "\n"), true
}
