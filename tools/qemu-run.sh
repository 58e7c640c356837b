#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Boots a guest made by tools/mkguest.sh under QEMU, shows its console, and
# exits with the status of the command the guest ran (read from the
# "HVTGUEST-EXIT <n>" line that tools/guest-init.sh prints).
set -euo pipefail

prog=qemu-run
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/lib-guest.sh
. "$here/lib-guest.sh"
# shellcheck source=tools/lib-disk.sh
. "$here/lib-disk.sh"
QEMU=${QEMU:-qemu-system-x86_64}
CACHE=${HVT_GUEST_CACHE:-/var/cache/hvtrace/guest}
# Only for testing the fallback on machines without KVM.
KVM_DEV=${HVT_KVM_DEV:-/dev/kvm}
guest=${HVT_GUEST_DIR:-${OUT:-build}/guest}
kernel='' initrd='' mem=1024 cpus=2 sock='' serial_log='' timeout=300 accel=auto
pidfile='' log='' output='' cmd='' have_cmd='' append='' verbose='' vsock='' disk='' rootfs=''
backing=''
which_accel=''
extra=()
# Exit statuses of our own, beside the guest command's (as timeout(1) does).
E_TIMEOUT=124
E_FAIL=125
# A command that fails where no check expected it still says so, and never
# exits with a status that could pass for the guest command's.
set -E
trap 'printf "%s: error: unexpected failure at line %s: %s\n" "$prog" "$LINENO" "$BASH_COMMAND" >&2; exit $E_FAIL' ERR

usage() {
	cat <<EOF
Usage: tools/qemu-run.sh [options] [-- QEMU-ARGS...]

Boots a guest made by tools/mkguest.sh, prints its console on stdout, and
exits with the exit status of the command that ran in the guest.

Options:
  --guest DIR          use DIR/vmlinuz and DIR/initrd.img
                       (default: \$HVT_GUEST_DIR, or \$OUT/guest, or build/guest)
  --kernel K           kernel image (overrides --guest)
  --initrd I           initramfs (overrides --guest)
  --cmd STRING         run 'sh -c STRING' in the guest instead of its /guest-cmd
  --mem MB             guest memory (default $mem)
  --cpus N             virtual CPUs (default $cpus)
  --serial-sock PATH   add the agent's virtio-serial port org.hvtrace.0, backed by
                       a unix socket that QEMU listens on at PATH. Connect to it
                       right after QEMU starts (see --pidfile): the guest's writes
                       to the port block while no host process has it open.
  --serial-log FILE    connect to the port from here and copy what the guest
                       writes to FILE (adds the port; a temporary socket if no
                       --serial-sock; then no other reader can connect)
  --vsock CID          add a vhost-vsock device with this guest CID (needs
                       /dev/vhost-vsock on the host)
  --rootfs IMG[:FMT]   add IMG (e.g. an ext4 Debian root) as the first virtio
                       disk, /dev/vda, and run the guest command chrooted into
                       it (the initramfs is at /run/hvt there); FMT is raw (the
                       default) or qcow2: never guessed from the image's bytes
  --disk IMG[:FMT]     add IMG as a virtio disk (/dev/vda, or /dev/vdb after
                       --rootfs); FMT as for --rootfs
  --backing FILE       the only backing file a qcow2 disk may have, recorded in
                       it as raw (qemu-img create -f qcow2 -F raw -b FILE); a
                       qcow2 disk with any other backing file (or an external
                       data file) is refused
  --append ARGS        more kernel command line
  --timeout S          kill QEMU after S seconds (default $timeout)
  --accel auto|kvm|tcg auto (default) uses KVM only when /dev/kvm boots this
                       kernel (one short test boot, remembered in the file
                       kvm-probe of the guest cache), else TCG; says which, why
  --which-accel        print the accelerator --accel would use and why, as
                       'tcg (no /dev/kvm)', and exit (boots nothing else)
  --pidfile FILE       write QEMU's pid to FILE once QEMU is up (and its serial
                       socket listens); removed when QEMU has exited
  --log FILE           write the console to FILE instead of stdout
  --output FILE        write only the guest command's console output to FILE
  --verbose            keep kernel messages on the console
  -h, --help           this text

Exit status: the guest command's (0-255); $E_TIMEOUT if the guest did not finish in
time; $E_FAIL if QEMU or the guest failed before the command ended (the reason is
on stderr); 2 for a usage error.

