#!/usr/bin/env bash
# make bench: times parrun against xargs -P (and GNU parallel when it is
# installed) on the same work, interleaved round by round so that a noisy
# spell hits every runner alike, and prints medians and ratios to xargs.
#
#   bench/bench.sh [PARRUN]          ROUNDS=5 WORKLOADS="W1 W2" N1=1000 NO_PARALLEL=1 bench/bench.sh
#
# Workloads (modelled on the project's peer harness, peers.sh, which is not in this repository):
#   W1   5000 x true, -j2                       per-job overhead
#   W1sh 5000 x true through sh -c, -j2         the same with a shell per job
#   W2   5000 x echo {}, -j2, keep order        overhead with output
#   W3   200 x sleep 0.5, 200 at once           start-up of many jobs (ideal 0.5 s)
#   W4   200 x 1 MiB of output, -j2, keep order output buffering
#   W6   seq 200000 | --dry-run echo            runner memory on a long input
#   P1   --pipe --block 10M -j2 wc -l < a 259 MB file (NP=30000000 lines), vs wc -l alone
#   P2   the same through cat (a stream), vs cat | wc -l
#   P3   --pipe-part -a FILE, vs wc -l on its two halves at once
# Each runner first runs once untimed (warm caches for all alike); wall
# time is then the median of ROUNDS; rss is /usr/bin/time's peak RSS (the
# largest process of the run: parrun itself, as its jobs are tiny).
set -euo pipefail
PARRUN=${1:-bin/parrun}
ROUNDS=${ROUNDS:-3}
WORKLOADS=${WORKLOADS:-W1 W1sh W2 W3 W4 W6 P1 P2 P3}
MODES=${MODES:-thread}
PAR=$(command -v parallel || true)
[ -n "${NO_PARALLEL:-}" ] && PAR=
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export SHELL=/bin/sh PARALLEL_SHELL=/bin/sh

seq "${N1:-5000}" >"$TMP/w1.in"
seq 200 | sed 's/.*/0/' >"$TMP/w3.in"
seq 200 | sed 's/.*/1048576/' >"$TMP/w4.in"
seq 200000 >"$TMP/w6.in"
case " $WORKLOADS " in *" P"*)
	seq "${NP:-30000000}" >"$TMP/p.in"
	half=$(($(stat -c %s "$TMP/p.in") / 2))
	head -c "$half" "$TMP/p.in" >"$TMP/h1"
	tail -c +"$((half + 1))" "$TMP/p.in" >"$TMP/h2"
	;;
esac
BIG="head -c {} /dev/zero | tr '\\0' x"

