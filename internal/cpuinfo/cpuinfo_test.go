package cpuinfo

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	entry := func(proc, phys, core string) string {
		s := "processor\t: " + proc + "\n"
		if phys != "" {
			s += "physical id\t: " + phys + "\ncore id\t\t: " + core + "\n"
		}
		return s + "\n"
	}
	tests := []struct {
		name string
		in   string
		want Counts
	}{
		{"this VM: 2 cores, 1 socket", entry("0", "0", "0") + entry("1", "0", "1"), Counts{1, 2, 2}},
		{"hyper-threads", entry("0", "0", "0") + entry("1", "0", "0") + entry("2", "0", "1") + entry("3", "0", "1"), Counts{1, 2, 4}},
		{"two sockets", entry("0", "0", "0") + entry("1", "1", "0"), Counts{2, 2, 2}},
		{"no ids", entry("0", "", "") + entry("1", "", ""), Counts{2, 2, 2}},
		{"empty", "", Counts{1, 1, 1}},
	}
	for _, tt := range tests {
		if got := Parse(strings.NewReader(tt.in)); got != tt.want {
			t.Errorf("%s: %+v; want %+v", tt.name, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("processor\t: 0\nphysical id\t: 0\ncore id\t: 0\n")
	f.Fuzz(func(t *testing.T, s string) {
		c := Parse(strings.NewReader(s))
		if c.Sockets < 1 || c.Sockets > c.Cores || c.Cores > c.Threads {
			t.Fatalf("Parse(%q) = %+v", s, c)
		}
	})
}

func TestCountsOf(t *testing.T) {
	c := Counts{Sockets: 2, Cores: 8, Threads: 16}
	for what, want := range map[string]int{"sockets": 2, "cores": 8, "cpus": 8, "threads": 16, "gpus": 0} {
		if got := c.Of(what); got != want {
			t.Errorf("Of(%q) = %d, want %d", what, got, want)
		}
	}
}
