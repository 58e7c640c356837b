#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Host and guest together, for real: a QEMU TCG guest runs hvtrace-static
# recording the ground-truth workload with three marked phases and sends its
# phases, clock answers and recording over virtio-serial, while the host
# records the QEMU process with --channel. Checks the merged recording: the
# guest's phases on the host's time line, exact guest syscall counts, a
# stated clock uncertainty, host-side (vmm) counts in each phase, and that
# `detect` in the guest says QEMU TCG. Needs root and QEMU (CI has both).
set -u
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GUEST=$OUT/tests/guest-host
QPID=
stop() {
	[ -n "$QPID" ] && kill "$QPID" 2>/dev/null
	rm -rf "$TMP"
}
trap stop EXIT

if [ "$(id -u)" != 0 ]; then
	if [ -n "${CI:-}" ]; then fail guest_host "needs root (CI runs as root)"; exit 1; fi
	skip guest_host "needs root"
	exit 0
fi
command -v qemu-system-x86_64 >/dev/null ||
	{ fail guest_host "qemu-system-x86_64 not found: run 'sudo make deps'"; exit 1; }

t0=$(date +%s)
cp "$OUT/hvtrace-static" "$TMP/hvtrace"
if ! "$ROOT/tools/mkguest.sh" --out "$GUEST" --with "$TMP/hvtrace" "$PROG/gt" >"$TMP/mk.log" 2>&1; then
	fail guest_host_image "mkguest.sh failed: $(tail -n 5 "$TMP/mk.log")"
	exit 1
fi
SOCK=$TMP/agent.sock
"$ROOT/tools/qemu-run.sh" --guest "$GUEST" --mem 1024 --cpus 2 --timeout 150 \
	--serial-sock "$SOCK" --pidfile "$TMP/qemu.pid" --output "$TMP/guest.out" --cmd '
	export HVTRACE=/bin/hvtrace
	hvtrace detect | head -n 1
	hvtrace record --no-calibrate -q -o /tmp/g.hvt --label guest-tcg -- \
		gt mark a getppid 1000 mark b touch 300 mark c sleep 500' >"$TMP/qemu.log" 2>&1 &
qrun=$!
for _ in $(seq 300); do [ -s "$TMP/qemu.pid" ] && break; sleep 0.1; done
QPID=$(cat "$TMP/qemu.pid" 2>/dev/null)
if [ -z "$QPID" ]; then
	fail guest_host_boot "QEMU did not start: $(tail -n 5 "$TMP/qemu.log")"
	exit 1
fi
"$HVTRACE" record -q --no-calibrate --pid "$QPID" --channel "$SOCK" -o "$TMP/both.hvt" \
	2>"$TMP/host.err"
expect_eq guest_host_recorder_exit_zero 0 $?
wait "$qrun"
expect_eq guest_host_guest_command_exit_zero 0 $?
QPID=
REC=$TMP/both.hvt

expect_eq guest_host_merged "sync" "$(sql "$REC" "SELECT value FROM meta WHERE key='clock_source'")"
expect_eq guest_host_guest_phases "gt a b c" "$(sql "$REC" "SELECT group_concat(name, ' ')
	FROM (SELECT name FROM phase ORDER BY id)")"
expect_eq guest_host_exact_guest_getppid 1000 "$(sql "$REC" "SELECT s.count FROM stat s
	JOIN phase p ON p.id = s.phase WHERE p.name = 'a' AND s.view = 'guest' AND s.name = 'getppid'")"
# The guest's phases sit inside the host recording's time (host clock).
inside=$(sql "$REC" "SELECT COUNT(*) FROM phase WHERE
	start_mono_ns >= (SELECT value FROM meta WHERE key='host.start_mono_ns') AND
	end_mono_ns <= (SELECT value FROM meta WHERE key='host.end_mono_ns')")
expect_eq guest_host_phases_on_host_time_line 4 "$inside"
unc=$(sql "$REC" "SELECT value FROM meta WHERE key='clock_uncertainty_ns'")
if [ "${unc:--1}" -gt 0 ] && [ "$unc" -lt 50000000 ]; then ok guest_host_clock_uncertainty_stated
else fail guest_host_clock_uncertainty_stated "clock_uncertainty_ns '$unc' (want 0 < u < 50 ms)"; fi
for ph in a b c; do
	n=$(sql "$REC" "SELECT COALESCE(SUM(s.count), 0) FROM stat s JOIN phase p ON p.id = s.phase
		WHERE p.name = '$ph' AND s.view = 'vmm' AND s.kind = 'syscall'")
	if [ "$n" -gt 0 ]; then ok "guest_host_vmm_counts_in_phase_$ph"
	else fail "guest_host_vmm_counts_in_phase_$ph" "no host-side syscalls of QEMU in phase $ph"; fi
done
grep -q 'QEMU TCG' "$TMP/guest.out" && ok guest_host_detect_says_qemu_tcg ||
	fail guest_host_detect_says_qemu_tcg "guest detect said: $(head -c 200 "$TMP/guest.out")"
"$HVTRACE" report "$REC" >/dev/null && ok guest_host_report_reads_merged ||
	fail guest_host_report_reads_merged "report failed on the merged recording"
t1=$(date +%s)
if [ $((t1 - t0)) -lt 120 ]; then ok guest_host_under_two_minutes
else fail guest_host_under_two_minutes "took $((t1 - t0)) s"; fi
