// Package remote is where process-mode workers run on other machines (SPEC
// §8): GNU parallel's sshlogin syntax, the ssh command lines that start a
// worker or run a command on a host (multiplexed over one connection per
// host where ssh's ControlMaster works), --worker-cmd launcher templates,
// and the file transfers of --transfer, --return and --cleanup.
//
// It starts no job: jobs reach a host's worker through package ipc. What it
// starts are ssh master connections and the short commands that move files,
// each reaped before the call that started it returns, or by Close.
package remote

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// A Login is one entry of --ssh or --ssh-file, in GNU parallel's sshlogin
// syntax: [N/][sshcommand [options] ][user@]host[:port], or ":" for this
// machine.
type Login struct {
	// Raw is the entry as given, without its N/: the host's name in the
	// joblog and in --json.
	Raw string
	// Slots is N, or the default (-j) when the entry has none.
	Slots int
	// Local is true for ":", this machine.
	Local bool
	// SSH is the ssh command and its options: "ssh" unless the entry
	// names its own ("ssh -F cfg host").
	SSH []string
	// Dest is [user@]host, and Port the port when the entry gives one.
	Dest, Port string
}

// ParseLogins parses a comma-separated --ssh value. Each entry without N/
// gets defaultSlots slots.
func ParseLogins(list string, defaultSlots int) ([]Login, error) {
	var out []Login
	for _, e := range strings.Split(list, ",") {
		l, err := parseLogin(e, defaultSlots)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// ReadLogins reads an --ssh-file: one login a line; blank lines and lines
// starting with # are skipped. name is the file's name, for errors.
func ReadLogins(r io.Reader, name string, defaultSlots int) ([]Login, error) {
	var out []Login
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		l, err := parseLogin(line, defaultSlots)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return out, nil
}

func parseLogin(entry string, defaultSlots int) (Login, error) {
	s := strings.TrimSpace(entry)
	l := Login{Slots: defaultSlots}
	if n, rest, ok := strings.Cut(s, "/"); ok && n != "" && isDigits(n) {
		v, err := strconv.Atoi(n)
		if err != nil || v < 1 {
			return l, fmt.Errorf("bad login %q: %q slots: want a number of at least 1", entry, n)
		}
		l.Slots, s = v, strings.TrimSpace(rest)
	}
	l.Raw = s
	if s == ":" {
		l.Local = true
		return l, nil
	}
	words := strings.Fields(s)
	if len(words) == 0 {
		return l, fmt.Errorf("bad login %q: no host", entry)
	}
	l.SSH = []string{"ssh"}
	if len(words) > 1 {
		l.SSH = words[:len(words)-1]
	}
	dest := words[len(words)-1]
	if strings.HasPrefix(dest, "-") {
		return l, fmt.Errorf("bad login %q: %q is not a host", entry, dest)
	}
	if h, port, ok := strings.Cut(dest, ":"); ok {
		if v, err := strconv.Atoi(port); err != nil || v < 1 || v > 65535 {
			return l, fmt.Errorf("bad login %q: port %q: want a number from 1 to 65535", entry, port)
		}
		dest, l.Port = h, port
	}
	if host := dest[strings.LastIndex(dest, "@")+1:]; host == "" {
		return l, fmt.Errorf("bad login %q: no host", entry)
	}
	l.Dest = dest
	return l, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
