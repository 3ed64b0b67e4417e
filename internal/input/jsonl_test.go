package input

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parrun/parrun/internal/job"
)

// readJSONL reads in as JSONL through Open and Next.
func readJSONL(t *testing.T, in string, template bool) []*job.Job {
	t.Helper()
	return readJobs(t, Config{Stdin: strings.NewReader(in), JSONL: true, Template: template, Shell: "/bin/sh"})
}

// TestJSONLFields checks every field of SPEC §1's JSONL schema.
func TestJSONLFields(t *testing.T) {
	in := `{"cmd": "echo hi", "id": "job-1", "env": {"K": "V", "E": ""}, "dir": "/tmp", "timeout": "30s", "retries": 2, "priority": 5, "stdin": "in\n"}`
	jobs := readJSONL(t, in+"\n", false)
	if len(jobs) != 1 {
		t.Fatalf("got %d jobs; want 1", len(jobs))
	}
	j := jobs[0]
	if j.Err != nil {
		t.Fatalf("Err = %v; want nil", j.Err)
	}
	if j.Cmd == nil || !slices.Equal(j.Cmd.Argv, []string{"/bin/sh", "-c", "echo hi"}) {
		t.Errorf("Cmd = %v; want [/bin/sh -c \"echo hi\"]", j.Cmd)
	}
	if j.ID != "job-1" {
		t.Errorf("ID = %q; want %q", j.ID, "job-1")
	}
	env := slices.Sorted(slices.Values(j.Env))
	if want := []string{"E=", "K=V"}; !slices.Equal(env, want) {
		t.Errorf("Env = %q; want %q (in any order)", env, want)
	}
	if j.Dir != "/tmp" {
		t.Errorf("Dir = %q; want /tmp", j.Dir)
	}
	if j.Timeout != 30*time.Second {
		t.Errorf("Timeout = %v; want 30s", j.Timeout)
	}
	if j.Retries != 2 {
		t.Errorf("Retries = %d; want 2", j.Retries)
	}
	if j.Priority != 5 {
		t.Errorf("Priority = %d; want 5", j.Priority)
	}
	if !j.HasStdin || j.Stdin != "in\n" {
		t.Errorf("Stdin = %q, %v; want %q, true", j.Stdin, j.HasStdin, "in\n")
	}
	if j.Seq != 1 || j.Line != 1 {
		t.Errorf("Seq, Line = %d, %d; want 1, 1", j.Seq, j.Line)
	}
}

