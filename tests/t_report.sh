#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# hvtrace report on fixture recordings (tests/fixtures/report/*.sql on the schema of
# tests/fixtures/schema.sql, turned into .hvt files with sqlite3): golden text, JSON and CSV;
# values computed by hand (see the comments in basic.sql); options; every kind of bad input.
# The host and vmm views: golden text, JSON, CSV and HTML of host.sql (a merged recording with
# KVM exits, libvirt stats and the VMM process; values by hand in its comments), vmstats.sql
# (libvirt only), and a real recording of minivmm's known exits (minivmm.sql).
#   UPDATE_GOLDEN=1 bash tests/t_report.sh   rewrites the golden files (review the diff)
. "$(dirname "$0")/lib.sh"
FIX=$(cd "$(dirname "$0")/fixtures/report" && pwd)
SCHEMA=$(cd "$(dirname "$0")/fixtures" && pwd)/schema.sql

if [ ! -x "$HVTRACE" ]; then
	fail report_binary_exists "$HVTRACE is not built"
	exit 0
fi
if ! command -v sqlite3 >/dev/null; then
	fail report_sqlite3_cli "sqlite3 is missing (make deps installs it)"
	exit 0
fi
if ! command -v jq >/dev/null; then
	fail report_jq "jq is missing (apt-get install jq)"
	exit 0
fi

# Relative file names keep the goldens free of temporary paths.
cd "$TMP" || exit 1

# make_rec NAME: $TMP/NAME.hvt from the fixtures' schema + NAME.sql.
make_rec() {
	rm -f "$1.hvt"
	cat "$SCHEMA" "$FIX/$1.sql" | sqlite3 -batch "$1.hvt"
}
for f in basic killed host vmstats minivmm; do
	make_rec $f || fail "report_fixture_$f" "sqlite3 could not build $f.hvt"
done
sqlite3 -batch no-phases.hvt <"$SCHEMA"

# golden NAME GOLDEN ARGS...: the output of 'hvtrace report ARGS' must equal GOLDEN.
golden() {
	local name=$1 want=$FIX/$2
	shift 2
	expect_golden "$name" "$want" -- "$HVTRACE" report "$@"
}

golden report_text_golden basic.txt basic.hvt
golden report_json_golden basic.json basic.hvt --json
golden report_csv_golden basic.csv basic.hvt --csv
golden report_text_golden_unfinished killed.txt killed.hvt
golden report_json_golden_unfinished killed.json killed.hvt --json
golden report_text_golden_phase_top basic-make-top2.txt basic.hvt --phase make --top 2

# jqv FILTER [ARGS]: one value from the JSON report of basic.hvt.
"$HVTRACE" report basic.hvt --json >basic.json 2>/dev/null
"$HVTRACE" report basic.hvt --json --top 0 >basic-all.json 2>/dev/null
"$HVTRACE" report killed.hvt --json >killed.json 2>/dev/null
jqv() { jq -r "$1" "${2:-basic.json}" 2>&1; }
# scv PHASE SYSCALL FIELD: a field of one syscall of phase PHASE (an index, or "total").
scv() {
	local p=".phases[$1]"
	[ "$1" = total ] && p=.total
	jqv "$p.syscalls.top[] | select(.name == \"$2\") | .$3" basic-all.json
}

report_json_is_valid() {
	local f
	for f in basic.json basic-all.json killed.json; do
		if ! jq -e . "$f" >/dev/null 2>&1; then
			fail report_json_is_valid "$f does not parse"
			return
		fi
	done
	ok report_json_is_valid
}
report_json_is_valid

# Percentiles interpolated inside log2 buckets, clamped to max (hand-computed in basic.sql).
expect_eq report_p50_read_tar 4096 "$(scv 1 read p50_ns)"
expect_eq report_p99_clamped_to_max 8000 "$(scv 1 read p99_ns)"
expect_eq report_p50_two_buckets 112 "$(scv 1 getppid p50_ns)"
expect_eq report_p99_two_buckets 252.16 "$(scv 1 getppid p99_ns)"
expect_eq report_single_call_is_exact "5000 5000" "$(scv 1 ioctl p50_ns) $(scv 1 ioctl p99_ns)"
expect_eq report_p50_merged_over_phases 8598323.2 "$(scv total wait4 p50_ns)"
expect_eq report_p99_merged_over_phases 213406187.52 "$(scv total wait4 p99_ns)"
expect_eq report_top_sorted_by_total_time "wait4 execve read" \
	"$(jqv '[.phases[2].syscalls.top[0:3][].name] | join(" ")')"
