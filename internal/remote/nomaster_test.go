package remote

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestConnectWithoutMaster plays ssh with a script: how the master fails
// decides whether Connect tries a plain session, and the plain session
// decides whether the host runs (with a note) or is down.
func TestConnectWithoutMaster(t *testing.T) {
	tests := []struct {
		name     string
		master   string // what the fake ssh does for -M: its stderr, exit 255
		plain    int    // the plain session's exit status
		note     string // in the note; "" for none
		err      string // in the error; "" for none
		sessions int    // plain sessions tried
	}{
		{"an ssh without masters", "shim: no -M here", 0, "no shared ssh connection: shim: no -M here; a plain session works", "", 1},
		{"neither works", "shim: no -M here", 255, "", "ssh cannot connect: plain failed", 1},
		{"unreachable: no second try", "ssh: connect to host h port 22: Connection refused", 0, "", "Connection refused", 0},
		{"refused key: no second try", "root@h: Permission denied (publickey).", 0, "", "Permission denied", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "plain.log")
			fake := filepath.Join(dir, "ssh")
			script := "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = -M ] && { echo '" + tt.master + "' >&2; exit 255; }; done\n" +
				"echo plain >> " + log + "\necho plain failed >&2\nexit " + strconv.Itoa(tt.plain) + "\n"
			if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			s := &SSH{Login: Login{Raw: "h", Slots: 2, SSH: []string{fake}, Dest: "h"}}
			defer s.Close()
			note, err := s.Connect(context.Background())
			if (tt.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Connect error %v; want %q", err, tt.err)
			}
			if (tt.note == "") != (note == "") || !strings.Contains(note, tt.note) {
				t.Errorf("Connect note %q; want %q", note, tt.note)
			}
			data, _ := os.ReadFile(log)
			if got := strings.Count(string(data), "plain"); got != tt.sessions {
				t.Errorf("%d plain sessions; want %d", got, tt.sessions)
			}
			if note != "" && s.ctl != "" {
				t.Errorf("a host running without a master still has ControlPath %q", s.ctl)
			}
		})
	}
}