Examples:
  tools/mkguest.sh && tools/qemu-run.sh --cmd 'uname -r; exit 3'; echo \$?
  tools/qemu-run.sh --serial-sock /tmp/hvt.sock --pidfile /tmp/qemu.pid --timeout 600 &
  while [ ! -s /tmp/qemu.pid ]; do sleep 0.1; done   # then QEMU listens on the socket
  hvtrace record --pid "\$(cat /tmp/qemu.pid)" --channel /tmp/hvt.sock -o host.hvt
  tools/qemu-run.sh --serial-log port.txt --cmd 'echo hi >"\$HVTRACE_PORT"'
EOF
}

say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$prog" "$*" >&2
	exit $E_FAIL
}
usage_err() {
	printf '%s: %s (see --help)\n' "$prog" "$*" >&2
	exit 2
}

need() { (($# >= 2)) || usage_err "$1 needs a value"; }
while (($#)); do
	case $1 in
	--guest) need "$@"; guest=$2; shift 2 ;;
	--kernel) need "$@"; kernel=$2; shift 2 ;;
	--initrd) need "$@"; initrd=$2; shift 2 ;;
	--cmd) need "$@"; cmd=$2; have_cmd=1; shift 2 ;;
	--mem) need "$@"; mem=$2; shift 2 ;;
	--cpus) need "$@"; cpus=$2; shift 2 ;;
	--serial-sock) need "$@"; sock=$2; shift 2 ;;
	--serial-log) need "$@"; serial_log=$2; shift 2 ;;
	--vsock) need "$@"; vsock=$2; shift 2 ;;
	--disk) need "$@"; disk=$2; shift 2 ;;
	--rootfs) need "$@"; rootfs=$2; shift 2 ;;
	--backing) need "$@"; backing=$2; shift 2 ;;
	--append) need "$@"; append="$append $2"; shift 2 ;;
	--timeout) need "$@"; timeout=$2; shift 2 ;;
	--accel) need "$@"; accel=$2; shift 2 ;;
	--pidfile) need "$@"; pidfile=$2; shift 2 ;;
	--log) need "$@"; log=$2; shift 2 ;;
	--output) need "$@"; output=$2; shift 2 ;;
	--verbose) verbose=1; shift ;;
	--which-accel) which_accel=1; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; extra=("$@"); break ;;
	*) usage_err "unknown argument '$1'" ;;
	esac
done

[[ $mem =~ ^[1-9][0-9]*$ ]] || usage_err "--mem wants megabytes, not '$mem'"
[[ $cpus =~ ^[1-9][0-9]*$ ]] || usage_err "--cpus wants a number, not '$cpus'"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || usage_err "--timeout wants whole seconds, not '$timeout'"
[[ -z $vsock || $vsock =~ ^[0-9]+$ && $vsock -ge 3 ]] || usage_err "--vsock wants a CID >= 3, not '$vsock'"
case $accel in auto | kvm | tcg) ;; *) usage_err "--accel is auto, kvm or tcg, not '$accel'" ;; esac

kernel=${kernel:-$guest/vmlinuz}
initrd=${initrd:-$guest/initrd.img}
command -v "$QEMU" >/dev/null || die "$QEMU not found; install qemu-system-x86 ('sudo make deps')"
command -v perl >/dev/null || die "perl not found (Debian's perl-base)"
[ -r "$kernel" ] || die "cannot read kernel '$kernel' (make one with tools/mkguest.sh)"
[ -r "$initrd" ] || die "cannot read initramfs '$initrd' (make one with tools/mkguest.sh)"
if [ -n "$vsock" ] && [ ! -w /dev/vhost-vsock ]; then
	die "--vsock needs /dev/vhost-vsock on the host (modprobe vhost_vsock; root)"
fi
# disk_arg IMG[:FMT]: QEMU's -drive value for it in drive, its format explicit.
disk_arg() {
	disk_split "$1"
	case $disk_path in *,*) die "disk image path must not contain a comma: '$disk_path'" ;; esac
	disk_check "$disk_path" "$disk_fmt" "$backing" || die "$disk_why"
	[ -z "$disk_note" ] || say "note: $disk_note"
	drive="file=$disk_path,if=virtio,format=$disk_fmt"
}
rootfs_drive='' disk_drive='' drive=''
if [ -n "$rootfs" ]; then disk_arg "$rootfs"; rootfs_drive=$drive; fi
if [ -n "$disk" ]; then disk_arg "$disk"; disk_drive=$drive; fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hvt-qemu.XXXXXX")
qpid='' conpid='' serpid='' wdpid=''
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	local p
	for p in $qpid; do
		kill -0 "$p" 2>/dev/null || continue
		kill -TERM "$p" 2>/dev/null || true
		sleep 0.5
		kill -KILL "$p" 2>/dev/null || true
	done
	for p in $wdpid $serpid $conpid; do kill "$p" 2>/dev/null || true; done
	[ -z "$pidfile" ] || rm -f "$pidfile"
	# QEMU leaves its listening socket behind when it is killed.
	if [ -n "$sock" ] && [ -S "$sock" ]; then rm -f "$sock"; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'say "interrupted; stopping QEMU"; exit 130' INT
