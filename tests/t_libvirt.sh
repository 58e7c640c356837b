#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# libvirt discovery against a real libvirtd: tools/libvirt-up.sh starts the
# daemons (unless a service manager runs them), a TCG guest made by
# tools/mkguest.sh runs as a transient <domain type='qemu'> from
# tools/libvirt-domain.xml.in, and the libvirt_live_* tests of test_vmm check
# name → QEMU pid → vCPU threads (exactly the configured number, threads of that
# pid, the same from thread names and from QEMU's query-cpus-fast), metadata,
# domain stats recorded (cpu.time grows; what the driver lacks is missing, not
# 0) and the error for an unknown domain. The guest itself must see every vCPU
# (ACPI) and find the agent port.
# Then `hvtrace record --vm NAME` by name alone: it finds the domain's channel
# org.hvtrace.0 in its XML (or is told --channel none; a channel it cannot
# connect to leaves the host side alone), and with the
# ground-truth workload in a second domain (tools/libvirt-run.sh) the merged
# recording holds the guest's phases and exact counts (expect_gt_merged, as
# tests/t_guest_host.sh checks the QEMU-direct path); a third domain without
# the channel is recorded host side only. Everything it started is stopped,
# on failure too. Needs root; about 40 s here (plus ~8 s the first time
# libvirt probes QEMU).
set -u
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
URI=qemu:///system
VCPUS=2
DOM=hvt-test-$$
GTDOM=hvt-test-gt-$$
NODOM=hvt-test-nochan-$$
STATE=$TMP/libvirt.state
qpid='' runners=''

