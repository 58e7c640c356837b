#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The demo (`sudo make demo`) end to end, at its small size (DEMO_SMALL=1: a
# tiny autotools-style package): it must finish, print the table, the diff and
# the reports, and every block it printed under '$ hvtrace ...' must be what
# that command prints when run again on the demo's files; the numbers must be
# the recorded ones (checked against the recordings' own meta). Nothing may
# keep running afterwards. Then the failure paths that need no guest: not
# root, no QEMU, no disk space, no network to the mirror.
# Needs root and QEMU (CI has both: without them this fails, it does not skip
# silently). About 1-2 minutes with the guest root cached; the first run on a
# machine also makes the root (debootstrap: 1-4 minutes).
set -u
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO=$ROOT/tools/demo.sh
MKROOTFS=$ROOT/tools/mkrootfs.sh
CACHE=${HVT_CACHE:-/var/cache/hvtrace}
mounted=''
cleanup() {
	if [ -n "$mounted" ]; then umount "$mounted" 2>/dev/null; fi
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	if [ -n "${CI:-}" ]; then
		fail demo "needs root (CI runs as root: this must not skip)"
		exit 1
	fi
	skip demo "needs root (BPF, the guest root in $CACHE)"
	exit 0
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
	fail demo "qemu-system-x86_64 not found: run 'sudo make deps' (installs qemu-system-x86)"
	exit 1
fi

# block FILE CMDLINE: the lines the demo printed under '$ CMDLINE', up to the
# next '$ hvtrace' line, the list of HTML pages or a step header, without
# trailing empty lines.
block() {
	awk -v want="$2" '
		in_block && (/^\$ hvtrace / || /^Pages with charts/ || /^\[[0-9]+\/[0-9]+\] /) { exit }
		in_block { buf[++n] = $0 }
		$0 == want { in_block = 1 }
		END { while (n > 0 && buf[n] == "") n--; for (i = 1; i <= n; i++) print buf[i] }' "$1"
}

test_demo_small_runs() {
	local t0=$SECONDS rc
	# The demo prints paths relative to where it runs: run it where its
	# printed commands will be run again.
	(cd "$TMP" && DEMO_SMALL=1 DEMO_OUT=demo-out OUT=$OUT timeout -k 10 1500 "$DEMO") \
		>"$TMP/demo.out" 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then
		ok demo_small_runs
		echo "    also: DEMO_SMALL=1 demo took $((SECONDS - t0)) s"
	else
		fail demo_small_runs "exit $rc; last lines: $(tail -n 15 "$TMP/demo.out")"
		return 1
	fi
}

test_demo_writes_recordings() {
	local f missing=''
	for f in native.hvt guest.hvt both.hvt console.log table.txt diff.txt native.report.txt \
		both.report.txt table.html diff.html report.html; do
		[ -s "$TMP/demo-out/$f" ] || missing+=" $f"
	done
	expect_eq demo_writes_recordings "" "$missing"
	expect_eq demo_guest_ran_in_a_guest 1 "$(sql "$TMP/demo-out/guest.hvt" \
		"SELECT value IN ('QEMU TCG', 'KVM') FROM meta WHERE key = 'hypervisor'")"
	expect_eq demo_guest_has_bench_phases "tar configure make" "$(sql "$TMP/demo-out/guest.hvt" \
		"SELECT group_concat(name, ' ') FROM (SELECT name FROM phase
		 WHERE name IN ('tar', 'configure', 'make') ORDER BY id)")"
	expect_eq demo_native_label native "$(sql "$TMP/demo-out/native.hvt" \
		"SELECT value FROM meta WHERE key = 'label'")"
	# One run: the host recorder took the guest's recording over the channel.
	expect_eq demo_both_has_guest_phases "tar configure make" "$(sql "$TMP/demo-out/both.hvt" \
		"SELECT group_concat(name, ' ') FROM (SELECT name FROM phase
		 WHERE name IN ('tar', 'configure', 'make') ORDER BY id)")"
	expect_eq demo_both_has_host_view 1 "$(sql "$TMP/demo-out/both.hvt" \
		"SELECT count(DISTINCT view) >= 2 AND max(view = 'guest') FROM stat")"
	if [[ $(sql "$TMP/demo-out/both.hvt" "SELECT value FROM meta WHERE key = 'host.clock_best_rtt_ns'") =~ ^[0-9]+$ ]]; then
		ok demo_both_has_clock_sync
	else
		fail demo_both_has_clock_sync "both.hvt has no host.clock_best_rtt_ns"
	fi
}

# Every '$ hvtrace ...' block the demo printed, run again on the same files.
test_demo_output_is_reproducible() {
	local line cmd lines n=0 bad=''
	while IFS= read -r line; do
		cmd=${line#\$ hvtrace }
		lines=''
		if [[ $cmd =~ ^(.*)\ \|\ head\ -n\ ([0-9]+)$ ]]; then
			cmd=${BASH_REMATCH[1]}
			lines=${BASH_REMATCH[2]}
		fi
		read -r -a args <<<"$cmd"
		block "$TMP/demo.out" "$line" >"$TMP/printed"
		if [ -n "$lines" ]; then
			(cd "$TMP" && "$HVTRACE" "${args[@]}") 2>&1 | head -n "$lines" >"$TMP/again"
		else
			(cd "$TMP" && "$HVTRACE" "${args[@]}") >"$TMP/again" 2>&1
		fi
		n=$((n + 1))
		if ! [ -s "$TMP/printed" ] || ! diff -u "$TMP/printed" "$TMP/again" >"$TMP/d"; then
			bad+="; '$line': $(head -n 12 "$TMP/d" | tr '\n' '|')"
		fi
	done < <(grep '^\$ hvtrace ' "$TMP/demo.out")
	# table, diff, the reports of native and both.
	if ((n < 4)); then
		fail demo_output_is_reproducible "only $n '\$ hvtrace' blocks in the demo's output"
	elif [ -n "$bad" ]; then
		fail demo_output_is_reproducible "${bad#; }"
	else
		ok demo_output_is_reproducible
		echo "    also: $n blocks compared"
	fi
}

# The printed numbers against the recordings' meta, not through hvtrace: the
# wall time in the report printed for each side (the guest's is that of
# both.hvt, the merged recording) and the table's total row.
test_demo_numbers_are_recorded() {
	local side rec shown wall want got
	for side in native:native.hvt:native.hvt guest:guest.hvt:both.hvt; do
		IFS=: read -r side rec shown <<<"$side"
		wall=$(sql "$TMP/demo-out/$rec" "SELECT value FROM meta WHERE key = 'wall_ns'")
		want=$(awk -v ns="$wall" 'BEGIN { printf "%.3f s", ns / 1e9 }')
		got=$(block "$TMP/demo.out" "$(grep -m 1 "^\\$ hvtrace report demo-out/$shown " "$TMP/demo.out")" |
			awk '$1 == "wall" { sub(/,$/, "", $3); print $2, $3; exit }')
		expect_eq "demo_${side}_wall_is_recorded" "$want" "$got"
		# The table's total row: m:ss, rounded to the nearest second.
		want=$(awk -v ns="$wall" 'BEGIN { s = int(ns / 1e9 + 0.5); printf "%d:%02d", s / 60, s % 60 }')
		got=$(block "$TMP/demo.out" "$(grep -m 1 '^\$ hvtrace table ' "$TMP/demo.out")" |
			awk -v l="$(sql "$TMP/demo-out/$rec" "SELECT value FROM meta WHERE key = 'label'")" \
				'$1 == l && $2 == "total" { print $4; exit }')
		expect_eq "demo_${side}_table_total_is_recorded" "$want" "$got"
	done
}

test_demo_says_accelerator_and_leaves_nothing_running() {
	if grep -q '^  qemu-run: accelerator: \(tcg\|kvm\) (' "$TMP/demo.out" &&
		grep -q '^  => \(TCG\|KVM\): ' "$TMP/demo.out"; then
		ok demo_says_accelerator_and_why
	else
		fail demo_says_accelerator_and_why "no 'accelerator:' line with its meaning in the output"
	fi
	local qpid work
	qpid=$(sed -n 's/^  qemu-run: QEMU pid \([0-9]*\).*/\1/p' "$TMP/demo.out" | head -n 1)
	if [ -z "$qpid" ]; then
		fail demo_leaves_no_qemu "the output names no QEMU pid"
	elif [[ $(cat "/proc/$qpid/comm" 2>/dev/null) == qemu-system* ]]; then
		fail demo_leaves_no_qemu "QEMU pid $qpid still runs"
	else
		ok demo_leaves_no_qemu
	fi
	if [ -n "$qpid" ] && pgrep -f -- "record --pid $qpid " >/dev/null; then
		fail demo_leaves_no_recorder "a host recorder of pid $qpid still runs"
	else
		ok demo_leaves_no_recorder
	fi
	work=$(grep -o '/var/tmp/hvtrace-demo\.[A-Za-z0-9]*' "$TMP/demo.out" | head -n 1)
	if [ -n "$work" ] && [ ! -e "$work" ]; then
		ok demo_removes_its_work_folder
	else
		fail demo_removes_its_work_folder "'${work:-?}' (the overlay and disks) is still there"
	fi
	expect_eq demo_last_lines_say_what_next 1 \
		"$(tail -n 12 "$TMP/demo.out" | grep -c 'Your own benchmark')"
}

test_failure_paths() {
	expect_fail demo_needs_root 1 "needs root.*sudo make demo" -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups env OUT="$OUT" "$DEMO"
	expect_fail demo_says_qemu_is_missing 1 "QEMU \(/nonexistent/qemu-system-x86_64\) not found: install qemu-system-x86" -- \
		env QEMU=/nonexistent/qemu-system-x86_64 OUT="$OUT" "$DEMO"
	# PATH without QEMU (everything else of /usr/bin and /usr/sbin is there).
	mkdir -p "$TMP/path"
	find /usr/bin /usr/sbin -maxdepth 1 ! -name 'qemu-system-*' -exec ln -s -t "$TMP/path" {} + 2>/dev/null
	expect_fail demo_says_qemu_is_missing_from_path 1 "QEMU \(qemu-system-x86_64\) not found" -- \
		env PATH="$TMP/path" OUT="$OUT" "$DEMO"
	expect_fail demo_rejects_bad_runs 2 "RUNS wants a number" -- env RUNS=0 OUT="$OUT" "$DEMO"
	expect_fail demo_rejects_bad_workload 2 "WORKLOAD is hello or samba" -- \
		env WORKLOAD=linux OUT="$OUT" "$DEMO"

	# A cache on a 16 MB file system: both say how much they need.
	mkdir -p "$TMP/tiny"
	if mount -t tmpfs -o size=16m tmpfs "$TMP/tiny"; then
		mounted=$TMP/tiny
		expect_fail demo_says_out_of_disk 1 "not enough disk space .* needs about [0-9]+ MB, [0-9]+ MB free" -- \
			env HVT_CACHE="$TMP/tiny" OUT="$OUT" "$DEMO"
		expect_fail mkrootfs_says_out_of_disk 1 "not enough disk space in $TMP/tiny/rootfs .* needs about [0-9]+ MB" -- \
			"$MKROOTFS" --cache "$TMP/tiny" --hvtrace "$OUT/hvtrace-static"
		umount "$TMP/tiny" && mounted=''
	else
		fail demo_says_out_of_disk "cannot mount a small tmpfs to test it"
	fi

	# No network to the mirror (a port nothing listens on), sources cached.
	mkdir -p "$TMP/nonet"
	if cp -r "$CACHE/hello" "$TMP/nonet/hello" 2>/dev/null; then
		expect_fail mkrootfs_says_no_network 1 "could not reach http://127.0.0.1:9/debian: no network" -- \
			"$MKROOTFS" --cache "$TMP/nonet" --mirror http://127.0.0.1:9/debian --hvtrace "$OUT/hvtrace-static"
	else
		fail mkrootfs_says_no_network "no hello source in $CACHE/hello (the demo run above fetches it)"
	fi
	expect_fail mkrootfs_rejects_bad_workload 2 "--workload is hello or samba" -- \
		"$MKROOTFS" --workload linux
}

if test_demo_small_runs; then
	test_demo_writes_recordings
	test_demo_output_is_reproducible
	test_demo_numbers_are_recorded
fi
test_demo_says_accelerator_and_leaves_nothing_running
test_failure_paths
