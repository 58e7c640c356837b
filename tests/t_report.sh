#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# hvtrace report on fixture recordings (tests/fixtures/report/*.sql on the schema of
# tests/fixtures/schema.sql, turned into .hvt files with sqlite3): golden text, JSON and CSV;
# values computed by hand (see the comments in basic.sql); options; every kind of bad input.
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
for f in basic killed; do
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
