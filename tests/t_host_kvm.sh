#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The host view on KVM against ground truth: tests/prog/minivmm runs a guest
# that makes exactly N port writes, M MMIO writes and one HLT, and hvtrace
# record must count exactly those.
#  - here: with this machine's /dev/kvm; where it cannot run minivmm, each of
#    these tests says so on a skip line.
#  - nested: in a QEMU TCG guest (tests/lib-nested.sh: CPU with SVM) whose own
#    KVM runs minivmm. That works without /dev/kvm on the host, and it is where
#    kvm_exit/kvm_entry fire (they do not under PVM). ~20 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-nested.sh"
export HVTRACE
VMM=$PROG/minivmm
PORT=0x10
N=1000
M=300
VCPU=2					# minivmm --vcpu in the --pid runs
PIO_KEY=$(((1 << 16) | PORT))		# out to PORT
MMIO_KEY=$(((0x10000) | 2))		# write to the page at 0x10000

expect_fail minivmm_bad_arguments_are_usage_errors 2 "usage: minivmm" -- "$VMM" 12 x

need_root "host_kvm" || exit 0

KVM_OK=0 KVM_WHY="" MADE_NODE=0
# /dev/kvm may be missing while the kvm module is there: make the node from
# what sysfs says (10:232 is KVM's fixed misc minor), and remove it again if
# it does not work.
probe_kvm() {
	local dev
	if [ ! -e /dev/kvm ] && [ -d /sys/module/kvm ]; then
		dev=$(cat /sys/class/misc/kvm/dev 2>/dev/null || echo 10:232)
		mknod /dev/kvm c "${dev%%:*}" "${dev##*:}" 2>/dev/null && MADE_NODE=1
	fi
	if KVM_WHY=$("$VMM" --probe 2>&1); then
		KVM_OK=1
		return
	fi
	[ "$MADE_NODE" = 1 ] && rm -f /dev/kvm
	KVM_WHY=${KVM_WHY:-minivmm --probe failed}
}

skip_kvm() { skip "$1" "/dev/kvm unavailable on this machine ($KVM_WHY)"; }

has_kvm_tracepoints() {
	[ -d /sys/kernel/tracing/events/kvm ] || [ -d /sys/kernel/debug/tracing/events/kvm ]
}

# hsum REC COLUMN WHERE: a host-view column summed over phases (0 if no row).
hsum() {
	sql "$1" "SELECT COALESCE(SUM($2), 0) FROM stat WHERE view = 'host' AND $3"
}

# check_vmm_recording PREFIX REC VCPU EXITS: what `minivmm --vcpu VCPU N M`
# must have left in a recording. EXITS: required (kvm_exit/kvm_entry fire
# here) or optional (they may not: PVM).
check_vmm_recording() {
	local p=$1 rec=$2 vcpu=$3 exits=$4 io_exit="name IN ('IO_INSTRUCTION', 'io')" n v
	expect_eq "${p}_pio_exits_exact_on_port" "$N" "$(hsum "$rec" count "kind = 'pio' AND
		key = $PIO_KEY")"
	expect_eq "${p}_pio_only_that_port" "$N" "$(hsum "$rec" count "kind = 'pio'")"
	expect_eq "${p}_mmio_writes_exact_on_page" "$M" "$(hsum "$rec" count "kind = 'mmio' AND
		key = $MMIO_KEY")"
	expect_eq "${p}_userspace_exits_by_reason" "IO $N MMIO $M HLT 1" \
		"IO $(hsum "$rec" count "kind = 'uexit' AND name = 'IO'") MMIO $(hsum "$rec" count \
		"kind = 'uexit' AND name = 'MMIO'") HLT $(hsum "$rec" count "kind = 'uexit' AND
		name = 'HLT'")"
	expect_eq "${p}_userspace_exits_on_vcpu_$vcpu" "$((N + M + 1))" \
		"$(hsum "$rec" count "kind = 'uexit_vcpu' AND key >> 40 = $vcpu")"
	expect_eq "${p}_vmm_handled_io_and_mmio" "IO $N MMIO $M" \
		"IO $(hsum "$rec" count "kind = 'vmm' AND name = 'IO'") MMIO $(hsum "$rec" count \
		"kind = 'vmm' AND name = 'MMIO'")"
	v=$(hsum "$rec" sum_ns "kind = 'vmm'")
	if [ "$v" -gt 0 ]; then
		ok "${p}_time_in_vmm_recorded"
	else
		fail "${p}_time_in_vmm_recorded" "vmm sum_ns is $v"
	fi
	n=$(hsum "$rec" count "kind = 'exit' AND $io_exit")
	if [ "$n" = 0 ] && [ "$exits" = optional ]; then
		skip "${p}_io_exit_latency" "no kvm_exit events on this host (PVM does not fire them)"
		return
	fi
	expect_eq "${p}_io_exits_paired_with_entries" "$N" "$n"
	expect_eq "${p}_io_exits_on_vcpu_$vcpu" "$N" \
		"$(hsum "$rec" count "kind = 'exit_vcpu' AND key >> 40 = $vcpu AND $io_exit")"
	v=$(hsum "$rec" sum_ns "kind = 'exit' AND $io_exit")
	if [ "$v" -gt 0 ]; then
		ok "${p}_io_exit_latency_recorded"
	else
		fail "${p}_io_exit_latency_recorded" "exit sum_ns is $v"
	fi
}

test_minivmm_without_kvm_fails_clearly() {
	if [ "$KVM_OK" = 1 ]; then
		skip minivmm_without_kvm_fails_clearly "/dev/kvm works here"
		return
	fi
	expect_fail minivmm_without_kvm_fails_clearly 77 "minivmm: /dev/kvm unavailable" -- \
		"$VMM" 3 2
}

