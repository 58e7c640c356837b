#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# hvtrace record against ground truth: tests/prog/gt makes exactly the
# syscalls and page faults its arguments say.
. "$(dirname "$0")/lib.sh"
export HVTRACE
GT=$PROG/gt

need_root "record" || exit 0

# count REC PHASE KIND NAME: a stat's count in a named phase (0 if absent).
count() {
	sql "$1" "SELECT COALESCE(SUM(s.count), 0) FROM stat s JOIN phase p ON p.id = s.phase
		WHERE p.name = '$2' AND s.kind = '$3' AND s.name = '$4'"
}

test_exact_syscalls_per_phase() {
	local rec=$TMP/gt.hvt
	"$HVTRACE" record -q -o "$rec" -- "$GT" mark a getppid 12345 mark b touch 3000 getppid 17
	expect_eq record_exit_status_zero 0 $?
	expect_eq record_getppid_exact_in_phase_a 12345 "$(count "$rec" a syscall getppid)"
	expect_eq record_getppid_exact_in_phase_b 17 "$(count "$rec" b syscall getppid)"
	local faults
	faults=$(count "$rec" b fault user-write)
	if [ "$faults" -ge 3000 ] && [ "$faults" -lt 3200 ]; then
		ok record_user_faults_in_phase_b
	else
		fail record_user_faults_in_phase_b "expected 3000..3199 user-write faults, got $faults"
	fi
	expect_eq record_mark_phases_named "gt a b" "$(sql "$rec" "SELECT group_concat(name, ' ')
		FROM (SELECT name FROM phase ORDER BY id)")"
	expect_eq record_stores_every_calibration_probe 8 "$(sql "$rec" "SELECT COUNT(*) FROM calib WHERE unit_ns > 0")"
	expect_eq record_complete_flag 1 "$(sql "$rec" "SELECT value FROM meta WHERE key='complete'")"
}

test_child_counted_unrelated_not() {
	local rec=$TMP/child.hvt pid
	# An unrelated process making getppid calls all along must not be counted.
	"$GT" getppid 400000000 &
	pid=$!
	"$HVTRACE" record -q --no-calibrate -o "$rec" -- "$GT" mark a getppid 1000 child-getppid 2345
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	expect_eq record_child_syscalls_counted_unrelated_not 3345 "$(count "$rec" a syscall getppid)"
	expect_eq record_fork_counted 1 "$(count "$rec" a proc fork)"
}

test_system_wide_counts_others() {
	local rec=$TMP/sys.hvt pid n
	"$GT" getppid 400000000 &
	pid=$!
	"$HVTRACE" record -q --no-calibrate -a -o "$rec" -- "$GT" sleep 300
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	n=$(sql "$rec" "SELECT COALESCE(SUM(count), 0) FROM stat WHERE kind='syscall' AND name='getppid'")
	if [ "$n" -gt 10000 ]; then
		ok record_system_wide_counts_other_processes
	else
		fail record_system_wide_counts_other_processes "only $n getppid calls seen system-wide"
	fi
}

