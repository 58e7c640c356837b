#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The demo's libvirt variant (`sudo make demo VIA=libvirt`) end to end, at its
# small size: the guest runs as a libvirt domain and the host records it by
# its name alone (`hvtrace record --vm NAME`), which must find the domain's
# channel org.hvtrace.0 in its XML and merge the guest's recording; the same
# files as the default demo; the last lines say what to open; afterwards no
# domain, no QEMU and no daemon the demo started is left. Then the settings
# it refuses. tests/t_demo.sh checks the default variant's outputs in depth.
# Needs root, QEMU and libvirt (CI has them: without them this fails, it does
# not skip silently). About 1.5 minutes with the guest root cached.
set -u
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO=$ROOT/tools/demo.sh
URI=qemu:///system

if [ "$(id -u)" != 0 ]; then
	if [ -n "${CI:-}" ]; then
		fail demo_libvirt "needs root (CI runs as root: this must not skip)"
		exit 1
	fi
	skip demo_libvirt "needs root (BPF, libvirtd, the guest root in /var/cache/hvtrace)"
	exit 0
fi
for t in qemu-system-x86_64 virsh libvirtd virtlogd; do
	if ! command -v "$t" >/dev/null && ! [ -x "/usr/sbin/$t" ]; then
		fail demo_libvirt "$t not found: run 'sudo make deps' (qemu-system-x86, libvirt-daemon-driver-qemu, libvirt-clients)"
		exit 1
	fi
done

# Whether a daemon answered before: then the demo must leave it running.
daemon_before=''
timeout 10 virsh -c "$URI" version >/dev/null 2>&1 && daemon_before=1

t0=$SECONDS
(cd "$TMP" && DEMO_SMALL=1 VIA=libvirt DEMO_OUT=demo-out OUT=$OUT timeout -k 10 1500 "$DEMO") \
	>"$TMP/demo.out" 2>&1
rc=$?
if [ "$rc" = 0 ]; then
	ok demo_libvirt_runs
	echo "    also: DEMO_SMALL=1 VIA=libvirt demo took $((SECONDS - t0)) s"
else
	fail demo_libvirt_runs "exit $rc; last lines: $(tail -n 15 "$TMP/demo.out")"
fi

dom=$(sed -n "s/^\[[0-9]\/8\] guest run: libvirt domain \([^ ]*\) .*/\1/p" "$TMP/demo.out")
expect_eq demo_libvirt_names_its_domain 1 "$([[ $dom =~ ^hvtrace-demo-[0-9]+$ ]] && echo 1)"
if [ "$rc" = 0 ]; then
	R=$TMP/demo-out
	missing=''
	for f in native.hvt guest.hvt both.hvt console.log table.txt diff.txt native.report.txt \
		both.report.txt table.html diff.html report.html libvirt-run.log host-record.log \
		libvirt-domain.log; do
		[ -s "$R/$f" ] || missing+=" $f"
	done
	expect_eq demo_libvirt_writes_the_demos_files "" "$missing"
	# Recorded by name: the domain's own description, and the channel from its XML.
	expect_eq demo_libvirt_recorded_by_name "$dom" \
		"$(sql "$R/both.hvt" "SELECT value FROM meta WHERE key = 'host.vm.0.name'")"
	chan=$(sql "$R/both.hvt" "SELECT value FROM meta WHERE key = 'host.agent_channel'")
	case $chan in
	"unix socket /var/lib/libvirt/qemu/channel/target/"*"-$dom/org.hvtrace.0")
		ok demo_libvirt_used_libvirts_channel ;;
	*) fail demo_libvirt_used_libvirts_channel "host.agent_channel is '$chan'" ;;
	esac
	if grep -qF "host | hvtrace: guest channel from the XML of domain '$dom': org.hvtrace.0, unix socket /var/lib/libvirt/" \
		"$TMP/demo.out"; then
		ok demo_libvirt_says_which_channel
	else
		fail demo_libvirt_says_which_channel "no 'guest channel from the XML' line from the host recorder"
	fi
	expect_eq demo_libvirt_both_has_guest_phases "tar configure make" "$(sql "$R/both.hvt" \
		"SELECT group_concat(name, ' ') FROM (SELECT name FROM phase
		 WHERE name IN ('tar', 'configure', 'make') ORDER BY id)")"
	# The type libvirt-run chose (qemu under TCG, kvm where KVM works) is the recorded one.
	want=$(sed -n "s/^  libvirt-run: domain $dom (\([a-z]*\)) runs.*/\1/p" "$TMP/demo.out")
	got=$(sql "$R/both.hvt" "SELECT value FROM meta WHERE key = 'host.vm.0.domain_type'")
	case $want in
	qemu | kvm) expect_eq demo_libvirt_records_the_domain_type "$want" "$got" ;;
	*) fail demo_libvirt_records_the_domain_type "libvirt-run named no type qemu or kvm ('$want')" ;;
	esac
	expect_eq demo_libvirt_last_lines_say_what_to_open 1 \
		"$(tail -n 13 "$TMP/demo.out" | grep -c '^Open demo-out/diff.html')"
fi

# Nothing left: the domain, its QEMU, the daemons the demo started.
if timeout 20 virsh -c "$URI" domstate "$dom" >/dev/null 2>&1; then
	fail demo_libvirt_leaves_no_domain "domain $dom still exists"
elif [ -n "$dom" ] && pgrep -f -- "guest=$dom," >/dev/null; then
	fail demo_libvirt_leaves_no_domain "a QEMU of $dom still runs"
else
	ok demo_libvirt_leaves_no_domain
fi
if [ -n "$daemon_before" ]; then
	if timeout 10 virsh -c "$URI" version >/dev/null 2>&1; then ok demo_libvirt_leaves_daemon_it_found
	else fail demo_libvirt_leaves_daemon_it_found "libvirt answered before the demo, not after"; fi
else
	started=$(sed -n 's/^  libvirt-up: started \([a-z]*\) (pid \([0-9]*\);.*/\2/p' "$TMP/demo.out")
	left=''
	for p in $started; do
		case $(cat "/proc/$p/comm" 2>/dev/null) in libvirtd | virtlogd) left+=" $p" ;; esac
	done
	if [ -z "$started" ]; then
		fail demo_libvirt_stops_the_daemons_it_started "the output names no daemon it started"
	elif [ -n "$left" ] || [ -e /run/hvtrace/demo-libvirt.started ]; then
		fail demo_libvirt_stops_the_daemons_it_started "still running:$left"
	else
		ok demo_libvirt_stops_the_daemons_it_started
	fi
fi

expect_fail demo_rejects_bad_via 2 "VIA is qemu or libvirt, not 'xen'" -- env VIA=xen OUT="$OUT" "$DEMO"
# PATH without virsh (everything else of /usr/bin and /usr/sbin is there).
mkdir -p "$TMP/path"
find /usr/bin /usr/sbin -maxdepth 1 ! -name virsh -exec ln -s -t "$TMP/path" {} + 2>/dev/null
expect_fail demo_libvirt_says_virsh_is_missing 1 "virsh not found: install libvirt-clients" -- \
	env PATH="$TMP/path" VIA=libvirt OUT="$OUT" "$DEMO"