expect_eq report_mean_exact 7500000 "$(jqv '.phases[2].syscalls.top[0].mean_ns')"
expect_eq report_share_of_syscall_time 0.7265633 \
	"$(jqv '.phases[1].syscalls.top[0].share * 10000000 | round / 10000000')"
expect_eq report_syscall_totals "197205 3812901370" \
	"$(jqv '.phases[2].syscalls | "\(.count) \(.total_ns)"')"
expect_eq report_top_default_10 "10 13" \
	"$(jqv '.phases[2].syscalls | "\(.top | length) \(.distinct)"')"
expect_eq report_top_0_lists_all 13 "$(jqv '.phases[2].syscalls.top | length' basic-all.json)"
expect_eq report_unnamed_syscall_without_hist "451 null null" \
	"$(scv 2 syscall_451 nr) $(scv 2 syscall_451 p50_ns) $(scv 2 syscall_451 p99_ns)"
expect_eq report_zero_counts_give_null "null null null 0" \
	"$(jqv '.phases[0].run_queue | "\(.mean_ns) \(.p50_ns) \(.max_ns) \(.count)"')"
expect_eq report_faults_by_kind "1010 300 700 10" \
	"$(jqv '.phases[1].page_faults |
		"\(.total) \(.user_read) \(.user_write) \(.kernel_write)"')"
expect_eq report_procs_started "412 10 10 392" \
	"$(jqv '.total.processes | "\(.started) \(.fork) \(.vfork) \(.clone)"')"
expect_eq report_phase_walls_s "0.5 1 7.5 3 12" \
	"$(jqv '[.phases[].wall_ns / 1e9] + [.total.wall_ns / 1e9] | map(tostring) | join(" ")')"
expect_eq report_phase_walls_sum_to_run 12000000000 "$(jqv '[.phases[].wall_ns] | add')"
expect_eq report_cpu_totals "7500000000 2150000000" \
	"$(jqv '.total.cpu | "\(.user_ns) \(.sys_ns)"')"
expect_eq report_context_switches "150 20" \
	"$(jqv '.phases[1].context_switches | "\(.voluntary) \(.involuntary)"')"
expect_eq report_runq_merged_p50 29302.15 \
	"$(jqv '.total.run_queue.p50_ns * 100 | round / 100')"
expect_eq report_steal_share 0.01 "$(jqv '.phases[1].steal.share_of_wall')"
expect_eq report_counter_scaled_when_multiplexed 2000000000 \
	"$(jqv '.phases[3].perf_counters[] | select(.event == "cycles") | .scaled')"
expect_eq report_counter_never_ran_is_null null \
	"$(jqv '.phases[3].perf_counters[] | select(.event == "instructions") | .scaled')"
expect_eq report_counter_unsupported "false null" \
	"$(jqv '.phases[1].perf_counters[] | select(.event == "cycles") |
		"\(.supported) \(.scaled)"')"
expect_eq report_counter_total_sums_supported_phases 2000000000 \
	"$(jqv '.total.perf_counters[] | select(.event == "cycles") | .scaled')"
expect_eq report_host_view_and_unknown_kinds_skipped 1000 \
	"$(jqv '.phases[1].syscalls.top[] | select(.name == "read") | .count')"
expect_eq report_exit_status_decoded "Phase 3: make (auto, pid 300, exit 2)" \
	"$("$HVTRACE" report basic.hvt | grep '^Phase 3')"

# A recording whose recorder was killed: the last phase is unfinished, its wall a lower bound.
expect_eq report_unfinished_phase "false null 2500000000 at_least" \
	"$(jqv '.phases[1] | "\(.finished) \(.end_mono_ns) \(.wall_ns) \(.wall)"' killed.json)"
