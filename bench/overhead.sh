#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What `hvtrace record` adds to what it measures, beside the other ways of
# getting the same numbers. For each workload, ROUNDS rounds; each round runs
# every mode once, in an order that rotates from round to round, so that each
# mode's run sits next to an untraced one and a machine that drifts moves all
# modes alike. Per mode: the median time and its min-max, ns per event, and
# the added ns per event as the median (min-max) of the per-round differences
# to the untraced run of the same round.
#
#   bench/overhead.sh [--pairs N] [--quick] [--only LIST] [--modes LIST]
#                     [--samba] [--write-docs]
#
#   --pairs N     rounds per workload (default 5)
#   --quick       fewer events (getppid 500,000, touch 20,000, spawn 100), 3 rounds
#   --only LIST   workloads, comma-separated: getppid, touch, spawn, hello,
#                 collector (default: all of them; samba only with --samba)
#   --modes LIST  untraced, hvtrace, floor, bpftrace, perf, strace (default: all)
#   --samba       also the samba minimal build (minutes per run; needs
#                 `apt-get build-dep samba`)
#   --write-docs  put the tables into docs/performance.md (between markers)
#
# Workloads: getppid loop (per syscall), page-touch loop (per page fault),
# fork+exec+wait loop (per process; run by a child of the workload's root, as a
# build's processes are, since under hvtrace a direct child's exec opens a
# phase), GNU hello's tar, configure and make run by tools/bench.sh, and
# samba. The loops time themselves (tests/prog/gt -t), the
# builds are timed by a wrapper inside the workload, so no mode's start-up is
# counted as per-event cost. Modes:
#   untraced  the workload alone
#   hvtrace   hvtrace record --no-calibrate (all guest probes; host view where
#             the kernel has KVM tracepoints)
#   floor     build/bench/floor: empty programs on sys_enter, sys_exit and
#             page_fault_user, what any BPF tracer pays before doing anything
#   bpftrace  the same probes as a bpftrace script (scope by tid in hash maps)
#   perf      perf stat counting syscalls, faults, execs and software events
#   strace    strace -f -c (getppid with 1/20 of the events: ptrace is slow)
# "collector" measures start-up, the recorder's memory on a long recording
# (--interval 10 over 60 s = 6000 ticks, as many as 1.7 h at 1 s), the time
# of `hvtrace report` on it, recording size against ticks and events, and
# lost events. Runs wait (up to a minute) while another tracer's BPF programs
# are attached, as they would put the untraced runs on the slow path too.
# Needs root and a built tree (make).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$PWD/build}
HVTRACE=$OUT/hvtrace
GT=$OUT/tests/prog/gt
FLOOR=$OUT/bench/floor
PAIRS=5
PAIRS_SET=0
QUICK=0
ONLY=getppid,touch,spawn,hello,collector
MODES=untraced,hvtrace,floor,bpftrace,perf,strace
SAMBA=0
WRITE_DOCS=0
while [ $# -gt 0 ]; do
	case $1 in
	--pairs) PAIRS=$2; PAIRS_SET=1; shift 2 ;;
	--quick) QUICK=1; shift ;;
	--only) ONLY=$2; shift 2 ;;
	--modes) MODES=$2; shift 2 ;;
	--samba) SAMBA=1; shift ;;
	--write-docs) WRITE_DOCS=1; shift ;;
	-h|--help) sed -n '3,45p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "overhead.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
	esac
done
case $PAIRS in '' | *[!0-9]* | 0) echo "overhead.sh: --pairs wants a number > 0" >&2; exit 2 ;; esac
N_GETPPID=5000000 N_TOUCH=100000 N_SPAWN=300
if [ "$QUICK" = 1 ]; then
	N_GETPPID=500000 N_TOUCH=20000 N_SPAWN=100
	[ "$PAIRS_SET" = 1 ] || PAIRS=3
fi
[ "$SAMBA" = 0 ] || ONLY=$ONLY,samba
[ "$(id -u)" = 0 ] || { echo "overhead.sh: needs root (BPF)" >&2; exit 1; }
[ -x "$HVTRACE" ] && [ -x "$GT" ] && [ -x "$FLOOR" ] ||
	{ echo "overhead.sh: run 'make' first" >&2; exit 1; }
