#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Runs every test: unit binaries ($OUT/tests/test_*) and scripts (tests/t_*.sh).
# Counts the "ok"/"not ok"/"skip" lines and ends with "N passed, N failed, N skipped".
# A test binary or script that dies without reporting counts as one failure.
#   tests/run.sh [PATTERN]   only tests whose file name contains PATTERN
set -u
cd "$(dirname "$0")/.."
export OUT=${OUT:-$PWD/build}
pat=${1:-}

# The kvm tracepoint checks read tracefs; BPF itself does not need it.
if [ "$(id -u)" = 0 ] && [ -d /sys/kernel/tracing ] && ! [ -e /sys/kernel/tracing/events ]; then
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
fi
pass=0 failn=0 skipn=0
failed_names=() skipped_names=()

run_one() {
	local name=$1 log rc
	shift
	log=$(mktemp)
	"$@" >"$log" 2>&1
	rc=$?
	local p f s
	p=$(grep -c '^ok - ' "$log")
	f=$(grep -c '^not ok - ' "$log")
	s=$(grep -c '^skip - ' "$log")
	grep -E '^(ok|not ok|skip|    also:) ' "$log"
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "not ok - $name: exited $rc without reporting a failure; last output:"
		tail -n 15 "$log" | sed 's/^/    | /'
		f=1
	elif [ "$f" != 0 ]; then
		# Keep what the failing test printed beyond its result lines.
		grep -vE '^(ok|not ok|skip|    also:) ' "$log" | tail -n 20 | sed 's/^/    | /'
	fi
	pass=$((pass + p)) failn=$((failn + f)) skipn=$((skipn + s))
	while read -r l; do failed_names+=("$l"); done < <(grep '^not ok - ' "$log")
	while read -r l; do skipped_names+=("$l"); done < <(grep '^skip - ' "$log")
	[ "$rc" != 0 ] && [ "$f" = 1 ] && [ "$(grep -c '^not ok - ' "$log")" = 0 ] &&
		failed_names+=("not ok - $name: crashed (exit $rc)")
	rm -f "$log"
}

for t in "$OUT"/tests/test_*; do
	[ -x "$t" ] || continue
	case $(basename "$t") in *"$pat"*) ;; *) continue ;; esac
	echo "# $(basename "$t")"
	run_one "$(basename "$t")" "$t"
done
for t in tests/t_*.sh; do
	[ -f "$t" ] || continue
	case $(basename "$t") in *"$pat"*) ;; *) continue ;; esac
	echo "# $t"
	run_one "$t" bash "$t"
done

echo
if ((${#skipped_names[@]})); then
	echo "Skipped (each says why):"
	printf '  %s\n' "${skipped_names[@]}"
fi
if ((${#failed_names[@]})); then
	echo "Failed:"
	printf '  %s\n' "${failed_names[@]}"
fi
echo "$pass passed, $failn failed, $skipn skipped"
[ "$failn" = 0 ]
