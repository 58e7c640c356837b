#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# hvtrace bench: N recorded runs, each a full recording, and a summary.
. "$(dirname "$0")/lib.sh"
export HVTRACE
GT=$PROG/gt
need_root bench || exit 0

"$HVTRACE" bench -q --runs 3 --label gt -o "$TMP/runs" -- "$GT" mark a getppid 777 mark b sleep 100 \
	>"$TMP/summary"
expect_eq bench_exit_status_zero 0 $?
expect_eq bench_writes_one_recording_per_run "gt-1.hvt gt-2.hvt gt-3.hvt" \
	"$(cd "$TMP/runs" && echo *.hvt)"
for i in 1 2 3; do
	expect_eq "bench_run_${i}_exact_count" 777 "$(sql "$TMP/runs/gt-$i.hvt" "SELECT s.count FROM stat s
		JOIN phase p ON p.id = s.phase WHERE p.name = 'a' AND s.name = 'getppid'")"
	expect_eq "bench_run_${i}_label" gt "$(sql "$TMP/runs/gt-$i.hvt" "SELECT value FROM meta WHERE key='label'")"
done
expect_eq bench_summary_three_runs_of_b 3 "$(awk '$1 == "b" { print $2 }' "$TMP/summary")"
# Phase b sleeps 100 ms: its mean must say 0:00.1.
expect_eq bench_summary_mean_of_b "0:00.1" "$(awk '$1 == "b" { print $3 }' "$TMP/summary")"

"$HVTRACE" bench -q --runs 2 --label bad -o "$TMP/bad" -- "$GT" exit 3 >/dev/null 2>"$TMP/err"
expect_eq bench_failed_run_exit_1 1 $?
grep -q "run 1/2: exit status 3" "$TMP/err" && ok bench_failed_run_named ||
	fail bench_failed_run_named "$(cat "$TMP/err")"
expect_fail bench_without_command_is_usage 2 "no COMMAND" -- "$HVTRACE" bench --runs 2
expect_fail bench_bad_runs_is_usage 2 "--runs" -- "$HVTRACE" bench --runs 0 -- true
