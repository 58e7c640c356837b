#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# `hvtrace top` as a binary, against ground truth:
#  - here: a process stopped before its burst of exactly N getppid; top starts,
#    says it is watching, the process is continued, and the one snapshot must
#    hold exactly N getppid (interval ending first, and the process ending first);
#    the terminal mode (q quits, SIGTERM and Ctrl-Z leave the terminal as it
#    was); a process that is not a VMM; bad input.
#  - libvirt: --vm on a TCG domain of a real libvirtd (tools/libvirt-up.sh):
#    the name resolves to its QEMU process; destroying the domain ends the view.
#  - nested: in a QEMU TCG guest with SVM (tests/lib-nested.sh), top on
#    tests/prog/minivmm must show exactly N port writes, M MMIO writes, the
#    userspace exits by reason, N paired `io` VM exits and time in the VMM.
# The printers' formats have goldens in tests/fixtures/top/ (tests/unit/test_top.c).
# Needs root; about 75 s here (two guest boots).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-nested.sh"
GT=$PROG/gt
N=12345			# getppid in the burst
PORT=0x10
IO=1000			# minivmm's port writes
MMIO=300		# and MMIO writes
VCPU=1
PIO_KEY=$(((1 << 16) | PORT))

expect_fail top_bad_interval_is_a_usage_error 2 "--interval: 'x' is not a number of seconds" -- \
	"$HVTRACE" top --interval x --once
expect_fail top_zero_interval_is_a_usage_error 2 "--interval: '0' is not" -- \
	"$HVTRACE" top --interval 0 --once
expect_fail top_bad_pid_is_a_usage_error 2 "--pid: 'abc' is not a process id" -- \
	"$HVTRACE" top --pid abc --once
expect_fail top_two_targets_are_a_usage_error 2 "give one of --vm, --pid and --system-wide" -- \
	"$HVTRACE" top --pid 1 --system-wide --once
expect_fail top_connect_needs_vm 2 "--connect goes with --vm" -- \
	"$HVTRACE" top --connect test:///default --pid 1 --once
expect_fail top_stray_argument_is_a_usage_error 2 "unexpected argument 'foo'" -- \
	"$HVTRACE" top --once foo
# The test driver needs no daemon; its domains have no QEMU process to follow.
expect_fail top_unknown_domain_fails_clearly 1 "no domain 'no-such-vm'" -- \
	"$HVTRACE" top --vm no-such-vm --connect test:///default --once
expect_fail top_domain_without_local_process_fails_clearly 1 \
	"top needs the QEMU process of domain 'test' on this host" -- \
	"$HVTRACE" top --vm test --connect test:///default --once

need_root top || exit 0

# A pid above the kernel's pid_max (the parser's limit is 2^22, pid_max at most that).
expect_fail top_missing_pid_fails_clearly 1 "no process 4194304" -- \
	"$HVTRACE" top --pid 4194304 --once

# stopped_gt STEPS...: a shell that stops itself, then execs gt STEPS; prints its pid
# once it is stopped (the burst starts only when it is continued).
stopped_gt() {
	sh -c 'kill -STOP $$; exec "$0" "$@"' "$GT" "$@" >/dev/null 2>&1 &
	local pid=$!
	for _ in $(seq 200); do
		[ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = T ] && break
		sleep 0.02
	done
	echo "$pid"
}

# watch PID OUT ERR ARGS...: starts `top --pid PID ARGS` in the background,
# continues PID once top says it is watching; top's pid in TOP_PID.
watch() {
	local pid=$1 out=$2 err=$3
	shift 3
	"$HVTRACE" top --pid "$pid" "$@" >"$out" 2>"$err" &
	TOP_PID=$!
	for _ in $(seq 300); do grep -qs watching "$err" && break; sleep 0.05; done
	kill -CONT "$pid"
}

jqv() { jq -r "$1" "$2" 2>&1; }

