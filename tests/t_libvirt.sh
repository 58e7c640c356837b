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
# (ACPI) and find the agent port. Everything it started is stopped, on failure
# too. Needs root; about 25 s here (plus ~8 s the first time libvirt probes QEMU).
set -u
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
URI=qemu:///system
VCPUS=2
DOM=hvt-test-$$
STATE=$TMP/libvirt.state
qpid=

cleanup() {
	if [ -n "${DOM:-}" ] && timeout 20 virsh -c "$URI" domstate "$DOM" >/dev/null 2>&1; then
		timeout 20 virsh -c "$URI" destroy "$DOM" >/dev/null 2>&1
	fi
	# If libvirt could not, the QEMU it started must not outlive the test.
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null &&
		tr '\0' ' ' <"/proc/$qpid/cmdline" 2>/dev/null | grep -q "guest=$DOM,"; then
		kill -KILL "$qpid"
	fi
	[ -f "$STATE" ] && "$ROOT/tools/libvirt-down.sh" --state "$STATE" --quiet
	rm -f "/var/log/libvirt/qemu/$DOM.log"
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
if ! [ -x "$OUT/tests/test_vmm" ]; then
	fail libvirt "$OUT/tests/test_vmm is not built (make)"
	exit 1
fi
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

if ! "$ROOT/tools/mkguest.sh" --out "$TMP/guest" >"$TMP/mkguest.log" 2>&1; then
	fail libvirt_guest_built "$(tail -n 5 "$TMP/mkguest.log")"
	exit 1
fi
truncate -s 8M "$TMP/disk.img"

# The guest reports what it sees, then stays up until the test destroys it.
# shellcheck disable=SC2016 # expanded in the guest
gcmd='echo "ncpu=$(grep -c ^processor /proc/cpuinfo)"; echo "port=${HVTRACE_PORT:-none}"; sleep 300'
if ! "$ROOT/tools/libvirt-domain.sh" --name "$DOM" --guest "$TMP/guest" --vcpus "$VCPUS" \
	--mem 256 --channel "$TMP/run/agent.sock" --console "$TMP/console.log" --cmd "$gcmd" \
	--disk "$TMP/disk.img" --nic >"$TMP/domain.xml" 2>"$TMP/domain.err"; then
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

# Clean-up, checked: the domain and the daemons this test started are gone.
timeout 20 virsh -c "$URI" destroy "$DOM" >/dev/null 2>&1
for _ in $(seq 50); do
	{ [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; } || break
	sleep 0.1
done
started=$(awk '{ print $2 }' "$STATE" 2>/dev/null | tr '\n' ' ')
"$ROOT/tools/libvirt-down.sh" --state "$STATE" --quiet
left=
for p in $qpid $started; do
	kill -0 "$p" 2>/dev/null && left+=" $p"
done
if [ -z "$left" ] && ! [ -e "$STATE" ]; then
	ok libvirt_cleanup_leaves_nothing
else
	fail libvirt_cleanup_leaves_nothing "still running:$left"
fi
echo "    also: $((SECONDS - t0)) s"
