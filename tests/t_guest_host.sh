#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Host and guest together, for real: a QEMU TCG guest runs hvtrace-static
# recording the ground-truth workload with three marked phases and sends its
# phases, clock answers and recording over virtio-serial, while the host
# records the QEMU process with --channel. Checks the merged recording
# (expect_gt_merged in tests/lib.sh: the guest's phases on the host's time
# line, exact guest syscall counts, a stated clock uncertainty, host-side
# (vmm) counts in each phase) and that `detect` in the guest says QEMU TCG;
# then that the clock offset is where QEMU's start puts the guest's boot, and
# that what the host counted outside the guest's phases is told per kind
# (exactly the series' remainder) and its series rows have phase -1.
# tests/t_libvirt.sh does the same through libvirt. Needs root and QEMU (CI
# has both).
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
	--serial-sock "$SOCK" --pidfile "$TMP/qemu.pid" --output "$TMP/guest.out" \
	--cmd "$GT_GUEST_CMD" >"$TMP/qemu.log" 2>&1 &
qrun=$!
for _ in $(seq 300); do [ -s "$TMP/qemu.pid" ] && break; sleep 0.1; done
QPID=$(cat "$TMP/qemu.pid" 2>/dev/null)
if [ -z "$QPID" ]; then
	fail guest_host_boot "QEMU did not start: $(tail -n 5 "$TMP/qemu.log")"
	exit 1
fi
# QEMU's start on the host's clock (field 22 of stat, clock ticks since boot).
qstart=$(awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$QPID/stat" 2>/dev/null)
"$HVTRACE" record --no-calibrate --pid "$QPID" --channel "$SOCK" -o "$TMP/both.hvt" \
	2>"$TMP/host.err"
expect_eq guest_host_recorder_exit_zero 0 $?
wait "$qrun"
expect_eq guest_host_guest_command_exit_zero 0 $?
QPID=
REC=$TMP/both.hvt

expect_gt_merged guest_host "$REC"

# The offset is hours when the host has run for hours: the guest's clock
# counts from its own boot, which came a little after QEMU started.
off=$(sql "$REC" "SELECT value FROM meta WHERE key = 'clock_offset_ns'")
if [[ $qstart =~ ^[0-9]+$ && $off =~ ^-?[0-9]+$ ]]; then
	qemu_start_ns=$((qstart * 1000000000 / $(getconf CLK_TCK)))
	boot_at=$((-off - qemu_start_ns))
	if [ "$boot_at" -ge 0 ] && [ "$boot_at" -lt 60000000000 ]; then
		ok guest_host_offset_is_the_guests_boot_on_the_host_clock
	else
		fail guest_host_offset_is_the_guests_boot_on_the_host_clock "offset $off ns puts the guest's boot $boot_at ns after QEMU's start ($qemu_start_ns ns)"
	fi
else
	fail guest_host_offset_is_the_guests_boot_on_the_host_clock "QEMU's start '$qstart', offset '$off'"
fi
want="^hvtrace: clock: the guest's clock is ([0-9]+ h )?([0-9]+ min )?[0-9.]+ s behind the host's: "
want+="each CLOCK_MONOTONIC counts from its own machine's boot, and the guest booted about that "
want+="much later; guest times are placed on the host's to \+-[0-9.]+ us$"
grep -qE "$want" "$TMP/host.err" &&
	ok guest_host_recorder_explains_the_offset ||
	fail guest_host_recorder_explains_the_offset "$(grep 'clock' "$TMP/host.err" | head -n 3)"
# What QEMU did outside the guest's phases (its boot, the hand-over): not in
# any phase's stat, exactly the rest of the series, told per kind.
for k in syscall fault; do
	want=$(sql "$REC" "SELECT (SELECT COALESCE(SUM(count), 0) FROM series WHERE view = 'vmm' AND kind = '$k')
		- (SELECT COALESCE(SUM(count), 0) FROM stat WHERE view = 'vmm' AND kind = '$k')")
	expect_eq "guest_host_outside_vmm_${k}_is_the_series_rest" "$want" \
		"$(sql "$REC" "SELECT value FROM meta WHERE key = 'host_outside_count.vmm.$k'")"
done
expect_eq guest_host_no_unattributed_sum_across_kinds "" \
	"$(sql "$REC" "SELECT value FROM meta WHERE key = 'host_unattributed_count'")"
expect_eq guest_host_host_series_rows_in_no_guest_phase_have_phase_minus_1 0 \
	"$(sql "$REC" "SELECT COUNT(*) FROM series WHERE view IN ('vmm', 'host') AND phase != -1 AND
		phase NOT IN (SELECT id FROM phase)")"
sc=$(sql "$REC" "SELECT value FROM meta WHERE key = 'host_outside_count.vmm.syscall'")
pf=$(sql "$REC" "SELECT COALESCE((SELECT value FROM meta WHERE key = 'host_outside_count.vmm.fault'), 0)")
want="^hvtrace: merge: [0-9]+\.[0-9] s of the host recording before the guest's first phase and "
want+="[0-9]+\.[0-9] s after its last are in no guest phase: what the host counted then is left "
want+="out of the phases' stats \(the VMM's $sc syscalls and $pf page faults; every kind in meta "
want+="host_outside_\*\)$"
grep -qE "$want" "$TMP/host.err" &&
	ok guest_host_recorder_tells_what_lies_outside_the_phases ||
	fail guest_host_recorder_tells_what_lies_outside_the_phases "$(grep 'merge:' "$TMP/host.err" | head -n 3)"
grep -q 'QEMU TCG' "$TMP/guest.out" && ok guest_host_detect_says_qemu_tcg ||
	fail guest_host_detect_says_qemu_tcg "guest detect said: $(head -c 200 "$TMP/guest.out")"
t1=$(date +%s)
if [ $((t1 - t0)) -lt 120 ]; then ok guest_host_under_two_minutes
else fail guest_host_under_two_minutes "took $((t1 - t0)) s"; fi