WORK=$(mktemp -d /tmp/hvtrace-overhead.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export HVTRACE

has() { [[ ",$1," == *",$2,"* ]]; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) exit; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s %s", lo, hi }'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# ---- which modes can run here -----------------------------------------------
declare -A NOTE
for m in ${MODES//,/ }; do
	case $m in
	untraced | hvtrace | floor) ;;
	bpftrace) command -v bpftrace >/dev/null || NOTE[$m]="not installed" ;;
	perf) command -v perf >/dev/null || NOTE[$m]="not installed" ;;
	strace) command -v strace >/dev/null || NOTE[$m]="not installed" ;;
	*) echo "overhead.sh: unknown mode '$m'" >&2; exit 2 ;;
	esac
done
has "$MODES" untraced || { echo "overhead.sh: --modes must include untraced" >&2; exit 2; }
PERF_EVENTS=task-clock,page-faults,context-switches,cpu-migrations,raw_syscalls:sys_enter
PERF_EVENTS=$PERF_EVENTS,exceptions:page_fault_user,exceptions:page_fault_kernel
PERF_EVENTS=$PERF_EVENTS,sched:sched_process_exec
if has "$MODES" perf && [ -z "${NOTE[perf]:-}" ] &&
	! perf stat -e "$PERF_EVENTS" -o /dev/null -- true 2>/dev/null; then
	NOTE[perf]="cannot count tracepoints (tracefs mounted?)"
fi

# The bpftrace equivalent of the guest view: per-syscall count, time and log2
# histogram, faults by kind, fork/exec/exit, context switches and run-queue
# delay, for the command's process tree (followed through fork, by tid).
cat >"$WORK/equiv.bt" <<'EOF'
BEGIN { @scope[cpid] = 1; }
tracepoint:sched:sched_process_fork /@scope[args->parent_pid]/
{
	@scope[args->child_pid] = 1;
	@proc["fork"] = count();
}
tracepoint:sched:sched_process_exec /@scope[tid]/ { @proc["exec"] = count(); }
tracepoint:sched:sched_process_exit /@scope[tid]/
{
	@proc["exit"] = count();
	delete(@scope[tid]);
}
tracepoint:raw_syscalls:sys_enter /@scope[tid]/ { @start[tid] = nsecs; }
tracepoint:raw_syscalls:sys_exit /@start[tid]/
{
	$d = nsecs - @start[tid];
	@sys_ns[args->id] = sum($d);
	@sys_hist[args->id] = hist($d);
	delete(@start[tid]);
}
tracepoint:exceptions:page_fault_user /@scope[tid]/ { @fault["user", args->error_code & 0x12] = count(); }
tracepoint:exceptions:page_fault_kernel /@scope[tid]/ { @fault["kernel", args->error_code & 0x12] = count(); }
tracepoint:sched:sched_wakeup /@scope[args->pid]/ { @queued[args->pid] = nsecs; }
tracepoint:sched:sched_wakeup_new /@scope[args->pid]/ { @queued[args->pid] = nsecs; }
tracepoint:sched:sched_switch
{
	if (@scope[args->prev_pid]) {
		if (args->prev_state == 0) {
			@queued[args->prev_pid] = nsecs;
			@switch["involuntary"] = count();
		} else {
			@switch["voluntary"] = count();
		}
	}
	if (@queued[args->next_pid]) {
		@runq = hist(nsecs - @queued[args->next_pid]);
		delete(@queued[args->next_pid]);
	}
}
END { clear(@scope); clear(@start); clear(@queued); }
EOF

# ---- running one thing under one mode ---------------------------------------
# Another recorder's programs on the same tracepoints would slow the untraced
# runs too: wait for them to go (up to a minute), and count the runs that could not.
CONTENDED=0
foreign_tracers() {
	bpftool link list 2>/dev/null | grep -cE '^[0-9]+: +(raw_tracepoint|tracing|perf_event)' || true
}
wait_alone() {
	local i
	for ((i = 0; i < 60; i++)); do
		[ "$(foreign_tracers)" = 0 ] && return 0
		[ "$i" = 0 ] && echo "   (other tracers attached: waiting)" >&2
		sleep 1
	done
	CONTENDED=$((CONTENDED + 1))
}

