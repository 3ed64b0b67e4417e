package job

import "strings"

// Quote returns s quoted for a POSIX shell, so that the shell reads it back
// as exactly one word equal to s, whatever bytes s holds (NUL excepted: no
// shell word can hold it). Strings made only of characters the shell never
// interprets are returned as they are, which keeps --dry-run and -v readable.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	if isSafe(s) {
		return s
	}
	// GNU parallel's shell_quote_scalar, byte for byte, so that --dry-run
	// and -v print what GNU prints: the whole string in '…', each ' as
	// '"'"', and the '' this leaves at either end dropped.
	q := "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
	q = strings.TrimPrefix(q, "''")
	return strings.TrimSuffix(q, "''")
}

// isSafe reports whether every byte of s stands for itself in any position of
// a shell word: GNU parallel's [-_.+a-zA-Z0-9/]. ('=' and '~' are not: a
// leading '~' expands and a word with '=' may be an assignment.)
func isSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '_', c == '-', c == '.', c == '/', c == '+':
		default:
			return false
		}
	}
	return true
}

// QuoteArgs quotes each argument and joins them with spaces: the shell line
// that runs argv exactly.
func QuoteArgs(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Quote(a))
	}
	return b.String()
}
