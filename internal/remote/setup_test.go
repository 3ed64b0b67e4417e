package remote

import (
	"os"
	"path/filepath"
	"testing"
)

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "base")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	host := []Login{{Raw: "h", Slots: 1}}
	for _, tc := range []struct {
		name string
		cfg  Config
		err  string
	}{
		{"basefile with a host", Config{Logins: host, Files: Files{Base: []string{file}}}, ""},
		{"basefile with worker-cmd", Config{WorkerCmd: "env", Files: Files{Base: []string{file}, Cleanup: true}}, ""},
		{"basefile alone", Config{Files: Files{Base: []string{file}}},
			"--transfer, --return, --basefile and --cleanup move files to and from other machines: they need --ssh or --worker-cmd"},
		{"missing basefile", Config{Logins: host, Files: Files{Base: []string{file, dir + "/nosuch"}}},
			"--basefile " + dir + "/nosuch: not a file parrun can read"},
		{"directory basefile", Config{Logins: host, Files: Files{Base: []string{dir}}},
			"--basefile " + dir + ": not a file parrun can read"},
		{"cleanup alone", Config{Logins: host, Files: Files{Cleanup: true}},
			"--cleanup removes the files of --transfer, --return and --basefile: it needs one of them"},
		{"remote-parrun alone", Config{RemoteParrun: "/opt/parrun"},
			"--remote-parrun names the parrun that --ssh or --worker-cmd starts: it needs one of them"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Check()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.err {
				t.Errorf("Check() = %q; want %q", got, tc.err)
			}
		})
	}
}