LOST=()
STARTUP=()
# run_mode MODE CMD...: runs CMD under MODE; NS is the workload's own elapsed_ns.
# (Not in a subshell: it keeps STARTUP, LOST and CONTENDED.)
NS= CPUNS=
run_mode() {
	local mode=$1 err=$WORK/err t0
	shift
	wait_alone
	case $mode in
	untraced) "$@" 2>"$err" >/dev/null ;;
	hvtrace)
		t0=$(date +%s%N)
		"$HVTRACE" record -q --no-calibrate -o "$WORK/rec.hvt" -- "$@" 2>"$err" >/dev/null
		# Start-up: from the command line to the workload's release, all probes on.
		STARTUP+=("$(($(sqlite3 "$WORK/rec.hvt" "SELECT value FROM meta WHERE
			key='start_real_ns'") - t0))")
		LOST+=("$(sqlite3 "$WORK/rec.hvt" "SELECT value FROM meta WHERE key='lost_events'")")
		;;
	floor) "$FLOOR" -- "$@" 2>"$err" >/dev/null ;;
	bpftrace) bpftrace -q -c "/usr/bin/env $*" "$WORK/equiv.bt" 2>"$err" >"$WORK/bpftrace.out" ;;
	perf) perf stat -e "$PERF_EVENTS" -o "$WORK/perf.txt" -- "$@" 2>"$err" >/dev/null ;;
	strace) strace -f -c -o "$WORK/strace.txt" -- "$@" 2>"$err" >/dev/null ;;
	esac
	NS=$(awk '/^elapsed_ns/ { print $2 }' "$err" | tail -n1)
	CPUNS=$(awk '/^cpu_ns/ { print $2 }' "$err" | tail -n1)
	if [ -z "$NS" ]; then
		echo "overhead.sh: $mode run of '$*' failed:" >&2
		tail -n 5 "$err" >&2
		return 1
	fi
}

# ---- one workload, every mode, interleaved -----------------------------------
# One row of the table from one mode's times (v) and the untraced ones of the
# same rounds (b); prints the median added ns/event, a tab, then the row.
SUMMARY_AWK='
function med(a, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	lo = a[1]; hi = a[n]
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
BEGIN {
	n = split(v, x, " "); split(b, y, " ")
	for (i = 1; i <= n; i++) {
		t[i] = x[i]; r[i] = x[i] / y[i]
		if (e) d[i] = x[i] / e - y[i] / be
	}
	m = med(t, n); tlo = lo; thi = hi
	ratio = med(r, n)
	per = "-"; added = "-"; xf = "-"; dm = ""
	if (e) {
		per = sprintf("%.0f", m / e)
		if (mode != "untraced") {
			dm = med(d, n)
			added = sprintf("%+.0f (%+.0f to %+.0f)", dm, lo, hi)
			if (mode == "floor")
				xf = "1.00"
			else if (fa != "" && fa > 0)
				xf = sprintf("%.2f", dm / fa)
		}
	}
	printf "%s\t| %s | %s | %s | %.1f (%.1f-%.1f) | %s | %s | %.3f | %s |\n", dm, name, mode,
		e ? e " " unit : "-", m / 1e6, tlo / 1e6, thi / 1e6, per, added, ratio, xf
}'

# The added CPU ns per event (median and range of the per-round differences)
# and its ratio to the floor's; prints the median, a tab, then two cells.
CPU_AWK='
BEGIN {
	n = split(v, x, " "); split(b, y, " ")
	if (!e || mode == "untraced" || x[1] == 0 || y[1] == 0) { print "\t- | -"; exit }
	for (i = 1; i <= n; i++) d[i] = x[i] / e - y[i] / be
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && d[j - 1] > d[j]; j--) { t = d[j]; d[j] = d[j - 1]; d[j - 1] = t }
	m = n % 2 ? d[(n + 1) / 2] : (d[n / 2] + d[n / 2 + 1]) / 2
	xf = mode == "floor" ? "1.00" : (fc != "" && fc > 0 ? sprintf("%.2f", m / fc) : "-")
	printf "%s\t%+.0f (%+.0f to %+.0f) | %s\n", m, m, d[1], d[n], xf
}'

