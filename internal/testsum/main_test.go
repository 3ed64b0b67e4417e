package main

import (
	"strings"
	"testing"
)

func TestTally(t *testing.T) {
	for _, tc := range []struct {
		name, events string
		wantLine     string
		wantOut      []string // also in the output
	}{
		{"leaves only", `{"Action":"run","Package":"p","Test":"T"}
{"Action":"run","Package":"p","Test":"T/a"}
{"Action":"pass","Package":"p","Test":"T/a"}
{"Action":"run","Package":"p","Test":"T/b"}
{"Action":"output","Package":"p","Test":"T/b","Output":"        > [!thread] skip 'mode-independent'\n"}
{"Action":"output","Package":"p","Test":"T/b","Output":"--- SKIP: T/b (0.00s)\n"}
{"Action":"skip","Package":"p","Test":"T/b"}
{"Action":"pass","Package":"p","Test":"T"}
{"Action":"pass","Package":"p"}`, "tests: 1 passed, 0 failed, 1 skipped (1 mode-independent)", []string{"ok   p"}},
		{"a failure's output is shown", `{"Action":"run","Package":"p","Test":"F"}
{"Action":"output","Package":"p","Test":"F","Output":"    x_test.go:3: want 2\n"}
{"Action":"fail","Package":"p","Test":"F"}
{"Action":"fail","Package":"p"}`, "tests: 0 passed, 1 failed, 0 skipped", []string{"want 2", "FAIL p"}},
		{"t.Skip's reason", `{"Action":"output","Package":"p","Test":"S","Output":"    s_test.go:9: no sshd here\n"}
{"Action":"skip","Package":"p","Test":"S"}`, "tests: 0 passed, 0 failed, 1 skipped (1 no sshd here)", nil},
		{"a test cut short by its package", `{"Action":"run","Package":"p","Test":"H"}
{"Action":"output","Package":"p","Test":"H","Output":"panic: test timed out\n"}
{"Action":"fail","Package":"p"}`, "tests: 0 passed, 1 failed, 0 skipped", []string{"panic: test timed out"}},
		{"not JSON is shown", "# p\nbuild failed\n", "tests: 0 passed, 0 failed, 0 skipped", []string{"build failed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			tl := newTally(&out)
			if err := tl.read(strings.NewReader(tc.events)); err != nil {
				t.Fatal(err)
			}
			tl.summary()
			got := out.String()
			if !strings.HasSuffix(got, tc.wantLine+"\n") {
				t.Errorf("last line of %q; want %q", got, tc.wantLine)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(got, w) {
					t.Errorf("output %q lacks %q", got, w)
				}
			}
		})
	}
}