expect_eq report_unfinished_run "false 2700000000 at_least 5" \
	"$(jqv '"\(.run.complete) \(.total.wall_ns) \(.total.wall) \(.run.lost_events)"' \
		killed.json)"

report_no_phases_is_not_an_error() {
	if ! "$HVTRACE" report no-phases.hvt >out 2>err; then
		fail report_no_phases_is_not_an_error "exit $?: $(head -c 200 err)"
	elif ! grep -q '^Run total (0 phases)' out; then
		fail report_no_phases_is_not_an_error \
			"no 'Run total (0 phases)' in: $(head -c 300 out)"
	else
		ok report_no_phases_is_not_an_error
	fi
}
report_no_phases_is_not_an_error

report_text_fits_100_columns() {
	local args long
	for args in "basic.hvt" "basic.hvt --top 0" "killed.hvt" "no-phases.hvt" "--help"; do
		# shellcheck disable=SC2086
		long=$("$HVTRACE" report $args 2>&1 | awk 'length > 100')
		if [ -n "$long" ]; then
			fail report_text_fits_100_columns "'report $args' has lines over 100: $long"
			return
		fi
	done
	ok report_text_fits_100_columns
}
report_text_fits_100_columns

report_csv_has_six_fields() {
	local bad
	bad=$("$HVTRACE" report basic.hvt --csv | python3 -c '
import csv, sys
rows = list(csv.reader(sys.stdin))
bad = [r for r in rows if len(r) != 6]
print(len(bad) if bad else "", end="")
if not bad and rows[0] != ["phase_id", "phase", "section", "item", "metric", "value"]:
    print("header " + ",".join(rows[0]), end="")
' 2>&1)
	if [ -n "$bad" ]; then
		fail report_csv_has_six_fields "$bad"
	else
		ok report_csv_has_six_fields
	fi
}
report_csv_has_six_fields

expect_eq report_csv_quotes_commas '"Test CPU, ""fast"" @ 2.00GHz"' \
	"$("$HVTRACE" report basic.hvt --csv | grep ",cpu_model," | cut -d, -f6-)"
expect_eq report_csv_value 8110.08 \
	"$("$HVTRACE" report basic.hvt --csv | grep '^2,configure,syscalls.top,read,p99_ns,' |
		cut -d, -f6)"

expect_eq report_phase_filter "make" "$("$HVTRACE" report basic.hvt --json --phase make |
	jq -r '[.phases[].name] | join(" ")')"
expect_eq report_phase_filter_repeatable "tar make" \
	"$("$HVTRACE" report basic.hvt --json --phase make --phase tar |
		jq -r '[.phases[].name] | join(" ")')"
expect_eq report_phase_filter_keeps_run_total 12000000000 \
	"$("$HVTRACE" report basic.hvt --json --phase tar | jq -r '.total.wall_ns')"

report_help_ends_with_examples() {
	local out
	if ! out=$("$HVTRACE" report --help); then
		fail report_help_ends_with_examples "--help did not exit 0"
	elif ! printf '%s\n' "$out" | sed -n '/^Examples:/,$p' | tail -n 1 |
		grep -q 'hvtrace report'; then
		fail report_help_ends_with_examples \
			"last lines: $(printf '%s\n' "$out" | tail -n 3)"
	else
		ok report_help_ends_with_examples
	fi
}
report_help_ends_with_examples

# Bad input: a clear message and exit 1 (failure) or 2 (usage), nothing on stdout.
echo "just text" >text.hvt
sqlite3 -batch other.db "CREATE TABLE t(x); INSERT INTO t VALUES (1);"
head -c 1000 basic.hvt >trunc1000.hvt
head -c 20000 basic.hvt >trunc20k.hvt
: >empty.hvt
sqlite3 -batch newer.hvt "PRAGMA application_id = 1213617234; PRAGMA user_version = 99;
	CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
mkdir -p dir.hvt

expect_fail report_not_a_recording_text 1 "'text.hvt'.*not an hvtrace recording" -- \
	"$HVTRACE" report text.hvt
