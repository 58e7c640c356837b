#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What `hvtrace record` adds to what it measures. Interleaved runs: for each
# workload, PAIRS times (untraced, traced); medians and min-max; the added
# cost per event is (median traced - median untraced) / events.
#
#   bench/overhead.sh [--pairs N] [--only getppid|touch|spawn|hello] [--write-docs]
#
# Workloads: 5,000,000 getppid (per syscall), 100,000 fresh page touches (per
# page fault), 300 fork+exec+wait (per process), and GNU hello from Debian's
# sources: tar xf, ./configure, make (a real autotools build; ratio only).
# The micro workloads time their own loop (tests/prog/gt -t), so the
# recorder's start-up is not counted as per-event cost; start-up is reported
# apart. Needs root and a built tree (make).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/build}
HVTRACE=$OUT/hvtrace
GT=$OUT/tests/prog/gt
PAIRS=5
ONLY=
WRITE_DOCS=0
while [ $# -gt 0 ]; do
	case $1 in
	--pairs) PAIRS=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	--write-docs) WRITE_DOCS=1; shift ;;
	-h|--help) sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "overhead.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "overhead.sh: needs root (BPF)" >&2; exit 1; }
[ -x "$HVTRACE" ] && [ -x "$GT" ] || { echo "overhead.sh: run 'make' first" >&2; exit 1; }
WORK=$(mktemp -d /tmp/hvtrace-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }

# gt_ns ARGS...: the loop's own time, from gt -t.
gt_ns() { "$@" 2>&1 >/dev/null | awk '/^elapsed_ns/ { print $2 }'; }

RESULTS=()
# micro NAME EVENTS STEP ARG: interleaved untraced/traced runs of gt.
micro() {
	local name=$1 events=$2 step=$3 arg=$4 i base=() traced=() start=()
	echo "== $name: $events events, $PAIRS pairs" >&2
	for ((i = 0; i < PAIRS; i++)); do
		base+=("$(gt_ns "$GT" -t "$step" "$arg")")
		local t0 t1
		t0=$(date +%s%N)
		traced+=("$(gt_ns "$HVTRACE" record -q -o "$WORK/m.hvt" -- "$GT" -t "$step" "$arg")")
		t1=$(date +%s%N)
		# Start-up: outside time minus the workload's own recorded wall time.
		start+=("$(( (t1 - t0) - $(sqlite3 "$WORK/m.hvt" "SELECT value FROM meta WHERE key='wall_ns'") ))")
		echo "   pair $((i + 1)): untraced ${base[-1]} ns, traced ${traced[-1]} ns" >&2
	done
	local mb mt
	mb=$(printf '%s\n' "${base[@]}" | median)
	mt=$(printf '%s\n' "${traced[@]}" | median)
	RESULTS+=("$(awk -v n="$name" -v e="$events" -v b="$mb" -v t="$mt" \
		-v rb="$(printf '%s\n' "${base[@]}" | minmax)" \
		-v rt="$(printf '%s\n' "${traced[@]}" | minmax)" \
		-v su="$(printf '%s\n' "${start[@]}" | median)" 'BEGIN {
		printf "| %s | %d | %.1f (%s) | %.1f (%s) | %.3fx | %+.0f | %.0f |",
			n, e, b / 1e6, rb, t / 1e6, rt, t / b, (t - b) / e, su / 1e6 }')")
}

hello_src() {
	local cache=/var/cache/hvtrace/hello
	if ! ls "$cache"/hello_*.orig.tar.gz >/dev/null 2>&1; then
		mkdir -p "$cache"
		(cd "$cache" && apt-get source --download-only -q hello >/dev/null 2>&1) ||
			{ echo "overhead.sh: apt-get source hello failed (deb-src reachable?)" >&2; return 1; }
	fi
	ls "$cache"/hello_*.orig.tar.gz | head -n1
}

hello() {
	local tarball i base=() traced=()
	tarball=$(hello_src) || return 0
	cat >"$WORK/build.sh" <<EOS
#!/bin/sh
set -e
cd "$WORK/b"
tar xf "$tarball"
cd hello-*/
./configure >/dev/null
make -j2 >/dev/null
EOS
	chmod +x "$WORK/build.sh"
	echo "== hello: tar + configure + make, $PAIRS pairs" >&2
	for ((i = 0; i < PAIRS; i++)); do
		local t0 t1
		rm -rf "$WORK/b"; mkdir "$WORK/b"
		t0=$(date +%s%N); "$WORK/build.sh"; t1=$(date +%s%N)
		base+=("$((t1 - t0))")
		rm -rf "$WORK/b"; mkdir "$WORK/b"
		"$HVTRACE" record -q -o "$WORK/h.hvt" -- "$WORK/build.sh"
		traced+=("$(sqlite3 "$WORK/h.hvt" "SELECT value FROM meta WHERE key='wall_ns'")")
		echo "   pair $((i + 1)): untraced ${base[-1]} ns, traced ${traced[-1]} ns" >&2
	done
	local mb mt
	mb=$(printf '%s\n' "${base[@]}" | median)
	mt=$(printf '%s\n' "${traced[@]}" | median)
	RESULTS+=("$(awk -v b="$mb" -v t="$mt" -v rb="$(printf '%s\n' "${base[@]}" | minmax)" \
		-v rt="$(printf '%s\n' "${traced[@]}" | minmax)" 'BEGIN {
		printf "| hello build | - | %.1f (%s) | %.1f (%s) | %.3fx | - | - |", b / 1e6, rb, t / 1e6, rt, t / b }')")
}

want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
want getppid && micro "getppid (ns/syscall)" 5000000 getppid 5000000
want touch && micro "page touch (ns/fault)" 100000 touch 100000
want spawn && micro "fork+exec (ns/process)" 300 spawn 300
want hello && hello

TABLE=$(
	echo "Measured $(date -u +%Y-%m-%d) on $(uname -r), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $PAIRS interleaved pairs; times in ms as median (min-max ns)."
	echo
	echo "| workload | events | untraced ms (range ns) | traced ms (range ns) | ratio | added ns/event | start-up ms |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
	printf '%s\n' "${RESULTS[@]}"
)
echo "$TABLE"
if [ "$WRITE_DOCS" = 1 ]; then
	doc=docs/performance.md
	[ -f "$doc" ] || printf '# Performance\n' >"$doc"
	# Replace the block between the markers, or append one.
	if grep -q '<!-- overhead:begin -->' "$doc"; then
		awk -v t="$TABLE" '/<!-- overhead:begin -->/ { print; print t; skip = 1; next }
			/<!-- overhead:end -->/ { skip = 0 } !skip' "$doc" >"$doc.tmp" && mv "$doc.tmp" "$doc"
	else
		printf '\n## Overhead of `hvtrace record` (bench/overhead.sh)\n\n<!-- overhead:begin -->\n%s\n<!-- overhead:end -->\n' "$TABLE" >>"$doc"
	fi
	echo "written to $doc" >&2
fi
