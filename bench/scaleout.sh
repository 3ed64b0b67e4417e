#!/usr/bin/env bash
# Per-job cost of parrun's workers through srun and ssh against local
# process mode (issue 15), interleaved round by round; prints median wall
# times and the cost per job.
#
#   SLURM_CONF=… [SSH_HOST=host] [QUICKACK=1] ROUNDS=5 bench/scaleout.sh [PARRUN]
#
# It needs a running Slurm cluster (SLURM_CONF) with room for a 2-task
# allocation; SSH_HOST adds the ssh rows (a host that logs in without a
# prompt and has PARRUN at the same path). QUICKACK=1 (root) adds rows
# with quickack on the loopback routes, which removes the ~44 ms that
# Nagle's algorithm and delayed ACKs cost a write over 1 KiB between srun
# and slurmstepd; the routes are put back as they were at the end.
#
# Workloads: T  2000 x true, -j2 (per-job overhead)
#            K  200 x 2 KiB of output, -j2 (writes above 1 KiB)
set -euo pipefail
PARRUN=$(realpath "${1:-bin/parrun}")
ROUNDS=${ROUNDS:-5}
TMP=$(mktemp -d)
routes=$(ip route show table local | grep '^local 127\.' || true)
restore() {
	[ -n "${QUICKACK:-}" ] && quickack off
	rm -rf "$TMP"
}
trap restore EXIT
seq 2000 >"$TMP/T.in"
seq 200 >"$TMP/K.in"

# quickack on|off: sets or clears quickack on the loopback's local routes.
quickack() {
	local r
	[ -n "${QUICKACK:-}" ] || return 0
	while read -r r; do
		[ -n "$r" ] || continue
		r=${r% quickack 1}
		if [ "$1" = on ]; then
			# shellcheck disable=SC2086 # the route's own words
			ip route change $r table local quickack 1
		else
			# shellcheck disable=SC2086
			ip route change $r table local
		fi
	done <<<"$routes"
}

# rows WORKLOAD: prints "name<TAB>quickack<TAB>command" lines.
rows() {
	local job in=$TMP/$1.in
	case $1 in
	T) job="--no-shell true" ;;
	K) job="-N0 'head -c 2048 /dev/zero'" ;;
	esac
	printf 'local\toff\t%s --mode process -j2 %s <%s\n' "$PARRUN" "$job" "$in"
	printf 'salloc alone\toff\tsalloc -n2 -Q true\n'
	printf 'srun\toff\tsalloc -n2 -Q %s --slurm %s <%s\n' "$PARRUN" "$job" "$in"
	if [ -n "${QUICKACK:-}" ]; then
		printf 'srun+quickack\ton\tsalloc -n2 -Q %s --slurm %s <%s\n' "$PARRUN" "$job" "$in"
	fi
	if [ -n "${SSH_HOST:-}" ]; then
		printf 'ssh\toff\t%s -S 2/%s --remote-parrun %s %s <%s\n' "$PARRUN" "$SSH_HOST" "$PARRUN" "$job" "$in"
	fi
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for w in T K; do
	n=$(wc -l <"$TMP/$w.in")
	rows "$w" >"$TMP/rows"
	for r in $(seq 0 "$ROUNDS"); do # round 0 warms up, untimed
		while IFS=$'\t' read -r name qa cmd; do
			quickack "$qa"
			s=$(date +%s.%N)
			sh -c "$cmd" >/dev/null
			e=$(date +%s.%N)
			[ "$r" -gt 0 ] && echo "$e - $s" | bc >>"$TMP/$w.$(echo "$name" | tr ' +' '__')"
		done <"$TMP/rows"
	done
	quickack off
	printf '%s (%d jobs, -j2)\n%-16s %10s %12s\n' "$w" "$n" runner "median s" "ms per job"
	while IFS=$'\t' read -r name _ _; do
		m=$(median <"$TMP/$w.$(echo "$name" | tr ' +' '__')")
		printf '%-16s %10.3f %12.3f\n' "$name" "$m" "$(echo "$m * 1000 / $n" | bc -l)"
	done <"$TMP/rows"
	echo
done
