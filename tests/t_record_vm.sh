#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# hvtrace record --vm: libvirt's test driver (no daemon, no process) gives a
# domain whose stats alone are recorded.
. "$(dirname "$0")/lib.sh"
need_root record_vm || exit 0
URI=test:///default

"$HVTRACE" record -q --no-calibrate --vm test --connect "$URI" --duration 1.5 -o "$TMP/vm.hvt"
expect_eq record_vm_stats_only_exit_zero 0 $?
expect_eq record_vm_names_domain test "$(sql "$TMP/vm.hvt" "SELECT value FROM meta WHERE key='vm.0.name'")"
expect_eq record_vm_two_vcpus 2 "$(sql "$TMP/vm.hvt" "SELECT value FROM meta WHERE key='vm.0.vcpus'")"
# The test driver's cpu.time advances with the clock: 1.5 s of it, give or take a tick.
cpu=$(sql "$TMP/vm.hvt" "SELECT SUM(sum_ns) FROM stat WHERE view='host' AND kind='vm.cpu.time'")
if [ "${cpu:-0}" -ge 900000000 ] && [ "$cpu" -le 2100000000 ]; then ok record_vm_cpu_time_recorded
else fail record_vm_cpu_time_recorded "cpu.time sum $cpu ns for a 1.5 s recording"; fi
expect_fail record_vm_unknown_domain_is_clear 1 "no domain 'nosuch'" -- \
	"$HVTRACE" record -q --vm nosuch --connect "$URI" -o "$TMP/x.hvt"
expect_fail record_vm_bad_uri_is_clear 1 "nosuchdriver" -- \
	"$HVTRACE" record -q --vm test --connect nosuchdriver:///x -o "$TMP/x.hvt"
expect_fail record_connect_without_vm_is_usage 2 "--connect goes with --vm" -- \
	"$HVTRACE" record --connect "$URI" -- true
expect_fail record_vm_and_command_is_usage 2 "give one of" -- \
	"$HVTRACE" record --vm test -- true