test_minivmm_counts_its_exits() {
	[ "$KVM_OK" = 1 ] || { skip_kvm minivmm_counts_its_exits; return; }
	expect_eq minivmm_counts_its_exits "io 5 mmio 3 hlt 1" "$("$VMM" 5 3)"
}

# wired NAME REC: whether hvtrace record loaded the host view at all (it
# writes meta host_probes, empty without KVM tracepoints); one failure if not.
wired() {
	[ "$(sql "$2" "SELECT COUNT(*) FROM meta WHERE key = 'host_probes'")" = 1 ] && return 0
	fail "$1" "hvtrace record did not load the host view (no meta host_probes)"
	return 1
}

test_record_lists_host_probes() {
	local rec=$TMP/probes.hvt
	has_kvm_tracepoints || { skip record_lists_host_probes "no KVM tracepoints"; return; }
	"$HVTRACE" record -q -o "$rec" -- true
	wired record_loads_host_view "$rec" || return
	case $(sql "$rec" "SELECT value FROM meta WHERE key = 'host_probes'") in
	*kvm_userspace_exit*kvm_pio*kvm_mmio*) ok record_lists_host_probes ;;
	*) fail record_lists_host_probes "meta host_probes is '$(sql "$rec" \
		"SELECT value FROM meta WHERE key = 'host_probes'")'" ;;
	esac
	expect_eq record_without_vm_has_no_host_rows 0 \
		"$(sql "$rec" "SELECT COUNT(*) FROM stat WHERE view = 'host'")"
}

test_record_command_vmm() {
	local rec=$TMP/cmd.hvt
	[ "$KVM_OK" = 1 ] || { skip_kvm record_command_vmm; return; }
	"$HVTRACE" record -q -o "$rec" -- "$VMM" --port $PORT $N $M >"$TMP/cmd.out"
	expect_eq record_command_vmm_exit_status 0 $?
	wired record_command_loads_host_view "$rec" || return
	check_vmm_recording record_command "$rec" 0 optional
}

test_record_pid_vmm() {
	local rec=$TMP/pid.hvt pid rpid i
	[ "$KVM_OK" = 1 ] || { skip_kvm record_pid_vmm; return; }
	"$VMM" --wait --port $PORT --vcpu $VCPU $N $M >"$TMP/pid.out" &
	pid=$!
	for i in $(seq 100); do grep -q ready "$TMP/pid.out" && break; sleep 0.05; done
	"$HVTRACE" record -o "$rec" --pid "$pid" 2>"$TMP/pid.err" &
	rpid=$!
	# The guest runs only once the recorder follows the VMM.
	for i in $(seq 200); do grep -q "recording" "$TMP/pid.err" && break; sleep 0.05; done
	kill -USR1 "$pid"
	wait "$pid"
	expect_eq record_pid_vmm_guest_ran "io $N mmio $M hlt 1" "$(tail -n 1 "$TMP/pid.out")"
	wait "$rpid"
	expect_eq record_pid_vmm_exit_status 0 $?
	wired record_pid_loads_host_view "$rec" || return
	check_vmm_recording record_pid "$rec" $VCPU optional
}

# The same two recordings inside a guest, by a static hvtrace, on the guest's KVM.
write_nested_cmd() {
	cat >"$1" <<EOF
#!/bin/sh
$NESTED_HELPERS
minivmm --probe || exit 3
hvtrace record -q -o /tmp/cmd.hvt -- minivmm --port $PORT $N $M >/tmp/cmd.out 2>&1
echo "HVT-RC cmd \$?"
minivmm --wait --port $PORT --vcpu $VCPU $N $M >/tmp/pid.out &
pid=\$!
wait_for ready /tmp/pid.out
hvtrace record -o /tmp/pid.hvt --pid \$pid 2>/tmp/pid.err &
rpid=\$!
wait_for recording /tmp/pid.err
kill -USR1 \$pid
wait \$pid
wait \$rpid
echo "HVT-RC pid \$?"
cat /tmp/cmd.out /tmp/pid.err
for f in cmd pid; do nested_put \$f /tmp/\$f.hvt; done
EOF
}

test_nested_guest_vmm() {
	local out=$TMP/nested.out f
	write_nested_cmd "$TMP/nested.sh"
	nested_boot nested_guest_vmm "$OUT/tests/host-kvm-guest" "$TMP/nested.sh" "$out" || return
	expect_eq nested_guest_records_command_and_pid "HVT-RC cmd 0 HVT-RC pid 0" \
		"$(grep '^HVT-RC' "$out" | tr -d '\r' | tr '\n' ' ' | sed 's/ $//')"
	for f in cmd pid; do
		nested_file "$out" $f "$TMP/nested-$f.hvt"
	done
	wired nested_record_loads_host_view "$TMP/nested-cmd.hvt" || return
	check_vmm_recording nested_command "$TMP/nested-cmd.hvt" 0 required
	check_vmm_recording nested_pid "$TMP/nested-pid.hvt" $VCPU required
	expect_eq nested_exit_reasons_named_for_svm "io npf" "$(sql "$TMP/nested-cmd.hvt" \
		"SELECT group_concat(name, ' ') FROM (SELECT name FROM stat WHERE view = 'host' AND
		kind = 'exit' AND name IN ('io', 'npf') ORDER BY name)")"
}

probe_kvm
test_minivmm_without_kvm_fails_clearly
test_minivmm_counts_its_exits
test_record_lists_host_probes
test_record_command_vmm
test_record_pid_vmm
[ "$MADE_NODE" = 1 ] && [ "$KVM_OK" = 1 ] && rm -f /dev/kvm
test_nested_guest_vmm
exit 0