// TestJSONL checks one line at a time: what each valid line becomes.
func TestJSONL(t *testing.T) {
	tests := []struct {
		name     string
		line     string
		template bool
		check    func(j *job.Job) string // "" when j is as wanted
	}{
		{
			name: "argv runs without a shell",
			line: `{"argv": ["prog", "a b", "$x", ""]}`,
			check: func(j *job.Job) string {
				return wantArgv(j, "prog", "a b", "$x", "")
			},
		},
		{
			name: "plain cmd runs directly",
			line: `{"cmd": "sleep 1"}`,
			check: func(j *job.Job) string {
				return wantArgv(j, "sleep", "1")
			},
		},
		{
			name: "cmd with shell syntax",
			line: `{"cmd": "a | b > c"}`,
			check: func(j *job.Job) string {
				return wantArgv(j, "/bin/sh", "-c", "a | b > c")
			},
		},
		{
			name: "args fill the template", template: true,
			line: `{"args": ["a b", 1, 2.5, -3e2, ""], "id": 7}`,
			check: func(j *job.Job) string {
				want := []string{"a b", "1", "2.5", "-3e2", ""}
				if j.Cmd != nil || !slices.Equal(j.Args, want) || !slices.Equal(j.Whole, want) || j.ID != "7" {
					return "Cmd " + strconv.Quote(str(j.Cmd)) + ", Args " + strconv.Quote(strings.Join(j.Args, "|")) + ", ID " + j.ID
				}
				return ""
			},
		},
		{
			name: "no fields with a template", template: true,
			line: `{}`,
			check: func(j *job.Job) string {
				if j.Cmd != nil || len(j.Args) != 0 {
					return "want a template job with no args"
				}
				return ""
			},
		},
		{
			name: "cmd beats the template", template: true,
			line: `{"cmd": "ls", "args": ["x"]}`,
			check: func(j *job.Job) string {
				return wantArgv(j, "ls")
			},
		},
		{
			name: "timeout in seconds",
			line: `{"cmd": "true", "timeout": 1.5}`,
			check: func(j *job.Job) string {
				return wantDuration(j.Timeout, 1500*time.Millisecond)
			},
		},
		{
			name: "timeout as a string of seconds",
			line: `{"cmd": "true", "timeout": "2"}`,
			check: func(j *job.Job) string {
				return wantDuration(j.Timeout, 2*time.Second)
			},
		},
		{
			name: "timeout in Go syntax",
			line: `{"cmd": "true", "timeout": "200ms"}`,
			check: func(j *job.Job) string {
				return wantDuration(j.Timeout, 200*time.Millisecond)
			},
		},
		{
			name: "zero retries means until success",
			line: `{"cmd": "true", "retries": 0}`,
			check: func(j *job.Job) string {
				if j.Retries != job.RetryUntilSuccess {
					return "Retries = " + strconv.Itoa(j.Retries) + "; want RetryUntilSuccess"
				}
				return ""
			},
		},
		{
			name: "no retries field keeps the default",
			line: `{"cmd": "true"}`,
			check: func(j *job.Job) string {
				if j.Retries != 0 || j.Timeout != 0 || j.HasStdin || j.Priority != 0 || j.ID != "" || j.Dir != "" || j.Env != nil {
					return "want every optional field unset"
				}
				return ""
			},
		},
		{
			name: "negative priority",
			line: `{"cmd": "true", "priority": -4}`,
			check: func(j *job.Job) string {
				if j.Priority != -4 {
					return "Priority = " + strconv.FormatInt(j.Priority, 10) + "; want -4"
				}
				return ""
			},
		},
		{
			name: "empty stdin is still stdin",
			line: `{"cmd": "cat", "stdin": ""}`,
			check: func(j *job.Job) string {
				if !j.HasStdin || j.Stdin != "" {
					return "want HasStdin with empty Stdin"
				}
				return ""
			},
		},
		{
			name: "numeric id",
			line: `{"cmd": "true", "id": 12}`,
			check: func(j *job.Job) string {
				if j.ID != "12" {
					return "ID = " + j.ID + "; want 12"
				}
				return ""
			},
		},
		{
			name: "surrounding blanks and CR",
			line: " \t{\"cmd\": \"true\"}\t\r",
			check: func(j *job.Job) string {
				return wantArgv(j, "true")
			},
		},
		{
			name: "unicode escapes",
			line: `{"argv": ["echo", "\u00e9\n\t\""]}`,
			check: func(j *job.Job) string {
				return wantArgv(j, "echo", "é\n\t\"")
			},
		},
	}
	for _, tt := range tests {
		jobs := readJSONL(t, tt.line+"\n", tt.template)
		if len(jobs) != 1 {
			t.Errorf("%s: got %d jobs; want 1", tt.name, len(jobs))
			continue
		}
		j := jobs[0]
		if j.Err != nil {
			t.Errorf("%s: %s: Err = %v; want nil", tt.name, tt.line, j.Err)
			continue
		}
		if msg := tt.check(j); msg != "" {
			t.Errorf("%s: %s: %s", tt.name, tt.line, msg)
		}
	}
}

func str(c *job.Command) string {
	if c == nil {
		return "<nil>"
	}
	return c.String()
}

