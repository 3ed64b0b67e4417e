package job

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// expandArgv parses words with --no-shell and expands them, so that the
// substituted values are seen raw, without quoting.
func expandArgv(words []string, v *Values) []string {
	return Parse(words, "/bin/sh", true).Expand(v).Argv
}

func TestPathModifiers(t *testing.T) {
	// Each row is one input value and what {} {.} {/} {//} {/.} give for it,
	// by GNU parallel's rules as its man page defines them under --rpl:
	//   {.}  s:\.[^/.]+$::           (the last extension of the basename only;
	//                                 a trailing dot is no extension)
	//   {/}  s:.*/::
	//   {//} File::Basename::dirname
	//   {/.} s:.*/::; s:\.[^/.]+$::;
	tests := []struct {
		in                          string
		noExt, base, dir, baseNoExt string
	}{
		{"foo.jpg", "foo", "foo.jpg", ".", "foo"},
		{"subdir/foo.jpg", "subdir/foo", "foo.jpg", "subdir", "foo"},
		{"sub.dir/foo.jpg", "sub.dir/foo", "foo.jpg", "sub.dir", "foo"},
		{"sub.dir/bar", "sub.dir/bar", "bar", "sub.dir", "bar"},
		{"a.tar.gz", "a.tar", "a.tar.gz", ".", "a.tar"},
		{"/a/b.c", "/a/b", "b.c", "/a", "b"},
		{"/a/b/c.d.e", "/a/b/c.d", "c.d.e", "/a/b", "c.d"},
		{"/b", "/b", "b", "/", "b"},
		{"/", "/", "", "/", ""},
		{"//", "//", "", "/", ""},
		{"", "", "", ".", ""},
		{"noext", "noext", "noext", ".", "noext"},
		{".bashrc", "", ".bashrc", ".", ""},
		{"dir/.hidden", "dir/", ".hidden", "dir", ""},
		{"foo.", "foo.", "foo.", ".", "foo."},
		{"a/b.", "a/b.", "b.", "a", "b."},
		{"..", "..", "..", ".", ".."},
		{".", ".", ".", ".", "."},
		{"a.b.", "a.b.", "a.b.", ".", "a.b."},
		{"a/b/", "a/b/", "", "a", ""},
		{"a/b.c/", "a/b.c/", "", "a", ""},
		{"a/", "a/", "", ".", ""},
		{"a//b", "a//b", "b", "a", "b"},
		{"//b", "//b", "b", "/", "b"},
		{"a/b//", "a/b//", "", "a", ""},
		{"a b/c d.e f", "a b/c d", "c d.e f", "a b", "c d"},
		{"x.y/z", "x.y/z", "z", "x.y", "z"},
	}
	words := []string{"cmd", "{}", "{.}", "{/}", "{//}", "{/.}"}
	for _, tt := range tests {
		v := &Values{Whole: []string{tt.in}, Args: []string{tt.in}}
		got := expandArgv(words, v)
		want := []string{"cmd", tt.in, tt.noExt, tt.base, tt.dir, tt.baseNoExt}
		if !slices.Equal(got, want) {
			t.Errorf("%q: {} {.} {/} {//} {/.} = %q; want %q", tt.in, got[1:], want[1:])
		}
		// The column forms apply the same rules to column 1.
		got = expandArgv([]string{"cmd", "{1}", "{1.}", "{1/}", "{1//}", "{1/.}"}, v)
		if !slices.Equal(got, want) {
			t.Errorf("%q: {1} {1.} {1/} {1//} {1/.} = %q; want %q", tt.in, got[1:], want[1:])
		}
	}
}

func TestReplacementStrings(t *testing.T) {
	v := &Values{
		Seq:   42,
		Slot:  3,
		ID:    "job-7",
		Whole: []string{"d/r.txt"},
		Args:  []string{"a/b.c", "x/y.z", "p.q"},
	}
	tests := []struct {
		words []string
		want  []string
	}{
		{[]string{"cmd", "{}"}, []string{"cmd", "d/r.txt"}},
		{[]string{"cmd", "{#}"}, []string{"cmd", "42"}},
		{[]string{"cmd", "{%}"}, []string{"cmd", "3"}},
		{[]string{"cmd", "{id}"}, []string{"cmd", "job-7"}},
		{[]string{"cmd", "{1}", "{2}", "{3}"}, []string{"cmd", "a/b.c", "x/y.z", "p.q"}},
		{[]string{"cmd", "{2.}"}, []string{"cmd", "x/y"}},
		{[]string{"cmd", "{2/}"}, []string{"cmd", "y.z"}},
		{[]string{"cmd", "{2//}"}, []string{"cmd", "x"}},
		{[]string{"cmd", "{2/.}"}, []string{"cmd", "y"}},
		{[]string{"cmd", "{3.}"}, []string{"cmd", "p"}},
		// {-N} counts from the end, as in GNU parallel, modifiers included.
		{[]string{"cmd", "{-1}", "{-2}", "{-3}"}, []string{"cmd", "p.q", "x/y.z", "a/b.c"}},
		{[]string{"cmd", "{-2.}", "{-2/}", "{-2//}", "{-2/.}"}, []string{"cmd", "x/y", "y.z", "x", "y"}},
		// Beyond the first it counts from the end once more (GNU's perl
		// indexing), then it is missing.
		{[]string{"cmd", "{-4}", "{-5}", "{-6}", "{-7}", "{-9.}"}, []string{"cmd", "p.q", "x/y.z", "a/b.c", "", ""}},
		// A missing column is empty, as in GNU parallel, modifiers included.
		{[]string{"cmd", "{4}"}, []string{"cmd", ""}},
		{[]string{"cmd", "<{4}>"}, []string{"cmd", "<>"}},
		{[]string{"cmd", "{9.}", "{9/}", "{9/.}"}, []string{"cmd", "", "", ""}},
		{[]string{"cmd", "{123456789}"}, []string{"cmd", ""}},
		// Several in one word, and around literal text.
		{[]string{"cmd", "{#}-{%}-{id}"}, []string{"cmd", "42-3-job-7"}},
		{[]string{"cmd", "pre{1/.}post"}, []string{"cmd", "prebpost"}},
		{[]string{"cmd", "{1}{2}"}, []string{"cmd", "a/b.cx/y.z"}},
		{[]string{"cmd", "{{}}"}, []string{"cmd", "{d/r.txt}"}},
		{[]string{"cmd", "{{#}}"}, []string{"cmd", "{42}"}},
		// A replacement string may be the program.
		{[]string{"{1//}/run", "{}"}, []string{"a/run", "d/r.txt"}},
	}
	for _, tt := range tests {
		if got := expandArgv(tt.words, v); !slices.Equal(got, tt.want) {
			t.Errorf("Parse(%q) expanded = %q; want %q", tt.words, got, tt.want)
		}
	}
}

