package report

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/parrun/parrun/internal/job"
)

// Results is where --results SPEC saves each job, in GNU parallel's forms
// (SPEC §4):
//
//	DIR          DIR/1/<value>/stdout, stderr, seq (a level per value)
//	'out_{}/'    a template ending in /: that directory, the same files
//	'out_{}'     any other template: FILE, FILE.err, FILE.seq
//	x.csv x.tsv  one row per job; x.json one JSON object per line;
//	             -.csv -.tsv -.json the same on stdout
//
// beside which parrun writes its result.json (FILE.result.json). As in GNU
// parallel 20221122, the jobs' output then goes to the results only, not
// to stdout. Build it with OpenResults; Close it after the run.
type Results struct {
	spec  string
	kind  resultsKind
	tmpl  job.Pattern
	table *table // the csv, tsv and json forms
	// columns are --header's names of the columns, in order; a column
	// without one is named by its number.
	columns []string
}

type resultsKind int

const (
	resultsDir      resultsKind = iota // DIR/1/<value>/…
	resultsTmplDir                     // the expanded template is the directory
	resultsTmplFile                    // the expanded template names the files
	resultsTable                       // one row per job in one file
)

// OpenResults parses --results SPEC and makes ready what it names before
// any job starts, so that a run never starts jobs whose results it cannot
// keep (issue 18 item 10): DIR is made and written to once, a table file
// is created (stdout is used for "-.csv" and the like). columns are
// --header's names, nil without it; r spells the replacement strings.
func OpenResults(spec string, columns []string, r *job.Replacements, stdout io.Writer) (*Results, error) {
	rs := &Results{spec: spec, tmpl: job.ParsePatternWith(spec, r), columns: columns}
	if t, err := openTable(spec, columns, stdout); t != nil || err != nil {
		rs.kind, rs.table = resultsTable, t
		return rs, err
	}
	switch {
	case !rs.tmpl.Literal() && strings.HasSuffix(spec, "/"):
		rs.kind = resultsTmplDir
	case !rs.tmpl.Literal():
		rs.kind = resultsTmplFile
	default:
		rs.kind = resultsDir
		if err := checkDir(spec); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// Close closes the table file, if there is one.
func (rs *Results) Close() error {
	if rs == nil || rs.table == nil {
		return nil
	}
	return rs.table.close()
}

// onStdout reports whether the results are written to stdout (-.csv …).
func (rs *Results) onStdout() bool { return rs.table != nil && rs.table.f == nil }

// checkDir makes DIR if missing and checks that a file can be created in it.
func checkDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--results %s: %w", dir, msgOf(err))
	}
	f, err := os.CreateTemp(dir, ".parrun-check-*")
	if err != nil {
		return fmt.Errorf("--results %s: cannot write in it: %w", dir, msgOf(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// msgOf strips a *PathError to its errno when the path is named already.
func msgOf(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// resultPaths are the files of one job's results.
type resultPaths struct {
	dir, stdout, stderr, seq, record string
}

// paths returns where the job in slot saves its results; nil for the
// table forms, which keep no files per job.
func (rs *Results) paths(j *job.Job, slot int) *resultPaths {
	var dir string
	switch rs.kind {
	case resultsTable:
		return nil
	case resultsTmplFile:
		out := rs.tmpl.Expand(j, slot)
		return &resultPaths{dir: filepath.Dir(out), stdout: out, stderr: out + ".err", seq: out + ".seq", record: out + ".result.json"}
	case resultsTmplDir:
		dir = filepath.Clean(rs.tmpl.Expand(j, slot))
	default:
		dir = filepath.Join(rs.spec, argsDir(j, rs.columns))
	}
	return &resultPaths{dir: dir, stdout: filepath.Join(dir, "stdout"), stderr: filepath.Join(dir, "stderr"),
		seq: filepath.Join(dir, "seq"), record: filepath.Join(dir, "result.json")}
}

// argsDir is GNU parallel's args_as_dirname: for each record of the job,
// each value's column name (its number, or --header's name for it) and
// the value as a name, so that ::: a ::: x saves under 1/a/2/x. As in
// GNU, the columns go in the order of their names, numbers first. A job
// with no values (JSONL without "args") saves under seq/<seq>.
func argsDir(j *job.Job, columns []string) string {
	if len(j.Args) == 0 {
		return filepath.Join("seq", strconv.FormatInt(j.Seq, 10))
	}
	counts := j.RecordArgs
	if counts == nil {
		counts = []int{len(j.Args)}
	}
	parts := make([]string, 0, 2*len(j.Args))
	k := 0
	for _, n := range counts {
		n = min(n, len(j.Args)-k)
		for _, c := range columnOrder(n, columns) {
			parts = append(parts, columnName(c, columns), dirName(j.Args[k+c]))
		}
		k += n
	}
	return filepath.Join(parts...)
}

// columnName is the name of column c (from 0) in --results.
func columnName(c int, columns []string) string {
	if c < len(columns) {
		return columns[c]
	}
	return strconv.Itoa(c + 1)
}

// columnOrder is the n columns of a record (from 0) in the order GNU's
// header_indexes_sorted gives: by the number each name starts with, as
// perl compares them, then by the names' bytes.
func columnOrder(n int, columns []string) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		x, y := columnName(a, columns), columnName(b, columns)
		return cmp.Or(cmp.Compare(perlNumber(x), perlNumber(y)), strings.Compare(x, y))
	})
	return order
}

// perlNumber is the number perl reads from the start of s (0 for none).
func perlNumber(s string) float64 {
	m := leadingNumber.FindString(s)
	f, _ := strconv.ParseFloat(strings.TrimSpace(m), 64)
	return f
}

var leadingNumber = regexp.MustCompile(`^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?`)

// maxName is the longest file name most file systems take (ext4, xfs).
const maxName = 255

// dirName is a value as one directory name, GNU's way: \ is \\, a TAB
// \t, NUL \0 and / \_, cut to maxName bytes. "." and ".." would name a
// directory that is not the value's own (GNU writes into the parent):
// they become \. and \.\. .
func dirName(v string) string {
	switch v {
	case ".":
		return `\.`
	case "..":
		return `\.\.`
	}
	v = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\x00", `\0`, "/", `\_`).Replace(v)
	if len(v) > maxName {
		v = v[:maxName]
	}
	return v
}

// saveResults writes the job's result.json when it has finished: to a
// temporary name first, then renamed, so that a crash never leaves a
// result.json for a job that did not finish (issue 5).
func (r *Report) saveResults(d *job.Done) error {
	o := outputOf(d)
	p := o.paths
	if p == nil {
		return nil
	}
	for _, f := range o.files {
		if f == nil {
			continue
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("--results: writing %s: %w", f.Name(), err)
		}
	}
	data, err := json.MarshalIndent(NewRecord(d), "", "  ")
	if err != nil {
		return err
	}
	tmp := p.record + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("--results: writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, p.record); err != nil {
		return fmt.Errorf("--results: %w", err)
	}
	return nil
}