func wantArgv(j *job.Job, want ...string) string {
	if j.Cmd == nil {
		return "Cmd = nil; want argv " + strconv.Quote(strings.Join(want, "|"))
	}
	if !slices.Equal(j.Cmd.Argv, want) {
		return "argv = " + strconv.Quote(strings.Join(j.Cmd.Argv, "|")) + "; want " + strconv.Quote(strings.Join(want, "|"))
	}
	return ""
}

func wantDuration(got, want time.Duration) string {
	if got != want {
		return "Timeout = " + got.String() + "; want " + want.String()
	}
	return ""
}

// TestJSONLErrors checks that every malformed record becomes a failed job
// of its own, whose message names its line, and that reading goes on.
func TestJSONLErrors(t *testing.T) {
	tests := []struct {
		name     string
		line     string
		template bool
		want     string // in the message, after "bad JSON at line 2: "
	}{
		{"unknown field", `{"cmd": "true", "timout": "1s"}`, false, "timout"},
		{"both cmd and argv", `{"cmd": "true", "argv": ["true"]}`, false, `both "cmd" and "argv"`},
		{"empty argv", `{"argv": []}`, false, `"argv" is empty`},
		{"negative retries", `{"cmd": "true", "retries": -1}`, false, `"retries"`},
		{"fractional retries", `{"cmd": "true", "retries": 1.5}`, false, "retries"},
		{"bad timeout", `{"cmd": "true", "timeout": "soon"}`, false, `"timeout"`},
		{"negative timeout", `{"cmd": "true", "timeout": "-1s"}`, false, `"timeout"`},
		{"negative timeout in seconds", `{"cmd": "true", "timeout": -2}`, false, `"timeout"`},
		{"boolean timeout", `{"cmd": "true", "timeout": true}`, false, `"timeout"`},
		{"NaN timeout", `{"cmd": "true", "timeout": "NaN"}`, false, `"timeout"`},
		{"object id", `{"cmd": "true", "id": {}}`, false, `"id"`},
		{"object in args", `{"args": ["a", {"b": 1}]}`, true, `"args"[1]`},
		{"null in args", `{"args": [null]}`, true, `"args"[0]`},
		{"env key with =", `{"cmd": "true", "env": {"A=B": "x"}}`, false, `"env"`},
		{"empty env key", `{"cmd": "true", "env": {"": "x"}}`, false, `"env"`},
		{"NUL in env value", `{"cmd": "true", "env": {"A": "x\u0000y"}}`, false, `"env"`},
		{"env value not a string", `{"cmd": "true", "env": {"A": 1}}`, false, "env"},
		{"cmd not a string", `{"cmd": ["true"]}`, false, "cmd"},
		{"argv not strings", `{"argv": [1]}`, false, "argv"},
		{"priority not a number", `{"cmd": "true", "priority": "high"}`, false, "priority"},
		{"no cmd and no template", `{"id": "x"}`, false, `no "cmd" or "argv"`},
		{"empty object and no template", `{}`, false, `no "cmd" or "argv"`},
		{"truncated", `{"cmd": "tr`, false, ""},
		{"not JSON", `echo hi`, false, "invalid character"},
		{"two values", `{"cmd": "true"} {"cmd": "false"}`, false, "more than one"},
		{"trailing garbage", `{"cmd": "true"} x`, false, ""},
		{"array", `["true"]`, false, ""},
		{"string", `"true"`, true, ""},
		{"number", `1`, true, ""},
		// SPEC §1: each line is a JSON object. null is none, even where a
		// template could run without values.
		{"null", `null`, true, ""},
		// A job that can never start is malformed, like "argv": []: exec
		// cannot pass a NUL byte or run a program with no name, and the
		// failure would otherwise not name the line.
		{"NUL in argv", `{"argv": ["a\u0000b"]}`, false, ""},
		{"NUL in cmd", `{"cmd": "true\u0000"}`, false, ""},
		{"NUL in dir", `{"cmd": "true", "dir": "/\u0000"}`, false, ""},
		{"empty program", `{"argv": [""]}`, false, ""},
	}
	for _, tt := range tests {
		// A good line before and after: the bad one is a job of its own
		// on line 2, and nothing around it is lost.
		in := `{"cmd": "true"}` + "\n" + tt.line + "\n" + `{"cmd": "false"}` + "\n"
		jobs := readJSONL(t, in, tt.template)
		if len(jobs) != 3 {
			t.Errorf("%s: got %d jobs; want 3", tt.name, len(jobs))
			continue
		}
		checkSeq(t, jobs)
		if jobs[0].Err != nil || jobs[2].Err != nil {
			t.Errorf("%s: neighbour Err = %v, %v; want nil, nil", tt.name, jobs[0].Err, jobs[2].Err)
		}
		bad := jobs[1]
		if bad.Err == nil {
			t.Errorf("%s: %s: Err = nil (Cmd %q); want a failed job", tt.name, tt.line, str(bad.Cmd))
			continue
		}
		msg := bad.Err.Error()
		const prefix = "bad JSON at line 2: "
		if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg[len(prefix):], tt.want) {
			t.Errorf("%s: Err = %q; want %q followed by a message mentioning %q", tt.name, msg, prefix, tt.want)
		}
		if bad.Cmd != nil {
			t.Errorf("%s: failed job has Cmd %q; want nil", tt.name, str(bad.Cmd))
		}
		if bad.Line != 2 {
			t.Errorf("%s: Line = %d; want 2", tt.name, bad.Line)
		}
	}
}