cleanup() {
	local d p
	# libvirt-run.sh destroys its domain when told to stop.
	for p in $runners; do kill -TERM "$p" 2>/dev/null; done
	for p in $runners; do wait "$p" 2>/dev/null; done
	for d in "$DOM" "$GTDOM" "$NODOM"; do
		if timeout 20 virsh -c "$URI" domstate "$d" >/dev/null 2>&1; then
			timeout 20 virsh -c "$URI" destroy "$d" >/dev/null 2>&1
		fi
	done
	# If libvirt could not, the QEMU it started must not outlive the test.
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null &&
		tr '\0' ' ' <"/proc/$qpid/cmdline" 2>/dev/null | grep -q "guest=$DOM,"; then
		kill -KILL "$qpid"
	fi
	[ -f "$STATE" ] && "$ROOT/tools/libvirt-down.sh" --state "$STATE" --quiet
	for d in "$DOM" "$GTDOM" "$NODOM"; do rm -f "/var/log/libvirt/qemu/$d.log"; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP

if [ "$(id -u)" != 0 ]; then
	if [ -n "${CI:-}" ]; then
		fail libvirt "needs root (CI runs as root: this must not skip)"
		exit 1
	fi
	skip libvirt "needs root (starts libvirtd, runs a guest)"
	exit 0
fi
for t in virsh libvirtd virtlogd qemu-system-x86_64; do
	if ! command -v "$t" >/dev/null && ! [ -x "/usr/sbin/$t" ]; then
		fail libvirt "$t not found: run 'sudo make deps' (libvirt-daemon," \
			"libvirt-daemon-driver-qemu, libvirt-clients, qemu-system-x86)"
		exit 1
	fi
done
for f in "$OUT/tests/test_vmm" "$OUT/hvtrace-static" "$PROG/gt"; do
	if ! [ -x "$f" ]; then
		fail libvirt "$f is not built (make)"
		exit 1
	fi
done
t0=$SECONDS

# QEMU may run as another user (libvirt-daemon-system's libvirt-qemu): it must
# reach the guest files and create its socket here.
chmod 711 "$TMP"
mkdir -m 1777 "$TMP/run"

if ! "$ROOT/tools/libvirt-up.sh" --state "$STATE" --timeout 45 >"$TMP/up.log" 2>&1; then
	fail libvirt_daemon_up "$(tail -n 5 "$TMP/up.log")"
	exit 1
fi
ok libvirt_daemon_up
echo "    also: $(tail -n 1 "$TMP/up.log")"

# hvtrace and the ground-truth workload for the recorded domain.
if ! "$ROOT/tools/mkguest.sh" --out "$TMP/guest" --with "$OUT/hvtrace-static:/bin/hvtrace" \
	"$PROG/gt" >"$TMP/mkguest.log" 2>&1; then
	fail libvirt_guest_built "$(tail -n 5 "$TMP/mkguest.log")"
	exit 1
fi
truncate -s 8M "$TMP/disk.img"

# The guest reports what it sees, then stays up until the test destroys it.
# shellcheck disable=SC2016 # expanded in the guest
gcmd='echo "ncpu=$(grep -c ^processor /proc/cpuinfo)"; echo "port=${HVTRACE_PORT:-none}"; sleep 300'
if ! "$ROOT/tools/libvirt-domain.sh" --name "$DOM" --guest "$TMP/guest" --vcpus "$VCPUS" \
	--mem 256 --channel "$TMP/run/agent.sock" --console "$TMP/console.log" --cmd "$gcmd" \
	--disk "$TMP/disk.img:raw" --nic >"$TMP/domain.xml" 2>"$TMP/domain.err"; then
	fail libvirt_domain_started "libvirt-domain.sh: $(cat "$TMP/domain.err")"
	exit 1
fi
if ! timeout 30 virsh -c "$URI" create "$TMP/domain.xml" >"$TMP/create.log" 2>&1; then
	fail libvirt_domain_started "virsh create: $(tail -n 5 "$TMP/create.log")"
	exit 1
fi
qpid=$(cat "/run/libvirt/qemu/$DOM.pid" 2>/dev/null)
ok libvirt_domain_started

HVT_TEST_LIBVIRT_URI=$URI HVT_TEST_LIBVIRT_DOMAIN=$DOM HVT_TEST_LIBVIRT_VCPUS=$VCPUS \
	"$OUT/tests/test_vmm" libvirt_live
rc=$?
[ "$rc" = 0 ] || echo "    also: test_vmm libvirt_live exited $rc"

# libvirt's own pid file must agree with the -uuid match (only a cross-check:
# hvtrace does not read libvirt's private files).
if [ -z "$qpid" ] || ! [ -d "/proc/$qpid" ]; then
	fail libvirt_pid_file_agrees "no live pid in /run/libvirt/qemu/$DOM.pid"
elif tr '\0' '\n' <"/proc/$qpid/cmdline" | grep -qx -- "-uuid"; then
	ok libvirt_pid_file_agrees
else
	fail libvirt_pid_file_agrees "process $qpid has no -uuid argument"
fi

for _ in $(seq 150); do
	grep -q '^port=' "$TMP/console.log" 2>/dev/null && break
	sleep 0.2
done
# The serial console ends its lines with CR LF.
expect_eq libvirt_guest_sees_every_vcpu "ncpu=$VCPUS" \
	"$(grep -a -m 1 '^ncpu=' "$TMP/console.log" | tr -d '\r')"
port=$(grep -a -m 1 '^port=' "$TMP/console.log" | tr -d '\r')
case $port in
port=/dev/vport*) ok libvirt_guest_finds_agent_port ;;
*)
	fail libvirt_guest_finds_agent_port \
		"guest says '${port:-nothing}'; console: $(tail -c 300 "$TMP/console.log" 2>/dev/null)"
	;;
esac

# --- record --vm NAME: the channel from the domain's XML ---------------------------------

# The guest runs no hvtrace: the recorder connects, nobody answers, the host
# side alone is recorded.
"$HVTRACE" record --no-calibrate --vm "$DOM" --duration 1.5 -o "$TMP/found.hvt" \
	2>"$TMP/found.err"
expect_eq libvirt_record_vm_without_guest_recorder_exit_zero 0 $?
want="hvtrace: guest channel from the XML of domain '$DOM': org.hvtrace.0, unix socket $TMP/run/agent.sock"
expect_eq libvirt_record_vm_says_which_channel "$want" "$(grep -F -m 1 'guest channel from' "$TMP/found.err")"
expect_eq libvirt_record_vm_connects_to_it "unix socket $TMP/run/agent.sock" \
	"$(sql "$TMP/found.hvt" "SELECT value FROM meta WHERE key = 'agent_channel'")"