ROWS=()
# workload NAME UNIT EVENTS CMD...: CMD must print "elapsed_ns N" on stderr.
# EVENTS 0: a build (ratio only). The strace mode runs `strace_cmd` when set.
workload() {
	local name=$1 unit=$2 events=$3 r k m
	shift 3
	local active=()
	for m in ${MODES//,/ }; do
		[ -n "${NOTE[$m]:-}" ] && continue
		active+=("$m")
	done
	declare -A vals ev cpuv
	echo "== $name: ${#active[@]} modes, $PAIRS rounds (load $(loadavg))" >&2
	for ((r = 0; r < PAIRS; r++)); do
		for ((k = 0; k < ${#active[@]}; k++)); do
			m=${active[$(((k + r) % ${#active[@]}))]}
			ev[$m]=$events
			if [ "$m" = strace ] && [ -n "${strace_cmd:-}" ]; then
				ev[$m]=$strace_events
				run_mode "$m" $strace_cmd || return 0
			else
				run_mode "$m" "$@" || return 0
			fi
			vals[$m]="${vals[$m]:-} $NS"
			cpuv[$m]="${cpuv[$m]:-} ${CPUNS:-0}"
			printf '   round %d %-9s %8d us\n' $((r + 1)) "$m" $((NS / 1000)) >&2
		done
	done
	# Per mode: median ms, range, ns/event, added ns/event per round, ratios.
	local floor_added= floor_cpu= row cpu
	for m in "${active[@]}"; do
		row=$(awk -v name="$name" -v mode="$m" -v unit="$unit" -v e="${ev[$m]}" \
			-v be="$events" -v v="${vals[$m]}" -v b="${vals[untraced]}" \
			-v fa="$floor_added" "$SUMMARY_AWK")
		[ "$m" = floor ] && floor_added=${row%%$'\t'*}
		# The same from the workload's CPU time (loops only): steadier on a busy machine.
		cpu=$(awk -v mode="$m" -v e="${ev[$m]}" -v be="$events" -v v="${cpuv[$m]}" \
			-v b="${cpuv[untraced]}" -v fc="$floor_cpu" "$CPU_AWK")
		[ "$m" = floor ] && floor_cpu=${cpu%%$'\t'*}
		row=${row#*$'\t'}
		ROWS+=("${row% |} | ${cpu#*$'\t'} |")
	done
	# Modes that could not run still get a row saying why.
	for m in ${MODES//,/ }; do
		[ -n "${NOTE[$m]:-}" ] && ROWS+=("| $name | $m | - | ${NOTE[$m]} | - | - | - | - | - | - |")
	done
	return 0
}

# The floor's added cost must be measured before the modes divided by it:
# workload() rotates the order of runs, but computes rows in MODES order.
MODES=$(echo "$MODES" | tr ',' '\n' | awk '$1 == "untraced" { print; next } $1 == "floor" { f = 1; next }
	{ o[++n] = $1 } END { if (f) print "floor"; for (i = 1; i <= n; i++) print o[i] }' | paste -sd,)

src_tarball() {
	local cache=/var/cache/hvtrace/hello
	if ! ls "$cache"/hello_*.orig.tar.gz >/dev/null 2>&1; then
		mkdir -p "$cache"
		(cd "$cache" && apt-get source --download-only -q hello >/dev/null 2>&1) ||
			{ echo "overhead.sh: apt-get source hello failed (deb-src? run mk/deps.sh)" >&2; return 1; }
	fi
	ls "$cache"/hello_*.orig.tar.gz | head -n1
}

# build_wrapper FILE BENCH-ARGS...: a workload that runs tools/bench.sh and
# prints its own elapsed time (bash's clock: no extra process).
build_wrapper() {
	local f=$1
	shift
	{
		echo '#!/bin/bash'
		echo 't0=${EPOCHREALTIME/./}'
		printf '%q ' "$ROOT/tools/bench.sh" "$@"
		echo ">/dev/null 2>\"$WORK/build.log\" || { tail -n 20 \"$WORK/build.log\" >&2; exit 1; }"
		echo 't1=${EPOCHREALTIME/./}'
		echo 'echo "elapsed_ns $(((t1 - t0) * 1000))" >&2'
	} >"$f"
	chmod +x "$f"
}

want() { has "$ONLY" "$1"; }
LOAD0=$(loadavg)
T0=$(date +%s)
if want getppid; then
	strace_cmd="$GT -t getppid $((N_GETPPID / 20))" strace_events=$((N_GETPPID / 20)) \
		workload "getppid loop" syscalls "$N_GETPPID" "$GT" -t getppid "$N_GETPPID"
fi
want touch && workload "page-touch loop" faults "$N_TOUCH" "$GT" -t touch "$N_TOUCH"
# A grandchild of the workload's root, as a build's processes are: under
# hvtrace each exec by a direct child of the root would open a phase.
if want spawn; then
	printf '#!/bin/sh\n%q -t spawn %d\ntrue\n' "$GT" "$N_SPAWN" >"$WORK/spawn.sh"
	chmod +x "$WORK/spawn.sh"
	workload "fork+exec loop" processes "$N_SPAWN" "$WORK/spawn.sh"
fi
if want hello && tarball=$(src_tarball); then
	build_wrapper "$WORK/hello.sh" --tarball "$tarball"
	workload "GNU hello build" - 0 "$WORK/hello.sh"
fi
if want samba; then
	dsc=$(ls /var/cache/hvtrace/samba/samba_*.dsc 2>/dev/null | head -n1 || true)
	if [ -z "$dsc" ]; then
		mkdir -p /var/cache/hvtrace/samba
		(cd /var/cache/hvtrace/samba && apt-get source --download-only -q samba >/dev/null 2>&1) || true
		dsc=$(ls /var/cache/hvtrace/samba/samba_*.dsc 2>/dev/null | head -n1 || true)
	fi
	if [ -n "$dsc" ]; then
		build_wrapper "$WORK/samba.sh" --dsc "$dsc" --subdir . -- --without-ad-dc --without-ads \
			--without-pam --disable-python --without-systemd
		workload "samba minimal build" - 0 "$WORK/samba.sh"
	else
		ROWS+=("| samba minimal build | - | - | no samba source (apt-get source samba failed) | - | - | - | - | - | - |")
	fi
fi

# ---- the collector: start-up, memory, report time, size, lost events --------
COLLECTOR=()
collector() {
	local rec=$WORK/long.hvt t ticks rss wall u s wu ws rep size i n
	echo "== collector: 60 s at --interval 10, then size against ticks and events" >&2
	for ((i = 0; i < 5; i++)); do
		run_mode hvtrace "$GT" -t getppid 1
	done
	wait_alone
	# A single phase: the loop runs in a grandchild of the workload's root.
	/usr/bin/time -f '%M %e %U %S' -o "$WORK/time.txt" "$HVTRACE" record -q --no-calibrate \
		--interval 10 -o "$rec" -- bash -c "bash -c 'end=\$((SECONDS + 60))
			while ((SECONDS < end)); do $GT getppid 2000 touch 50 spawn 1 sleep 5; done'"
	read -r rss wall u s <"$WORK/time.txt"
	ticks=$(sqlite3 "$rec" "SELECT MAX(tick) + 1 FROM series")
	wu=$(sqlite3 "$rec" "SELECT value FROM meta WHERE key='rusage_user_ns'")
	ws=$(sqlite3 "$rec" "SELECT value FROM meta WHERE key='rusage_sys_ns'")
	LOST+=("$(sqlite3 "$rec" "SELECT value FROM meta WHERE key='lost_events'")")
	size=$(stat -c %s "$rec")
	rep=()
	for ((i = 0; i < 3; i++)); do
		t=$(date +%s%N)
		"$HVTRACE" report "$rec" >/dev/null
		rep+=("$(($(date +%s%N) - t))")
	done
	n=$(sqlite3 "$rec" "SELECT SUM(count) FROM stat WHERE kind='syscall'")
	COLLECTOR+=("| start-up: command line to workload released, all probes attached (median of ${#STARTUP[@]}) | $(printf '%.3f s' "$(printf '%s\n' "${STARTUP[@]}" | median | awk '{ print $1 / 1e9 }')") | <= 0.3 s |")
	COLLECTOR+=("| recorder max RSS, $ticks ticks (60 s at 10 ms, as many as $(awk -v t="$ticks" 'BEGIN { printf "%.1f", t / 3600 }') h at 1 s) | $(awk -v k="$rss" 'BEGIN { printf "%.1f MB", k / 1024 }') | <= 64 MB |")
	COLLECTOR+=("| recorder CPU over those ticks (its own, the workload's taken out) | $(awk -v u="$u" -v s="$s" -v wu="$wu" -v ws="$ws" -v w="$wall" -v t="$ticks" 'BEGIN { c = u + s - (wu + ws) / 1e9; printf "%.2f s = %.1f %% of one CPU, %.0f us per tick", c, 100 * c / w, 1e6 * c / t }') | - |")
	COLLECTOR+=("| \`hvtrace report\` on that recording ($(awk -v b="$size" 'BEGIN { printf "%.1f MB", b / 1048576 }'), $n syscalls; median of 3) | $(printf '%s\n' "${rep[@]}" | median | awk '{ printf "%.3f s", $1 / 1e9 }') | < 1 s |")
	# Same ticks, 20x the events; then twice the ticks.
	local k secs
	for k in "10 100" "10 2000" "20 100"; do
		read -r secs n <<<"$k"
		wait_alone
		"$HVTRACE" record -q --no-calibrate --interval 10 -o "$WORK/size.hvt" -- bash -c \
			"bash -c 'end=\$((SECONDS + $secs)); while ((SECONDS < end)); do $GT getppid $n sleep 5; done'"
		ticks=$(sqlite3 "$WORK/size.hvt" "SELECT MAX(tick) + 1 FROM series")
		LOST+=("$(sqlite3 "$WORK/size.hvt" "SELECT value FROM meta WHERE key='lost_events'")")
		# Checkpointed and closed: the file is all there is.
		size=$(stat -c %s "$WORK/size.hvt")
		COLLECTOR+=("| size: ${secs} s, $ticks ticks, $(sqlite3 "$WORK/size.hvt" "SELECT SUM(count) FROM stat WHERE kind='syscall'") syscalls | $(awk -v b="$size" -v t="$ticks" 'BEGIN { printf "%.0f KB, %.0f bytes per tick", b / 1024, b / t }') | linear in ticks |")
	done
}
want collector && collector
LOST_MAX=$(printf '%s\n' "${LOST[@]:-0}" | sort -n | tail -n1)
LOAD1=$(loadavg)

# ---- the tables ---------------------------------------------------------------
MACHINE="$(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
HV=$("$HVTRACE" detect 2>/dev/null | head -n1 || true)
TABLE=$(
	echo "Measured $(date -u +%Y-%m-%d) on ${HV:+$HV, }$MACHINE; load average $LOAD0 before, $LOAD1 after ($(( ($(date +%s) - T0) / 60 )) min); $PAIRS rounds per workload$([ "$CONTENDED" = 0 ] || echo ", $CONTENDED runs with another tracer attached")."
	echo
	echo "| workload | mode | events | median ms (min-max) | ns/event | added ns/event: median (min to max) | x untraced | x floor | added CPU ns/event | x floor (CPU) |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	printf '%s\n' "${ROWS[@]}"
	if ((${#COLLECTOR[@]})); then
		echo
		echo "| collector | measured | target |"
		echo "| --- | --- | --- |"
		printf '%s\n' "${COLLECTOR[@]}"
	fi
	echo
	echo "Lost events: at most $LOST_MAX per recording over ${#LOST[@]} recordings (target 0)."
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