test_top_counts_an_exact_burst() {
	local pid out=$TMP/burst.json rc
	pid=$(stopped_gt getppid $N sleep 4000)
	watch "$pid" "$out" "$TMP/burst.err" --once --json --interval 2
	wait "$TOP_PID"
	rc=$?
	kill "$pid" 2>/dev/null
	expect_eq top_burst_exit_status 0 "$rc"
	expect_eq top_burst_getppid_exact "$N" \
		"$(jqv '.guest.by_syscall[] | select(.name == "getppid") | .count' "$out")"
	expect_eq top_burst_snapshot_ends_on_the_interval false "$(jqv .ended "$out")"
	expect_eq top_burst_interval_is_the_one_asked "true" \
		"$(jqv '.interval_s >= 1.9 and .interval_s < 3' "$out")"
	expect_eq top_burst_rate_is_count_over_interval "true" "$(jqv '.guest.by_syscall[] |
		select(.name == "getppid") | (.per_s - .count / '"$(jqv .interval_s "$out")"') |
		fabs < 0.01' "$out")"
	case $(jqv .kvm.state "$out") in
	idle | unavailable) ok top_burst_not_a_vmm_has_no_kvm_table ;;
	*) fail top_burst_not_a_vmm_has_no_kvm_table "kvm.state $(jqv .kvm.state "$out")" ;;
	esac
	case $(jqv .kvm.message "$out") in
	"no KVM activity from pid $pid"* | "no KVM view: "*) ok top_burst_says_why_no_kvm ;;
	*) fail top_burst_says_why_no_kvm "kvm.message '$(jqv .kvm.message "$out")'" ;;
	esac
}

# The target ends before the interval: the snapshot is taken then, not 30 s later.
test_top_ends_with_its_target() {
	local pid out=$TMP/end.txt rc t0 t1
	pid=$(stopped_gt getppid $N)
	t0=$(date +%s)
	watch "$pid" "$out" "$TMP/end.err" --once --interval 30
	wait "$TOP_PID"
	rc=$?
	t1=$(date +%s)
	expect_eq top_end_exit_status 0 "$rc"
	if [ $((t1 - t0)) -lt 20 ]; then
		ok top_end_snapshot_when_the_target_ends
	else
		fail top_end_snapshot_when_the_target_ends "top took $((t1 - t0)) s"
	fi
	if grep -q "^hvtrace top: pid $pid (.*), last .* s (it ended)$" "$out"; then
		ok top_end_title_says_it_ended
	else
		fail top_end_title_says_it_ended "$(head -n 1 "$out")"
	fi
	if grep -qE "^  syscalls [0-9,.]+/s \(getppid " "$out"; then
		ok top_end_text_shows_the_guest_line
	else
		fail top_end_text_shows_the_guest_line "$(grep syscalls "$out")"
	fi
}

# stdout not a terminal, no --once: one snapshot all the same.
test_top_pipe_prints_one_snapshot() {
	local pid rc
	sleep 30 &
	pid=$!
	timeout 20 "$HVTRACE" top --pid "$pid" --interval 0.3 -q >"$TMP/pipe.txt" 2>"$TMP/pipe.err"
	rc=$?
	kill "$pid"
	expect_eq top_pipe_exit_status 0 "$rc"
	expect_eq top_pipe_prints_one_snapshot 1 "$(grep -c '^hvtrace top: ' "$TMP/pipe.txt")"
	expect_eq top_quiet_prints_nothing_on_stderr "" "$(cat "$TMP/pipe.err")"
}

# in_tty NAME SCRIPT: runs the sh SCRIPT in a terminal of its own (script(1)),
# its output in $TMP/NAME.out; the terminal settings before and after in
# $TMP/NAME.before, $TMP/NAME.after. stdin goes to the terminal.
in_tty() {
	{
		echo "stty -g >'$TMP/$1.before'"
		cat "$2"
		echo "stty -g >'$TMP/$1.after'"
	} >"$TMP/$1.sh"
	timeout 20 script -qec "sh '$TMP/$1.sh'" /dev/null >"$TMP/$1.out" 2>&1
}

# restored NAME TEST: whether in_tty NAME left the terminal as it found it.
restored() {
	if [ -s "$TMP/$1.before" ] && cmp -s "$TMP/$1.before" "$TMP/$1.after"; then
		ok "$2"
	else
		fail "$2" "stty before '$(cat "$TMP/$1.before" 2>/dev/null)', after \
'$(cat "$TMP/$1.after" 2>/dev/null)'"
	fi
}