expect_fail report_not_a_recording_sqlite 1 "'other.db'.*not an hvtrace recording" -- \
	"$HVTRACE" report other.db
expect_fail report_truncated_1000_bytes 1 "'trunc1000.hvt'.*(truncated|damaged)" -- \
	"$HVTRACE" report trunc1000.hvt
expect_fail report_truncated_mid_file 1 "'trunc20k.hvt'.*(truncated|damaged)" -- \
	"$HVTRACE" report trunc20k.hvt
expect_fail report_empty_file 1 "'empty.hvt'.*empty" -- "$HVTRACE" report empty.hvt
expect_fail report_newer_schema 1 "'newer.hvt'.*schema 99.*reads.*1" -- \
	"$HVTRACE" report newer.hvt
expect_fail report_missing_file 1 "'missing.hvt'.*No such file" -- "$HVTRACE" report missing.hvt
expect_fail report_directory 1 "'dir.hvt'.*directory" -- "$HVTRACE" report dir.hvt
expect_fail report_unknown_option 2 "unknown option '--bogus'" -- \
	"$HVTRACE" report --bogus basic.hvt
expect_fail report_no_file 2 "FILE is missing" -- "$HVTRACE" report
expect_fail report_two_files 2 "one recording at a time" -- "$HVTRACE" report basic.hvt killed.hvt
expect_fail report_json_and_csv 2 "--json and --csv" -- "$HVTRACE" report --json --csv basic.hvt
expect_fail report_bad_top 2 "--top wants a count, not 'x'" -- "$HVTRACE" report --top x basic.hvt
expect_fail report_top_without_value 2 "'--top' needs a value" -- "$HVTRACE" report basic.hvt --top
expect_fail report_unknown_phase 1 "no phase named 'link'.*phases: bench.sh, tar, configure, make" \
	-- "$HVTRACE" report basic.hvt --phase link

report_errors_print_nothing_on_stdout() {
	"$HVTRACE" report text.hvt >out 2>/dev/null
	if [ -s out ]; then
		fail report_errors_print_nothing_on_stdout "stdout: $(head -c 200 out)"
	else
		ok report_errors_print_nothing_on_stdout
	fi
}
report_errors_print_nothing_on_stdout

# ---- the host and vmm views ---------------------------------------------------------------
golden report_host_text_golden host.txt host.hvt --top 2
golden report_host_json_golden host.json host.hvt --json --top 2
golden report_host_csv_golden host.csv host.hvt --csv --top 2
golden report_host_html_golden host.html host.hvt --html --top 2
golden report_vmstats_text_golden vmstats.txt vmstats.hvt

"$HVTRACE" report host.hvt --json --top 2 >host.json 2>/dev/null
"$HVTRACE" report host.hvt --json --top 0 >host-all.json 2>/dev/null
"$HVTRACE" report vmstats.hvt --json >vmstats.json 2>/dev/null
"$HVTRACE" report minivmm.hvt --json >minivmm.json 2>/dev/null

report_host_json_is_valid() {
	local f
	for f in host.json host-all.json vmstats.json minivmm.json; do
		if ! python3 -m json.tool "$f" >/dev/null 2>&1; then
			fail report_host_json_is_valid "$f does not parse"
			return
		fi
	done
	ok report_host_json_is_valid
}
report_host_json_is_valid

# hjv FILTER [FILE]: one value from the JSON report of host.hvt (--top 2).
hjv() { jq -r "$1" "${2:-host.json}" 2>&1; }

# VM exits, most time first; --top 2 leaves three reasons to "other" (by hand in host.sql).
expect_eq report_host_exits_sum "17400 574900000 5" \
	"$(hjv '.phases[0].kvm.exits | "\(.count) \(.total_ns) \(.distinct)"')"
expect_eq report_host_exits_top_by_time "HLT IO_INSTRUCTION" \
	"$(hjv '[.phases[0].kvm.exits.top[].name] | join(" ")')"
expect_eq report_host_exit_key 4294967308 "$(hjv '.phases[0].kvm.exits.top[0].key')"
expect_eq report_host_exit_percentiles_clamped "6291456 8000000 12288 16000" \
	"$(hjv '.phases[0].kvm.exits.top |
		"\(.[0].p50_ns) \(.[0].p99_ns) \(.[1].p50_ns) \(.[1].p99_ns)"')"
