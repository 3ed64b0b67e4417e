package job

import (
	"fmt"
	"strconv"
	"strings"
)

// A Template is a parsed COMMAND: the words a user typed, with their
// replacement strings found once, so that expanding it per job is a walk over
// segments, never a re-parse (SPEC §2).
//
// The zero Template is not valid; build one with Parse. A Template is
// immutable after Parse and safe for concurrent use.
type Template struct {
	words    [][]segment // one entry per word (no-shell and direct paths)
	line     []segment   // the words joined by spaces (shell path)
	form     Form
	shell    string
	appended bool // " {}" was appended: the template had no replacement string
	// raw: a replacement string is (part of) the command's first word, so
	// values are shell code, substituted unquoted (GNU: "parallel {}").
	raw bool
	// ctx are the command's words for GNU's -X (WithContext): a word
	// holding {} is repeated once per value; nil otherwise.
	ctx [][]segment
	// src is the command as typed, joined by spaces, and sp its spelling
	// of the replacement strings: what WithContext re-reads.
	src string
	sp  *spelling
}

// Form says how a command reaches the kernel: through a shell, or exec'd
// directly. (The run's --mode is sched.Mode; output grouping is
// report.Grouping.)
type Form int

const (
	// FormShell runs the command line through the shell with -c; every
	// substituted value is shell-quoted.
	FormShell Form = iota
	// FormDirect execs the template's words as argv. Parse chooses it only
	// for templates with no shell syntax at all, where it is observably the
	// same as FormShell, and saves one shell per job.
	FormDirect
	// FormNoShell execs the words as argv because the user asked (--no-shell).
	FormNoShell
)

func (m Form) String() string {
	switch m {
	case FormShell:
		return "shell"
	case FormDirect:
		return "direct"
	case FormNoShell:
		return "no-shell"
	}
	return "Form(" + strconv.Itoa(int(m)) + ")"
}

// kind is what a replacement string stands for.
type kind uint8

const (
	kLiteral kind = iota
	kAll          // {} and {N}: input values
	kSeq          // {#}
	kSlot         // {%}
	kID           // {id}
	kTotal        // --plus {##}: the number of jobs
	kSeqPad       // --plus {0#}: {#} zero-padded to the width of {##}
	kSlotPad      // --plus {0%}: {%} zero-padded to the width of -j (col)
)

// mod is a replacement string's path modifier.
type mod uint8

const (
	modNone      mod = iota
	modNoExt         // .
	modBase          // /
	modDir           // //
	modBaseNoExt     // /.
)

type segment struct {
	kind kind
	mod  mod
	col  int     // 0 = {}; N ≥ 1 = {N}; N ≤ -1 = {-N}, counted from the end
	text string  // literal text
	plus *plusOp // a --plus string's change to each value; nil for none
}

// Parse parses the template words. With noShell the words become argv after
// substitution (--no-shell); otherwise they are joined with spaces into one
// shell command line run by shell, or exec'd directly when that is
// indistinguishable. A template with no replacement string gets " {}"
// appended, as xargs and GNU parallel do.
//
// A replacement string in the command's first word (`{}`, `{2}`, `run_{}`)
// makes the values shell code, substituted unquoted, as GNU parallel does
// so that "parallel {} ::: 'echo hi'" runs echo; such a template always
// goes through the shell.
//
// Parse accepts every input: text in braces that is not a replacement string
// stays literal (`${HOME}`, `{a,b}`, awk's `{print}`). {=perl=} is not a
// replacement string here: callers reject it first (PerlExpression).
func Parse(words []string, shell string, noShell bool) *Template {
	return ParseWith(words, shell, noShell, nil)
}

// ParseWith is Parse with other spellings of the replacement strings
// (GNU's -I and the like); nil means none.
func ParseWith(words []string, shell string, noShell bool, r *Replacements) *Template {
	ts := r.spelling()
	t := &Template{shell: shell, src: strings.Join(words, " "), sp: ts}
	found := false
	for _, w := range words {
		segs := parseSegments(w, ts)
		for _, s := range segs {
			if s.kind != kLiteral {
				found = true
			}
		}
		t.words = append(t.words, segs)
	}
	if !found && (r == nil || !r.NoAppend) {
		t.appended = true
		t.words = append(t.words, []segment{{kind: kAll}})
	}
	t.line = parseSegments(strings.Join(words, " "), ts)
	if t.appended {
		t.line = append(t.line, segment{kind: kLiteral, text: " "}, segment{kind: kAll})
	}
	if noShell {
		t.form = FormNoShell
		return t
	}
	if t.raw = inCommandWord(t.line); t.raw || blanks(ts) {
		t.form = FormShell
		return t
	}
	// The shell sees one line; exec'ing directly must see the same words,
	// so a word holding spaces ('sleep 1') splits as the shell would split
	// it. Replacement strings hold no blanks, so splitting first is safe.
	fields := shellFields(strings.Join(words, " "))
	direct := make([][]segment, len(fields))
	for i, f := range fields {
		direct[i] = parseSegments(f, ts)
	}
	if t.appended {
		direct = append(direct, []segment{{kind: kAll}})
	}
	if directSafe(direct) {
		t.form = FormDirect
		t.words = direct
	} else {
		t.form = FormShell
	}
	return t
}

