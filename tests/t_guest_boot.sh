#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The test guest end to end: tools/mkguest.sh builds it, tools/qemu-run.sh
# boots it under QEMU TCG, the guest init runs a command and powers off. Checks
# the command's exact output and exit status, BTF and the tracing mounts in the
# guest, the virtio-serial port (the guest writes a line, a host reader gets it
# from the socket), the pid file, the timeout and the failure paths.
# Needs root (the kernel cache in /var/cache/hvtrace) and QEMU; without QEMU it
# fails, it does not skip. About 20 s here (plus ~25 s once for the download).
set -u
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MKGUEST=$ROOT/tools/mkguest.sh
QRUN=$ROOT/tools/qemu-run.sh
GUEST=$OUT/tests/guest-boot
pids=()
stop_pids() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap stop_pids EXIT

if ! command -v qemu-system-x86_64 >/dev/null; then
	fail guest_boot "qemu-system-x86_64 not found: run 'sudo make deps' (installs qemu-system-x86)"
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	if [ -n "${CI:-}" ]; then
		fail guest_boot "needs root (CI runs as root: this must not skip)"
		exit 1
	fi
	skip guest_boot "needs root (kernel cache in /var/cache/hvtrace/guest)"
	exit 0
fi

# read_socket PATH FILE: connect to QEMU's serial socket as soon as it exists
# (as a host recorder does) and copy everything to FILE until QEMU closes it.
read_socket() {
	perl -MIO::Socket::UNIX -e '
		my ($path, $file) = @ARGV;
		my $s;
		for (1 .. 400) {
			last if $s = IO::Socket::UNIX->new(Peer => $path);
			select(undef, undef, undef, 0.05);
		}
		$s or die "cannot connect to $path: $!\n";
		open(my $o, ">", $file) or die "cannot write $file: $!\n";
		my $buf;
		print $o $buf while sysread($s, $buf, 65536);' "$1" "$2"
}

test_usage_errors() {
	expect_fail qemu_run_rejects_bad_accel 2 "--accel is auto, kvm or tcg" -- \
		"$QRUN" --accel xen --guest "$GUEST"
	expect_fail mkguest_rejects_missing_with_file 1 "--with '/nonexistent/x': no such file" -- \
		"$MKGUEST" --out "$TMP/never" --with /nonexistent/x
	expect_fail qemu_run_says_qemu_is_missing 125 "not-a-qemu not found; install qemu-system-x86" -- \
		env QEMU=not-a-qemu "$QRUN" --guest "$GUEST"
	expect_fail qemu_run_says_kernel_is_missing 125 "cannot read kernel '$TMP/none/vmlinuz'" -- \
		"$QRUN" --guest "$TMP/none"
}

test_mkguest_builds_guest() {
	cat >"$TMP/guest-cmd" <<'EOF'
#!/bin/sh
echo "hvt-guest-ok"
[ -f /sys/kernel/btf/vmlinux ] && echo "btf=yes" || echo "btf=no"
for fs in tracefs debugfs bpf; do
	grep -q "^$fs [^ ]* $fs " /proc/mounts && echo "$fs=mounted" || echo "$fs=missing"
done
case ${HVTRACE_PORT:-} in
/dev/vport*) echo "port=found"; echo "hello host, from $(uname -n)" >"$HVTRACE_PORT" ;;
*) echo "port=missing '${HVTRACE_PORT:-}'" ;;
esac
hvt-with-test
exit 7
EOF
	printf '#!/bin/sh\necho "with=ran"\n' >"$TMP/hvt-with-test"
	chmod +x "$TMP/hvt-with-test"
	local t0=$SECONDS
	if "$MKGUEST" --out "$GUEST" --cmd "$TMP/guest-cmd" --with "$TMP/hvt-with-test" \
		>"$TMP/mkguest.out" 2>&1 && [ -s "$GUEST/vmlinuz" ] && [ -s "$GUEST/initrd.img" ]; then
		ok mkguest_builds_guest
		echo "    also: mkguest took $((SECONDS - t0)) s"
	else
		fail mkguest_builds_guest "$(tail -n 5 "$TMP/mkguest.out")"
		return 1
	fi
}