trap 'say "terminated; stopping QEMU"; exit 143' TERM

# --- Which accelerator --------------------------------------------------------------

# kvm_boots: one short boot with hvt.probe=1 (the init answers at once). Some
# /dev/kvm (nested or PVM-backed) runs tiny guests but not a Linux kernel.
kvm_boots() {
	local key line result reason
	key="$(uname -r)|$("$QEMU" --version | head -n 1)|$(md5sum <"$kernel" | cut -c1-32)"
	line=$(grep -F "$key|" "$CACHE/kvm-probe" 2>/dev/null | tail -n 1 || true)
	if [ -n "$line" ]; then
		line=${line#"$key|"}
		result=${line%%|*}
		reason=${line#*|}
		reason="$reason; remembered in $CACHE/kvm-probe"
	else
		say "testing whether $KVM_DEV boots this kernel (once, up to 20 s)"
		result=fail
		if timeout -k 2 20 "$QEMU" -accel kvm -cpu host -m 256 -smp 1 -display none \
			-monitor none -no-reboot -serial stdio -kernel "$kernel" -initrd "$initrd" \
			-append "console=ttyS0 panic=-1 quiet hvt.probe=1" </dev/null >"$tmp/probe.log" 2>&1 &&
			grep -q HVTGUEST-PROBE-OK "$tmp/probe.log"; then
			result=ok
			reason="a test boot under KVM worked"
		elif grep -qi 'kvm' "$tmp/probe.log"; then
			reason="a test boot under KVM failed: $(grep -i -m 1 kvm "$tmp/probe.log" | tr -d '\r|')"
		else
			# Seen with a PVM-backed /dev/kvm: tiny guests run, Linux does not.
			reason="a test boot under KVM did not reach the guest's init within 20 s"
		fi
		# A quick refusal (module not loaded, no permission) is cheap to ask
		# again and may change; a boot that works or hangs is remembered.
		case $reason in *failed:*) ;; *)
			{ mkdir -p "$CACHE" && echo "$key|$result|$reason" >>"$CACHE/kvm-probe"; } 2>/dev/null || true
		esac
	fi
	why=$reason
	[ "$result" = ok ]
}

why=
case $accel in
tcg) why="asked for" ;;
kvm) why="asked for" ;;
auto)
	accel=tcg
	if [ ! -e "$KVM_DEV" ]; then
		why="no $KVM_DEV"
	elif [ ! -r "$KVM_DEV" ] || [ ! -w "$KVM_DEV" ]; then
		why="no access to $KVM_DEV"
	elif kvm_boots; then
		accel=kvm
	fi
	;;
esac
if [ -n "$which_accel" ]; then
	echo "$accel ($why)"
	exit 0
fi
say "accelerator: $accel ($why)"

# --- The QEMU command line ------------------------------------------------------------

args=(-accel "$accel" -m "$mem" -smp "$cpus" -display none -monitor none -no-reboot
	-serial stdio -kernel "$kernel" -initrd "$initrd")
[ "$accel" = kvm ] && args+=(-cpu host)

cmdline="console=ttyS0 panic=-1"
if [ -n "$verbose" ]; then cmdline+=" hvt.verbose=1"; else cmdline+=" quiet"; fi
if [ -n "$have_cmd" ]; then
	cmdline+=" hvt.cmd64=$(printf '%s' "$cmd" | base64 -w 0)"
