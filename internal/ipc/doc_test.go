package ipc

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// TestDocMatchesCode: a worker written from doc.go alone must pass the
// handshake, so the version, the cookie and the launch form it states are
// the ones the code uses.
func TestDocMatchesCode(t *testing.T) {
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	m := regexp.MustCompile(`uvarint version\s+ProtocolVersion \((\d+)\)`).FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("doc.go does not state ProtocolVersion (N) in Hello's fields")
	}
	if v, _ := strconv.Atoi(m[1]); v != ProtocolVersion {
		t.Errorf("doc.go says protocol version %d; the code speaks %d", v, ProtocolVersion)
	}
	if !regexp.MustCompile(`(?i)version ` + strconv.Itoa(ProtocolVersion) + ` `).MatchString(doc) {
		t.Errorf("doc.go's Versions section does not say what version %d changed", ProtocolVersion)
	}
	cookie := CookieKey + "=" + CookieValue
	if !regexp.MustCompile(`(?m)^//\s+` + regexp.QuoteMeta(cookie) + `$`).MatchString(doc) {
		t.Errorf("doc.go does not give the cookie %s on a line of its own", cookie)
	}
	launch := "env " + cookie + " parrun"
	if w := WorkerCommand("parrun"); len(w) != 3 || w[0]+" "+w[1]+" "+w[2] != launch {
		t.Fatalf("WorkerCommand = %q; the doc's launch form is %q", w, launch)
	}
	if !regexp.MustCompile(regexp.QuoteMeta(launch)).MatchString(doc) {
		t.Errorf("doc.go does not show the launch form %q", launch)
	}
}
