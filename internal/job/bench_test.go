package job

import "testing"

// Hot paths of every job: expanding the template and quoting its values.

func BenchmarkExpandShell(b *testing.B) {
	t := Parse([]string{"echo", "{}", ">", "{.}.out"}, "/bin/sh", false)
	v := &Values{Seq: 42, Slot: 1, Whole: []string{"dir/some file.txt"}, Args: []string{"dir/some file.txt"}}
	b.ReportAllocs()
	for b.Loop() {
		t.Expand(v)
	}
}

func BenchmarkExpandDirect(b *testing.B) {
	t := Parse([]string{"gzip", "-9", "{}"}, "/bin/sh", false)
	if t.Form() != FormDirect {
		b.Fatalf("mode %v; want direct", t.Form())
	}
	v := &Values{Seq: 42, Slot: 1, Whole: []string{"dir/file.txt"}, Args: []string{"dir/file.txt"}}
	b.ReportAllocs()
	for b.Loop() {
		t.Expand(v)
	}
}

func BenchmarkQuote(b *testing.B) {
	for _, s := range []string{"plain-word_1.txt", "it's a $(trap)"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Quote(s)
			}
		})
	}
}