# In a terminal: refreshes, q quits, SIGTERM too; the terminal is restored.
test_top_terminal() {
	local pid
	if ! command -v script >/dev/null; then
		skip top_terminal "script(1) not found (util-linux)"
		return
	fi
	sleep 30 &
	pid=$!
	cat >"$TMP/q.in" <<EOF
'$HVTRACE' top --pid $pid --interval 0.2
echo top-exit=\$?
EOF
	(sleep 3; printf q) | in_tty q "$TMP/q.in"
	expect_eq top_terminal_q_quits "top-exit=0" "$(grep -ao 'top-exit=[0-9]*' "$TMP/q.out")"
	restored q top_terminal_restored_after_q
	if [ "$(grep -ac 'hvtrace top: pid .*q quits' "$TMP/q.out")" -ge 2 ]; then
		ok top_terminal_refreshes
	else
		fail top_terminal_refreshes "$(grep -ac 'q quits' "$TMP/q.out") frames"
	fi
	# A background job's stdin is /dev/null unless it is given the terminal.
	cat >"$TMP/term.in" <<EOF
'$HVTRACE' top --pid $pid --interval 0.2 </dev/tty &
t=\$!
sleep 3
kill -TERM \$t
wait \$t
echo top-exit=\$?
EOF
	in_tty term "$TMP/term.in" </dev/null
	expect_eq top_terminal_sigterm_exit_status "top-exit=0" \
		"$(grep -ao 'top-exit=[0-9]*' "$TMP/term.out")"
	restored term top_terminal_restored_after_sigterm
	if grep -aq $'\033\[?25h' "$TMP/term.out"; then
		ok top_terminal_cursor_back_after_sigterm
	else
		fail top_terminal_cursor_back_after_sigterm "no cursor-show escape in the output"
	fi
	# Ctrl-Z: the shell gets its terminal back while top is stopped, top its mode after.
	cat >"$TMP/tstp.in" <<EOF
'$HVTRACE' top --pid $pid --interval 0.2 </dev/tty &
t=\$!
sleep 3
kill -TSTP \$t
sleep 0.5
stty -g >'$TMP/tstp.stopped'
kill -CONT \$t
sleep 1
stty -g >'$TMP/tstp.resumed'
kill -TERM \$t
wait \$t
EOF
	in_tty tstp "$TMP/tstp.in" </dev/null
	kill "$pid"
	if [ -s "$TMP/tstp.before" ] && cmp -s "$TMP/tstp.before" "$TMP/tstp.stopped"; then
		ok top_terminal_restored_while_stopped
	else
		fail top_terminal_restored_while_stopped "stty before '$(cat "$TMP/tstp.before")', \
while stopped '$(cat "$TMP/tstp.stopped" 2>/dev/null)'"
	fi
	if [ -s "$TMP/tstp.resumed" ] && ! cmp -s "$TMP/tstp.before" "$TMP/tstp.resumed"; then
		ok top_terminal_cbreak_again_after_continue
	else
		fail top_terminal_cbreak_again_after_continue "stty after SIGCONT \
'$(cat "$TMP/tstp.resumed" 2>/dev/null)' is the shell's"
	fi
	restored tstp top_terminal_restored_after_stop_and_continue
}

# --vm against a real libvirtd (tools/libvirt-up.sh) running a TCG domain: the
# name resolves to its QEMU process (no KVM there: TCG), and destroying the
# domain ends the view. Everything started is stopped, on failure too.
LV_URI=qemu:///system
LV_DOM=hvt-top-$$
LV_STATE=$TMP/libvirt.state
lv_cleanup() {
	if timeout 20 virsh -c "$LV_URI" domstate "$LV_DOM" >/dev/null 2>&1; then
		timeout 20 virsh -c "$LV_URI" destroy "$LV_DOM" >/dev/null 2>&1
	fi
	[ -f "$LV_STATE" ] && "$ROOT/tools/libvirt-down.sh" --state "$LV_STATE" --quiet
	rm -f "/var/log/libvirt/qemu/$LV_DOM.log"
}

