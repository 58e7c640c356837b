# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shared helpers for tests/t_*.sh. Each check prints one line that
# tests/run.sh counts: "ok - NAME", "not ok - NAME: WHY" or "skip - NAME: WHY".
OUT=${OUT:?OUT must point at the build folder}
HVTRACE=$OUT/hvtrace
PROG=$OUT/tests/prog
TMP=$(mktemp -d /tmp/hvtrace-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

ok() { echo "ok - $1"; }
fail() { echo "not ok - $1: $2"; }
skip() { echo "skip - $1: $2"; }

# expect_eq NAME EXPECTED GOT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "expected '$2', got '$3'"; fi
}

# expect_fail NAME EXIT_CODE PATTERN -- CMD...: CMD must exit with EXIT_CODE
# and print PATTERN (grep -E) on stderr.
expect_fail() {
	local name=$1 code=$2 pat=$3 rc
	shift 4
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" != "$code" ]; then
		fail "$name" "exit $rc (wanted $code); stderr: $(head -c 300 "$TMP/err")"
	elif ! grep -qE -- "$pat" "$TMP/err"; then
		fail "$name" "stderr lacks /$pat/: $(head -c 300 "$TMP/err")"
	else
		ok "$name"
	fi
}

# sql FILE QUERY: one value from a recording.
sql() { sqlite3 -batch -noheader "$1" "$2"; }

need_root() {
	[ "$(id -u)" = 0 ] && return 0
	skip "$1" "needs root (BPF)"
	return 1
}

# expect_golden NAME GOLDEN -- CMD...: CMD must exit 0 and print exactly the file GOLDEN.
# UPDATE_GOLDEN=1 rewrites GOLDEN instead (review the diff before committing it).
expect_golden() {
	local name=$1 want=$2 rc
	shift 3
	"$@" >"$TMP/golden.out" 2>"$TMP/golden.err"
	rc=$?
	if [ "$rc" != 0 ]; then
		fail "$name" "exit $rc: $(head -c 300 "$TMP/golden.err")"
	elif [ -n "${UPDATE_GOLDEN:-}" ]; then
		cp "$TMP/golden.out" "$want"
		ok "$name (golden rewritten)"
	elif ! diff -u "$want" "$TMP/golden.out" >"$TMP/golden.diff"; then
		fail "$name" "output differs from $(basename "$want"):"
		head -n 30 "$TMP/golden.diff"
	else
		ok "$name"
	fi
}

# ---- The ground-truth workload in a guest, recorded from the host ----------------------
# A test guest (tools/mkguest.sh --with hvtrace-static:/bin/hvtrace and $PROG/gt) runs
# GT_GUEST_CMD: `hvtrace detect`, then tests/prog/gt under `hvtrace record` with three marked
# phases of known counts, its phases and recording sent to the host's recorder over the agent
# channel. expect_gt_merged checks the host's merged recording; tests/t_guest_host.sh (QEMU,
# --pid --channel) and tests/t_libvirt.sh (libvirt, --vm NAME) share both.
# shellcheck disable=SC2034 # used by the sourcing tests
GT_GUEST_CMD='export HVTRACE=/bin/hvtrace
hvtrace detect | head -n 1
hvtrace record --no-calibrate -q -o /tmp/g.hvt --label guest-tcg -- \
	gt mark a getppid 1000 mark b touch 300 mark c sleep 500'

# expect_gt_merged PREFIX REC: checks named PREFIX_*: the guest's phases (gt a b c) on the
# host's time line with a stated clock uncertainty, the guest's exact getppid count and its
# write faults, the host's view of QEMU (view vmm) in each phase, and that report reads it.
expect_gt_merged() {
	local p=$1 rec=$2 inside unc n ph
	expect_eq "${p}_merged" "sync" "$(sql "$rec" "SELECT value FROM meta WHERE key='clock_source'")"
	expect_eq "${p}_guest_phases" "gt a b c" "$(sql "$rec" "SELECT group_concat(name, ' ')
		FROM (SELECT name FROM phase ORDER BY id)")"
	expect_eq "${p}_exact_guest_getppid" 1000 "$(sql "$rec" "SELECT s.count FROM stat s
		JOIN phase p ON p.id = s.phase WHERE p.name = 'a' AND s.view = 'guest' AND s.name = 'getppid'")"
	# One fault per touched page, plus a few of gt's own (its stack, the mark's fork).
	n=$(sql "$rec" "SELECT COALESCE(SUM(s.count), 0) FROM stat s JOIN phase p ON p.id = s.phase
		WHERE p.name = 'b' AND s.view = 'guest' AND s.kind = 'fault' AND s.name = 'user-write'")
	if [ "$n" -ge 300 ] && [ "$n" -lt 400 ]; then ok "${p}_guest_write_faults"
	else fail "${p}_guest_write_faults" "expected 300..399 user-write faults in phase b, got '$n'"; fi
	# The guest's phases sit inside the host recording's time (host clock).
	inside=$(sql "$rec" "SELECT COUNT(*) FROM phase WHERE
		start_mono_ns >= (SELECT value FROM meta WHERE key='host.start_mono_ns') AND
		end_mono_ns <= (SELECT value FROM meta WHERE key='host.end_mono_ns')")
	expect_eq "${p}_phases_on_host_time_line" 4 "$inside"
	unc=$(sql "$rec" "SELECT value FROM meta WHERE key='clock_uncertainty_ns'")
	if [ "${unc:--1}" -gt 0 ] && [ "$unc" -lt 50000000 ]; then ok "${p}_clock_uncertainty_stated"
	else fail "${p}_clock_uncertainty_stated" "clock_uncertainty_ns '$unc' (want 0 < u < 50 ms)"; fi
	for ph in a b c; do
		n=$(sql "$rec" "SELECT COALESCE(SUM(s.count), 0) FROM stat s JOIN phase p ON p.id = s.phase
			WHERE p.name = '$ph' AND s.view = 'vmm' AND s.kind = 'syscall'")
		if [ "$n" -gt 0 ]; then ok "${p}_vmm_counts_in_phase_$ph"
		else fail "${p}_vmm_counts_in_phase_$ph" "no host-side syscalls of QEMU in phase $ph"; fi
	done
	if "$HVTRACE" report "$rec" >/dev/null; then ok "${p}_report_reads_merged"
	else fail "${p}_report_reads_merged" "report failed on the merged recording"; fi
}
