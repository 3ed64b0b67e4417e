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
			"--cleanup removes the files of --transfer, --return and --basefile, and --workdir ...'s directories: it needs one of them"},
		{"cleanup with workdir ...", Config{Logins: host, Workdir: TempWorkdir, Files: Files{Cleanup: true}}, ""},
		{"cleanup with a plain workdir", Config{Logins: host, Workdir: "w", Files: Files{Cleanup: true}},
			"--cleanup removes the files of --transfer, --return and --basefile, and --workdir ...'s directories: it needs one of them"},
		{"workdir .", Config{Logins: host, Workdir: "."},
			"--workdir . (GNU: this directory's path below $HOME, on every host) is not supported by parrun yet"},
		{"slurm with hosts", Config{Logins: host, Slurm: true, WorkerCmd: SlurmLauncher},
			"--slurm starts workers on the nodes of the Slurm allocation: it takes no --ssh hosts"},
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