# cmds WORKLOAD: prints "runner<TAB>input<TAB>command" lines.
cmds() {
	local w=$1 m
	case $w in
	W1)
		printf 'xargs\tw1\txargs -P2 -n1 true\n'
		[ -n "$PAR" ] && printf 'parallel\tw1\tparallel -j2 true\n'
		for m in $MODES; do printf 'parrun:%s\tw1\t%s --mode %s -j2 --no-shell true\n' "$m" "$PARRUN" "$m"; done ;;
	W1sh)
		printf "xargs\tw1\txargs -P2 -I{} sh -c 'true {}'\n"
		[ -n "$PAR" ] && printf 'parallel\tw1\tparallel -j2 true\n'
		for m in $MODES; do printf "parrun:%s\tw1\t%s --mode %s -j2 'true'\n" "$m" "$PARRUN" "$m"; done ;;
	W2)
		printf 'xargs\tw1\txargs -P2 -n1 echo\n'
		[ -n "$PAR" ] && printf "parallel\tw1\tparallel -j2 -k 'echo {}'\n"
		for m in $MODES; do printf "parrun:%s\tw1\t%s --mode %s -j2 -k 'echo {}'\n" "$m" "$PARRUN" "$m"; done ;;
	W3)
		printf 'xargs\tw3\txargs -P200 -n1 sleep 0.5\n'
		[ -n "$PAR" ] && printf "parallel\tw3\tparallel -j200 'sleep 0.5'\n"
		for m in $MODES; do printf "parrun:%s\tw3\t%s --mode %s -j200 --concurrency 200 'sleep 0.5'\n" "$m" "$PARRUN" "$m"; done ;;
	W4)
		printf "xargs\tw4\txargs -P2 -I{} sh -c \"%s\"\n" "$BIG"
		[ -n "$PAR" ] && printf "parallel\tw4\tparallel -j2 -k \"%s\"\n" "$BIG"
		for m in $MODES; do printf "parrun:%s\tw4\t%s --mode %s -j2 -k \"%s\"\n" "$m" "$PARRUN" "$m" "$BIG"; done ;;
	W6)
		printf 'xargs\tw6\txargs -P2 -n1000 echo\n'
		[ -n "$PAR" ] && printf 'parallel\tw6\tparallel -j2 --dry-run echo\n'
		for m in $MODES; do printf 'parrun:%s\tw6\t%s --mode %s -j2 --dry-run echo\n' "$m" "$PARRUN" "$m"; done ;;
	P1)
		printf 'wc\tp\twc -l\n'
		[ -n "$PAR" ] && printf 'parallel\tp\tparallel --pipe --block 10M -j2 wc -l\n'
		for m in $MODES; do printf 'parrun:%s\tp\t%s --mode %s --pipe --block 10M -j2 wc -l\n' "$m" "$PARRUN" "$m"; done ;;
	P2)
		printf 'cat|wc\tp\tcat | wc -l\n'
		[ -n "$PAR" ] && printf 'parallel\tp\tcat | parallel --pipe --block 10M -j2 wc -l\n'
		for m in $MODES; do printf 'parrun:%s\tp\tcat | %s --mode %s --pipe --block 10M -j2 wc -l\n' "$m" "$PARRUN" "$m"; done ;;
	P3)
		printf 'wc-halves\tw6\twc -l < %s & wc -l < %s & wait\n' "$TMP/h1" "$TMP/h2"
		[ -n "$PAR" ] && printf 'parallel\tw6\tparallel --pipe-part -a %s --block 10M -j2 wc -l\n' "$TMP/p.in"
		for m in $MODES; do printf 'parrun:%s\tw6\t%s --mode %s --pipe-part -a %s --block 10M -j2 wc -l\n' "$m" "$PARRUN" "$m" "$TMP/p.in"; done ;;
	esac
}

# one INPUT CMD: runs it once, prints "wall rss_kb".
one() {
	/usr/bin/time -f '%e %M' -o "$TMP/time" sh -c "$2" <"$TMP/$1.in" >/dev/null 2>"$TMP/err" || true
	cat "$TMP/time" | tail -n1
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf '%-5s %-16s %9s %9s %10s\n' workload runner wall_s rss_MiB vs_first
for w in $WORKLOADS; do
	mapfile -t lines < <(cmds "$w")
	: >"$TMP/res"
	for l in "${lines[@]}"; do # a warm-up run of each, untimed: no runner pays the cold start
		IFS=$'\t' read -r name in cmd <<<"$l"
		one "$in" "$cmd" >/dev/null
	done
	for ((r = 1; r <= ROUNDS; r++)); do
		for l in "${lines[@]}"; do
			IFS=$'\t' read -r name in cmd <<<"$l"
			printf '%s %s\n' "$name" "$(one "$in" "$cmd")" >>"$TMP/res"
		done
	done
	base=
	for l in "${lines[@]}"; do
		name=${l%%$'\t'*}
		wall=$(awk -v n="$name" '$1==n {print $2}' "$TMP/res" | median)
		rss=$(awk -v n="$name" '$1==n {print $3}' "$TMP/res" | median)
		[ -z "$base" ] && base=$wall
		awk -v w="$w" -v n="$name" -v t="$wall" -v m="$rss" -v b="$base" \
			'BEGIN { printf "%-5s %-16s %9.3f %9.1f %9.2fx\n", w, n, t, m / 1024, (b > 0 ? t / b : 0) }'
	done
done