expect_eq report_host_exits_other "3 12300 24900000 4000" \
	"$(hjv '.phases[0].kvm.exits.other | "\(.distinct) \(.count) \(.total_ns) \(.max_ns)"')"
expect_eq report_host_exits_other_merged_percentiles "1548.8 3256.32" \
	"$(hjv '.phases[0].kvm.exits.other | "\(.p50_ns) \(.p99_ns)"')"
expect_eq report_host_exits_other_share 0.0433119 \
	"$(hjv '.phases[0].kvm.exits.other.share * 1e7 | round / 1e7')"
expect_eq report_host_top_and_other_add_up "17400 574900000" \
	"$(hjv '.phases[0].kvm.exits | "\([.top[].count, .other.count] | add) " +
		"\([.top[].total_ns, .other.total_ns] | add)"')"
expect_eq report_host_exits_ties_by_count \
	"HLT EPT_VIOLATION IO_INSTRUCTION MSR_WRITE EXTERNAL_INTERRUPT" \
	"$(hjv '[.total.kvm.exits.top[].name] | join(" ")' host-all.json)"
expect_eq report_host_exits_total "38400 624900000 0" \
	"$(hjv '.total.kvm.exits | "\(.count) \(.total_ns) \(.other.count)"' host-all.json)"
# shellcheck disable=SC2016 # $a, $b are jq's
expect_eq report_host_userspace_exits "5100 1920000000 1000 300000000" \
	"$(hjv '.phases[0].kvm.userspace_exits as $a | .phases[1].kvm.userspace_exits as $b |
		"\($a.count) \($a.total_ns) \($b.count) \($b.total_ns)"')"
expect_eq report_host_vmm_handling_total "6000 36000000 6000" \
	"$(hjv '.total.kvm.vmm_handling | "\(.count) \(.total_ns) \(.top[0].mean_ns)"')"
expect_eq report_host_halts "140 wait poll" \
	"$(hjv '.phases[0].kvm.halts | "\(.count) \(.top[0].name) \(.top[1].name)"')"
expect_eq report_host_unpaired "3 1" \
	"$(hjv '.phases[0].kvm | "\(.exits_unpaired.count) \(.userspace_exits_unpaired.count)"')"
expect_eq report_host_count_list_ties_by_key "0x71 in,0x70 out|1 10" \
	"$(hjv '.phases[0].kvm.pio |
		"\([.top[].name] | join(","))|\(.other.distinct) \(.other.count)"')"
expect_eq report_host_count_list_has_no_time "false 0.499002" \
	"$(hjv '.phases[0].kvm.pio | "\(has("total_ns")) \(.top[0].share * 1e6 | round / 1e6)"')"
expect_eq report_host_pio_total "0x70 out 3500" \
	"$(hjv '.total.kvm.pio.top[0] | "\(.name) \(.count)"')"
expect_eq report_host_mmio_msr_page_faults "805 2004 10000" \
	"$(hjv '.phases[0].kvm | "\(.mmio.count) \(.msr.count) \(.page_faults.count)"')"
expect_eq report_host_empty_phase_lists "0 0 []" \
	"$(hjv '.phases[1].kvm.halts | "\(.count) \(.total_ns) \(.top)"')"
expect_eq report_host_per_vcpu \
	"0:32040:312000000:6040:6000 1:6060:312000000:60:0 null:300:900000:0:0" \
	"$(hjv '[.total.kvm.vcpus[] | "\(.vcpu):\(.exits.count):\(.exits.total_ns):" +
		"\(.userspace_exits.count):\(.vmm_handling.count)"] | join(" ")')"
expect_eq report_host_per_vcpu_phase "1608000000 312000000" \
	"$(hjv '.phases[0].kvm.vcpus |
		"\(.[0].userspace_exits.total_ns) \(.[1].userspace_exits.total_ns)"')"
expect_eq report_host_lost "0 7 7" \
	"$(hjv '"\(.phases[0].kvm.lost) \(.phases[1].kvm.lost) \(.total.kvm.lost)"')"
