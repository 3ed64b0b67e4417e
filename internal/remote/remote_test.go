package remote

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/parrun/parrun/internal/job"
)

func TestParseLogins(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Login
		err  string
	}{
		{in: "server", want: []Login{{Raw: "server", Slots: 4, SSH: []string{"ssh"}, Dest: "server"}}},
		{in: "2/alice@server:2222,:", want: []Login{
			{Raw: "alice@server:2222", Slots: 2, SSH: []string{"ssh"}, Dest: "alice@server", Port: "2222"},
			{Raw: ":", Slots: 4, Local: true},
		}},
		{in: "8/:", want: []Login{{Raw: ":", Slots: 8, Local: true}}},
		{in: "3/ssh -F my.cfg -i key bob@10.0.0.1", want: []Login{
			{Raw: "ssh -F my.cfg -i key bob@10.0.0.1", Slots: 3, SSH: []string{"ssh", "-F", "my.cfg", "-i", "key"}, Dest: "bob@10.0.0.1"}}},
		{in: " a , b ", want: []Login{
			{Raw: "a", Slots: 4, SSH: []string{"ssh"}, Dest: "a"},
			{Raw: "b", Slots: 4, SSH: []string{"ssh"}, Dest: "b"}}},
		{in: "0/server", err: `bad login "0/server": "0" slots`},
		{in: "server:0", err: `port "0"`},
		{in: "server:ssh", err: `port "ssh"`},
		{in: "a,,b", err: `bad login "": no host`},
		{in: "alice@", err: `bad login "alice@": no host`},
		{in: "ssh -p", err: `"-p" is not a host`},
	} {
		got, err := ParseLogins(tc.in, 4)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseLogins(%q): err %v, want one containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseLogins(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestReadLogins(t *testing.T) {
	got, err := ReadLogins(strings.NewReader("# hosts\n\n2/a\n  b:22  \n"), "hosts.txt", 1)
	if err != nil || len(got) != 2 || got[0].Slots != 2 || got[1].Dest != "b" || got[1].Port != "22" {
		t.Errorf("ReadLogins = %+v, %v", got, err)
	}
	_, err = ReadLogins(strings.NewReader("a\n0/b\n"), "hosts.txt", 1)
	if err == nil || !strings.HasPrefix(err.Error(), "hosts.txt:2: ") {
		t.Errorf("ReadLogins error %v: want it to name the file and line", err)
	}
}

// TestSSHCommand: ssh joins its arguments for the remote shell, so every
// word is quoted for it; the login's own ssh command and port come first.
func TestSSHCommand(t *testing.T) {
	s := &SSH{Login: Login{SSH: []string{"ssh", "-F", "cfg"}, Dest: "u@h", Port: "2222"}}
	got := s.Command(1, "env", "A=it's", "/opt/my parrun")
	want := append(append([]string{"ssh", "-F", "cfg"}, sshOptions...), "-p", "2222", "u@h", "env", `'A=it'"'"'s'`, `'/opt/my parrun'`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Command =\n%q\nwant\n%q", got, want)
	}
}

// TestWorkerCmd runs the launcher for real: the appended words arrive
// intact, and {slot} and {host} are replaced.
func TestWorkerCmd(t *testing.T) {
	w := &WorkerCmd{Template: `env SLOT={slot} HOST={host} sh -c 'printf "%s|" "$SLOT" "$HOST" "$@"' --`, Host: "web 1"}
	argv := w.Command(7, "a b", "it's", "$HOME", "")
	out, err := exec.Command(argv[0], argv[1:]...).Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "7|web 1|a b|it's|$HOME||"; string(out) != want {
		t.Errorf("launcher printed %q, want %q", out, want)
	}
}

// TestFilesRoundTrip moves files through a launcher that runs commands in
// another directory, as a login directory on another host: transfer,
// return, cleanup.
func TestFilesRoundTrip(t *testing.T) {
	local, remote := t.TempDir(), t.TempDir()
	t.Chdir(local)
	os.MkdirAll("in", 0o755)
	os.WriteFile("in/a.txt", []byte("ant\n"), 0o644)
	l := &WorkerCmd{Template: "cd " + job.Quote(remote) + " &&"}
	f := &Files{Transfer: true, Return: []job.Pattern{job.ParsePattern("{.}.out")}, Cleanup: true}
	j := &job.Job{Seq: 1, Whole: []string{"in/a.txt"}, Args: []string{"in/a.txt"}}
	ctx := context.Background()
	if err := f.Send(ctx, l, "h", 1, j); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(remote, "in/a.txt")); err != nil || string(b) != "ant\n" {
		t.Fatalf("on the host: %q, %v", b, err)
	}
	os.WriteFile(filepath.Join(remote, "in/a.out"), []byte("ANT\n"), 0o644) // what the job would make
	if err := f.Fetch(ctx, l, "h", 1, j); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile("in/a.out"); err != nil || string(b) != "ANT\n" {
		t.Errorf("returned: %q, %v", b, err)
	}
	for _, p := range []string{"in/a.txt", "in/a.out"} {
		if _, err := os.Stat(filepath.Join(remote, p)); !os.IsNotExist(err) {
			t.Errorf("%s still on the host after --cleanup (%v)", p, err)
		}
	}
	// A file the job did not leave: an error naming it, and no file here.
	err := f.Fetch(ctx, l, "h", 1, &job.Job{Seq: 2, Whole: []string{"in/b.txt"}})
	if err == nil || !strings.Contains(err.Error(), "--return in/b.out from h") {
		t.Errorf("Fetch of a missing file: %v", err)
	}
	ents, _ := os.ReadDir("in")
	for _, e := range ents {
		if e.Name() != "a.txt" && e.Name() != "a.out" {
			t.Errorf("left behind here: %s", e.Name())
		}
	}
}

// FuzzParseLogins: never panics; every login it accepts has slots, and is
// either ":" or has a destination with a host, a valid port if any, and an
// ssh command.
func FuzzParseLogins(f *testing.F) {
	for _, s := range []string{"host", "8/alice@build2:2222,2/:", "4/ssh -F cfg host", ":", "0/h", "h:99999", "u@", "-oProxy", ",", "3/ "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ls, err := ParseLogins(s, 2)
		if err != nil {
			return
		}
		for _, l := range ls {
			if l.Slots < 1 {
				t.Errorf("ParseLogins(%q): %+v has %d slots", s, l, l.Slots)
			}
			if l.Local {
				continue
			}
			if l.Dest == "" || strings.HasSuffix(l.Dest, "@") || strings.HasPrefix(l.Dest, "-") || len(l.SSH) == 0 {
				t.Errorf("ParseLogins(%q): bad login %+v", s, l)
			}
			if l.Port != "" {
				if p, err := strconv.Atoi(l.Port); err != nil || p < 1 || p > 65535 {
					t.Errorf("ParseLogins(%q): port %q", s, l.Port)
				}
			}
		}
	})
}