// TestNotReplacementStrings checks that brace text which is no replacement
// string stays literal, and (having no replacement string) gets {} appended.
func TestNotReplacementStrings(t *testing.T) {
	for _, w := range []string{
		"${HOME}", "{a,b}", "{print $1}", "{print}", "{0}", "{01}", "{00}", "{1x}",
		"{ }", "{", "}", "}{", "{-0}", "{-}", "{--1}", "{-01}", "{+1}", "{1234567890}", "{ID}", "{#1}",
		"{%%}", "{..}", "{///}", "{./}", "{1./}", "{1 }", "{ 1}", "{\n}", "{{",
	} {
		v := &Values{Seq: 1, Slot: 1, ID: "1", Whole: []string{"V"}, Args: []string{"V"}}
		got := expandArgv([]string{"cmd", w}, v)
		want := []string{"cmd", w, "V"}
		if !slices.Equal(got, want) {
			t.Errorf("Parse([cmd %q]) expanded = %q; want %q", w, got, want)
		}
	}
}

// TestAppend checks that ` {}` is appended exactly when the template has no
// replacement string, in all three modes.
func TestAppend(t *testing.T) {
	v := &Values{Seq: 5, Slot: 2, ID: "5", Whole: []string{"a b"}, Args: []string{"a b"}}
	tests := []struct {
		words    []string
		wantLine string // shell mode
		wantArgv []string
	}{
		{[]string{"wc"}, "wc 'a b'", []string{"wc", "a b"}},
		{[]string{"wc", "-l"}, "wc -l 'a b'", []string{"wc", "-l", "a b"}},
		{[]string{"echo", "${HOME}"}, "echo ${HOME} 'a b'", []string{"echo", "${HOME}", "a b"}},
		{[]string{"wc", "{}"}, "wc 'a b'", []string{"wc", "a b"}},
		{[]string{"wc", "{.}"}, "wc 'a b'", []string{"wc", "a b"}},
		{[]string{"wc", "{1}"}, "wc 'a b'", []string{"wc", "a b"}},
		// {#}, {%} and {id} are replacement strings too: nothing is appended.
		{[]string{"echo", "{#}"}, "echo 5", []string{"echo", "5"}},
		{[]string{"echo", "{%}"}, "echo 2", []string{"echo", "2"}},
		{[]string{"echo", "{id}"}, "echo 5", []string{"echo", "5"}},
	}
	for _, tt := range tests {
		tmpl := Parse(tt.words, "/bin/sh", false)
		if got := tmpl.ExpandLine(v); got != tt.wantLine {
			t.Errorf("Parse(%q).ExpandLine = %q; want %q", tt.words, got, tt.wantLine)
		}
		if got := expandArgv(tt.words, v); !slices.Equal(got, tt.wantArgv) {
			t.Errorf("Parse(%q, no-shell) argv = %q; want %q", tt.words, got, tt.wantArgv)
		}
	}
}

func TestForm(t *testing.T) {
	tests := []struct {
		words []string
		want  Form
	}{
		{[]string{"wc", "-l", "{}"}, FormDirect},
		{[]string{"wc", "-l"}, FormDirect},
		{[]string{"sleep 1"}, FormDirect},
		{[]string{"  sleep\t1  "}, FormDirect},
		{[]string{"/bin/echo", "{}"}, FormDirect},
		{[]string{"./run.sh", "{1}", "{2}"}, FormDirect},
		{[]string{"true"}, FormDirect},
		{[]string{"false"}, FormDirect},
		{[]string{"env", "FOO=bar", "cmd", "{}"}, FormDirect},
		{[]string{"dd", "if={}", "of={.}.out"}, FormDirect},
		{[]string{"cmd", "a{}b", "--x={#}", "{%}", "{id}"}, FormDirect},
		{[]string{"cmd", "-a,b:c@d+e%f"}, FormDirect},
		// Shell builtins and keywords run in the shell.
		{[]string{"echo", "{}"}, FormShell},
		{[]string{"echo {}"}, FormShell},
		{[]string{"cd", "{}"}, FormShell},
		{[]string{"printf", "%s", "{}"}, FormShell},
		{[]string{"test", "-f", "{}"}, FormShell},
		{[]string{"[", "-f", "{}", "]"}, FormShell},
		{[]string{"exec", "cmd"}, FormShell},
		{[]string{"time", "cmd"}, FormShell},
		{[]string{"kill", "{}"}, FormShell},
		{[]string{"pwd"}, FormShell},
		{[]string{"read", "x"}, FormShell},
		{[]string{"exit", "{}"}, FormShell},
		{[]string{"export", "A={}"}, FormShell},
		{[]string{".", "{}"}, FormShell},
		{[]string{":"}, FormShell},
		{[]string{"!", "cmd"}, FormShell},
		{[]string{"if", "cmd;", "then", "x;", "fi"}, FormShell},
		// Shell syntax anywhere.
		{[]string{"cmd", "{}", ">", "out"}, FormShell},
		{[]string{"cmd", "<", "{}"}, FormShell},
		{[]string{"cmd", "{}", "|", "wc"}, FormShell},
		{[]string{"cmd", "{};", "other"}, FormShell},
		{[]string{"cmd", "{}", "&&", "other"}, FormShell},
		{[]string{"cmd", "{}", "&"}, FormShell},
		{[]string{"cmd", "$HOME"}, FormShell},
		{[]string{"cmd", "$(id)"}, FormShell},
		{[]string{"cmd", "`id`"}, FormShell},
		{[]string{"cmd", "'q'"}, FormShell},
		{[]string{"cmd", `"q"`}, FormShell},
		{[]string{"cmd", `a\b`}, FormShell},
		{[]string{"cmd", "*.go"}, FormShell},
		{[]string{"cmd", "a?"}, FormShell},
		{[]string{"cmd", "[ab]"}, FormShell},
		{[]string{"cmd", "~/x"}, FormShell},
		{[]string{"cmd", "#", "comment"}, FormShell},
		{[]string{"cmd", "{a,b}"}, FormShell},
		{[]string{"cmd", "(x)"}, FormShell},
		{[]string{"cmd", "!"}, FormShell},
		{[]string{"cmd\nother"}, FormShell},
		{[]string{"cmd", "a\rb"}, FormShell},
		{[]string{"cmd", "é"}, FormShell},
		// Only blanks separate words for the shell: a Unicode space inside a
		// word must not split it (or the template must go to the shell).
		{[]string{"cmd", "a\u00a0b"}, FormShell},
		{[]string{"cmd", "a\u0085b"}, FormShell},
		{[]string{"cmd", "a\u3000b"}, FormShell},
		// An assignment, or a program that is not literal, needs the shell.
		{[]string{"FOO=bar", "cmd"}, FormShell},
		{[]string{"FOO={}", "cmd"}, FormShell},
		{[]string{"{}"}, FormShell},
		{[]string{"{}", "arg"}, FormShell},
		{[]string{"{1//}/run", "{}"}, FormShell},
		{[]string{"run{#}"}, FormShell},
		{nil, FormShell},
		{[]string{""}, FormShell},
		{[]string{" "}, FormShell},
	}
	for _, tt := range tests {
		if got := Parse(tt.words, "/bin/sh", false).Form(); got != tt.want {
			t.Errorf("Parse(%q).Form() = %v; want %v", tt.words, got, tt.want)
		}
		// --no-shell wins whatever the template holds.
		if got := Parse(tt.words, "/bin/sh", true).Form(); got != FormNoShell {
			t.Errorf("Parse(%q, no-shell).Form() = %v; want %v", tt.words, got, FormNoShell)
		}
	}
}

