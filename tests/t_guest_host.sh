#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Host and guest together, for real: a QEMU TCG guest runs hvtrace-static
# recording the ground-truth workload with three marked phases and sends its
# phases, clock answers and recording over virtio-serial, while the host
# records the QEMU process with --channel. Checks the merged recording
# (expect_gt_merged in tests/lib.sh: the guest's phases on the host's time
# line, exact guest syscall counts, a stated clock uncertainty, host-side
# (vmm) counts in each phase) and that `detect` in the guest says QEMU TCG.
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
"$HVTRACE" record -q --no-calibrate --pid "$QPID" --channel "$SOCK" -o "$TMP/both.hvt" \
	2>"$TMP/host.err"
expect_eq guest_host_recorder_exit_zero 0 $?
wait "$qrun"
expect_eq guest_host_guest_command_exit_zero 0 $?
QPID=
REC=$TMP/both.hvt

expect_gt_merged guest_host "$REC"
grep -q 'QEMU TCG' "$TMP/guest.out" && ok guest_host_detect_says_qemu_tcg ||
	fail guest_host_detect_says_qemu_tcg "guest detect said: $(head -c 200 "$TMP/guest.out")"
t1=$(date +%s)
if [ $((t1 - t0)) -lt 120 ]; then ok guest_host_under_two_minutes
else fail guest_host_under_two_minutes "took $((t1 - t0)) s"; fi