fi
[ -z "$rootfs" ] || cmdline+=" hvt.root=/dev/vda"
cmdline+="$append"
# x86's COMMAND_LINE_SIZE; past it the kernel cuts the line silently.
((${#cmdline} < 2048)) || die "kernel command line too long (${#cmdline} bytes, at most 2047): shorten --cmd or put the command in the image (mkguest.sh --cmd)"
args+=(-append "$cmdline")

if [ -n "$serial_log" ] && [ -z "$sock" ]; then sock=$tmp/serial.sock; fi
if [ -n "$sock" ]; then
	if [ -e "$sock" ]; then
		[ -S "$sock" ] || die "--serial-sock '$sock' exists and is not a socket"
		rm -f "$sock"
	fi
	case $sock in *,*) die "--serial-sock path must not contain a comma: '$sock'" ;; esac
	args+=(-device virtio-serial -chardev "socket,id=hvt,path=$sock,server=on,wait=off"
		-device "virtserialport,chardev=hvt,name=org.hvtrace.0")
fi
[ -z "$vsock" ] || args+=(-device "vhost-vsock-pci,guest-cid=$vsock")
[ -z "$rootfs_drive" ] || args+=(-drive "$rootfs_drive")
[ -z "$disk_drive" ] || args+=(-drive "$disk_drive")
args+=("${extra[@]}")

# --- Run -------------------------------------------------------------------------------

# The console goes through a fifo so that QEMU is our direct child (its pid is
# what a host recorder needs) and the serial's CR LF become LF.
mkfifo "$tmp/con"
conlog=${log:-$tmp/console.log}
if [ -n "$log" ]; then
	sed -u 's/\r$//' <"$tmp/con" >"$log" &
else
	# tee -p: the log (and so the exit status) survives a closed stdout (| head).
	sed -u 's/\r$//' <"$tmp/con" | tee -p "$tmp/console.log" &
fi
conpid=$!

# A pid file left from an earlier run must not look like this QEMU.
[ -z "$pidfile" ] || rm -f "$pidfile"
start=$EPOCHREALTIME
"$QEMU" "${args[@]}" </dev/null >"$tmp/con" 2>"$tmp/qemu.err" &
qpid=$!

if [ -n "$sock" ]; then
	for _ in $(seq 100); do
		[ -S "$sock" ] || ! kill -0 "$qpid" 2>/dev/null && break
		sleep 0.05
	done
fi
if [ -n "$serial_log" ] && [ -S "$sock" ]; then
	perl -MIO::Socket::UNIX -e '
		my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "qemu-run: cannot connect to $ARGV[0]: $!\n";
		open(my $o, ">", $ARGV[1]) or die "qemu-run: cannot write $ARGV[1]: $!\n";
		$o->autoflush(1);
		my $buf;
		while (sysread($s, $buf, 65536)) { print $o $buf; }' "$sock" "$serial_log" &
	serpid=$!
fi
if [ -n "$pidfile" ]; then
	{ echo "$qpid" >"$pidfile.tmp" && mv "$pidfile.tmp" "$pidfile"; } ||
		die "cannot write pid file '$pidfile'"
fi
say "QEMU pid $qpid${sock:+, agent port socket $sock}"

# The watchdog stops QEMU after --timeout; it kills its own sleep when told to
# go, so that nothing of ours outlives this script.
watchdog() {
	local sp
	trap 'kill $sp 2>/dev/null; exit 0' TERM
	sleep "$timeout" &
	sp=$!
	wait "$sp"
	: >"$tmp/timed-out"
	kill -TERM "$qpid" 2>/dev/null || exit 0
	sleep 3 &
	sp=$!
	wait "$sp"
	kill -KILL "$qpid" 2>/dev/null || true
	exit 0
}
watchdog &
wdpid=$!

qrc=0
wait "$qpid" || qrc=$?
qpid_done=$qpid
qpid=
kill -TERM "$wdpid" 2>/dev/null || true
wait "$wdpid" 2>/dev/null || true
wdpid=
wait "$conpid" 2>/dev/null || true
conpid=
if [ -n "$serpid" ]; then
	wait "$serpid" || say "warning: the serial reader failed (see above)"
	serpid=
fi
[ -z "$pidfile" ] || rm -f "$pidfile"
wall=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')

if [ -e "$tmp/timed-out" ]; then
	say "error: the guest did not finish within $timeout s; QEMU (pid $qpid_done) was killed"
	guest_tail_console "$conlog" >&2
	exit $E_TIMEOUT
fi
qfail=''
[ "$qrc" = 0 ] || qfail="QEMU failed (exit $qrc): $(head -c 2000 "$tmp/qemu.err")"
status=$(guest_status "$conlog" "$qfail") || exit $E_FAIL
[ "$qrc" = 0 ] || say "warning: QEMU exited with $qrc after the guest command ended: $(head -c 500 "$tmp/qemu.err")"

if [ -n "$output" ]; then
	guest_output "$conlog" "$output" || die "cannot write '$output'"
fi
up=$(guest_uptime "$conlog")
say "guest command exited with status $status (${up:+command started at guest uptime $up s, }$wall s in all, $accel)"
exit "$status"