expect_eq report_host_unknown_kinds_skipped 0 \
	"$(hjv '[.. | objects | select(.name? == "x" or .stat? == "future-kind")] | length')"

# libvirt's stats: times in ns, the rest counts; by VM, group, device; the domain from meta.
expect_eq report_domain_stats_total "cpu.time:total:ns:4800000000 \
vcpu.delay:vcpu0:ns:5000000 vcpu.time:vcpu0:ns:2300000000 vcpu.time:vcpu1:ns:2000000000 \
block.rd.bytes:vda:bytes:12288000 block.rd.reqs:vda:count:1500 block.wr.times:vda:ns:100000000 \
net.rx.bytes:vnet0:bytes:4096" \
	"$(hjv '[.total.domain_stats[] | "\(.stat):\(.device):\(.unit):\(.value)"] | join(" ")')"
expect_eq report_domain_stats_phase "1900000000 2900000000 centos64" \
	"$(hjv '"\(.phases[0].domain_stats[0].value) \(.phases[1].domain_stats[0].value) " +
		"\(.phases[0].domain_stats[0].domain)"')"
expect_eq report_domain_from_merged_meta "centos64 QEMU kvm 2 2147483648 running" \
	"$(hjv '.run.domains[0] |
		"\(.name) \(.hypervisor) \(.domain_type) \(.vcpus) \(.mem_bytes) \(.state)"')"

# The VMM process (vmm view): the guest view's figures, apart from the guest's own.
expect_eq report_vmm_syscalls "7300 3780000000 ppoll ioctl futex" \
	"$(hjv '.total.vmm.syscalls | "\(.count) \(.total_ns) \([.top[].name] | join(" "))"' \
		host-all.json)"
expect_eq report_vmm_top_limited "2 3" \
	"$(hjv '.total.vmm.syscalls | "\(.top | length) \(.distinct)"')"
expect_eq report_vmm_figures "600 2100000000 200 16000" \
	"$(hjv '.total.vmm | "\(.page_faults.total) \(.cpu.oncpu_ns) \(.run_queue.count) " +
		"\(.run_queue.max_ns)"')"
expect_eq report_vmm_apart_from_guest "110 1000" \
	"$(hjv '.total | "\(.syscalls.count) \(.page_faults.total)"')"

# Only the views a recording has; a guest-only report has none of the new fields.
views_of() { jq -r '.total | "\(has("kvm")) \(has("vmm")) \(has("domain_stats"))"' "$1" 2>&1; }
expect_eq report_views_present_only "true true true|false false true|false false false false" \
	"$(views_of host.json)|$(views_of vmstats.json)|$(views_of basic.json) $(jqv \
		'.run | has("domains")')"
expect_eq report_vmstats_domains "test:TEST:running stopped:null:shut off" \
	"$(hjv '[.run.domains[] | "\(.name):\(.hypervisor):\(.state)"] | join(" ")' vmstats.json)"
expect_eq report_vmstats_sorted "cpu.time vcpu0 vcpu1 block.rd.reqs net.tx.pkts" \
	"$(hjv '[.total.domain_stats[] | if .stat == "vcpu.time" then .device else .stat end] |
		join(" ")' vmstats.json)"

# A real recording: minivmm's known exits, as the report gives them (SVM names: io, npf).
expect_eq report_real_userspace_exits "IO:1000 MMIO:300 HLT:1" \
	"$(hjv '[.total.kvm.userspace_exits.top[] | "\(.name):\(.count)"] | join(" ")' \
		minivmm.json)"
expect_eq report_real_pio_mmio "0x10 out:1000 0x10000 write:300" \
	"$(hjv '.total.kvm | "\(.pio.top[0].name):\(.pio.count) " +
		"\(.mmio.top[0].name):\(.mmio.count)"' minivmm.json)"
expect_eq report_real_io_exits_and_vcpu "1000 2 1301" \
	"$(hjv '.total.kvm | "\(.exits.top[] | select(.name == "io") | .count) " +
		"\(.vcpus[0].vcpu) \(.vcpus[0].userspace_exits.count)"' minivmm.json)"
