#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A long recording, measured: does the collector's memory stay flat, does the
# recording grow with ticks rather than with events, and how long does
# `hvtrace report` take on it? Records a workload for SECONDS (default 3600)
# that keeps making processes (about 30 fork+exec+exit a second), syscalls
# (1000 getppid each) and a new phase every minute; samples the recorder's
# RSS and the recording's size every SAMPLE seconds; then times `report`
# (text and JSON, best of 3) and prints bytes per tick.
#
#   sudo bench/longrun.sh [--seconds N] [--sample N] [--interval MS] [--keep DIR]
#
# Prints "t_s rss_kb hwm_kb bytes" lines while it runs, then a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/build}
HVT=$OUT/hvtrace
GT=$OUT/tests/prog/gt
SECONDS_RUN=3600
SAMPLE=60
INTERVAL=1000
KEEP=
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECONDS_RUN=$2; shift 2 ;;
	--sample) SAMPLE=$2; shift 2 ;;
	--interval) INTERVAL=$2; shift 2 ;;
	--keep) KEEP=$2; shift 2 ;;
	-h|--help) sed -n '4,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "longrun.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
for n in "$SECONDS_RUN" "$SAMPLE" "$INTERVAL"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "longrun.sh: '$n' is not a positive number" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "longrun.sh: needs root (BPF)" >&2; exit 1; }
[ -x "$HVT" ] && [ -x "$GT" ] || { echo "longrun.sh: build first (make; make $GT)" >&2; exit 1; }

W=${KEEP:-$(mktemp -d)}
mkdir -p "$W"
[ -n "$KEEP" ] || trap 'rm -rf "$W"' EXIT
cat >"$W/work.sh" <<EOF
#!/bin/sh
# A phase a minute; within it, processes and syscalls at a steady rate.
end=\$((\$(date +%s) + $SECONDS_RUN))
n=0
while [ "\$(date +%s)" -lt "\$end" ]; do
	n=\$((n + 1))
	"$HVT" mark "minute-\$n"
	m=\$((\$(date +%s) + 60))
	while [ "\$(date +%s)" -lt "\$m" ] && [ "\$(date +%s)" -lt "\$end" ]; do
		"$GT" getppid 1000
		sleep 0.1
	done
done
EOF
chmod +x "$W/work.sh"

echo "# longrun: ${SECONDS_RUN} s, tick ${INTERVAL} ms, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$HVT" record -q --no-calibrate -i "$INTERVAL" -o "$W/long.hvt" --label longrun -- "$W/work.sh" &
rec=$!
echo "t_s rss_kb hwm_kb bytes"
start=$(date +%s)
while kill -0 "$rec" 2>/dev/null; do
	st=$(awk '/^VmRSS/{r=$2} /^VmHWM/{h=$2} END{print r+0, h+0}' "/proc/$rec/status" 2>/dev/null || echo "0 0")
	sz=$( (cat "$W"/long.hvt* 2>/dev/null || true) | wc -c)
	echo "$(($(date +%s) - start)) $st $sz"
	for ((i = 0; i < SAMPLE; i++)); do kill -0 "$rec" 2>/dev/null || break; sleep 1; done
done
wait "$rec" || { echo "longrun.sh: the recording failed" >&2; exit 1; }

best() { # best of 3 wall times of "$@", in ms
	local b= t0 t1 d i
	for i in 1 2 3; do
		t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
		d=$(((t1 - t0) / 1000000)); [ -z "$b" ] || [ "$d" -lt "$b" ] && b=$d
	done
	echo "$b"
}
q() { sqlite3 "$W/long.hvt" "$1"; }
size=$(stat -c %s "$W/long.hvt")
ticks=$(q "SELECT COUNT(DISTINCT tick) FROM series")
rows=$(q "SELECT COUNT(*) FROM series")
procs=$(q "SELECT COUNT(*) FROM proc")
phases=$(q "SELECT COUNT(*) FROM phase")
calls=$(q "SELECT COALESCE(SUM(count),0) FROM stat WHERE view='guest' AND kind='syscall'" 2>/dev/null || echo '?')
echo "# summary"
echo "recording: $size bytes, $ticks ticks ($((size / (ticks > 0 ? ticks : 1))) bytes/tick), $rows series rows, $phases phases, $procs processes, $calls syscalls"
echo "report text: $(best "$HVT" report "$W/long.hvt") ms; report --json: $(best "$HVT" report --json "$W/long.hvt") ms"
echo "lost events: $(q "SELECT value FROM meta WHERE key='lost_events'")"