// TestJSONLBlankLines checks that blank lines are no records: they use no
// sequence number, yet line numbers still count them.
func TestJSONLBlankLines(t *testing.T) {
	in := "\n  \n{\"cmd\": \"a\"}\n\t\r\n\n{\"cmd\": \"b\"}\n{bad\n\n"
	jobs := readJSONL(t, in, false)
	if len(jobs) != 3 {
		t.Fatalf("got %d jobs; want 3", len(jobs))
	}
	checkSeq(t, jobs)
	wantLines := []int64{3, 6, 7}
	for i, j := range jobs {
		if j.Line != wantLines[i] {
			t.Errorf("job %d Line = %d; want %d", i+1, j.Line, wantLines[i])
		}
	}
	if msg := errString(jobs[2]); !strings.HasPrefix(msg, "bad JSON at line 7: ") {
		t.Errorf("job 3 Err = %q; want it to start with %q", msg, "bad JSON at line 7: ")
	}
	if jobs := readJSONL(t, "\n \n\t\n", false); len(jobs) != 0 {
		t.Errorf("blank input: got %d jobs; want 0", len(jobs))
	}
}

func errString(j *job.Job) string {
	if j.Err == nil {
		return ""
	}
	return j.Err.Error()
}

// TestJSONLNulSeparated checks JSONL records separated by NUL (-0).
func TestJSONLNulSeparated(t *testing.T) {
	jobs := readJobs(t, Config{
		Stdin: strings.NewReader("{\"cmd\":\n\"a\"}\x00{\"cmd\": \"b\"}\x00"),
		Delim: "\x00", JSONL: true, Shell: "/bin/sh",
	})
	var got []string
	for _, j := range jobs {
		got = append(got, str(j.Cmd))
	}
	if want := []string{"a", "b"}; !slices.Equal(got, want) {
		t.Errorf("commands = %q; want %q", got, want)
	}
}

// TestJSONLNoColsep checks that Open refuses --colsep with JSONL rather
// than splitting JSON text into columns.
func TestJSONLNoColsep(t *testing.T) {
	if _, err := Open(Config{JSONL: true, Colsep: regexp.MustCompile(",")}); err == nil {
		t.Error("Open(--jsonl --colsep) = nil error; want one")
	}
}

