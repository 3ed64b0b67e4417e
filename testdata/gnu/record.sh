#!/bin/sh
# record.sh: run the GNU-compatibility cases and write down what each did.
#
#   sh testdata/gnu/record.sh [-o OUTDIR] [NAME...]
#   P=parrun sh testdata/gnu/record.sh -o /tmp/parrun-results [NAME...]
#
# P is the tool under test (default "parallel --will-cite", GNU parallel
# 20221122 as Debian ships it; --csv needs Text::CSV, Debian's
# libtext-csv-perl). Without -o the results go to testdata/gnu/expected,
# the recording cmd/parrun/gnu_test.go (TestGNUOracle) compares parrun with.
# NAMEs restrict the run to those cases; a run of them all also removes
# the results of cases no longer in cases.txt. Each result is one file,
# OUTDIR/<name>.txt, so two recordings compare with diff -r.
#
# cases.txt has one case a line, NAME<TAB>STDIN<TAB>COMMAND; blank lines and
# lines starting with # are skipped. STDIN is a printf(1) format for the
# case's standard input ("-": /dev/null; write % as %%). COMMAND is run as
# sh -c COMMAND with $P set to the tool, in a fresh copy of fixture/, with
# a clean environment (the variables set below, nothing else), stderr
# discarded and a 30 s limit (exit 124 if it is hit).
#
# The result format, line by line:
#
#   command COMMAND          the case as run (a stale recording shows up)
#   stdin STDIN
#   exit N                   sh -c's exit status
#   stdout                   then the content, see below
#   file PATH                a file created or changed, then its content
#   dir PATH                 a directory created
#   link PATH -> TARGET      a symbolic link created or changed
#   other PATH               anything else created (a fifo, a socket)
#   removed PATH             a fixture entry that is gone
#
# PATHs are relative to the case's directory, and the entries are sorted by
# path, bytewise. Content that is at most 16384 bytes of printable ASCII,
# tabs, newlines and bytes 0x80-0xff (UTF-8 text) is written one line per
# line, each prefixed with "| "
# (an empty line is a lone "|"), followed by "\ no newline at end" when
# the last line has no newline; empty content writes no line. Any other
# content is summarised on the header line itself:
#   stdout binary N bytes sha256 HEX
#   file PATH binary N bytes sha256 HEX
#
# Stderr is not compared: GNU's and parrun's messages are not meant to be
# the same words. The Go test writes exactly this format; change both.
set -u
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd)
out=$here/expected
usage() {
	echo "usage: [P=TOOL] sh record.sh [-o OUTDIR] [NAME...]" >&2
	exit 2
}
while getopts o: opt; do
	case $opt in
	o) out=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
tool=${P:-parallel --will-cite}

mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/gnu-oracle.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# manifest prints one line per entry under the current directory,
# TYPE<TAB>WHAT<TAB>PATH, sorted by path: f (WHAT = sha256), d, l (WHAT =
# link target), o.
manifest() {
	find . -mindepth 1 | sed 's|^\./||' | sort | while IFS= read -r p; do
		if [ -L "$p" ]; then
			printf 'l\t%s\t%s\n' "$(readlink "$p")" "$p"
		elif [ -d "$p" ]; then
			printf 'd\t-\t%s\n' "$p"
		elif [ -f "$p" ]; then
			printf 'f\t%s\t%s\n' "$(sha256sum <"$p" | cut -d' ' -f1)" "$p"
		else
			printf 'o\t-\t%s\n' "$p"
		fi
	done
}

# content HEADER FILE writes HEADER and FILE's content in the format above.
content() {
	n=$(wc -c <"$2" | tr -d ' ')
	if [ "$n" -le 16384 ] && [ "$(tr -d '\t\n\040-\176\200-\377' <"$2" | wc -c)" -eq 0 ]; then
		printf '%s\n' "$1"
		sed 's/^/| /; s/^| $/|/' "$2"
		if [ "$n" -gt 0 ] && [ "$(tail -c 1 "$2" | wc -l)" -eq 0 ]; then
			printf '\n\\ no newline at end\n'
		fi
	else
		printf '%s binary %s bytes sha256 %s\n' "$1" "$n" "$(sha256sum <"$2" | cut -d' ' -f1)"
	fi
}

(cd "$here/fixture" && manifest) >"$work/before"
tab=$(printf '\t')
fail=0
count=0
while IFS="$tab" read -r name stdin cmd; do
	case $name in '' | '#'*) continue ;; esac
	if [ $# -gt 0 ]; then
		want=false
		for n in "$@"; do [ "$n" = "$name" ] && want=true; done
		$want || continue
	fi
	count=$((count + 1))
	d=$work/case
	rm -rf "$d"
	mkdir -p "$d/run" "$d/home" "$d/tmp"
	cp -R "$here/fixture/." "$d/run/"
	in=/dev/null
	if [ "$stdin" != - ]; then
		# shellcheck disable=SC2059 # the field is a printf format
		printf "$stdin" >"$d/stdin"
		in=$d/stdin
	fi
	(
		cd "$d/run" &&
			exec env -i PATH="$PATH" HOME="$d/home" TMPDIR="$d/tmp" \
				SHELL=/bin/sh USER=oracle LOGNAME=oracle LC_ALL=C TZ=UTC \
				${PARRUN_MODE:+PARRUN_MODE="$PARRUN_MODE"} P="$tool" \
				timeout 30 sh -c "$cmd" <"$in" >"$d/stdout" 2>/dev/null
	)
	status=$?
	(cd "$d/run" && manifest) >"$d/after"
	{
		printf 'command %s\n' "$cmd"
		printf 'stdin %s\n' "$stdin"
		printf 'exit %s\n' "$status"
		content stdout "$d/stdout"
		# Entries that are new or changed, then the ones that are gone,
		# merged in path order.
		awk -F '\t' 'NR == FNR { was[$3] = $1 "\t" $2; next }
			{ now[$3] = 1; if (was[$3] != $1 "\t" $2) print $3 "\t" $1 "\t" $2 }
			END { for (p in was) if (!(p in now)) print p "\tgone\t-" }' \
			"$work/before" "$d/after" | sort -t "$tab" -k1,1 |
			while IFS="$tab" read -r p kind what; do
				case $kind in
				f) content "file $p" "$d/run/$p" ;;
				d) printf 'dir %s\n' "$p" ;;
				l) printf 'link %s -> %s\n' "$p" "$what" ;;
				o) printf 'other %s\n' "$p" ;;
				gone) printf 'removed %s\n' "$p" ;;
				esac
			done
	} >"$out/$name.txt" || fail=1
	# Lets the case's jobs remove their own directory even if one was
	# left write-protected.
	chmod -R u+rwX "$d" 2>/dev/null
done <"$here/cases.txt"
# A full run also drops the results of cases that are gone.
if [ $# -eq 0 ]; then
	for f in "$out"/*.txt; do
		[ -e "$f" ] || continue
		n=$(basename "$f" .txt)
		cut -f1 "$here/cases.txt" | grep -qx "$n" || rm -f "$f"
	done
fi
echo "record.sh: $count cases recorded in $out with P=$tool" >&2
exit $fail