// inCommandWord reports whether a replacement string comes before the first
// blank or '=' of the line: GNU's /^[^ \t\n=]*{replacement}/, under which
// it substitutes values unquoted (V={} is an assignment, not the command).
func inCommandWord(line []segment) bool {
	for _, s := range line {
		if s.kind != kLiteral {
			return true
		}
		if strings.ContainsAny(s.text, " \t\n=") {
			return false
		}
	}
	return false
}

// PerlExpression returns the first GNU perl replacement string ({=expr=},
// {=N expr=}) in the command words, if there is one. parrun embeds no
// perl, and left as text it would run as something else, so callers
// refuse it.
func PerlExpression(words []string) (string, bool) {
	line := strings.Join(words, " ")
	i := strings.Index(line, "{=")
	if i < 0 {
		return "", false
	}
	end := strings.Index(line[i+2:], "=}")
	if end < 0 {
		return "", false
	}
	return line[i : i+2+end+2], true
}

// CheckWords refuses the replacement strings parrun lacks, which left as
// text would run as something else: GNU's perl expressions ({=expr=}) and,
// under r.Plus, the --plus strings in PlusUnsupported.
func CheckWords(words []string, r *Replacements) error {
	if expr, ok := PerlExpression(words); ok {
		return fmt.Errorf("%s: perl replacement strings ({=…=}) are not supported: parrun embeds no perl", expr)
	}
	if r == nil || !r.Plus {
		return nil
	}
	line := strings.Join(words, " ")
	for _, s := range PlusUnsupported {
		if strings.Contains(line, s) {
			return fmt.Errorf("%s: GNU's --plus replacement string is not supported by parrun yet", s)
		}
	}
	return nil
}

// Form reports how the template's commands are run; it is decided once, in
// Parse, never per job.
func (t *Template) Form() Form { return t.form }

// parseSegments splits s into literal text and replacement strings,
// spelt as ts says.
func parseSegments(s string, ts *spelling) []segment {
	var segs []segment
	lit := 0 // start of pending literal text
	for i := 0; i < len(s); i++ {
		seg, n, ok := placeholderAt(s[i:], ts)
		if !ok {
			continue
		}
		if lit < i {
			segs = append(segs, segment{kind: kLiteral, text: s[lit:i]})
		}
		segs = append(segs, seg)
		i += n - 1
		lit = i + 1
	}
	if lit < len(s) {
		segs = append(segs, segment{kind: kLiteral, text: s[lit:]})
	}
	return segs
}

// placeholderAt reports whether s starts with a replacement string, and
// which, and how long it is.
func placeholderAt(s string, ts *spelling) (segment, int, bool) {
	if t, ok := matchToken(ts, s); ok {
		return t.seg, len(t.text), true
	}
	if s[0] != '{' {
		return segment{}, 0, false
	}
	end := strings.IndexByte(s[1:], '}')
	if end < 0 {
		return segment{}, 0, false
	}
	seg, ok := parsePlaceholder(s[1 : 1+end])
	if !ok && ts != nil && ts.plus {
		seg, ok = parsePlus(s[1:1+end], ts.slots)
	}
	if !ok || respelt(ts, seg) {
		return segment{}, 0, false
	}
	return seg, end + 2, true
}

// parsePlaceholder parses the inside of braces: "", ".", "/", "//", "/.",
// "#", "%", "id", or a column number followed by one of the first five; a
// negative column counts from the end ({-1} is the last).
func parsePlaceholder(in string) (segment, bool) {
	switch in {
	case "#":
		return segment{kind: kSeq}, true
	case "%":
		return segment{kind: kSlot}, true
	case "id":
		return segment{kind: kID}, true
	}
	sign := 0
	if strings.HasPrefix(in, "-") {
		sign = 1 // {-N}: the Nth value from the end
	}
	n := sign
	for n < len(in) && '0' <= in[n] && in[n] <= '9' {
		n++
	}
	col := 0
	if n > sign {
		if in[sign] == '0' || n-sign > 9 {
			return segment{}, false
		}
		col, _ = strconv.Atoi(in[:n])
	} else if sign > 0 {
		return segment{}, false
	}
	var m mod
	switch in[n:] {
	case "":
		m = modNone
	case ".":
		m = modNoExt
	case "/":
		m = modBase
	case "//":
		m = modDir
	case "/.":
		m = modBaseNoExt
	default:
		return segment{}, false
	}
	return segment{kind: kAll, col: col, mod: m}, true
}

