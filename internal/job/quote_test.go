package job

import (
	"bufio"
	"io"
	"os/exec"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", "''"},
		{"abc", "abc"},
		{"a/b.c-d_e+F9", "a/b.c-d_e+F9"},
		// GNU quotes what it does not know to be safe.
		{"a,b", "'a,b'"},
		{"a:b", "'a:b'"},
		{"a@b", "'a@b'"},
		{"50%", "'50%'"},
		{"-n", "-n"},
		{"a b", "'a b'"},
		{"a\tb", "'a\tb'"},
		{"a\nb", "'a\nb'"},
		{"it's", `'it'"'"'s'`},
		{"d'e", `'d'"'"'e'`},
		{"'", `"'"`},
		{"''", `"'"''"'"`},
		{"'a'", `"'"'a'"'"`},
		{"a; rm -rf ~", "'a; rm -rf ~'"},
		{"$(id)", "'$(id)'"},
		{"`id`", "'`id`'"},
		{"$HOME", "'$HOME'"},
		{"~", "'~'"},
		{"~root", "'~root'"},
		{"a=b", "'a=b'"},
		{"*", "'*'"},
		{"a?", "'a?'"},
		{"[a]", "'[a]'"},
		{"{a,b}", "'{a,b}'"},
		{"#x", "'#x'"},
		{`a\b`, `'a\b'`},
		{`"`, `'"'`},
		{"!", "'!'"},
		{"&", "'&'"},
		{"|", "'|'"},
		{"<>", "'<>'"},
		{"()", "'()'"},
		{"\xff\xfe", "'\xff\xfe'"},
		{"é", "'é'"},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestQuoteArgs(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{}, ""},
		{[]string{""}, "''"},
		{[]string{"echo", "a b", ""}, "echo 'a b' ''"},
		{[]string{"printf", "%s\n", "it's"}, `printf '%s` + "\n" + `' 'it'"'"'s'`},
	}
	for _, tt := range tests {
		if got := QuoteArgs(tt.in); got != tt.want {
			t.Errorf("QuoteArgs(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// unquote reads s as a POSIX shell reads a command line made only of
// unquoted safe text, blanks, single-quoted strings, "'" and backslash
// escapes (everything Quote and a FormDirect ExpandLine produce), and returns the
// words. ok is false when s holds anything else, such as an unterminated
// quote or an unquoted shell metacharacter.
func unquote(s string) (words []string, ok bool) {
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, false
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			// Only "'" is ever written: the quote GNU's quoting cannot
			// put inside '…'.
			if !strings.HasPrefix(s[i:], `"'"`) {
				return nil, false
			}
			cur.WriteByte('\'')
			i += 2
			inWord = true
		case c == '\\':
			if i+1 >= len(s) || s[i+1] == '\n' {
				return nil, false
			}
			cur.WriteByte(s[i+1])
			i++
			inWord = true
		case isPlain(string(c)):
			cur.WriteByte(c)
			inWord = true
		default:
			return nil, false
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, true
}

// TestQuoteStructure checks that Quote's output is one shell word that
// reads back as its input, without a shell.
func TestQuoteStructure(t *testing.T) {
	for _, s := range quoteSeeds {
		got, ok := unquote(Quote(s))
		if !ok || len(got) != 1 || got[0] != s {
			t.Errorf("unquote(Quote(%q) = %q) = %q, %v; want [%q], true", s, Quote(s), got, ok, s)
		}
	}
}

var quoteSeeds = []string{
	"",
	"plain",
	"a b",
	"it's",
	"'",
	"''''",
	`'\''`,
	"$(echo pwned)",
	"`echo pwned`",
	"${HOME}",
	"$HOME",
	"a\nb",
	"\n",
	"trailing\n",
	"a\rb",
	"\xff\xfe\x80",
	"é ü",
	"-n",
	"-e",
	"--",
	"-",
	"~",
	"~/x",
	"a=b",
	"=",
	"x=$(id)",
	"*",
	"?",
	"[a-z]",
	"{a,b}",
	"#",
	"a;b",
	"a&&b",
	"a|b",
	">x",
	"<x",
	`\`,
	`\\`,
	`\n`,
	`"`,
	`"'"`,
	"!",
	"%s",
	"\t",
	"\x01\x1b[31m",
}

// A shell is one long-lived /bin/sh reading commands from a pipe, so that
// a fuzz body costs a round trip instead of a fork and exec.
type shell struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startShell(tb testing.TB, path string) *shell {
	tb.Helper()
	cmd := exec.Command(path)
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		in.Close()
		cmd.Wait()
	})
	// A fuzz worker talks to its coordinator over fds 3 and 4, which are not
	// close-on-exec: the shell must not hold them open.
	if _, err := io.WriteString(in, "exec 3>&- 4>&-\n"); err != nil {
		tb.Fatal(err)
	}
	return &shell{cmd: cmd, in: in, out: bufio.NewReader(out)}
}

// printf runs `printf %s WORD` followed by a NUL terminator and returns what
// it printed. word must be complete shell syntax (no open quote), or the
// shell waits for the rest of it.
func (sh *shell) printf(word string) (string, error) {
	if _, err := io.WriteString(sh.in, "printf %s "+word+"; printf '\\0'\n"); err != nil {
		return "", err
	}
	out, err := sh.out.ReadString(0)
	if err != nil {
		return out, err
	}
	return out[:len(out)-1], nil
}

// FuzzQuote checks the quoting contract against a real shell: for any string
// without NUL, sh -c 'printf %s <Quote(s)>' prints exactly s. One shell
// serves every input of a fuzz worker; the structural check first makes
// sure the quoted word is complete, so the shell cannot wait for more.
func FuzzQuote(f *testing.F) {
	path, err := exec.LookPath("/bin/sh")
	if err != nil {
		f.Skipf("no /bin/sh: %v", err)
	}
	for _, s := range quoteSeeds {
		f.Add(s)
	}
	sh := startShell(f, path)
	f.Fuzz(func(t *testing.T, s string) {
		if strings.IndexByte(s, 0) >= 0 {
			t.Skip("no shell word holds NUL")
		}
		q := Quote(s)
		if got, ok := unquote(q); !ok || len(got) != 1 || got[0] != s {
			t.Fatalf("unquote(Quote(%q) = %q) = %q, %v; want [%q], true", s, q, got, ok, s)
		}
		got, err := sh.printf(q)
		if err != nil {
			t.Fatalf("sh: printf %%s %s: %v (printed %q)", q, err, got)
		}
		if got != s {
			t.Fatalf("sh: printf %%s %s printed %q; want %q", q, got, s)
		}
	})
}

// TestQuoteShell runs the seeds through sh -c, exactly as the property
// states it, without the long-lived shell.
func TestQuoteShell(t *testing.T) {
	path, err := exec.LookPath("/bin/sh")
	if err != nil {
		t.Skipf("no /bin/sh: %v", err)
	}
	for _, s := range quoteSeeds {
		out, err := exec.Command(path, "-c", "printf %s "+Quote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("sh -c %q printed %q, %v; want %q, nil", "printf %s "+Quote(s), out, err, s)
		}
	}
}
