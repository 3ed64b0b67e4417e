package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra/doc"

	"github.com/parrun/parrun/internal/iostreams"
)

var updateMan = flag.Bool("update-man", false, "TestManPage: write docs/parrun.1 from the command (make man)")

// manPath is the man page, generated from the command by make man.
var manPath = filepath.Join("..", "..", "docs", "parrun.1")

// TestManPage checks that docs/parrun.1 is the man page the command makes
// today: a flag added or reworded without make man fails here. The date
// is fixed so that regenerating changes nothing but what changed.
func TestManPage(t *testing.T) {
	cmd := newRootCmd(&iostreams.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, func(*Options) error { return nil })
	cmd.InitDefaultHelpFlag()
	cmd.InitDefaultVersionFlag()
	date := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	header := &doc.GenManHeader{Title: "PARRUN", Section: "1", Date: &date, Source: "parrun " + version, Manual: "parrun manual"}
	if err := doc.GenMan(cmd, header, &b); err != nil {
		t.Fatal(err)
	}
	if *updateMan {
		if err := os.WriteFile(manPath, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(manPath)
	if err != nil {
		t.Fatalf("%v: run make man", err)
	}
	if !bytes.Equal(want, b.Bytes()) {
		t.Errorf("%s is not the man page the command makes now: run make man and commit it", manPath)
	}
	for _, s := range []string{".TH \"PARRUN\" \"1\"", `\fB--pipe\fP`, `\fB--keep-order\fP`} {
		if !bytes.Contains(b.Bytes(), []byte(s)) {
			t.Errorf("the man page lacks %q", s)
		}
	}
}