// Values are what one job substitutes into a template.
type Values struct {
	Seq   int64    // {#}
	Slot  int      // {%}
	Total int64    // --plus {##}: the jobs in all (0: not counted)
	ID    string   // {id}
	Whole []string // {}: one value per record (several with -n)
	Args  []string // {1}, {2}, …: columns, ::: groups, -n records or JSONL args
}

// Expand returns the command for one job.
func (t *Template) Expand(v *Values) Command {
	if t.ctx != nil && t.form != FormShell {
		var argv []string
		for _, w := range t.ctx {
			eachValue(w, v, func(one *Values) { argv = expandWord(argv, w, one) })
		}
		return Command{Argv: argv}
	}
	switch t.form {
	case FormShell:
		return Command{Argv: []string{t.shell, "-c", t.ExpandLine(v)}, shell: true}
	default:
		var argv []string
		for _, w := range t.words {
			argv = expandWord(argv, w, v)
		}
		return Command{Argv: argv}
	}
}

// ExpandLine returns the shell command line for one job with every
// substituted value quoted.
func (t *Template) ExpandLine(v *Values) string {
	if t.ctx != nil {
		var words []string
		for _, w := range t.ctx {
			eachValue(w, v, func(one *Values) { words = append(words, t.expandText(w, one)) })
		}
		return strings.Join(words, " ")
	}
	return t.expandText(t.line, v)
}

// expandWord appends the argv words that one template word becomes. A
// replacement string with several values splits the word at value
// boundaries, exactly as the shell splits the quoted values: a{}b with
// values x y gives "ax" "yb". A word that is one replacement string with no
// values (an empty -n group) vanishes, as unquoted nothing does in a shell.
func expandWord(argv []string, w []segment, v *Values) []string {
	var cur strings.Builder
	open := false // cur holds a word in progress (possibly empty)
	for _, s := range w {
		if s.kind == kLiteral {
			cur.WriteString(s.text)
			open = true
			continue
		}
		for i, val := range s.values(v) {
			if i > 0 {
				argv = append(argv, cur.String())
				cur.Reset()
			}
			cur.WriteString(val)
			open = true
		}
	}
	if open {
		argv = append(argv, cur.String())
	}
	return argv
}

// values returns what a replacement string stands for in one job.
func (s segment) values(v *Values) []string {
	switch s.kind {
	case kSeq:
		return []string{strconv.FormatInt(v.Seq, 10)}
	case kSlot:
		return []string{strconv.Itoa(v.Slot)}
	case kID:
		return []string{v.ID}
	case kTotal:
		return []string{strconv.FormatInt(v.Total, 10)}
	case kSeqPad:
		return []string{padded(v.Seq, v.Total)}
	case kSlotPad:
		return []string{padded(int64(v.Slot), int64(s.col))}
	}
	var vals []string
	switch i := s.index(len(v.Args)); {
	case s.col == 0:
		vals = v.Whole
	case 0 <= i && i < len(v.Args):
		vals = v.Args[i : i+1]
	default:
		// GNU parallel substitutes nothing for a missing column.
		vals = []string{""}
	}
	if s.mod == modNone && s.plus == nil {
		return vals
	}
	out := make([]string, len(vals))
	for i, val := range vals {
		out[i] = applyMod(s.mod, val)
		if s.plus != nil {
			out[i] = s.plus.apply(out[i])
		}
	}
	return out
}

// index is the 0-based place in n values of the column of {N} or {-N}.
// {-N} counts from the end; beyond the first value it counts from the end
// once more, as GNU 20221122's perl array indexing does ({-4} of three
// columns is the third), and then it is missing.
func (s segment) index(n int) int {
	if s.col > 0 {
		return s.col - 1
	}
	i := n + s.col
	if i < 0 {
		i += n
	}
	return i
}

// applyMod applies a path modifier with GNU parallel's rules.
func applyMod(m mod, s string) string {
	switch m {
	case modNoExt:
		return noExt(s)
	case modBase:
		return base(s)
	case modDir:
		return dir(s)
	case modBaseNoExt:
		return noExt(base(s))
	}
	return s
}

// noExt removes the last extension: GNU parallel's s:\.[^/.]+$:: (a
// trailing dot is no extension).
func noExt(s string) string {
	i := strings.LastIndexAny(s, "./")
	if i < 0 || s[i] != '.' || i == len(s)-1 {
		return s
	}
	return s[:i]
}

