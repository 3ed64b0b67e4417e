package input

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parrun/parrun/internal/job"
)

// jsonJob is the JSONL schema of SPEC §1. Unknown fields are errors: a typo
// such as "timout" must not silently run a job without its time-out.
type jsonJob struct {
	Cmd      *string           `json:"cmd"`
	Argv     []string          `json:"argv"`
	Args     []json.RawMessage `json:"args"`
	ID       json.RawMessage   `json:"id"`
	Env      map[string]string `json:"env"`
	Dir      string            `json:"dir"`
	Timeout  json.RawMessage   `json:"timeout"`
	Retries  *int              `json:"retries"`
	Priority *int64            `json:"priority"`
	Stdin    *string           `json:"stdin"`
}

// parseJSONL fills j from one JSONL record. A malformed record sets j.Err
// with a message naming the line; it never panics.
func parseJSONL(j *job.Job, line string, haveTemplate bool, shell string) {
	if err := fillJSONL(j, line, haveTemplate, shell); err != nil {
		j.Err = fmt.Errorf("bad JSON at line %d: %w", j.Line, err)
		j.Cmd = nil
	}
}

// jsonFields are the keys a JSONL job may have. encoding/json matches keys
// case-insensitively and keeps the last of duplicates; checkKeys is strict
// about both, so {"CMD": …} or two "cmd" keys are errors, not surprises.
var jsonFields = map[string]bool{
	"cmd": true, "argv": true, "args": true, "id": true, "env": true, "dir": true,
	"timeout": true, "retries": true, "priority": true, "stdin": true,
}

// checkKeys checks that line is one JSON object whose keys are all known
// and distinct.
func checkKeys(line string) error {
	dec := json.NewDecoder(strings.NewReader(line))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("want a JSON object, got %v", tok)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if !jsonFields[key] {
			return fmt.Errorf("unknown field %q", key)
		}
		if seen[key] {
			return fmt.Errorf("field %q given twice", key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	return nil
}

// fillJSONL fills j from one JSONL record, or says what is wrong with it.
func fillJSONL(j *job.Job, line string, haveTemplate bool, shell string) error {
	r, err := decodeJSONL(line)
	if err != nil {
		return err
	}
	if err := setCommand(j, r, haveTemplate, shell); err != nil {
		return err
	}
	return setFields(j, r)
}

// decodeJSONL decodes one record strictly: known, distinct keys; one JSON
// value; the schema's types. A type error is said in the user's words (the
// key and the types), not encoding/json's (Go's struct and field types).
func decodeJSONL(line string) (*jsonJob, error) {
	if err := checkKeys(line); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var r jsonJob
	if err := dec.Decode(&r); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			key, _, _ := strings.Cut(te.Field, ".")
			return nil, fmt.Errorf("%q: want %s, got %s", key, jsonTypes[key], te.Value)
		}
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value on the line")
	}
	return &r, nil
}

// jsonTypes says, for each key, what type its value must have.
var jsonTypes = map[string]string{
	"cmd": "a string", "argv": "an array of strings", "args": "an array", "env": "an object of strings",
	"dir": "a string", "retries": "a whole number", "priority": "a whole number", "stdin": "a string",
}

// setCommand sets what the job runs: "cmd" through the shell, "argv"
// directly, or neither (the template fills in "args").
func setCommand(j *job.Job, r *jsonJob, haveTemplate bool, shell string) error {
	switch {
	case r.Cmd != nil && r.Argv != nil:
		return errors.New(`both "cmd" and "argv"`)
	case r.Cmd != nil:
		if strings.TrimSpace(*r.Cmd) == "" || strings.Contains(*r.Cmd, "\x00") {
			return errors.New(`"cmd" is empty or holds a NUL byte`)
		}
		c := job.ShellCommand(shell, *r.Cmd)
		j.Cmd = &c
	case r.Argv != nil:
		if len(r.Argv) == 0 || r.Argv[0] == "" {
			return errors.New(`"argv" is empty or has an empty program name`)
		}
		for i, a := range r.Argv {
			if strings.Contains(a, "\x00") {
				return fmt.Errorf(`"argv"[%d] holds a NUL byte`, i)
			}
		}
		c := job.ArgvCommand(r.Argv)
		j.Cmd = &c
	case !haveTemplate:
		return errors.New(`no "cmd" or "argv", and no command template to fill with "args"`)
	}
	return nil
}

// setFields sets the job's other fields from the record.
func setFields(j *job.Job, r *jsonJob) error {
	for i, a := range r.Args {
		s, err := scalar(a)
		if err != nil {
			return fmt.Errorf(`"args"[%d]: %w`, i, err)
		}
		j.Args = append(j.Args, s)
	}
	j.Whole = j.Args
	if len(r.ID) > 0 {
		s, err := scalar(r.ID)
		if err != nil {
			return fmt.Errorf(`"id": %w`, err)
		}
		j.ID = s
	}
	for k, v := range r.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.Contains(v, "\x00") {
			return fmt.Errorf(`"env": bad variable %q`, k)
		}
		j.Env = append(j.Env, k+"="+v)
	}
	if strings.Contains(r.Dir, "\x00") {
		return errors.New(`"dir" holds a NUL byte`)
	}
	j.Dir = r.Dir
	if len(r.Timeout) > 0 {
		d, err := timeoutOf(r.Timeout)
		if err != nil {
			return fmt.Errorf(`"timeout": %w`, err)
		}
		j.Timeout = d
	}
	if r.Retries != nil {
		if *r.Retries < 0 {
			return fmt.Errorf(`"retries": %d is negative`, *r.Retries)
		}
		j.Retries = *r.Retries
		if j.Retries == 0 {
			j.Retries = job.RetryUntilSuccess // what --retries 0 means (GNU)
		}
	}
	if r.Priority != nil {
		j.Priority = *r.Priority
	}
	if r.Stdin != nil {
		j.Stdin, j.HasStdin = *r.Stdin, true
	}
	return nil
}

// timeoutOf parses "timeout": a duration string or a number of seconds.
func timeoutOf(raw json.RawMessage) (time.Duration, error) {
	s, err := scalar(raw)
	if err != nil {
		return 0, err
	}
	return job.ParseDuration(s)
}

// scalar returns a JSON string's value or a number's text.
func scalar(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	if _, err := strconv.ParseFloat(string(raw), 64); err == nil {
		return string(raw), nil
	}
	return "", fmt.Errorf("want a string or a number, got %s", raw)
}
