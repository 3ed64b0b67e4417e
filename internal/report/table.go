package report

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/parrun/parrun/internal/job"
)

// A table is --results x.csv, x.tsv or x.json: GNU parallel's one row (or
// JSON object) per finished job, with the job's whole output in it, written
// as the job is reported.
type table struct {
	w      io.Writer
	f      *os.File // the file behind w, which close closes; nil on stdout
	name   string
	sep    byte // ',' or '\t'; 0 for JSON
	header bool // the CSV header is written
	// columns name the values' columns (--header); nil: V1, V2, ….
	columns []string
}

// openTable opens the table SPEC names, or returns nil, nil when SPEC is
// no table (no .csv, .tsv or .json ending, in any case, as GNU's test).
func openTable(spec string, columns []string, stdout io.Writer) (*table, error) {
	t := &table{name: spec, columns: columns}
	switch lower := strings.ToLower(spec); {
	case strings.HasSuffix(lower, ".csv"):
		t.sep = ','
	case strings.HasSuffix(lower, ".tsv"):
		t.sep = '\t'
	case strings.HasSuffix(lower, ".json"):
	default:
		return nil, nil
	}
	if lower := strings.ToLower(spec); lower == "-.csv" || lower == "-.tsv" || lower == "-.json" {
		t.w, t.name = stdout, "standard output"
		return t, nil
	}
	f, err := os.Create(spec)
	if err != nil {
		return nil, fmt.Errorf("--results %s: %w", spec, msgOf(err))
	}
	t.w, t.f = f, f
	return t, nil
}

func (t *table) close() error {
	if t.f == nil {
		return nil
	}
	if err := t.f.Close(); err != nil {
		return fmt.Errorf("--results: closing %s: %w", t.name, err)
	}
	return nil
}

// row writes the job's row: GNU's joblog columns, the values, then the
// whole stdout and stderr.
func (t *table) row(d *job.Done, stdout, stderr []byte) error {
	var b bytes.Buffer
	if t.sep == 0 {
		t.jsonRow(&b, d, stdout, stderr)
	} else {
		t.csvRow(&b, d, stdout, stderr)
	}
	if _, err := t.w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("--results: writing %s: %w", t.name, err)
	}
	return nil
}

// tableFields are the joblog-like columns of a row, as GNU formats them.
func tableFields(d *job.Done, received int) []string {
	res := d.Result
	host := d.Host
	if host == "" {
		host = ":"
	}
	return []string{strconv.FormatInt(d.Job.Seq, 10), host,
		fmt.Sprintf("%.3f", float64(res.Start.UnixMilli())/1000), fmt.Sprintf("%.3f", res.Duration.Seconds()),
		strconv.FormatInt(d.Sent, 10), strconv.Itoa(received), strconv.Itoa(exitval(d, false)), strconv.Itoa(int(res.Signal)), d.Command.String()}
}

func (t *table) csvRow(b *bytes.Buffer, d *job.Done, stdout, stderr []byte) {
	if !t.header {
		t.header = true
		head := []string{"Seq", "Host", "Starttime", "JobRuntime", "Send", "Receive", "Exitval", "Signal", "Command"}
		for i := range d.Job.Args {
			switch {
			case t.columns == nil:
				head = append(head, "V"+strconv.Itoa(i+1))
			case i < len(t.columns):
				head = append(head, t.columns[i])
			default:
				head = append(head, "") // as GNU: a column --header did not name
			}
		}
		t.csvLine(b, append(head, "Stdout", "Stderr"))
	}
	fields := append(tableFields(d, len(stdout)), d.Job.Args...)
	t.csvLine(b, append(fields, string(stdout), string(stderr)))
}

// csvLine writes fields as GNU's combine_ref does: a field holding the
// separator, a quote, white space or NUL is quoted, its quotes doubled.
func (t *table) csvLine(b *bytes.Buffer, fields []string) {
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(t.sep)
		}
		if !strings.ContainsAny(f, "\" \t\n\r\f\v\x00"+string(t.sep)) {
			b.WriteString(f)
			continue
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(f, `"`, `""`))
		b.WriteByte('"')
	}
	b.WriteByte('\n')
}

func (t *table) jsonRow(b *bytes.Buffer, d *job.Done, stdout, stderr []byte) {
	f := tableFields(d, len(stdout))
	vals := make([]string, len(d.Job.Args))
	for i, a := range d.Job.Args {
		vals[i] = `"` + jsonQuote(a) + `"`
	}
	fmt.Fprintf(b, `{ "Seq": %s, "Host": "%s", "Starttime": %s, "JobRuntime": %s, "Send": %s, "Receive": %s, "Exitval": %s, "Signal": %s, "Command": "%s", "V": [ %s ], "Stdout": "%s", "Stderr": "%s" }`+"\n",
		f[0], jsonQuote(f[1]), f[2], f[3], f[4], f[5], f[6], f[7], jsonQuote(f[8]), strings.Join(vals, ","),
		jsonQuote(string(stdout)), jsonQuote(string(stderr)))
}

// jsonQuote escapes s for a JSON string as GNU's jsonquote does: \ and ",
// and every control byte as \u00XX; other bytes pass as they are.
func jsonQuote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