// base removes everything up to the last slash: GNU parallel's s:^.*/::.
func base(s string) string {
	return s[strings.LastIndexByte(s, '/')+1:]
}

// dir is Perl's File::Basename dirname, which GNU parallel uses for {//}:
// "a/b" → "a", "b" → ".", "/b" → "/", "a/b/" → "a".
func dir(s string) string {
	t := strings.TrimRight(s, "/")
	if t == "" {
		if s == "" {
			return "."
		}
		return "/"
	}
	i := strings.LastIndexByte(t, '/')
	if i < 0 {
		return "."
	}
	d := strings.TrimRight(t[:i], "/")
	if d == "" {
		return "/"
	}
	return d
}

// Command is one expanded job command.
type Command struct {
	// Argv is what is exec'd: the program (looked up in PATH when it has no
	// slash) and its arguments.
	Argv  []string
	shell bool
}

// String returns the command as a shell would receive it: the -c line for a
// shell command, otherwise argv quoted. Piping it to sh has the job's effect.
func (c Command) String() string {
	if c.shell {
		return c.Argv[2]
	}
	return QuoteArgs(c.Argv)
}

// ShellCommand returns the command that runs line through shell, or directly
// when line has no shell syntax (the same decision Parse makes for a
// template). It serves input records that are whole command lines.
func ShellCommand(shell, line string) Command {
	words := shellFields(line)
	if len(words) > 0 {
		segs := make([][]segment, len(words))
		for i, w := range words {
			segs[i] = []segment{{kind: kLiteral, text: w}}
		}
		if directSafe(segs) {
			return Command{Argv: words}
		}
	}
	return Command{Argv: []string{shell, "-c", line}, shell: true}
}

// ArgvCommand returns the command that execs argv as given.
func ArgvCommand(argv []string) Command { return Command{Argv: argv} }

// shellFields splits s into words the way the shell does for text without
// quotes or expansions: at spaces and tabs only. (strings.Fields would also
// split at \r, \f or U+00A0, which the shell keeps inside a word; such bytes
// then fail isPlain and the line goes to the shell.)
func shellFields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' })
}

// directSafe reports whether words, run by a shell with their substituted
// values quoted, do exactly what exec'ing them does: no quoting, expansion,
// redirection, globbing, assignment or builtin anywhere in the literal text,
// and a literal program name.
func directSafe(words [][]segment) bool {
	if len(words) == 0 || len(words[0]) != 1 || words[0][0].kind != kLiteral {
		return false
	}
	prog := words[0][0].text
	if strings.ContainsRune(prog, '=') || shellBuiltins[prog] {
		return false
	}
	for _, w := range words {
		for _, s := range w {
			if s.kind == kLiteral && !isPlain(s.text) {
				return false
			}
		}
	}
	return true
}

// isPlain reports whether literal template text is free of shell syntax.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '_', c == '-', c == '.', c == '/', c == ',', c == ':', c == '@', c == '+', c == '%', c == '=':
		case c == ' ', c == '\t':
		default:
			return false
		}
	}
	return true
}

// shellBuiltins are names a shell runs itself (dash's and bash's builtins
// and keywords), where exec'ing a program of the same name could differ:
// dash's echo interprets backslashes, /bin/echo does not. true and false are
// left out: their programs behave exactly like the builtins.
var shellBuiltins = map[string]bool{
	".": true, ":": true, "[": true, "[[": true, "alias": true, "bg": true, "bind": true,
	"break": true, "builtin": true, "caller": true, "case": true, "cd": true, "chdir": true,
	"command": true, "compgen": true, "complete": true, "continue": true, "declare": true,
	"dirs": true, "disown": true, "do": true, "done": true, "echo": true, "elif": true,
	"else": true, "enable": true, "esac": true, "eval": true, "exec": true, "exit": true,
	"export": true, "fc": true, "fg": true, "fi": true, "for": true, "function": true,
	"getopts": true, "hash": true, "help": true, "history": true, "if": true, "in": true,
	"jobs": true, "kill": true, "let": true, "local": true, "logout": true, "mapfile": true,
	"popd": true, "printf": true, "pushd": true, "pwd": true, "read": true, "readarray": true,
	"readonly": true, "return": true, "select": true, "set": true, "shift": true,
	"shopt": true, "source": true, "suspend": true, "test": true, "then": true, "time": true,
	"times": true, "trap": true, "type": true, "typeset": true, "ulimit": true, "umask": true,
	"unalias": true, "unset": true, "until": true, "wait": true, "while": true, "!": true,
	"{": true, "}": true,
}
