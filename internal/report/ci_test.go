package report

import (
	"strings"
	"testing"
	"time"
)

func TestDetectCI(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want CI
	}{
		{"none", nil, CI{}},
		{"github", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": "/s.md"}, CI{Annotate: true, StepSummary: "/s.md"}},
		{"github without summary file", map[string]string{"GITHUB_ACTIONS": "true"}, CI{Annotate: true}},
		{"not true", map[string]string{"GITHUB_ACTIONS": "1", "GITHUB_STEP_SUMMARY": "/s.md"}, CI{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DetectCI(func(k string) string { return tc.env[k] }); got != tc.want {
				t.Errorf("DetectCI = %+v; want %+v", got, tc.want)
			}
		})
	}
}

func TestAnnotation(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    failure
		want string
	}{
		{"exit", failure{seq: 3, why: "exit 1", cmd: "make test"}, "::error title=parrun job 3::exit 1: make test\n"},
		{"stderr line", failure{seq: 12, why: "exit 127", cmd: "nosuch", lastError: "nosuch: not found"},
			"::error title=parrun job 12::exit 127: nosuch%0Anosuch: not found\n"},
		{"escapes", failure{seq: 1, why: "timed out", cmd: "printf '100%\\r\\n'"},
			"::error title=parrun job 1::timed out: printf '100%25\\r\\n'\n"},
		{"newline in the command", failure{seq: 1, why: "exit 1", cmd: "a\rb"}, "::error title=parrun job 1::exit 1: a%0Db\n"},
		{"no command", failure{seq: 4, why: "bad JSON at line 4"}, "::error title=parrun job 4::bad JSON at line 4\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f.annotation(); got != tc.want {
				t.Errorf("annotation = %q; want %q", got, tc.want)
			}
		})
	}
	if got, want := escapeProperty("a:b,c%"), "a%3Ab%2Cc%25"; got != want {
		t.Errorf("escapeProperty = %q; want %q", got, want)
	}
}

func TestMarkdown(t *testing.T) {
	r := New(Options{Summary: true}, &lockedBuffer{}, &lockedBuffer{})
	r.summary = summary{start: time.Now(), jobs: 3, ok: 1, failed: 2, timedOut: 1,
		slowest: []slowJob{{seq: 2, d: 1500 * time.Millisecond, cmd: "sleep 1.5"}}}
	r.failed = []failure{{seq: 2, why: "timed out", cmd: "a | b <c>", dur: time.Second}}
	r.nFailed = 2
	var b strings.Builder
	if err := r.markdown(&b); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"### parrun: 3 jobs, 1 succeeded, 2 failed (1 timed out)\n",
		"| 2 | timed out | 1s | <code>a &#124; b &lt;c&gt;</code> |\n",
		"\n… and 1 more failed jobs.\n",
		"| 2 | 1.5s | <code>sleep 1.5</code> |\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("markdown lacks %q:\n%s", want, got)
		}
	}
}