expect_eq report_real_sums_match_the_file \
	"$(sql minivmm.hvt "SELECT SUM(count) || ' ' || SUM(sum_ns) FROM stat
		WHERE view = 'host' AND kind = 'exit'")" \
	"$(hjv '.total.kvm.exits | "\(.count) \(.total_ns)"' minivmm.json)"

# Adding the views changes nothing of what was there: the same recording without its host and
# vmm rows gives the same JSON once the new fields are taken out, and its text and CSV lines
# come in the same order inside the full ones.
report_guest_part_unchanged_by_views() {
	local why
	cp host.hvt guest-only.hvt
	sqlite3 -batch guest-only.hvt "DELETE FROM hist WHERE stat IN (SELECT id FROM stat WHERE
		view <> 'guest'); DELETE FROM stat WHERE view <> 'guest';
		DELETE FROM meta WHERE key LIKE 'host.vm.%';"
	"$HVTRACE" report guest-only.hvt --json --top 2 | sed 's/guest-only\.hvt/host.hvt/' >go.json
	jq 'del(.phases[].kvm, .phases[].vmm, .phases[].domain_stats, .total.kvm, .total.vmm,
		.total.domain_stats, .run.domains)' host.json >stripped.json
	if ! diff <(jq -S . go.json) <(jq -S . stripped.json) >json.diff; then
		fail report_guest_part_unchanged_by_views "JSON differs: $(head -c 300 json.diff)"
		return
	fi
	"$HVTRACE" report guest-only.hvt --top 2 | sed 's/guest-only\.hvt/host.hvt/' >go.txt
	"$HVTRACE" report host.hvt --top 2 >full.txt
	"$HVTRACE" report guest-only.hvt --csv --top 2 | sed 's/guest-only\.hvt/host.hvt/' >go.csv
	"$HVTRACE" report host.hvt --csv --top 2 >full.csv
	why=$(python3 - go.txt full.txt go.csv full.csv <<'PY'
import sys
def inside(a, b):
    it = iter(b)
    return all(any(x == y for y in it) for x in a)
args = sys.argv[1:]
for small, big in zip(args[::2], args[1::2]):
    a, b = open(small).read().splitlines(), open(big).read().splitlines()
    if not inside(a, b):
        print("%s is not inside %s in order" % (small, big))
PY
)
	if [ -n "$why" ]; then
		fail report_guest_part_unchanged_by_views "$why"
	else
		ok report_guest_part_unchanged_by_views
	fi
}
report_guest_part_unchanged_by_views

report_host_text_fits_100_columns() {
	local args long
	for args in "host.hvt" "host.hvt --top 0" "host.hvt --top 1" "vmstats.hvt" "minivmm.hvt"; do
		# shellcheck disable=SC2086
		long=$("$HVTRACE" report $args 2>&1 | awk 'length > 100')
		if [ -n "$long" ]; then
			fail report_host_text_fits_100_columns \
				"'report $args' has lines over 100: $long"
			return
		fi
	done
	ok report_host_text_fits_100_columns
}
report_host_text_fits_100_columns

# Every CSV row has six fields, and (phase, section, item, metric) names one value.
report_host_csv_rows_unique() {
	local bad
	bad=$("$HVTRACE" report host.hvt --csv | python3 -c '
import collections, csv, sys
rows = list(csv.reader(sys.stdin))
bad = [r for r in rows if len(r) != 6]
dup = [k for k, n in collections.Counter(tuple(r[:5]) for r in rows).items() if n > 1]
if bad or dup:
    print("%d rows not of 6 fields; duplicates: %s" % (len(bad), dup[:3]), end="")
' 2>&1)
	if [ -n "$bad" ]; then
		fail report_host_csv_rows_unique "$bad"
	else
		ok report_host_csv_rows_unique
	fi
}
report_host_csv_rows_unique
# csvv GREP: the value of the one CSV row (report host.hvt --csv --top 2) starting with GREP.
csvv() { grep "^$1," full.csv | cut -d, -f6; }
expect_eq report_host_csv_other_p99 3256.32 "$(csvv '0,configure,kvm.exits.other,,p99_ns')"
expect_eq report_host_csv_vcpu_item 1608000000 \
	"$(csvv '0,configure,kvm.vcpus.userspace_exits,0,total_ns')"
expect_eq report_host_csv_domain_stat 12288000 \
	"$(csvv 'total,total,domain_stats,0/vda/block.rd.bytes,value')"

# Text: the "other" row of the exits table, the per-vCPU table, the views.
expect_eq report_host_text_other_row "    other (3)                12,300    24.9 ms    4.3%     \
2.0 us     1.5 us     3.3 us     4.0 us" "$(sed -n '/^Phase 0/,/^Phase 1/p' full.txt |
	grep '^    other (3)')"