"$HVTRACE" record --no-calibrate --vm "$DOM" --channel none --duration 1 -o "$TMP/none.hvt" \
	2>"$TMP/none.err"
rc=$?
if [ "$rc" = 0 ] && ! grep -q 'channel' "$TMP/none.err" &&
	[ -z "$(sql "$TMP/none.hvt" "SELECT value FROM meta WHERE key = 'agent_channel'")" ]; then
	ok libvirt_record_vm_channel_none_wins
else
	fail libvirt_record_vm_channel_none_wins "exit $rc; stderr: $(head -c 300 "$TMP/none.err")"
fi

# A channel in the XML that cannot be connected to (here its socket is gone):
# the host side alone is recorded, and the recorder says why; the same socket
# given with --channel is an error.
mv "$TMP/run/agent.sock" "$TMP/run/agent.sock.away"
"$HVTRACE" record --no-calibrate --vm "$DOM" --duration 1 -o "$TMP/gone.hvt" 2>"$TMP/gone.err"
rc=$?
want="hvtrace: note: domain '$DOM': cannot connect to the guest's channel socket '$TMP/run/agent.sock': No such file or directory; recording the host side only"
if [ "$rc" = 0 ] && grep -qxF "$want" "$TMP/gone.err" &&
	[ -z "$(sql "$TMP/gone.hvt" "SELECT value FROM meta WHERE key = 'agent_channel'")" ]; then
	ok libvirt_record_vm_unconnectable_channel_records_host_side
else
	fail libvirt_record_vm_unconnectable_channel_records_host_side \
		"exit $rc; stderr: $(head -c 400 "$TMP/gone.err")"
fi
expect_fail libvirt_record_vm_unconnectable_explicit_channel_is_an_error 1 \
	"--channel: cannot connect to the guest's channel socket '$TMP/run/agent.sock'" -- \
	"$HVTRACE" record --no-calibrate --vm "$DOM" --channel "$TMP/run/agent.sock" --duration 1 \
	-o "$TMP/gone2.hvt"
mv "$TMP/run/agent.sock.away" "$TMP/run/agent.sock"

