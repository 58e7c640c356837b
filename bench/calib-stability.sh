#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# How stable `hvtrace calibrate` is from run to run: RUNS runs of
# `hvtrace calibrate --json`, interleaved across the binaries given (run 1 of
# each, then run 2 of each, ...) so that a machine that drifts (turbo, a
# neighbour's load) moves every binary alike. Prints per binary and probe the
# min, median and max of the unit costs, max/min, and the largest deviation
# from the median in percent; "ok" where that is within the +-10 % the design
# asks for on a quiet machine.
#
#   bench/calib-stability.sh [--runs N] [--budget-ms MS] [BINARY...]
#
# BINARY defaults to $OUT/hvtrace (OUT defaults to build); give
# build/hvtrace build/hvtrace-static to compare both. The load average before
# and after is printed: on a busy machine the numbers say little.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/build}
RUNS=5
BUDGET=
bins=()
while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	--budget-ms) BUDGET=$2; shift 2 ;;
	-h|--help) sed -n '4,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "calib-stability.sh: unknown option '$1'" >&2; exit 2 ;;
	*) bins+=("$1"); shift ;;
	esac
done
[ ${#bins[@]} -gt 0 ] || bins=("$OUT/hvtrace")
case $RUNS in '' | *[!0-9]* | 0) echo "calib-stability.sh: --runs needs a number >= 1" >&2; exit 2 ;; esac
for b in "${bins[@]}"; do
	[ -x "$b" ] || { echo "calib-stability.sh: '$b' is not an executable (run 'make')" >&2; exit 1; }
done
command -v jq >/dev/null || { echo "calib-stability.sh: needs jq" >&2; exit 1; }
WORK=$(mktemp -d /tmp/hvtrace-calib.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

echo "# $(uname -r), $(nproc) CPUs, clocksource" \
	"$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)," \
	"load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= RUNS; r++)); do
	for i in "${!bins[@]}"; do
		"${bins[$i]}" calibrate --json ${BUDGET:+--budget-ms "$BUDGET"} >"$WORK/$i-$r.json"
		# probe unit_ns, one line per probe that ran
		jq -r '.probes[] | select(.error == null) | "\(.probe) \(.unit_ns)"' \
			"$WORK/$i-$r.json" >>"$WORK/$i.units"
		jq -r '"\(.elapsed_ns)"' "$WORK/$i-$r.json" >>"$WORK/$i.elapsed"
	done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

for i in "${!bins[@]}"; do
	echo
	echo "${bins[$i]}: $RUNS runs, wall per run" \
		"$(sort -n "$WORK/$i.elapsed" | awk '{ v[NR] = $1 / 1e6 }
			END { printf "%.0f-%.0f ms", v[1], v[NR] }')"
	# Probes in the order they run, as the first run lists them.
	jq -r '.probes[].probe' "$WORK/$i-1.json" | while read -r p; do
		awk -v p="$p" '$1 == p { print $2 }' "$WORK/$i.units" | sort -g |
			awk -v p="$p" '
			function ns(x) {
				if (x >= 1e6) return sprintf("%.2f ms", x / 1e6)
				if (x >= 1e3) return sprintf("%.2f us", x / 1e3)
				return sprintf("%.1f ns", x)
			}
			{ v[NR] = $1 }
			END {
				if (!NR) { printf "%-15s did not run\n", p; exit }
				med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
				dev = 100 * ((v[NR] - med > med - v[1]) ? v[NR] - med : med - v[1]) / med
				printf "%-15s %11s %11s %11s %7.2f %6.1f%%  %s\n", p, ns(v[1]),
				       ns(med), ns(v[NR]), v[NR] / v[1], dev, dev <= 10 ? "ok" : ">10%"
			}'
	done | { printf '%-15s %11s %11s %11s %7s %7s\n' probe min median max max/min "dev"; cat; }
done