test_auto_phases_and_wall_time() {
	local rec=$TMP/auto.hvt t0 t1 ext wall sum
	t0=$(date +%s%N)
	"$HVTRACE" record -q --no-calibrate -o "$rec" -- sh -c '/bin/true; sleep 0.5; ls / >/dev/null'
	t1=$(date +%s%N)
	expect_eq record_auto_phases_named "sh true sleep ls" "$(sql "$rec" "SELECT
		group_concat(name, ' ') FROM (SELECT name FROM phase ORDER BY id)")"
	expect_eq record_auto_phase_sources "start auto auto auto" "$(sql "$rec" "SELECT
		group_concat(source, ' ') FROM (SELECT source FROM phase ORDER BY id)")"
	wall=$(sql "$rec" "SELECT value FROM meta WHERE key='wall_ns'")
	sum=$(sql "$rec" "SELECT SUM(end_mono_ns - start_mono_ns) FROM phase")
	# Phases are contiguous: their sum is the wall time (1 % allowed).
	if [ $((sum > wall ? sum - wall : wall - sum)) -le $((wall / 100)) ]; then
		ok record_phases_sum_to_wall_time
	else
		fail record_phases_sum_to_wall_time "phases sum to $sum ns, wall is $wall ns"
	fi
	# The wall time is real: at least the 0.5 s sleep, at most what we measured outside.
	ext=$((t1 - t0))
	if [ "$wall" -ge 500000000 ] && [ "$wall" -le "$ext" ]; then
		ok record_wall_time_matches_outside_clock
	else
		fail record_wall_time_matches_outside_clock "wall $wall ns, outside $ext ns"
	fi
	local sleep_ns
	sleep_ns=$(sql "$rec" "SELECT end_mono_ns - start_mono_ns FROM phase WHERE name='sleep'")
	if [ "$sleep_ns" -ge 500000000 ] && [ "$sleep_ns" -lt 700000000 ]; then
		ok record_sleep_phase_lasts_its_sleep
	else
		fail record_sleep_phase_lasts_its_sleep "sleep phase lasted $sleep_ns ns"
	fi
}

test_marks_override_auto() {
	local rec=$TMP/marks.hvt
	"$HVTRACE" record -q --no-calibrate -o "$rec" -- sh -c "/bin/true; $HVTRACE mark build; /bin/true; ls >/dev/null"
	expect_eq record_marks_stop_auto_phases "sh true build" "$(sql "$rec" "SELECT
		group_concat(name, ' ') FROM (SELECT name FROM phase ORDER BY id)")"
}

test_exit_status() {
	local rec=$TMP/exit.hvt rc
	"$HVTRACE" record -q --no-calibrate -o "$rec" -- "$GT" exit 7
	rc=$?
	expect_eq record_returns_workload_exit_status 7 "$rc"
	expect_eq record_stores_exit_status 7 "$(sql "$rec" "SELECT value FROM meta WHERE key='exit_status'")"
}

test_sigint_stops_workload() {
	local rec=$TMP/int.hvt pid rc t0 t1
	t0=$(date +%s)
	"$HVTRACE" record -q --no-calibrate -o "$rec" -- sleep 60 &
	pid=$!
	sleep 1
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	t1=$(date +%s)
	expect_eq record_sigint_exit_status_130 130 "$rc"
	if [ $((t1 - t0)) -lt 10 ]; then ok record_sigint_stops_promptly; else
		fail record_sigint_stops_promptly "took $((t1 - t0)) s"; fi
	expect_eq record_sigint_recording_complete 1 "$(sql "$rec" "SELECT value FROM meta WHERE key='complete'")"
	if pgrep -f '^sleep 60$' >/dev/null; then
		fail record_sigint_leaves_no_workload "sleep 60 still runs"
	else
		ok record_sigint_leaves_no_workload
	fi
}

test_killed_recorder_leaves_readable_file() {
	local rec=$TMP/killed.hvt pid
	"$HVTRACE" record -q --no-calibrate -i 100 -o "$rec" -- "$GT" mark a getppid 1000 sleep 3000 &
	pid=$!
	sleep 1.5
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	sleep 0.3
	expect_eq record_killed_keeps_last_tick 1000 "$(count "$rec" a syscall getppid)"
	expect_eq record_killed_marked_incomplete 0 "$(sql "$rec" "SELECT value FROM meta WHERE key='complete'")"
	if "$HVTRACE" report "$rec" | grep -q 'INCOMPLETE'; then ok record_killed_report_says_incomplete
	else fail record_killed_report_says_incomplete "report does not say INCOMPLETE"; fi
	if pgrep -f "$GT mark a getppid 1000" >/dev/null; then
		fail record_killed_takes_workload_along "the workload outlived its recorder"
		pkill -f "$GT mark a getppid 1000"
	else
		ok record_killed_takes_workload_along
	fi
}

