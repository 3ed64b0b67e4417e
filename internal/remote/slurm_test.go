package remote

import (
	"strings"
	"testing"
)

func TestSlurmSlots(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    int
		wantErr string
	}{
		{"outside an allocation", map[string]string{"SLURM_NTASKS": "4"}, 0, "SLURM_JOB_ID is not set"},
		{"tasks", map[string]string{"SLURM_JOB_ID": "7", "SLURM_NTASKS": "3", "SLURM_CPUS_PER_TASK": "2", "SLURM_JOB_CPUS_PER_NODE": "6"}, 3, ""},
		{"cpus per task, no tasks", map[string]string{"SLURM_JOB_ID": "7", "SLURM_CPUS_PER_TASK": "4", "SLURM_JOB_CPUS_PER_NODE": "8"}, 2, ""},
		{"one node, nothing else", map[string]string{"SLURM_JOB_ID": "7", "SLURM_JOB_CPUS_PER_NODE": "1"}, 1, ""},
		{"compressed node list", map[string]string{"SLURM_JOB_ID": "7", "SLURM_JOB_CPUS_PER_NODE": "4(x2),2"}, 10, ""},
		{"fewer cpus than a task's", map[string]string{"SLURM_JOB_ID": "7", "SLURM_CPUS_PER_TASK": "4", "SLURM_JOB_CPUS_PER_NODE": "2"}, 1, ""},
		{"bad tasks", map[string]string{"SLURM_JOB_ID": "7", "SLURM_NTASKS": "x"}, 0, "SLURM_NTASKS=x"},
		{"zero tasks", map[string]string{"SLURM_JOB_ID": "7", "SLURM_NTASKS": "0"}, 0, "SLURM_NTASKS=0"},
		{"bad cpu list", map[string]string{"SLURM_JOB_ID": "7", "SLURM_JOB_CPUS_PER_NODE": "4(x"}, 0, "SLURM_JOB_CPUS_PER_NODE=4(x"},
		{"bad cpus per task", map[string]string{"SLURM_JOB_ID": "7", "SLURM_CPUS_PER_TASK": "0"}, 0, "SLURM_CPUS_PER_TASK=0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SlurmSlots(func(k string) string { return tc.env[k] })
			switch {
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("SlurmSlots = %d, %v; want an error with %q", got, err, tc.wantErr)
			case tc.wantErr == "" && (err != nil || got != tc.want):
				t.Fatalf("SlurmSlots = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func FuzzAllocationCPUs(f *testing.F) {
	for _, s := range []string{"", "4", "4(x2),2", "1(x100)", "(x)", "4(x0)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := allocationCPUs(s)
		if err == nil && n < 0 {
			t.Fatalf("allocationCPUs(%q) = %d", s, n)
		}
	})
}
