package remote

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// SlurmLauncher is the --worker-cmd that --slurm stands for: each worker
// is one step of the Slurm allocation parrun runs in, one task on one
// node. Each of srun's options is there for a reason measured on Slurm
// 22.05:
//   - --exclusive: a step gets CPUs of its own; a step beyond the
//     allocation's tasks waits for one to end instead of sharing.
//   - -u: without it slurmstepd line-buffers the step's stdout, and the
//     worker protocol's frames, which need not end in a newline, are
//     held back until the step ends: the run deadlocks.
//   - -Q: no "step created" or "job step cancelled" chatter on stderr.
const SlurmLauncher = "srun --exclusive -N1 -n1 -u -Q --job-name=parrun-worker --"

// SlurmSlots is how many workers --slurm starts unless -j says: one per
// task of the allocation (SLURM_NTASKS), or, for an allocation given in
// CPUs and not tasks, its CPUs over --cpus-per-task. getenv reads the
// environment salloc or sbatch set; outside an allocation (no
// SLURM_JOB_ID) it is an error.
func SlurmSlots(getenv func(string) string) (int, error) {
	if getenv("SLURM_JOB_ID") == "" {
		return 0, errors.New("--slurm starts workers as steps of a Slurm allocation, and SLURM_JOB_ID is not set: run parrun inside salloc or sbatch")
	}
	if v := getenv("SLURM_NTASKS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("SLURM_NTASKS=%s: want a number of tasks", v)
		}
		return n, nil
	}
	cpus, err := allocationCPUs(getenv("SLURM_JOB_CPUS_PER_NODE"))
	if err != nil {
		return 0, err
	}
	per := 1
	if v := getenv("SLURM_CPUS_PER_TASK"); v != "" {
		if per, err = strconv.Atoi(v); err != nil || per < 1 {
			return 0, fmt.Errorf("SLURM_CPUS_PER_TASK=%s: want a number of CPUs", v)
		}
	}
	return max(1, cpus/per), nil
}

// maxCount bounds each number of SLURM_JOB_CPUS_PER_NODE, far above any
// machine's, so that their sum cannot overflow.
const maxCount = 1 << 20

// allocationCPUs sums SLURM_JOB_CPUS_PER_NODE, whose form is Slurm's
// compressed list: "4(x2),2" is two nodes of 4 CPUs and one of 2. Unset
// is one CPU.
func allocationCPUs(v string) (int, error) {
	if v == "" {
		return 1, nil
	}
	total := 0
	for _, part := range strings.Split(v, ",") {
		count, times := part, "1"
		if i := strings.Index(part, "(x"); i >= 0 && strings.HasSuffix(part, ")") {
			count, times = part[:i], part[i+2:len(part)-1]
		}
		c, err1 := strconv.Atoi(count)
		t, err2 := strconv.Atoi(times)
		if err1 != nil || err2 != nil || c < 0 || t < 1 || c > maxCount || t > maxCount {
			return 0, fmt.Errorf("SLURM_JOB_CPUS_PER_NODE=%s: want Slurm's list of CPU counts, such as 4(x2),2", v)
		}
		total += c * t
	}
	return total, nil
}