func TestFormString(t *testing.T) {
	tests := []struct {
		m    Form
		want string
	}{
		{FormShell, "shell"},
		{FormDirect, "direct"},
		{FormNoShell, "no-shell"},
		{Form(9), "Form(9)"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("Form(%d).String() = %q; want %q", int(tt.m), got, tt.want)
		}
	}
}

// TestExpand checks the command each mode builds, and its String form.
func TestExpand(t *testing.T) {
	one := &Values{Seq: 1, Slot: 1, ID: "1", Whole: []string{"x y"}, Args: []string{"x y"}}
	two := &Values{Seq: 1, Slot: 1, ID: "1", Whole: []string{"a", "b c"}, Args: []string{"a", "b c"}}
	none := &Values{Seq: 1, Slot: 1, ID: "1"}
	tests := []struct {
		name     string
		words    []string
		noShell  bool
		v        *Values
		wantForm Form
		wantArgv []string
		wantStr  string // Command.String()
		wantLine string // ExpandLine(), when it differs from wantStr
	}{
		{
			name: "direct", words: []string{"wc", "-l", "{}"}, v: one, wantForm: FormDirect,
			wantArgv: []string{"wc", "-l", "x y"}, wantStr: "wc -l 'x y'",
		},
		{
			name: "direct word split", words: []string{"sleep 1"}, v: one, wantForm: FormDirect,
			wantArgv: []string{"sleep", "1", "x y"}, wantStr: "sleep 1 'x y'",
		},
		{
			name: "no-shell keeps words", words: []string{"sleep 1"}, noShell: true, v: one, wantForm: FormNoShell,
			wantArgv: []string{"sleep 1", "x y"}, wantStr: "'sleep 1' 'x y'",
		},
		{
			name: "no-shell keeps shell syntax literal", words: []string{"echo", "$HOME;", "{}"}, noShell: true, v: one,
			wantForm: FormNoShell, wantArgv: []string{"echo", "$HOME;", "x y"}, wantStr: "echo '$HOME;' 'x y'",
		},
		{
			// SPEC §9: the words are joined with spaces; only values are quoted.
			name: "shell joins words", words: []string{"echo a;", "echo", "{}"}, v: one, wantForm: FormShell,
			wantArgv: []string{"/bin/sh", "-c", "echo a; echo 'x y'"}, wantStr: "echo a; echo 'x y'",
		},
		{
			name: "shell quotes injection", words: []string{"echo", "{}"},
			v:        &Values{Whole: []string{"a; rm -rf ~"}},
			wantForm: FormShell, wantArgv: []string{"/bin/sh", "-c", "echo 'a; rm -rf ~'"}, wantStr: "echo 'a; rm -rf ~'",
		},
		{
			name: "shell multi-value", words: []string{"echo", "{}"}, v: two, wantForm: FormShell,
			wantArgv: []string{"/bin/sh", "-c", "echo a 'b c'"}, wantStr: "echo a 'b c'",
		},
		{
			name: "shell multi-value in a word", words: []string{"echo", "<{}>"}, v: two, wantForm: FormShell,
			wantArgv: []string{"/bin/sh", "-c", "echo <a 'b c'>"}, wantStr: "echo <a 'b c'>",
		},
		{
			name: "direct multi-value", words: []string{"cmd", "{}"}, v: two, wantForm: FormDirect,
			wantArgv: []string{"cmd", "a", "b c"}, wantStr: "cmd a 'b c'",
		},
		{
			name: "direct multi-value splits the word", words: []string{"cmd", "x{}y"}, v: two, wantForm: FormDirect,
			wantArgv: []string{"cmd", "xa", "b cy"}, wantStr: "cmd xa 'b cy'", wantLine: "cmd xa 'b c'y",
		},
		{
			name: "direct multi-value twice in a word", words: []string{"cmd", "{}={}"}, v: two, wantForm: FormDirect,
			wantArgv: []string{"cmd", "a", "b c=a", "b c"}, wantStr: "cmd a 'b c=a' 'b c'", wantLine: "cmd a 'b c'=a 'b c'",
		},
		{
			name: "direct multi-value with modifier", words: []string{"cmd", "{.}"},
			v: &Values{Whole: []string{"a.x", "d/b.y"}}, wantForm: FormDirect,
			wantArgv: []string{"cmd", "a", "d/b"}, wantStr: "cmd a d/b",
		},
		{
			name: "no-shell multi-value", words: []string{"cmd", "x{}y"}, noShell: true, v: two, wantForm: FormNoShell,
			wantArgv: []string{"cmd", "xa", "b cy"}, wantStr: "cmd xa 'b cy'",
		},
		{
			name: "no-shell appended multi-value", words: []string{"cmd"}, noShell: true, v: two, wantForm: FormNoShell,
			wantArgv: []string{"cmd", "a", "b c"}, wantStr: "cmd a 'b c'",
		},
		{
			name: "direct no values: the word vanishes", words: []string{"cmd", "{}", "z"}, v: none, wantForm: FormDirect,
			wantArgv: []string{"cmd", "z"}, wantStr: "cmd z", wantLine: "cmd  z",
		},
		{
			name: "direct no values in a word", words: []string{"cmd", "a{}b"}, v: none, wantForm: FormDirect,
			wantArgv: []string{"cmd", "ab"}, wantStr: "cmd ab",
		},
		{
			name: "direct empty value stays a word", words: []string{"cmd", "{}", "z"},
			v: &Values{Whole: []string{""}}, wantForm: FormDirect,
			wantArgv: []string{"cmd", "", "z"}, wantStr: "cmd '' z",
		},
		{
			name: "shell empty value", words: []string{"echo", "{}"},
			v: &Values{Whole: []string{""}}, wantForm: FormShell,
			wantArgv: []string{"/bin/sh", "-c", "echo ''"}, wantStr: "echo ''",
		},
		{
			name: "shell missing column", words: []string{"echo", "{2}"}, v: one, wantForm: FormShell,
			wantArgv: []string{"/bin/sh", "-c", "echo ''"}, wantStr: "echo ''",
		},
		{
			name: "shell seq slot id", words: []string{"echo", "{#}", "{%}", "{id}"},
			v: &Values{Seq: 12, Slot: 4, ID: "my id"}, wantForm: FormShell,
			wantArgv: []string{"/bin/sh", "-c", "echo 12 4 'my id'"}, wantStr: "echo 12 4 'my id'",
		},
	}
	for _, tt := range tests {
		tmpl := Parse(tt.words, "/bin/sh", tt.noShell)
		if got := tmpl.Form(); got != tt.wantForm {
			t.Errorf("%s: Form() = %v; want %v", tt.name, got, tt.wantForm)
		}
		c := tmpl.Expand(tt.v)
		if !slices.Equal(c.Argv, tt.wantArgv) {
			t.Errorf("%s: Expand().Argv = %q; want %q", tt.name, c.Argv, tt.wantArgv)
		}
		if got := c.String(); got != tt.wantStr {
			t.Errorf("%s: Expand().String() = %q; want %q", tt.name, got, tt.wantStr)
		}
		if tt.wantForm != FormNoShell {
			want := tt.wantLine
			if want == "" {
				want = tt.wantStr
			}
			if got := tmpl.ExpandLine(tt.v); got != want {
				t.Errorf("%s: ExpandLine() = %q; want %q", tt.name, got, want)
			}
		}
	}
}