test_top_vm() {
	local t qpid j=$TMP/vm.json rc t0
	for t in virsh libvirtd virtlogd qemu-system-x86_64; do
		if ! command -v "$t" >/dev/null && ! [ -x "/usr/sbin/$t" ]; then
			skip top_vm "$t not found ('sudo make deps' installs libvirt and QEMU)"
			return
		fi
	done
	trap 'lv_cleanup; rm -rf "$TMP"' EXIT
	# QEMU may run as libvirt-qemu: it must reach the guest files and its socket.
	chmod 711 "$TMP"
	mkdir -m 1777 "$TMP/run"
	if ! "$ROOT/tools/libvirt-up.sh" --state "$LV_STATE" --timeout 45 >"$TMP/up.log" 2>&1; then
		fail top_vm_libvirt_up "$(tail -n 5 "$TMP/up.log")"
		return
	fi
	if ! "$ROOT/tools/mkguest.sh" --out "$TMP/guest" >"$TMP/vm-mkguest.log" 2>&1 ||
	   ! "$ROOT/tools/libvirt-domain.sh" --name "$LV_DOM" --guest "$TMP/guest" --vcpus 1 \
		--mem 256 --channel "$TMP/run/agent.sock" --console "$TMP/console.log" \
		--cmd 'sleep 300' >"$TMP/domain.xml" 2>"$TMP/domain.err" ||
	   ! timeout 30 virsh -c "$LV_URI" create "$TMP/domain.xml" >"$TMP/create.log" 2>&1; then
		fail top_vm_domain_started "$(tail -n 3 "$TMP/vm-mkguest.log" "$TMP/domain.err" \
			"$TMP/create.log" 2>/dev/null)"
		return
	fi
	qpid=$(cat "/run/libvirt/qemu/$LV_DOM.pid" 2>/dev/null)
	"$HVTRACE" top --vm "$LV_DOM" --once --json --interval 1 >"$j" 2>"$TMP/vm.err"
	rc=$?
	expect_eq top_vm_exit_status 0 "$rc"
	expect_eq top_vm_resolves_the_qemu_process "vm $LV_DOM (pid $qpid)" "$(jqv .target "$j")"
	expect_eq top_vm_guest_view_sees_qemu true "$(jqv '.guest.syscalls > 0' "$j")"
	case $(jqv .kvm.state "$j") in
	idle | unavailable) ok top_vm_tcg_has_no_kvm_table ;;
	*) fail top_vm_tcg_has_no_kvm_table "kvm.state $(jqv .kvm.state "$j")" ;;
	esac
	# A domain shut off while watched ends the view (at once, not after 60 s).
	t0=$SECONDS
	"$HVTRACE" top --vm "$LV_DOM" --once --json --interval 60 >"$j" 2>"$TMP/vm.err" &
	t=$!
	for _ in $(seq 300); do grep -qs watching "$TMP/vm.err" && break; sleep 0.05; done
	timeout 20 virsh -c "$LV_URI" destroy "$LV_DOM" >/dev/null 2>&1
	wait "$t"
	rc=$?
	expect_eq top_vm_ends_with_the_domain "0 true" "$rc $(jqv .ended "$j")"
	if [ $((SECONDS - t0)) -lt 40 ]; then
		ok top_vm_ends_when_the_domain_ends
	else
		fail top_vm_ends_when_the_domain_ends "top took $((SECONDS - t0)) s"
	fi
	expect_fail top_vm_not_running_fails_clearly 1 \
		"top needs the QEMU process of domain|no domain '$LV_DOM'" -- \
		"$HVTRACE" top --vm "$LV_DOM" --once
	lv_cleanup
}

# Inside the guest: top on minivmm (JSON, then text), and on a process that is not a VMM.
write_nested_cmd() {
	cat >"$1" <<EOF
#!/bin/sh
$NESTED_HELPERS
minivmm --probe || exit 3
run() {
	rm -f /tmp/vmm.out /tmp/top.out /tmp/top.err	# no stale "ready" or "watching"
	minivmm --wait --port $PORT --vcpu $VCPU $IO $MMIO >/tmp/vmm.out &
	pid=\$!
	wait_for ready /tmp/vmm.out
	hvtrace top --pid \$pid --once --interval 60 "\$@" >/tmp/top.out 2>/tmp/top.err &
	tpid=\$!
	wait_for watching /tmp/top.err
	kill -USR1 \$pid
	wait \$pid
	wait \$tpid
}
run --json
echo "HVT-RC json \$?"
nested_put json /tmp/top.out
run
echo "HVT-RC text \$?"
nested_put text /tmp/top.out
cat /tmp/top.err
sleep 30 &
hvtrace top --pid \$! --once --interval 0.5 >/tmp/idle.out 2>&1
echo "HVT-RC idle \$?"
nested_put idle /tmp/idle.out
EOF
}

