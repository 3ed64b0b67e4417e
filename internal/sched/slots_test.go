package sched

import "testing"

func TestParseSlots(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"", 4, false},
		{"3", 3, false},
		{"0", 1024, false},
		{"50%", 2, false},
		{"200%", 8, false},
		{"10%", 1, false}, // never below one
		{"+2", 6, false},
		{"-1", 3, false},
		{"-9", 1, false},
		{"x", 0, true},
		{"-x", 0, true},
		{"%", 0, true},
		{"-5%", 0, true},
		{"NaN%", 0, true},
		{"70000", 0, true},
		{"+99999999999", 0, true},
		{"1e30%", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSlots(tt.in, 4)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseSlots(%q, 4) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// FuzzParseSlots: never panics; what it accepts is within 1..MaxSlots.
func FuzzParseSlots(f *testing.F) {
	for _, s := range []string{"", "3", "0", "50%", "+2", "-9", "x", "1e30%", "+99999999999"} {
		f.Add(s, 4)
	}
	f.Fuzz(func(t *testing.T, s string, cores int) {
		cores = 1 + (cores&0x7fffffff)%4096
		n, err := ParseSlots(s, cores)
		if err == nil && (n < 1 || n > MaxSlots) {
			t.Errorf("ParseSlots(%q, %d) = %d; want 1..%d", s, cores, n, MaxSlots)
		}
		if err == nil && s == "" && n != cores {
			t.Errorf("ParseSlots(\"\", %d) = %d", cores, n)
		}
	})
}