expect_eq report_host_text_vcpu_unknown "    unknown                     300   900.0 us            \
0       0 ns            0       0 ns" "$(sed -n '/^Run total/,$p' full.txt | grep '^    unknown')"
expect_eq report_host_text_views "  views             guest, host (KVM exits of the VMM's \
threads), host (libvirt domain stats),|                    vmm (the VMM process, merged)" \
	"$(grep -A1 '^  views' full.txt | tr '\n' '|' | sed 's/|$//')"

# The page: well-formed, fetches nothing, and names from the recording are escaped.
report_host_html_well_formed() {
	local why
	cp host.hvt hostile.hvt
	sqlite3 -batch hostile.hvt "UPDATE meta SET value = '<b>x</b>&'
		WHERE key = 'host.vm.0.name';
		UPDATE stat SET name = '<i>vda</i>' WHERE name = 'vda';"
	"$HVTRACE" report hostile.hvt --html >hostile.html 2>/dev/null
	why=$(python3 - host.html hostile.html <<'PY'
import html.parser, re, sys
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "wbr", "line", "rect", "path"}
FETCH = re.compile(r"<script|<link|<iframe|<img|\b(src|href)\s*=|https?:", re.I)
class Check(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.bad = [], []
    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)
    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.bad.append("</%s> at line %d" % (tag, self.getpos()[0]))
        else:
            self.stack.pop()
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    if FETCH.search(text):
        print("%s fetches or runs something" % path)
    c = Check()
    c.feed(text)
    if c.bad or c.stack:
        print("%s: %s %s" % (path, c.bad[:2], c.stack))
    if "hostile" in path and ("<b>x" in text or "<i>vda" in text or
                              "&lt;b&gt;x&lt;/b&gt;&amp;" not in text):
        print("%s: names not escaped" % path)
PY
)
	if [ -n "$why" ]; then
		fail report_host_html_well_formed "$why"
	else
		ok report_host_html_well_formed
	fi
}
"$HVTRACE" report host.hvt --html --top 2 >host.html 2>/dev/null
report_host_html_well_formed
expect_eq report_host_html_has_the_tables "3 3 3" "$(grep -c '<th>exit reason</th>' host.html) \
$(grep -c '<th>vCPU</th>' host.html) $(grep -c '<th>VMM syscall</th>' host.html)"

# Recorded with --vm while the domain was not running: its facts, no stats.
report_vm_without_stats() {
	local got
	cp vmstats.hvt nostats.hvt
	sqlite3 -batch nostats.hvt "DELETE FROM stat"
	got="$("$HVTRACE" report nostats.hvt | grep -c '^  domain ') $("$HVTRACE" report \
		nostats.hvt --json | jq -r '"\(.run.domains | length) " +
		"\(.total | has("domain_stats"))"')"
	expect_eq report_vm_without_stats "2 2 false" "$got"
}
report_vm_without_stats

# A long domain name is clipped so that its stats still start in the value column.
report_long_domain_name_clipped() {
	cp vmstats.hvt longname.hvt
	sqlite3 -batch longname.hvt "UPDATE meta SET value = 'a-very-long-domain-name'
		WHERE key = 'vm.0.name'"
	expect_eq report_long_domain_name_clipped "  domain a-very-... cpu.time 2.503 s" \
		"$("$HVTRACE" report longname.hvt | grep -m 1 '^  domain a-' | cut -c 1-36)"
}
report_long_domain_name_clipped