var badJSONLine = regexp.MustCompile(`^bad JSON at line 7: .`)

// FuzzJSONL checks that parsing any line never panics, and either fails the
// job with a message naming its line or yields a job that can run: its own
// non-empty argv with a program name, or the template.
func FuzzJSONL(f *testing.F) {
	for _, s := range []string{
		`{"cmd": "echo hi", "id": "x", "env": {"K": "V"}, "dir": "/tmp", "timeout": "30s", "retries": 2, "priority": 5, "stdin": "in"}`,
		`{"argv": ["prog", "a"]}`,
		`{"args": ["a", 1, 2.5], "id": 3}`,
		`{"cmd": "true", "timeout": 1e400}`,
		`{"cmd": "true", "retries": -1}`,
		`{"argv": []}`,
		`{"cmd": "a", "argv": ["b"]}`,
		`{"env": {"": ""}}`,
		`{"timout": 1}`,
		`{"priority": 9223372036854775808}`,
		`{"id": "\ud800"}`,
		`[]`,
		`{`,
		``,
		"\xff",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, line string, template bool) {
		j := &job.Job{Seq: 1, Line: 7}
		parseJSONL(j, line, template, "/bin/sh")
		if j.Err != nil {
			if !badJSONLine.MatchString(j.Err.Error()) {
				t.Fatalf("%q: Err = %q; want it to start with \"bad JSON at line 7: \"", line, j.Err)
			}
			if j.Cmd != nil {
				t.Fatalf("%q: failed job has Cmd %q", line, str(j.Cmd))
			}
			return
		}
		if j.Cmd == nil {
			if !template {
				t.Fatalf("%q: no Err, no Cmd and no template: nothing to run", line)
			}
		} else {
			argv := j.Cmd.Argv
			if len(argv) == 0 || argv[0] == "" {
				t.Fatalf("%q: job argv %q has no program", line, argv)
			}
			for _, a := range argv {
				if strings.IndexByte(a, 0) >= 0 {
					t.Fatalf("%q: job argv %q holds NUL: exec cannot pass it", line, argv)
				}
			}
		}
		if j.Retries < -1 || j.Timeout < 0 {
			t.Fatalf("%q: Retries %d, Timeout %v; want Retries ≥ -1, Timeout ≥ 0", line, j.Retries, j.Timeout)
		}
		for _, kv := range j.Env {
			if k, _, ok := strings.Cut(kv, "="); !ok || k == "" || strings.IndexByte(kv, 0) >= 0 {
				t.Fatalf("%q: bad Env entry %q", line, kv)
			}
		}
	})
}

// TestJSONLTypeErrors: a value of the wrong type is named by its key and
// the types in JSON's words, never Go's (issue 16).
func TestJSONLTypeErrors(t *testing.T) {
	for line, want := range map[string]string{
		`{"argv":"echo hi"}`:               `"argv": want an array of strings, got string`,
		`{"cmd":["a"]}`:                    `"cmd": want a string, got array`,
		`{"cmd":"true","retries":"x"}`:     `"retries": want a whole number, got string`,
		`{"cmd":"true","env":{"A":1}}`:     `"env": want an object of strings, got number`,
		`{"cmd":"true","priority":1.5}`:    `"priority": want a whole number, got number 1.5`,
		`{"cmd":"true","dir":false}`:       `"dir": want a string, got bool`,
		`{"cmd":"true","args":{"a":"b"}}`:  `"args": want an array, got object`,
		`{"cmd":"true","stdin":["x","y"]}`: `"stdin": want a string, got array`,
	} {
		j := &job.Job{Line: 1}
		parseJSONL(j, line, false, "/bin/sh")
		if j.Err == nil || !strings.HasSuffix(j.Err.Error(), want) || strings.Contains(j.Err.Error(), "Go ") {
			t.Errorf("%s: err %v; want one ending %q", line, j.Err, want)
		}
	}
}
