// Package timeline draws a finished run as one self-contained HTML page
// (--timeline): every job is a bar on its slot's row over time, coloured by
// outcome, with the command, exit status or signal, duration and job number
// in the bar's tooltip (an SVG <title>, so no script is needed). The heading
// gives the run's utilisation, busy slot-seconds / (rows × wall), and a
// legend counts the jobs of each outcome.
//
// The page is inline SVG and CSS only: no scripts, fonts, style sheets or
// anything else is fetched. It is well-formed XML as well as HTML, so tests
// (and other tools) can read it with encoding/xml. Its size grows linearly
// with the jobs, about 150 bytes a job plus the job's command, which is cut
// to maxCommand bytes.
package timeline

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Outcome is how a job ended; it picks the bar's colour.
type Outcome int

// The outcomes.
const (
	// OK is a job that exited 0.
	OK Outcome = iota
	// Failed is a job that exited non-zero (or could not start).
	Failed
	// TimedOut is a job that --timeout stopped.
	TimedOut
	// Killed is a job that a signal ended, other than by --timeout.
	Killed
)

// numOutcomes is how many outcomes there are.
const numOutcomes = 4

// String is the outcome as the legend names it.
func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case Failed:
		return "failed"
	case TimedOut:
		return "timed out"
	case Killed:
		return "killed"
	}
	return "outcome " + itoa(int64(o))
}

// class is the outcome's CSS class in the page.
func (o Outcome) class() string {
	return [numOutcomes]string{"ok", "failed", "timedout", "killed"}[o]
}

// Bar is one finished job.
type Bar struct {
	Seq      int64         // the job's number ({#})
	Host     string        // "" or "localhost" for local jobs
	Slot     int           // 1-based worker slot ({%})
	Start    time.Time     // when the job started
	Duration time.Duration // how long it ran
	Outcome  Outcome
	ExitCode int    // the exit status, when Signal is ""
	Signal   string // e.g. "KILL", "" if none
	Command  string // the command line as run
}

// maxCommand is how many bytes of a command the Recorder keeps (and the
// tooltip shows); longer ones are cut and end in "…".
const maxCommand = 256

// localhost is the host name of local jobs.
const localhost = "localhost"

// rec is a Bar as the Recorder keeps it: times as nanoseconds since the
// first bar added, host and signal as indexes into Recorder.names.
type rec struct {
	seq   int64
	start int64
	dur   int64
	cmd   string
	exit  int32
	slot  int32
	host  uint32
	sig   uint32
	out   Outcome
}

// Recorder collects bars in O(jobs) memory. Its zero value is ready to
// use. It is not safe for concurrent use: the caller holds its own lock.
type Recorder struct {
	base  time.Time // the first bar's start; rec times are relative to it
	recs  []rec
	names []string // interned host and signal names; names[0] is ""
	index map[string]uint32
}

// Add records one finished job. An unknown Outcome counts as Failed; a
// negative Duration as zero.
func (r *Recorder) Add(b Bar) {
	if len(r.recs) == 0 {
		r.base = b.Start
	}
	host := b.Host
	if host == "" {
		host = localhost
	}
	out := b.Outcome
	if out < OK || out >= numOutcomes {
		out = Failed
	}
	r.recs = append(r.recs, rec{
		seq:   b.Seq,
		start: int64(b.Start.Sub(r.base)),
		dur:   int64(max(b.Duration, 0)),
		cmd:   clip(b.Command, maxCommand),
		exit:  int32(max(min(b.ExitCode, math.MaxInt32), math.MinInt32)),
		slot:  int32(max(min(b.Slot, math.MaxInt32), math.MinInt32)),
		host:  r.intern(host),
		sig:   r.intern(b.Signal),
		out:   out,
	})
}

// Len is how many bars have been added.
func (r *Recorder) Len() int { return len(r.recs) }

// intern is s's index in r.names, adding it if new.
func (r *Recorder) intern(s string) uint32 {
	if r.index == nil {
		r.names = []string{""}
		r.index = map[string]uint32{"": 0}
	}
	if i, ok := r.index[s]; ok {
		return i
	}
	i := uint32(len(r.names))
	s = strings.Clone(s)
	r.names = append(r.names, s)
	r.index[s] = i
	return i
}

// clip is s cut to at most n bytes, at a rune start, ending in "…" if cut.
// The copy does not keep a long s's memory alive.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n - len("…")
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return strings.Clone(s[:i]) + "…"
}

// remote is 0 for localhost and 1 for other hosts, which sort after it.
func remote(host string) int {
	if host == localhost {
		return 0
	}
	return 1
}

// row is one line of the chart: a host's slot.
type row struct {
	host  uint32
	slot  int32
	label string
}

// stats is what the page says about the run as a whole.
type stats struct {
	first, last int64   // earliest start and latest end, ns since base
	busy        float64 // the jobs' durations summed, in seconds
	counts      [numOutcomes]int
	rows        []row
	rowOf       map[[2]int64]int // (host, slot) to index in rows
}

// wall is last end − first start in seconds.
func (s *stats) wall() float64 { return float64(s.last-s.first) / 1e9 }

// utilisation is busy slot-seconds / (rows × wall): 0 when there is no
// wall time or no row.
func (s *stats) utilisation() float64 {
	w := s.wall()
	if w <= 0 || len(s.rows) == 0 {
		return 0
	}
	return s.busy / (float64(len(s.rows)) * w)
}

// summarise gathers the run's stats; slots is the configured number of
// slots per host.
func (r *Recorder) summarise(slots int) *stats {
	s := &stats{first: math.MaxInt64, last: math.MinInt64}
	for i := range r.recs {
		b := &r.recs[i]
		s.first = min(s.first, b.start)
		s.last = max(s.last, b.start+b.dur)
		s.busy += float64(b.dur) / 1e9
		s.counts[b.out]++
	}
	r.layOutRows(s, slots)
	return s
}

// layOutRows fills s.rows: one per host and slot seen, and slots 1 to slots
// of localhost when any job ran locally; localhost first, then the other
// hosts by name, each host's slots in order.
func (r *Recorder) layOutRows(s *stats, slots int) {
	key := func(host uint32, slot int32) [2]int64 { return [2]int64{int64(host), int64(slot)} }
	seen := map[[2]int64]bool{}
	var rows []row
	addRow := func(host uint32, slot int32) {
		if k := key(host, slot); !seen[k] {
			seen[k] = true
			rows = append(rows, row{host: host, slot: slot})
		}
	}
	if local, ok := r.index[localhost]; ok {
		for n := 1; n <= slots; n++ {
			addRow(local, int32(n))
		}
	}
	onlyLocal := true
	for i := range r.recs {
		addRow(r.recs[i].host, r.recs[i].slot)
		onlyLocal = onlyLocal && r.names[r.recs[i].host] == localhost
	}
	slices.SortFunc(rows, func(a, b row) int {
		ha, hb := r.names[a.host], r.names[b.host]
		return cmp.Or(cmp.Compare(remote(ha), remote(hb)), strings.Compare(ha, hb), cmp.Compare(a.slot, b.slot))
	})
	s.rowOf = make(map[[2]int64]int, len(rows))
	for i := range rows {
		rows[i].label = "slot " + itoa(int64(rows[i].slot))
		if !onlyLocal {
			rows[i].label = clip(r.names[rows[i].host], 40) + " " + rows[i].label
		}
		s.rowOf[key(rows[i].host, rows[i].slot)] = i
	}
	s.rows = rows
}
