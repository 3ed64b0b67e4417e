//go:build unix

package exec

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// SignalName returns the signal's short name ("KILL"), its number when it
// has no name, or "" for 0.
func SignalName(s syscall.Signal) string {
	if s == 0 {
		return ""
	}
	if n := unix.SignalName(s); n != "" {
		return strings.TrimPrefix(n, "SIG")
	}
	return strconv.Itoa(int(s))
}

// ParseSignal parses a signal as users and the worker protocol write it:
// a name with or without "SIG", in any case ("TERM", "sigint"), or a
// number from 1 to 255 for a signal without a name. It is the one parser
// of signal names (--termseq, ipc frames).
func ParseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 255 {
			return 0, fmt.Errorf("signal %d: want 1 to 255", n)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(strings.TrimSpace(s))
	if sig := unix.SignalNum("SIG" + strings.TrimPrefix(name, "SIG")); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

// maxWaitMS is the longest wait of a --termseq step: what a Duration holds.
const maxWaitMS = int64(1<<63-1) / int64(time.Millisecond)

// ParseTermSeq parses GNU parallel's --termseq: signals and waits in
// milliseconds, alternating ("TERM,200,TERM,100,KILL,25"). After the last
// step the process group gets SIGKILL (Spec.Terminate).
func ParseTermSeq(s string) ([]Step, error) {
	parts := strings.Split(s, ",")
	if len(parts)%2 != 0 {
		return nil, errors.New("want SIGNAL,MS pairs such as TERM,200,KILL,25")
	}
	var steps []Step
	for i := 0; i < len(parts); i += 2 {
		sig, err := ParseSignal(strings.TrimSpace(parts[i]))
		if err != nil {
			return nil, err
		}
		ms, err := strconv.ParseInt(strings.TrimSpace(parts[i+1]), 10, 64)
		if err != nil || ms < 0 || ms > maxWaitMS {
			return nil, fmt.Errorf("bad wait %q: want milliseconds", parts[i+1])
		}
		steps = append(steps, Step{Signal: sig, Wait: time.Duration(ms) * time.Millisecond})
	}
	return steps, nil
}
