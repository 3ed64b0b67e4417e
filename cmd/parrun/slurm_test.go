package main

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/parrun/parrun/internal/exec"
)

func init() { scriptCmds["slurm-start"] = cmdSlurmStart }

// slurmDaemons are the programs slurm-start runs, found on PATH or in
// /usr/sbin: Debian's munge, slurmctld and slurmd packages.
var slurmDaemons = []string{"munged", "slurmctld", "slurmd"}

// slurmUsable is the script condition [slurm]: whether slurm-start can
// bring up a single-node Slurm cluster here (the daemons and the client
// commands installed, and root, which SlurmUser=root needs). Scripts say
// "[!slurm] skip <why>"; in CI (PARRUN_CI=1, set by .ci/run, which
// installs the packages) an unusable Slurm is an error: CI never passes
// the Slurm scripts by skipping them.
func slurmUsable() (bool, error) {
	var missing []string
	for _, name := range append(slurmDaemons, "srun", "salloc", "sinfo", "squeue", "scancel") {
		if sbinPath(name) == "" {
			missing = append(missing, name)
		}
	}
	why := ""
	switch {
	case missing != nil:
		why = "no " + strings.Join(missing, ", ") + " on PATH or in /usr/sbin"
	case os.Geteuid() != 0:
		why = "not root"
	}
	if why != "" && os.Getenv("PARRUN_CI") == "1" {
		return false, fmt.Errorf("Slurm cannot be started (%s), and PARRUN_CI=1: CI must run the Slurm scripts", why)
	}
	return why == "", nil
}

// sbinPath finds a program on PATH or in /usr/sbin (not on a plain user's
// PATH on Debian), "" when neither has it.
func sbinPath(name string) string {
	for _, p := range []string{name, "/usr/sbin/" + name} {
		if path, err := osexec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

// slurmWait bounds how long the cluster may take to come up: ~1 s quiet,
// ~13 s measured under load.
const slurmWait = 60 * time.Second

// cmdSlurmStart is the script command "slurm-start" (after [slurm]): a
// real single-node Slurm cluster (munged, slurmctld, slurmd) owned by the
// script, its state, logs and sockets under $WORK/slurm, its ports free
// ones. The node claims 16 CPUs (SlurmdParameters=config_overrides), so
// that an allocation of 16 tasks fits on a 2-core machine. It sets
// SLURM_CONF for the script's commands and returns once the node is idle.
// When the script ends, every process that carries this cluster's
// SLURM_CONF (the daemons, slurmstepd, srun, salloc, their jobs) is
// killed: the daemons by pid.
func cmdSlurmStart(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 0 {
		ts.Fatalf("usage: slurm-start")
	}
	dir := filepath.Join(ts.Getenv("WORK"), "slurm")
	for _, d := range []string{"state", "spool", "log"} {
		ts.Check(os.MkdirAll(filepath.Join(dir, d), 0o700))
	}
	key := make([]byte, 1024)
	rand.Read(key)
	ts.Check(os.WriteFile(filepath.Join(dir, "munge.key"), key, 0o400))
	conf := filepath.Join(dir, "slurm.conf")
	ts.Check(os.WriteFile(conf, slurmConf(ts, dir), 0o644))
	env := append(os.Environ(), "SLURM_CONF="+conf)
	ts.Defer(func() { killCluster(conf) })

	sock := filepath.Join(dir, "munge.sock")
	startDaemon(ts, env, dir, "munged", "-F", "-f", "--key-file="+filepath.Join(dir, "munge.key"), "--socket="+sock,
		"--pid-file="+filepath.Join(dir, "munged.pid"), "--log-file="+filepath.Join(dir, "log", "munged.log"),
		"--seed-file="+filepath.Join(dir, "munged.seed"))
	waitCluster(ts, dir, "munged's socket", func() bool { _, err := os.Stat(sock); return err == nil })
	startDaemon(ts, env, dir, "slurmctld", "-D", "-f", conf)
	startDaemon(ts, env, dir, "slurmd", "-D", "-f", conf, "-N", slurmNode())
	waitCluster(ts, dir, "the node to be idle", func() bool {
		cmd := osexec.Command(sbinPath("sinfo"), "-h", "-o", "%T")
		cmd.Env = env
		out, _ := cmd.Output()
		return strings.TrimSpace(string(out)) == "idle"
	})
	ts.Setenv("SLURM_CONF", conf)
}

// slurmConf is the cluster's slurm.conf: everything under dir, run as
// root, no accounting, no cgroups (proctrack/linuxproc, task/none).
func slurmConf(ts *testscript.TestScript, dir string) []byte {
	node := slurmNode()
	var b bytes.Buffer
	fmt.Fprintf(&b, `ClusterName=parrun
SlurmctldHost=%[1]s(127.0.0.1)
SlurmctldPort=%[2]d
SlurmdPort=%[3]d
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=%[4]s/munge.sock
CredType=cred/munge
StateSaveLocation=%[4]s/state
SlurmdSpoolDir=%[4]s/spool
SlurmctldPidFile=%[4]s/slurmctld.pid
SlurmdPidFile=%[4]s/slurmd.pid
SlurmctldLogFile=%[4]s/log/slurmctld.log
SlurmdLogFile=%[4]s/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=%[1]s NodeAddr=127.0.0.1 CPUs=16 State=UNKNOWN
PartitionName=debug Nodes=%[1]s Default=YES MaxTime=INFINITE State=UP
`, node, freePort(ts), freePort(ts), dir)
	return b.Bytes()
}

// slurmNode is the node's name: slurmctld takes SlurmctldHost to be this
// machine only under its short host name.
func slurmNode() string {
	h, _ := os.Hostname()
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return h
}

// freePort is a TCP port the kernel had free, released for a daemon.
func freePort(ts *testscript.TestScript) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startDaemon starts one of the cluster's daemons in the foreground, its
// output in dir/log/NAME.out; killCluster stops it.
func startDaemon(ts *testscript.TestScript, env []string, dir, name string, args ...string) {
	out, err := os.Create(filepath.Join(dir, "log", name+".out"))
	ts.Check(err)
	defer out.Close()
	cmd := osexec.Command(sbinPath(name), args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, out, out
	cmd.SysProcAttr = exec.OwnGroup()
	if err := cmd.Start(); err != nil {
		ts.Fatalf("starting %s: %v", name, err)
	}
	ts.Check(os.WriteFile(filepath.Join(dir, name+".bgpid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644))
	go cmd.Wait() // reaped when killCluster kills it
}

// waitCluster polls cond (a daemon's state, which gives no notice) until
// it holds, failing the script with the daemons' logs after slurmWait.
func waitCluster(ts *testscript.TestScript, dir, what string, cond func() bool) {
	deadline := time.Now().Add(slurmWait)
	for !cond() {
		if time.Now().After(deadline) {
			var logs []string
			files, _ := filepath.Glob(filepath.Join(dir, "log", "*"))
			for _, f := range files {
				b, _ := os.ReadFile(f)
				logs = append(logs, f+":\n"+string(b))
			}
			ts.Fatalf("slurm-start: waited %v for %s\n%s", slurmWait, what, strings.Join(logs, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// killCluster SIGKILLs every process whose environment holds this
// cluster's SLURM_CONF: the daemons, slurmstepd (which slurmd starts
// detached) and whatever srun and salloc left.
func killCluster(conf string) {
	mark := []byte("SLURM_CONF=" + conf + "\x00")
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err == nil && bytes.Contains(append(env, 0), mark) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