test_guest_runs_command() {
	local sock=$TMP/hvt.sock pidf=$TMP/qemu.pid rc qpid="" t0=$EPOCHREALTIME
	"$QRUN" --guest "$GUEST" --accel tcg --timeout 50 --serial-sock "$sock" --pidfile "$pidf" \
		--log "$TMP/console.log" --output "$TMP/output.txt" >"$TMP/qrun.out" 2>"$TMP/qrun.err" &
	local runner=$!
	pids+=("$runner")
	read_socket "$sock" "$TMP/port.txt" 2>"$TMP/reader.err" &
	local reader=$!
	pids+=("$reader")

	for _ in $(seq 100); do
		[ -s "$pidf" ] && break
		sleep 0.05
	done
	[ -s "$pidf" ] && qpid=$(cat "$pidf")
	if [ -n "$qpid" ] && [[ $(cat "/proc/$qpid/comm" 2>/dev/null) == qemu-system-x86* ]]; then
		ok pidfile_names_qemu
	else
		fail pidfile_names_qemu "pid file '$pidf' holds '$qpid', not a running QEMU"
	fi

	wait "$runner"
	rc=$?
	local wall
	wall=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	expect_eq guest_exit_status_passed_through 7 "$rc"
	if [ "$rc" != 7 ]; then
		sed 's/^/    | /' "$TMP/qrun.err"
		tail -n 20 "$TMP/console.log" | sed 's/^/    | /'
	fi
	expect_eq guest_command_output "hvt-guest-ok
btf=yes
tracefs=mounted
debugfs=mounted
bpf=mounted
port=found
with=ran" "$(cat "$TMP/output.txt" 2>/dev/null)"

	if wait "$reader"; then
		expect_eq guest_port_reaches_host_socket "hello host, from hvtguest" "$(cat "$TMP/port.txt")"
	else
		fail guest_port_reaches_host_socket "host reader failed: $(cat "$TMP/reader.err")"
	fi

	if [ -e "$pidf" ] || { [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; }; then
		fail qemu_gone_after_run "QEMU $qpid still running or pid file left behind"
	else
		ok qemu_gone_after_run
	fi
	echo "    also: $(tail -n 1 "$TMP/qrun.err" | sed 's/^qemu-run: //'); test saw $wall s"
}

test_timeout_kills_qemu() {
	local rc qpid
	"$QRUN" --guest "$GUEST" --accel tcg --timeout 2 --cmd 'sleep 100' --log "$TMP/to.log" \
		--pidfile "$TMP/to.pid" >/dev/null 2>"$TMP/to.err"
	rc=$?
	if [ "$rc" != 124 ]; then
		fail timeout_kills_qemu "exit $rc (wanted 124): $(head -c 300 "$TMP/to.err")"
	elif ! grep -q "did not finish within 2 s" "$TMP/to.err"; then
		fail timeout_kills_qemu "no clear message: $(head -c 300 "$TMP/to.err")"
	elif qpid=$(sed -n 's/^qemu-run: QEMU pid \([0-9]*\).*/\1/p' "$TMP/to.err") &&
		[ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		fail timeout_kills_qemu "QEMU (pid $qpid) still runs after the timeout"
	else
		ok timeout_kills_qemu
	fi
}

# An init that cannot set up must say why and power off, not hang.
test_guest_failure_is_reported() {
	expect_fail guest_failure_is_reported 125 "guest failed before its command ran: hvt.cmd64 is not valid base64" -- \
		"$QRUN" --guest "$GUEST" --accel tcg --timeout 50 --log "$TMP/bad.log" --append 'hvt.cmd64=@@@'
}

# --rootfs: the command runs chrooted into a disk (as the demo's Debian root
# does), still sees the tracing mounts, and the disk is unmounted cleanly.
test_rootfs_runs_command_chrooted() {
	local rfs=$TMP/rootfs rc
	if ! command -v mkfs.ext4 >/dev/null; then
		fail rootfs_runs_command_chrooted "mkfs.ext4 not found: run 'sudo make deps' (e2fsprogs)"
		return
	fi
	mkdir -p "$rfs"/{bin,root,proc,sys,dev,run,tmp,etc}
	cp /bin/busybox "$rfs/bin/busybox"
	for a in sh cat echo; do ln -s busybox "$rfs/bin/$a"; done
	echo "from the disk" >"$rfs/etc/hvt-rootfs"
	truncate -s 32M "$TMP/rootfs.img"
	mkfs.ext4 -q -F -d "$rfs" "$TMP/rootfs.img" || { fail rootfs_runs_command_chrooted "mkfs.ext4 failed"; return; }
	"$QRUN" --guest "$GUEST" --accel tcg --timeout 50 --rootfs "$TMP/rootfs.img:raw" \
		--log "$TMP/rootfs.log" --output "$TMP/rootfs.out" \
		--cmd 'cat /etc/hvt-rootfs; hvt-with-test; test -d /sys/kernel/tracing/events && echo tracefs=ok; echo written >/root/w; exit 3' \
		>/dev/null 2>"$TMP/rootfs.err"
	rc=$?
	expect_eq rootfs_exit_status 3 "$rc"
	expect_eq rootfs_runs_command_chrooted "from the disk
with=ran
tracefs=ok" "$(cat "$TMP/rootfs.out" 2>/dev/null)"
	if e2fsck -fn "$TMP/rootfs.img" >"$TMP/fsck.out" 2>&1; then
		ok rootfs_unmounted_cleanly
	else
		fail rootfs_unmounted_cleanly "e2fsck -fn: $(tail -n 3 "$TMP/fsck.out")"
	fi
}

# --which-accel decides as a boot would, says it on stdout, and boots nothing
# (tools/libvirt-run.sh picks its domain type with it).
test_which_accel() {
	local out
	out=$(HVT_KVM_DEV=$TMP/no-kvm "$QRUN" --guest "$GUEST" --which-accel 2>"$TMP/wa.err")
	expect_eq qemu_run_which_accel_says_tcg_and_why "0:tcg (no $TMP/no-kvm)" "$?:$out"
	out=$("$QRUN" --guest "$GUEST" --accel kvm --which-accel 2>>"$TMP/wa.err")
	expect_eq qemu_run_which_accel_keeps_asked_for "0:kvm (asked for)" "$?:$out"
	if grep -q 'QEMU pid' "$TMP/wa.err"; then
		fail qemu_run_which_accel_boots_nothing "$(head -c 300 "$TMP/wa.err")"
	else
		ok qemu_run_which_accel_boots_nothing
	fi
}

test_usage_errors
if test_mkguest_builds_guest; then
	test_which_accel
	test_guest_runs_command
	test_timeout_kills_qemu
	test_guest_failure_is_reported
	test_rootfs_runs_command_chrooted
fi
