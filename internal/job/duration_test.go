package job

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		// Go syntax.
		{in: "1.5s", want: 1500 * time.Millisecond},
		{in: "200ms", want: 200 * time.Millisecond},
		{in: "2m", want: 2 * time.Minute},
		{in: "1h2m3s", want: time.Hour + 2*time.Minute + 3*time.Second},
		{in: "0s", want: 0},
		{in: "1us", want: time.Microsecond},
		{in: "5ns", want: 5},
		// A bare number is seconds, as GNU parallel users type it.
		{in: "1", want: time.Second},
		{in: "0", want: 0},
		{in: "0.2", want: 200 * time.Millisecond},
		{in: ".5", want: 500 * time.Millisecond},
		{in: "30", want: 30 * time.Second},
		{in: "1e1", want: 10 * time.Second},
		{in: "+1", want: time.Second},
		{in: "-0", want: 0},
		// Errors.
		{in: "", wantErr: true},
		{in: "abc", wantErr: true},
		{in: "1x", wantErr: true},
		{in: "s", wantErr: true},
		{in: "1 s", wantErr: true},
		{in: " 1", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "-0.5", wantErr: true},
		{in: "-1s", wantErr: true},
		{in: "-1ms", wantErr: true},
		{in: "Inf", wantErr: true},
		{in: "+Inf", wantErr: true},
		{in: "-Inf", wantErr: true},
		{in: "1e300", wantErr: true},
		{in: "99999999999h", wantErr: true},
		// NaN is no number of seconds; time.Duration(NaN) is undefined and
		// on amd64 comes out hugely negative.
		{in: "NaN", wantErr: true},
		{in: "nan", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseDuration(%q) = %v, nil; want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, nil", tt.in, got, err, tt.want)
		}
	}
}

// FuzzParseDuration checks that no input panics and that a success is never
// negative (the doc comment's promise).
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"1", "1.5s", "-1", "1e300", "2m", "", "0x1p-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err == nil && d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, nil; want a non-negative duration or an error", s, d)
		}
	})
}