func TestShellPath(t *testing.T) {
	c := Parse([]string{"echo", "{}"}, "/usr/bin/bash", false).Expand(&Values{Whole: []string{"x"}})
	want := []string{"/usr/bin/bash", "-c", "echo x"}
	if !slices.Equal(c.Argv, want) {
		t.Errorf("Expand().Argv = %q; want %q", c.Argv, want)
	}
}

// shWords runs line through sh with `set --` in front and returns the
// words the shell made of it.
func shWords(t *testing.T, sh, line string) []string {
	t.Helper()
	script := "set -- " + line + "\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done"
	out, err := exec.Command(sh, "-c", script).Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", script, err)
	}
	words := []string{}
	for len(out) > 0 {
		i := strings.IndexByte(string(out), 0)
		words = append(words, string(out[:i]))
		out = out[i+1:]
	}
	return words
}

var hostileValues = [][]string{
	{},
	{"plain"},
	{""},
	{"a b"},
	{"a; rm -rf ~"},
	{"$(echo pwned)", "`echo pwned`"},
	{"it's", `"q"`, `\`},
	{"~", "~/x", "a=b", "-n", "-e"},
	{"*", "?", "[a]", "{a,b}"},
	{"line1\nline2", "\t", "\xff\xfe"},
	{"", ""},
	{"x.tar.gz", "/d/e.f", "/"},
}

// TestDirectMatchesShell checks against a real shell that a FormDirect
// template execs exactly the words the shell would make of its ExpandLine:
// the optimisation is unobservable.
func TestDirectMatchesShell(t *testing.T) {
	sh, err := exec.LookPath("/bin/sh")
	if err != nil {
		t.Skipf("no /bin/sh: %v", err)
	}
	templates := [][]string{
		{"cmd"},
		{"cmd", "{}"},
		{"sleep 1", "{}"},
		{"cmd", "x{}y"},
		{"cmd", "{}{}"},
		{"cmd", "-a", "{.}", "{/}", "{//}", "{/.}"},
		{"cmd", "{1}", "{2}", "{3}", "{1/.}"},
		{"cmd", "--k={}", "{#}", "{%}", "{id}"},
		{"cmd\t-x", "a{1}b{2}c"},
	}
	for _, words := range templates {
		tmpl := Parse(words, sh, false)
		if tmpl.Form() != FormDirect {
			t.Fatalf("Parse(%q).Form() = %v; want %v", words, tmpl.Form(), FormDirect)
		}
		for _, vals := range hostileValues {
			v := &Values{Seq: 7, Slot: 2, ID: "id 'x'", Whole: vals, Args: vals}
			line := tmpl.ExpandLine(v)
			want := shWords(t, sh, line)
			if got := tmpl.Expand(v).Argv; !slices.Equal(got, want) {
				t.Errorf("Parse(%q) with %q: argv = %q; want %q (sh's words of %q)", words, vals, got, want, line)
			}
		}
	}
}

// TestShellModeNoInjection runs shell-mode lines and checks that every
// value arrives as exactly one argument, whatever it holds.
func TestShellModeNoInjection(t *testing.T) {
	sh, err := exec.LookPath("/bin/sh")
	if err != nil {
		t.Skipf("no /bin/sh: %v", err)
	}
	tmpl := Parse([]string{"for a in {}; do printf '%s\\0' \"$a\"; done"}, sh, false)
	if tmpl.Form() != FormShell {
		t.Fatalf("Form() = %v; want %v", tmpl.Form(), FormShell)
	}
	for _, vals := range hostileValues {
		c := tmpl.Expand(&Values{Whole: vals})
		out, err := exec.Command(c.Argv[0], c.Argv[1:]...).Output()
		if err != nil {
			t.Fatalf("%q: %v", c.Argv, err)
		}
		got := strings.Split(string(out), "\x00")
		got = got[:len(got)-1]
		if !slices.Equal(got, vals) {
			t.Errorf("sh -c %q printed %q; want %q", c.Argv[2], got, vals)
		}
	}
}

func TestShellCommand(t *testing.T) {
	tests := []struct {
		line     string
		wantArgv []string
	}{
		{"sleep 1", []string{"sleep", "1"}},
		{"  wc\t-l  ", []string{"wc", "-l"}},
		{"/bin/echo hi", []string{"/bin/echo", "hi"}},
		{"echo hi", []string{"/bin/sh", "-c", "echo hi"}},
		{"cd /tmp", []string{"/bin/sh", "-c", "cd /tmp"}},
		{"a | b", []string{"/bin/sh", "-c", "a | b"}},
		{"a 'b c'", []string{"/bin/sh", "-c", "a 'b c'"}},
		{"X=1 cmd", []string{"/bin/sh", "-c", "X=1 cmd"}},
		{"cmd $X", []string{"/bin/sh", "-c", "cmd $X"}},
		{"a\nb", []string{"/bin/sh", "-c", "a\nb"}},
		{"", []string{"/bin/sh", "-c", ""}},
		{"   ", []string{"/bin/sh", "-c", "   "}},
		{"cmd {}", []string{"/bin/sh", "-c", "cmd {}"}},
	}
	for _, tt := range tests {
		c := ShellCommand("/bin/sh", tt.line)
		if !slices.Equal(c.Argv, tt.wantArgv) {
			t.Errorf("ShellCommand(%q).Argv = %q; want %q", tt.line, c.Argv, tt.wantArgv)
		}
		// Piping String() to a shell has the command's effect.
		want := tt.line
		if len(tt.wantArgv) != 3 || tt.wantArgv[0] != "/bin/sh" {
			want = QuoteArgs(tt.wantArgv)
		}
		if got := c.String(); got != want {
			t.Errorf("ShellCommand(%q).String() = %q; want %q", tt.line, got, want)
		}
	}
}

// TestShellCommandMatchesShell checks against a real shell that a command
// line ShellCommand execs directly is split into the words the shell would
// make of it. Input lines come from files, so CRLF endings and odd spaces
// are real.
func TestShellCommandMatchesShell(t *testing.T) {
	sh, err := exec.LookPath("/bin/sh")
	if err != nil {
		t.Skipf("no /bin/sh: %v", err)
	}
	for _, line := range []string{
		"sleep 1",
		"  wc\t-l  x",
		"sleep 1\r",
		"cmd a\vb",
		"cmd a\fb",
		"cmd a\u00a0b",
		"cmd a\u0085b",
		"cmd a\u2028b",
		"cmd\u3000x",
	} {
		c := ShellCommand(sh, line)
		if len(c.Argv) == 3 && c.Argv[0] == sh && c.Argv[1] == "-c" {
			continue // the shell runs it: nothing to compare
		}
		if want := shWords(t, sh, line); !slices.Equal(c.Argv, want) {
			t.Errorf("ShellCommand(%q).Argv = %q; want %q (sh's words)", line, c.Argv, want)
		}
	}
}

// TestDirectUnicodeSpace checks against a real shell templates whose words
// hold spaces the shell does not split on.
func TestDirectUnicodeSpace(t *testing.T) {
	sh, err := exec.LookPath("/bin/sh")
	if err != nil {
		t.Skipf("no /bin/sh: %v", err)
	}
	for _, words := range [][]string{
		{"cmd", "a\u00a0b", "{}"},
		{"cmd", "a\u0085b"},
		{"cmd\u2003x", "{}"},
	} {
		tmpl := Parse(words, sh, false)
		if tmpl.Form() != FormDirect {
			continue
		}
		v := &Values{Whole: []string{"v"}}
		line := tmpl.ExpandLine(v)
		if got, want := tmpl.Expand(v).Argv, shWords(t, sh, line); !slices.Equal(got, want) {
			t.Errorf("Parse(%q) direct argv = %q; want %q (sh's words of %q)", words, got, want, line)
		}
	}
}

// FuzzShellCommand checks that a whole command line ShellCommand execs
// directly is exactly the words sh makes of it.
func FuzzShellCommand(f *testing.F) {
	for _, s := range []string{"sleep 1", "echo hi", "a | b", "wc -l x", "", "x=1 y", "/bin/ls -l"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		c := ShellCommand("/bin/sh", line)
		if len(c.Argv) == 3 && c.Argv[0] == "/bin/sh" && c.Argv[1] == "-c" {
			if c.Argv[2] != line || c.String() != line {
				t.Fatalf("ShellCommand(%q) = %q, String %q; want [/bin/sh -c %q]", line, c.Argv, c.String(), line)
			}
			return
		}
		want, ok := unquote(line)
		if !ok || !slices.Equal(c.Argv, want) {
			t.Fatalf("ShellCommand(%q).Argv = %q; want sh's words %q (ok=%v)", line, c.Argv, want, ok)
		}
		if len(c.Argv) == 0 || shellBuiltins[c.Argv[0]] || strings.Contains(c.Argv[0], "=") {
			t.Fatalf("ShellCommand(%q) execs %q directly", line, c.Argv)
		}
	})
}

func TestArgvCommand(t *testing.T) {
	c := ArgvCommand([]string{"echo", "a b", "$x"})
	if want := []string{"echo", "a b", "$x"}; !slices.Equal(c.Argv, want) {
		t.Errorf("ArgvCommand().Argv = %q; want %q", c.Argv, want)
	}
	if got, want := c.String(), "echo 'a b' '$x'"; got != want {
		t.Errorf("ArgvCommand().String() = %q; want %q", got, want)
	}
}

func TestJobCommand(t *testing.T) {
	tmpl := Parse([]string{"echo", "{#}", "{%}", "{id}", "{}"}, "/bin/sh", false)
	tests := []struct {
		name string
		j    *Job
		slot int
		want string
	}{
		{"template", &Job{Seq: 3, Whole: []string{"v"}}, 2, "echo 3 2 3 v"},
		{"id defaults to seq", &Job{Seq: 11}, 1, "echo 11 1 11 "},
		{"jsonl id", &Job{Seq: 3, ID: "a b", Whole: []string{"v"}}, 4, "echo 3 4 'a b' v"},
		{"own command", &Job{Seq: 3, Cmd: &Command{Argv: []string{"true"}}}, 1, "true"},
	}
	for _, tt := range tests {
		if got := tt.j.Command(tmpl, tt.slot).String(); got != tt.want {
			t.Errorf("%s: Command() = %q; want %q", tt.name, got, tt.want)
		}
	}
}

func TestJobDescribe(t *testing.T) {
	cmd := ShellCommand("/bin/sh", "echo hi")
	tests := []struct {
		name string
		j    *Job
		want string
	}{
		{"empty", &Job{}, ""},
		{"whole", &Job{Whole: []string{"a", "b c"}, Args: []string{"a", "b c"}}, "a b c"},
		{"columns", &Job{Whole: []string{"a,b,c"}, Args: []string{"a", "b", "c"}}, "a b c"},
		{"command", &Job{Cmd: &cmd}, "echo hi"},
		{"args beat command", &Job{Cmd: &cmd, Args: []string{"x"}}, "x"},
	}
	for _, tt := range tests {
		if got := tt.j.Describe(); got != tt.want {
			t.Errorf("%s: Describe() = %q; want %q", tt.name, got, tt.want)
		}
	}
}

// splitFuzz turns one fuzz string into a list: "" is no values, otherwise
// the pieces between RS (0x1e) bytes.
func splitFuzz(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x1e")
}

// FuzzParse checks that Parse, Expand and ExpandLine never panic, that a
// shell command runs ExpandLine, and that a FormDirect command's argv is
// exactly the words sh makes of ExpandLine (checked structurally here; the
// real shell checks the same in TestDirectMatchesShell).
func FuzzParse(f *testing.F) {
	seeds := []struct {
		words, whole, args string
		noShell            bool
	}{
		{"wc\x1e-l\x1e{}", "a b", "a b", false},
		{"sleep 1", "x", "x", false},
		{"echo\x1e{}", "a; rm -rf ~", "", false},
		{"cmd\x1ex{}y", "a\x1eb c", "a\x1eb c", false},
		{"cmd\x1e{.}\x1e{/}\x1e{//}\x1e{/.}", "d/x.y/f.tar.gz", "", false},
		{"cmd\x1e{1}\x1e{2.}\x1e{3/}\x1e{4//}\x1e{5/.}", "", "a\x1eb.c\x1ed/e", false},
		{"cmd\x1e{#}{%}{id}", "", "", true},
		{"{}", "it's", "", false},
		{"for a in {}; do echo $a; done", "$(x)\x1e`y`", "", false},
		{"cmd\x1e{{}}\x1e${HOME}\x1e{a,b}", "~", "=", false},
		{"cmd\n{}", "\n", "", false},
		{"", "", "", false},
		{"\x1e", "\x1e", "\x1e", true},
		{"cmd\x1e{123456789}\x1e{0}\x1e{1234567890}", "\xff", "", false},
		{"cmd\x1e{-1}\x1e{-2.}\x1e{-9}\x1e{-0}\x1e{-}", "", "a\x1eb.c", false},
		{"{1}\x1e{-1}", "", "echo\x1ex;y", false},
		{"echo\x1e{= s/a/b/ =}\x1e{=2 $_ =}", "a", "", false},
	}
	for _, s := range seeds {
		f.Add(s.words, s.whole, s.args, s.noShell, int64(1), 1)
	}
	f.Fuzz(func(t *testing.T, words, whole, args string, noShell bool, seq int64, slot int) {
		if expr, ok := PerlExpression(splitFuzz(words)); ok != (expr != "") ||
			ok && (!strings.HasPrefix(expr, "{=") || !strings.HasSuffix(expr, "=}") || !strings.Contains(strings.Join(splitFuzz(words), " "), expr)) {
			t.Fatalf("PerlExpression(%q) = %q, %v", splitFuzz(words), expr, ok)
		}
		tmpl := Parse(splitFuzz(words), "/bin/sh", noShell)
		v := &Values{Seq: seq, Slot: slot, ID: whole, Whole: splitFuzz(whole), Args: splitFuzz(args)}
		line := tmpl.ExpandLine(v)
		c := tmpl.Expand(v)
		str := c.String()
		switch tmpl.Form() {
		case FormNoShell:
			if !noShell {
				t.Fatalf("Form() = %v without --no-shell", tmpl.Form())
			}
		case FormShell:
			if noShell {
				t.Fatalf("Form() = %v with --no-shell; want %v", tmpl.Form(), FormNoShell)
			}
			if want := []string{"/bin/sh", "-c", line}; !slices.Equal(c.Argv, want) {
				t.Fatalf("shell Expand().Argv = %q; want %q", c.Argv, want)
			}
			if str != line {
				t.Fatalf("shell String() = %q; want ExpandLine() = %q", str, line)
			}
			return
		case FormDirect:
			if noShell {
				t.Fatalf("Form() = %v with --no-shell; want %v", tmpl.Form(), FormNoShell)
			}
			want, ok := unquote(line)
			if !ok {
				t.Fatalf("direct template %q: ExpandLine() = %q holds shell syntax", splitFuzz(words), line)
			}
			if !slices.Equal(c.Argv, want) {
				t.Fatalf("direct template %q: argv = %q; want %q (sh's words of %q)", splitFuzz(words), c.Argv, want, line)
			}
			if len(c.Argv) == 0 || shellBuiltins[c.Argv[0]] || strings.Contains(c.Argv[0], "=") {
				t.Fatalf("direct template %q runs program %q", splitFuzz(words), c.Argv)
			}
		default:
			t.Fatalf("Form() = %v", tmpl.Form())
		}
		// An argv command's String is a shell line that runs that argv.
		if got, ok := unquote(str); !ok || !slices.Equal(got, c.Argv) {
			t.Fatalf("String() = %q reads back as %q, %v; want %q", str, got, ok, c.Argv)
		}
	})
}

// TestParseIsImmutable checks that expanding a template does not change it,
// so that one Template serves every job (and every worker) in turn.
func TestParseIsImmutable(t *testing.T) {
	tmpl := Parse([]string{"cmd", "x{}y", "{1}"}, "/bin/sh", false)
	a := &Values{Whole: []string{"1", "2"}, Args: []string{"p"}}
	b := &Values{Whole: []string{"3"}, Args: []string{"q"}}
	first := tmpl.Expand(a).Argv
	tmpl.Expand(b)
	tmpl.ExpandLine(b)
	if again := tmpl.Expand(a).Argv; !slices.Equal(first, again) {
		t.Errorf("Expand after other jobs = %q; want %q", again, first)
	}
}

func TestPatternExpand(t *testing.T) {
	j := &Job{Seq: 7, Whole: []string{"dir/photo.jpg"}, Args: []string{"dir/photo.jpg"}}
	for _, tc := range []struct{ pattern, want string }{
		{"out.txt", "out.txt"}, // nothing appended
		{"{.}.out", "dir/photo.out"},
		{"{/.}-{#}-{%}.txt", "photo-7-3.txt"},
		{"{}", "dir/photo.jpg"},
		{"${HOME}/{1}", "${HOME}/dir/photo.jpg"}, // not a replacement string: literal
		{"", ""},
	} {
		if got := ParsePattern(tc.pattern).Expand(j, 3); got != tc.want {
			t.Errorf("ParsePattern(%q).Expand = %q, want %q", tc.pattern, got, tc.want)
		}
	}
}

// TestPatternWith checks that a pattern takes the replacement strings as
// the template does (-I, --plus), and says when it needs the total.
func TestPatternWith(t *testing.T) {
	j := &Job{Seq: 2, Total: 12, Whole: []string{"d/a.b.c"}, Args: []string{"d/a.b.c"}}
	for _, tc := range []struct {
		pattern string
		r       *Replacements
		want    string
		total   bool
	}{
		{"{..}", &Replacements{Plus: true}, "d/a", false},
		{"{..}", nil, "{..}", false},
		{"{0#}/{##}", &Replacements{Plus: true}, "02/12", true},
		{"@@:{}", &Replacements{Whole: "@@"}, "d/a.b.c:{}", false},
		{"{#}", &Replacements{Plus: true}, "2", false},
	} {
		p := ParsePatternWith(tc.pattern, tc.r)
		if got := p.Expand(j, 1); got != tc.want || p.NeedsTotal() != tc.total {
			t.Errorf("ParsePatternWith(%q, %+v): %q, needs total %v; want %q, %v", tc.pattern, tc.r, got, p.NeedsTotal(), tc.want, tc.total)
		}
	}
}

// TestCommandWordUnquoted checks GNU's rule: a replacement string in the
// command's first word substitutes its values as shell code, unquoted;
// anywhere else they are quoted.
func TestCommandWordUnquoted(t *testing.T) {
	v := &Values{Seq: 1, Slot: 1, ID: "1", Whole: []string{"echo a;echo b"}, Args: []string{"echo a;echo b", "x y"}}
	tests := []struct {
		words []string
		want  string
	}{
		{[]string{"{}"}, "echo a;echo b"},
		{[]string{"{}", "{2}"}, "echo a;echo b x y"},
		{[]string{"{1}", "{2}"}, "echo a;echo b x y"},
		{[]string{"my_{}"}, "my_echo a;echo b"},
		{[]string{"{} {2}"}, "echo a;echo b x y"},
		// An assignment or a literal first word: values quoted.
		{[]string{"V={}", "cmd"}, "V='echo a;echo b' cmd"},
		{[]string{"echo", "{}"}, "echo 'echo a;echo b'"},
		{[]string{"echo"}, "echo 'echo a;echo b'"},
		{[]string{" {}"}, " 'echo a;echo b'"},
	}
	for _, tt := range tests {
		tp := Parse(tt.words, "/bin/sh", false)
		if got := tp.ExpandLine(v); got != tt.want {
			t.Errorf("Parse(%q).ExpandLine = %q; want %q", tt.words, got, tt.want)
		}
		if tp.Form() == FormDirect {
			t.Errorf("Parse(%q) is direct; a value that is shell code needs the shell", tt.words)
		}
	}
	// --no-shell execs the words: nothing is shell code.
	if got := expandArgv([]string{"{}", "x"}, v); !slices.Equal(got, []string{"echo a;echo b", "x"}) {
		t.Errorf("--no-shell {} x = %q", got)
	}
}

func TestPerlExpression(t *testing.T) {
	tests := []struct {
		words []string
		want  string
	}{
		{[]string{"echo", "{= s/a/A/ =}"}, "{= s/a/A/ =}"},
		{[]string{"echo", "{=2 s/x/y/g =}", "{}"}, "{=2 s/x/y/g =}"},
		{[]string{"echo", "pre{=$_=uc=}post"}, "{=$_=uc=}"},
		{[]string{"echo", "{=", "$_", "=}"}, "{= $_ =}"},
		{[]string{"echo", "{}"}, ""},
		{[]string{"awk", "{x=1}"}, ""},
		{[]string{"echo", "{=x"}, ""},
		{[]string{"echo", "a=}"}, ""},
	}
	for _, tt := range tests {
		got, ok := PerlExpression(tt.words)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("PerlExpression(%q) = %q, %v; want %q", tt.words, got, ok, tt.want)
		}
	}
}

// TestReplacementSpellings checks GNU's -I, --er, --bnr, --dnr, --bner,
// --seqreplace and --slotreplace: the new spelling stands for its string,
// which becomes literal text; the others keep their meaning.
func TestReplacementSpellings(t *testing.T) {
	v := &Values{Seq: 7, Slot: 2, ID: "7", Whole: []string{"d/a.b"}, Args: []string{"d/a.b"}}
	tests := []struct {
		words []string
		r     Replacements
		want  []string
	}{
		{[]string{"echo", "XX-XX"}, Replacements{Whole: "XX"}, []string{"echo", "d/a.b-d/a.b"}},
		{[]string{"echo", "@", "{}", "{.}", "{1}"}, Replacements{Whole: "@"}, []string{"echo", "d/a.b", "{}", "d/a", "d/a.b"}},
		{[]string{"echo", ",,"}, Replacements{NoExt: ",,"}, []string{"echo", "d/a"}},
		{[]string{"echo", ",,", "{.}"}, Replacements{Base: ",,"}, []string{"echo", "a.b", "d/a"}},
		{[]string{"echo", ",,"}, Replacements{Dir: ",,"}, []string{"echo", "d"}},
		{[]string{"echo", ",,"}, Replacements{BaseNoExt: ",,"}, []string{"echo", "a"}},
		{[]string{"echo", "S:,,", "{#}"}, Replacements{Seq: ",,"}, []string{"echo", "S:7", "{#}"}},
		{[]string{"echo", "%%"}, Replacements{Slot: "%%"}, []string{"echo", "2"}},
		// The longer spelling first; a spelling the template lacks appends {}.
		{[]string{"echo", "XXX"}, Replacements{Whole: "XX", NoExt: "XXX"}, []string{"echo", "d/a"}},
		{[]string{"echo"}, Replacements{Whole: ",,"}, []string{"echo", "d/a.b"}},
		{[]string{"echo", "{x}", "{x.}"}, Replacements{Whole: "{x}"}, []string{"echo", "d/a.b", "{x.}"}},
	}
	for _, tt := range tests {
		for _, noShell := range []bool{false, true} {
			tp := ParseWith(tt.words, "/bin/sh", noShell, &tt.r)
			got := tp.Expand(v).Argv
			if !noShell && tp.Form() == FormShell {
				got = strings.Fields(tp.ExpandLine(v)) // every value here is plain
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseWith(%q, %+v, no-shell %v) = %q; want %q", tt.words, tt.r, noShell, got, tt.want)
			}
		}
	}
	// A spelling with a blank cannot go through a direct exec's split.
	if f := ParseWith([]string{"cat", "a b"}, "/bin/sh", false, &Replacements{Whole: "a b"}).Form(); f != FormShell {
		t.Errorf("-I 'a b': form %v; want %v", f, FormShell)
	}
}

// TestContextReplace checks GNU's -X: a word holding {} is repeated once
// per value; other words stay.
func TestContextReplace(t *testing.T) {
	v := &Values{Seq: 1, Slot: 1, ID: "1", Whole: []string{"a", "b c"}, Args: []string{"a", "b c"}}
	tests := []struct {
		words []string
		want  string
	}{
		{[]string{"echo", "pre-{}-post"}, "echo pre-a-post pre-'b c'-post"},
		{[]string{"echo", "{.}.x", "end"}, "echo a.x 'b c'.x end"},
		{[]string{"echo"}, "echo a 'b c'"},
		{[]string{"echo", "<{}>", "{#}"}, "echo <a> <'b c'> 1"},
	}
	for _, tt := range tests {
		tp := Parse(tt.words, "/bin/sh", false).WithContext()
		if got := tp.ExpandLine(v); got != tt.want {
			t.Errorf("-X %q: line %q; want %q", tt.words, got, tt.want)
		}
	}
	argv := Parse([]string{"cp", "{}.bak"}, "/bin/sh", true).WithContext().Expand(v).Argv
	if want := []string{"cp", "a.bak", "b c.bak"}; !slices.Equal(argv, want) {
		t.Errorf("-X --no-shell: argv %q; want %q", argv, want)
	}
}

// TestLine checks the measure of -m, -X and --xargs against GNU's: the
// line and its NUL within max bytes, the first record always in.
func TestLine(t *testing.T) {
	tests := []struct {
		words   []string
		context bool
		max     int
		vals    []string
		want    int // values that fit
	}{
		{[]string{"echo"}, true, 20, []string{"1111", "2222", "3333", "4444"}, 3},
		{[]string{"echo"}, false, 15, []string{"aaaa", "bbbb", "cccc"}, 2},
		{[]string{"echo"}, true, 16, []string{"aa", "bb", "cc", "dd"}, 3},
		{[]string{"echo", "pre-{}-post"}, true, 30, []string{"a", "b", "c"}, 2}, // "echo pre-a-post pre-b-post" is 26
		{[]string{"echo"}, false, 3, []string{"toolong", "x"}, 1},
		{[]string{"echo"}, false, 12, []string{"a b", "c"}, 1}, // "echo 'a b'" is 10, then " c"
	}
	for _, tt := range tests {
		tp := Parse(tt.words, "/bin/sh", false)
		if tt.context {
			tp = tp.WithContext()
		}
		l := tp.NewLine(tt.max, &Values{Seq: 1, Slot: 1})
		n := 0
		for _, v := range tt.vals {
			if !l.Add([]string{v}) {
				break
			}
			n++
		}
		if n != tt.want {
			t.Errorf("%q (-X %v) -s %d: %d of %q fit; want %d", tt.words, tt.context, tt.max, n, tt.vals, tt.want)
		}
	}
}