# Clean-up of the first domain, checked below with the rest.
timeout 20 virsh -c "$URI" destroy "$DOM" >/dev/null 2>&1
for _ in $(seq 50); do
	{ [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; } || break
	sleep 0.1
done

# The ground-truth workload in a domain recorded by its name alone: the
# recorder finds the channel, the guest's recorder sends its phases and its
# recording over it, and the host merges them.
"$ROOT/tools/libvirt-run.sh" --name "$GTDOM" --guest "$TMP/guest" --type qemu --cpus 2 \
	--mem 1024 --timeout 150 --channel "$TMP/run/gt.sock" --pidfile "$TMP/gt.pid" \
	--log "$TMP/gt-console.log" --output "$TMP/gt.out" --cmd "$GT_GUEST_CMD" \
	>"$TMP/gt-run.log" 2>&1 &
gtrun=$!
runners+=" $gtrun"
for _ in $(seq 300); do
	[ -s "$TMP/gt.pid" ] && break
	kill -0 "$gtrun" 2>/dev/null || break
	sleep 0.1
done
gtpid=$(cat "$TMP/gt.pid" 2>/dev/null)
if [ -z "$gtpid" ]; then
	fail libvirt_vm_domain_started "tools/libvirt-run.sh: $(tail -n 5 "$TMP/gt-run.log")"
else
	ok libvirt_vm_domain_started
	"$HVTRACE" record --no-calibrate --vm "$GTDOM" -o "$TMP/both.hvt" 2>"$TMP/gt-host.err"
	expect_eq libvirt_vm_recorder_exit_zero 0 $?
	want="hvtrace: guest channel from the XML of domain '$GTDOM': org.hvtrace.0, unix socket $TMP/run/gt.sock"
	expect_eq libvirt_vm_recorder_says_which_channel "$want" \
		"$(grep -F -m 1 'guest channel from' "$TMP/gt-host.err")"
fi
wait "$gtrun"
expect_eq libvirt_vm_guest_command_exit_zero 0 $?
runners=${runners% "$gtrun"}
if [ -n "$gtpid" ]; then
	expect_eq libvirt_vm_names_domain "$GTDOM" \
		"$(sql "$TMP/both.hvt" "SELECT value FROM meta WHERE key = 'host.vm.0.name'")"
	expect_eq libvirt_vm_records_domain_type qemu \
		"$(sql "$TMP/both.hvt" "SELECT value FROM meta WHERE key = 'host.vm.0.domain_type'")"
	expect_eq libvirt_vm_used_the_domains_channel "unix socket $TMP/run/gt.sock" \
		"$(sql "$TMP/both.hvt" "SELECT value FROM meta WHERE key = 'host.agent_channel'")"
	expect_gt_merged libvirt_vm "$TMP/both.hvt"
	if grep -q 'QEMU TCG' "$TMP/gt.out"; then ok libvirt_vm_detect_says_qemu_tcg
	else fail libvirt_vm_detect_says_qemu_tcg "guest detect said: $(head -c 200 "$TMP/gt.out")"; fi
fi

# A domain without the channel: the host side only, and it says so.
"$ROOT/tools/libvirt-run.sh" --name "$NODOM" --guest "$TMP/guest" --type qemu --cpus 1 \
	--mem 256 --timeout 60 --channel none --pidfile "$TMP/nochan.pid" \
	--log "$TMP/nochan-console.log" --cmd 'sleep 60' >"$TMP/nochan-run.log" 2>&1 &
norun=$!
runners+=" $norun"
for _ in $(seq 300); do
	[ -s "$TMP/nochan.pid" ] && break
	kill -0 "$norun" 2>/dev/null || break
	sleep 0.1
done
nopid=$(cat "$TMP/nochan.pid" 2>/dev/null)
"$HVTRACE" record --no-calibrate --vm "$NODOM" --duration 1 -o "$TMP/nochan.hvt" \
	2>"$TMP/nochan.err"
rc=$?
want="hvtrace: note: domain '$NODOM': it has no <channel> with <target type='virtio' name='org.hvtrace.0'>; recording the host side only"
if [ "$rc" = 0 ] && grep -qxF "$want" "$TMP/nochan.err"; then
	ok libvirt_vm_without_channel_records_host_side
else
	fail libvirt_vm_without_channel_records_host_side \
		"exit $rc; stderr: $(head -c 400 "$TMP/nochan.err")"
fi
expect_eq libvirt_vm_without_channel_connects_nowhere "" \
	"$(sql "$TMP/nochan.hvt" "SELECT value FROM meta WHERE key = 'agent_channel'")"
# Told to stop, libvirt-run.sh destroys its domain (and so its QEMU).
kill -TERM "$norun" 2>/dev/null
wait "$norun"
rc=$?
runners=${runners% "$norun"}
if [ "$rc" = 143 ] && ! timeout 20 virsh -c "$URI" domstate "$NODOM" >/dev/null 2>&1 &&
	{ [ -z "$nopid" ] || ! kill -0 "$nopid" 2>/dev/null; }; then
	ok libvirt_run_destroys_its_domain_on_term
else
	fail libvirt_run_destroys_its_domain_on_term "exit $rc (wanted 143); QEMU ${nopid:-?};" \
		"$(tail -n 3 "$TMP/nochan-run.log")"
fi

# Clean-up, checked: the domains and the daemons this test started are gone.
started=$(awk '{ print $2 }' "$STATE" 2>/dev/null | tr '\n' ' ')
"$ROOT/tools/libvirt-down.sh" --state "$STATE" --quiet
left=
for p in $qpid $gtpid $nopid $started; do
	kill -0 "$p" 2>/dev/null && left+=" $p"
done
if [ -z "$left" ] && ! [ -e "$STATE" ]; then
	ok libvirt_cleanup_leaves_nothing
else
	fail libvirt_cleanup_leaves_nothing "still running:$left"
fi
echo "    also: $((SECONDS - t0)) s"