test_top_nested_vmm() {
	local out=$TMP/nested.out j=$TMP/nested.json rcs
	write_nested_cmd "$TMP/nested.sh"
	nested_boot top_nested_vmm "$OUT/tests/top-guest" "$TMP/nested.sh" "$out" || return
	rcs=$(grep '^HVT-RC' "$out" | tr -d '\r' | tr '\n' ' ' | sed 's/ $//')
	if [ "$rcs" = "HVT-RC json 0 HVT-RC text 0 HVT-RC idle 0" ]; then
		ok top_nested_runs
	else
		fail top_nested_runs "$rcs; the guest's messages: \
$(grep -a '^hvtrace: ' "$out" | tr -d '\r' | tr '\n' ' ')"
	fi
	nested_file "$out" json "$j"
	nested_file "$out" text "$TMP/nested.txt"
	nested_file "$out" idle "$TMP/nested-idle.txt"
	expect_eq top_nested_kvm_active active "$(jqv .kvm.state "$j")"
	expect_eq top_nested_ended_with_the_vmm true "$(jqv .ended "$j")"
	expect_eq top_nested_pio_exact_on_port "$IO" \
		"$(jqv ".kvm.pio[] | select(.key == $PIO_KEY) | .count" "$j")"
	expect_eq top_nested_pio_only_that_port "0x10 out" \
		"$(jqv '[.kvm.pio[].name] | join(",")' "$j")"
	expect_eq top_nested_mmio_exact "$MMIO" \
		"$(jqv '.kvm.mmio[] | select(.name == "0x10000 write") | .count' "$j")"
	expect_eq top_nested_userspace_exits_by_reason "IO $IO MMIO $MMIO HLT 1" \
		"$(jqv '[.kvm.userspace_exits[] | "\(.name) \(.count)"] | join(" ")' "$j")"
	expect_eq top_nested_vmm_handled_io_and_mmio "IO $IO MMIO $MMIO" \
		"$(jqv '[.kvm.userspace_exits[] | select(.name != "HLT") |
			"\(.name) \(.vmm_count)"] | join(" ")' "$j")"
	expect_eq top_nested_time_in_vmm true "$(jqv '.kvm.vmm_ns > 0' "$j")"
	expect_eq top_nested_io_exits_paired "$IO" \
		"$(jqv '.kvm.exits[] | select(.name == "io") | .count' "$j")"
	expect_eq top_nested_io_exit_latency true \
		"$(jqv '.kvm.exits[] | select(.name == "io") | .mean_ns > 0' "$j")"
	expect_eq top_nested_exits_sorted_by_rate true \
		"$(jqv '[.kvm.exits[].count] | . == (sort | reverse)' "$j")"
	expect_eq top_nested_guest_view_sees_kvm_run true \
		"$(jqv '.guest.by_syscall[] | select(.name == "ioctl") | .count > '"$IO" "$j")"
	if grep -qE "^  0x10 out +[0-9,.]+ +1,000$" "$TMP/nested.txt"; then
		ok top_nested_text_port_row
	else
		fail top_nested_text_port_row "$(grep -A3 '^Port I/O' "$TMP/nested.txt")"
	fi
	if grep -qE "^  io +[0-9,.]+ +1,000 " "$TMP/nested.txt"; then
		ok top_nested_text_exit_row
	else
		fail top_nested_text_exit_row "$(grep -A3 '^VM exits' "$TMP/nested.txt")"
	fi
	if grep -q "^no KVM activity from pid [0-9]* (sleep) since top started" \
	   "$TMP/nested-idle.txt"; then
		ok top_nested_not_a_vmm_says_no_kvm_activity
	else
		fail top_nested_not_a_vmm_says_no_kvm_activity "$(head -n 3 "$TMP/nested-idle.txt")"
	fi
}

test_top_counts_an_exact_burst
test_top_ends_with_its_target
test_top_pipe_prints_one_snapshot
test_top_terminal
test_top_vm
test_top_nested_vmm
exit 0