test_pid_mode() {
	local rec=$TMP/pid.hvt pid rpid i
	"$GT" wait-usr1 0 getppid 4242 sleep 200 &
	pid=$!
	"$HVTRACE" record --no-calibrate -o "$rec" --pid "$pid" 2>"$TMP/pid.err" &
	rpid=$!
	# The burst starts only once the recorder follows the process.
	for i in $(seq 200); do grep -q '^hvtrace: recording' "$TMP/pid.err" && break; sleep 0.05; done
	kill -USR1 "$pid"
	wait "$rpid"
	expect_eq record_pid_mode_exit_status 0 $?
	wait "$pid"
	expect_eq record_pid_counts_followed_process 4242 "$(sql "$rec" "SELECT COALESCE(SUM(count),0)
		FROM stat WHERE kind='syscall' AND name='getppid'")"
}

test_bad_input() {
	expect_fail record_missing_command_is_clear 1 "cannot run 'no-such-cmd-xyz'" -- \
		"$HVTRACE" record -q --no-calibrate -o "$TMP/x.hvt" -- no-such-cmd-xyz
	[ -e "$TMP/x.hvt" ] && fail record_missing_command_leaves_no_file "$TMP/x.hvt exists" ||
		ok record_missing_command_leaves_no_file
	expect_fail record_output_in_missing_dir_is_clear 1 "cannot create recording '$TMP/nodir/x.hvt'" -- \
		"$HVTRACE" record -q --no-calibrate -o "$TMP/nodir/x.hvt" -- true
	expect_fail record_without_privilege_names_caps 1 "CAP_BPF and CAP_PERFMON" -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$HVTRACE" record -q --no-calibrate -o /tmp/np.hvt -- true
	expect_fail record_without_command_is_usage_error 2 "nothing to record" -- "$HVTRACE" record
	expect_fail record_bad_interval_is_usage_error 2 "--interval" -- \
		"$HVTRACE" record --interval 0 -- true
	expect_fail record_bad_pid_is_clear 1 "no process" -- "$HVTRACE" record -q --no-calibrate -o "$TMP/p.hvt" --pid 4194000
	expect_fail mark_outside_recording_is_clear 1 "not running under 'hvtrace record'" -- \
		env -u HVTRACE_SOCK "$HVTRACE" mark x
	expect_fail mark_bad_name_is_clear 1 "bad phase name" -- \
		env HVTRACE_SOCK=@nothing "$HVTRACE" mark "$(printf 'a\tb')"
}

# A recording's WAL stays bounded while it runs: SQLite folds it back into the
# file every ~1000 pages unless a statement is left holding a read snapshot,
# which made it grow by every tick's pages for the whole run (40 MB in 13 min
# at a tick a second). 150 spawns, each in its own marked phase, at a 20 ms
# tick write well over 10 MB of pages.
test_wal_stays_bounded() {
	local rec=$TMP/wal.hvt max=0 sz i steps=()
	for ((i = 0; i < 150; i++)); do steps+=(mark "p$i" spawn 1); done
	"$HVTRACE" record -q --no-calibrate -i 20 -o "$rec" -- "$GT" "${steps[@]}" &
	local pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sz=$(stat -c %s "$rec-wal" 2>/dev/null || echo 0)
		((sz > max)) && max=$sz
		sleep 0.2
	done
	wait "$pid"
	expect_eq record_wal_run_ok 0 $?
	if ((max > 0 && max < 6 * 1024 * 1024)); then
		ok record_wal_stays_bounded
	else
		fail record_wal_stays_bounded "the WAL reached $max bytes (want 1..6 MiB)"
	fi
}

test_exact_syscalls_per_phase
test_child_counted_unrelated_not
test_system_wide_counts_others
test_auto_phases_and_wall_time
test_marks_override_auto
test_exit_status
test_sigint_stops_workload
test_killed_recorder_leaves_readable_file
test_pid_mode
test_wal_stays_bounded
test_bad_input
