package input

import "testing"

func TestTotal(t *testing.T) {
	tests := []struct {
		name    string
		sources []Source
		maxArgs int
		want    int64
		known   bool
	}{
		{"one group", []Source{{Values: []string{"a", "b", "c"}}}, 1, 3, true},
		{"product", []Source{{Values: []string{"a", "b"}}, {Values: []string{"1", "2", "3"}}}, 1, 6, true},
		{"linked stops at the shorter", []Source{{Values: []string{"a", "b"}}, {Values: []string{"1", "2", "3"}, Link: true}}, 1, 2, true},
		{"link then product", []Source{{Values: []string{"a"}}, {Values: []string{"1", "2"}, Link: true}, {Values: []string{"x", "y"}}}, 1, 2, true},
		{"empty group", []Source{{Values: []string{"a"}}, {Values: nil}}, 1, 0, true},
		{"batches round up", []Source{{Values: []string{"a", "b", "c"}}}, 2, 2, true},
		{"stdin is streamed", nil, 1, -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(Config{Sources: tt.sources, MaxArgs: tt.maxArgs, Template: true, Shell: "/bin/sh"})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			n, ok := r.Total()
			if n != tt.want || ok != tt.known {
				t.Fatalf("Total() = %d, %v; want %d, %v", n, ok, tt.want, tt.known)
			}
			if !ok {
				return
			}
			var got int64
			for {
				if _, err := r.Next(); err != nil {
					break
				}
				got++
			}
			if got != n {
				t.Errorf("Next yielded %d jobs; Total said %d", got, n)
			}
		})
	}
}
