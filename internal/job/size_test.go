package job

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"1024", 1024, false},
		{"64K", 64 << 10, false},
		{"1m", 1 << 20, false},
		{"2G", 2 << 30, false},
		{"0", 0, false},
		{"", 0, true},
		{"-1", 0, true},
		{"K", 0, true},
		{"1T", 0, true},
		{"1025G", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
