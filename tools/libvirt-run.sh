#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Boots a guest made by tools/mkguest.sh as a transient libvirt domain (the
# XML from tools/libvirt-domain.sh), shows its console, and exits with the
# status of the command the guest ran: tools/qemu-run.sh's job, through
# libvirt. The domain is destroyed when the guest is done, on a timeout, a
# failure or a signal; nothing of it outlives this script. It needs a
# libvirt daemon that answers (tools/libvirt-up.sh starts one).
set -euo pipefail

prog=libvirt-run
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/lib-guest.sh
. "$here/lib-guest.sh"
URI=${HVT_LIBVIRT_URI:-qemu:///system}
guest=${HVT_GUEST_DIR:-${OUT:-build}/guest}
name=hvtguest-$$ type=auto mem=1024 cpus=2 channel=none timeout=300
cmd='' have_cmd='' rootfs='' backing='' pidfile='' log='' output='' nic=''
disks=()
E_TIMEOUT=124
E_FAIL=125
set -E
trap 'printf "%s: error: unexpected failure at line %s: %s\n" "$prog" "$LINENO" "$BASH_COMMAND" >&2; exit $E_FAIL' ERR

usage() {
	cat <<EOF
Usage: tools/libvirt-run.sh [options]

Boots a guest made by tools/mkguest.sh as a transient libvirt domain on
$URI, prints its console on stdout, and exits with the exit status
of the command that ran in the guest. The domain is destroyed at the end,
also on a timeout, a failure or a signal.

Options:
  --name NAME          domain name (default hvtguest-PID); must not exist yet
  --guest DIR          use DIR/vmlinuz and DIR/initrd.img
                       (default: \$HVT_GUEST_DIR, or \$OUT/guest, or build/guest)
  --cmd STRING         run 'sh -c STRING' in the guest instead of its /guest-cmd
  --mem MB             guest memory (default $mem)
  --cpus N             virtual CPUs (default $cpus)
  --channel SOCK|auto|none
                       the agent's virtio-serial port org.hvtrace.0 as a
                       <channel type='unix'> QEMU listens on: at SOCK, or where
                       libvirt puts it (auto); default none. 'hvtrace record
                       --vm NAME' finds it in the domain's XML.
  --rootfs IMG[:FMT]   IMG is /dev/vda and the guest command runs chrooted into
                       it; FMT is raw (the default) or qcow2, never guessed
  --disk IMG[:FMT]     one more virtio disk, after --rootfs's; FMT as there
  --backing FILE       the only backing file a qcow2 disk may have (raw; see
                       tools/libvirt-domain.sh --help)
  --nic                a virtio NIC on user-mode networking
  --type auto|qemu|kvm the domain type: auto (default) is kvm when /dev/kvm
                       boots this kernel (tools/qemu-run.sh --which-accel
                       decides and remembers), else qemu (TCG); says which, why
  --timeout S          destroy the domain after S seconds (default $timeout)
  --pidfile FILE       write QEMU's pid to FILE once the domain runs; removed
                       when it has ended
  --log FILE           write the console to FILE instead of stdout
  --output FILE        write only the guest command's console output to FILE
  -h, --help           this text

Environment: HVT_LIBVIRT_URI (default qemu:///system).

Exit status: the guest command's (0-255); $E_TIMEOUT if the guest did not finish in
time; $E_FAIL if libvirt, QEMU or the guest failed before the command ended (the
reason is on stderr); 2 for a usage error.

Examples:
  sudo tools/libvirt-up.sh
  sudo tools/libvirt-run.sh --name vm1 --cmd 'uname -r; exit 3'; echo \$?
  sudo tools/libvirt-run.sh --name vm1 --channel auto --pidfile /tmp/vm1.pid &
  while [ ! -s /tmp/vm1.pid ]; do sleep 0.1; done   # then the domain runs
  sudo hvtrace record --vm vm1 -o both.hvt        # finds the channel in vm1's XML
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
	--name) need "$@"; name=$2; shift 2 ;;
	--guest) need "$@"; guest=$2; shift 2 ;;
	--cmd) need "$@"; cmd=$2; have_cmd=1; shift 2 ;;
	--mem) need "$@"; mem=$2; shift 2 ;;
	--cpus) need "$@"; cpus=$2; shift 2 ;;
	--channel) need "$@"; channel=$2; shift 2 ;;
	--rootfs) need "$@"; rootfs=$2; shift 2 ;;
	--disk) need "$@"; disks+=("$2"); shift 2 ;;
	--backing) need "$@"; backing=$2; shift 2 ;;
	--nic) nic=1; shift ;;
	--type) need "$@"; type=$2; shift 2 ;;
	--timeout) need "$@"; timeout=$2; shift 2 ;;
	--pidfile) need "$@"; pidfile=$2; shift 2 ;;
	--log) need "$@"; log=$2; shift 2 ;;
	--output) need "$@"; output=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage_err "unknown argument '$1'" ;;
	esac
done
[[ $name =~ ^[A-Za-z0-9][A-Za-z0-9_.+-]*$ ]] ||
	usage_err "--name wants letters, digits and _.+- (not '$name')"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || usage_err "--timeout wants whole seconds, not '$timeout'"
case $type in auto | qemu | kvm) ;; *) usage_err "--type is auto, qemu or kvm, not '$type'" ;; esac
case $channel in auto | none | /*) ;; *) usage_err "--channel wants an absolute path, auto or none, not '$channel'" ;; esac

command -v virsh >/dev/null || die "virsh not found: install libvirt-clients ('sudo make deps')"
virsh_() { timeout 30 virsh -q -c "$URI" "$@"; }
virsh_ version >/dev/null 2>&1 ||
	die "no libvirt daemon answers on $URI: start one with tools/libvirt-up.sh"
if virsh_ domstate "$name" >/dev/null 2>&1; then
	die "a domain '$name' exists already on $URI (another run? see: virsh -c $URI list --all)"
fi

# --- Which domain type ------------------------------------------------------------------

if [ "$type" = auto ]; then
	verdict=$("$here/qemu-run.sh" --guest "$guest" --which-accel) ||
		die "cannot tell which accelerator to use (see above)"
	accel=${verdict%% *}
	say "accelerator: $verdict"
	type=qemu
	[ "$accel" = kvm ] && type=kvm
else
	accel=tcg
	[ "$type" = kvm ] && accel=kvm
	say "accelerator: $accel (asked for)"
fi

# --- The domain --------------------------------------------------------------------------

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hvt-libvirt.XXXXXX")
# QEMU may run as another user (libvirt-daemon-system's libvirt-qemu): the
# console file is made in a folder it can reach.
chmod 711 "$tmp"
mkdir -m 1777 "$tmp/run"
raw=$tmp/run/console.raw
created='' qpid='' followpid=''
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	local i
	trap - ERR
	set +e
	if [ -n "$created" ] && virsh_ domstate "$name" >/dev/null 2>&1; then
		virsh_ destroy "$name" >/dev/null 2>&1 || say "warning: cannot destroy domain '$name'"
	fi
	# If libvirt could not, its QEMU must not outlive us either.
	if [ -n "$qpid" ]; then
		for ((i = 0; i < 50; i++)); do
			kill -0 "$qpid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$qpid" 2>/dev/null
	fi
	[ -z "$followpid" ] || kill "$followpid" 2>/dev/null
	[ -z "$pidfile" ] || rm -f "$pidfile"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'say "interrupted; destroying domain $name"; exit 130' INT
trap 'say "terminated; destroying domain $name"; exit 143' TERM

dargs=(--name "$name" --type "$type" --guest "$guest" --vcpus "$cpus" --mem "$mem"
	--channel "$channel" --console "$raw")
[ -z "$have_cmd" ] || dargs+=(--cmd "$cmd")
[ -z "$rootfs" ] || dargs+=(--rootfs "$rootfs")
[ -z "$backing" ] || dargs+=(--backing "$backing")
for d in "${disks[@]}"; do dargs+=(--disk "$d"); done
[ -z "$nic" ] || dargs+=(--nic)
"$here/libvirt-domain.sh" "${dargs[@]}" >"$tmp/domain.xml" 2>"$tmp/domain.err" ||
	die "tools/libvirt-domain.sh: $(cat "$tmp/domain.err")"
# Its notes (a raw disk that looks like qcow2) are for whoever runs this.
[ ! -s "$tmp/domain.err" ] || sed "s/^libvirt-domain:/$prog:/" "$tmp/domain.err" >&2

[ -z "$pidfile" ] || rm -f "$pidfile"
start=$EPOCHREALTIME
created=1
virsh_ create "$tmp/domain.xml" >"$tmp/create.log" 2>&1 ||
	die "virsh create failed: $(grep -v '^$' "$tmp/create.log" | tail -n 5)"

# The QEMU process: libvirt gives it the domain's UUID on its command line.
uuid=$(virsh_ domuuid "$name") || die "domain '$name' vanished right after it started"
for _ in $(seq 50); do
	for p in $(pgrep -f -- "-uuid $uuid" || true); do
		case $(cat "/proc/$p/comm" 2>/dev/null) in qemu*) qpid=$p ;; esac
	done
	[ -n "$qpid" ] && break
	sleep 0.1
done
[ -n "$qpid" ] || die "no QEMU process with -uuid $uuid for domain '$name'"
if [ -n "$channel" ] && [ "$channel" != none ]; then
	sock=$(virsh_ dumpxml "$name" | sed -n "s|.*<source mode='bind' path='\([^']*\)'/>.*|\1|p" |
		head -n 1)
	say "domain $name ($type) runs: QEMU pid $qpid, agent channel org.hvtrace.0 at ${sock:-?}"
else
	say "domain $name ($type) runs: QEMU pid $qpid"
fi

# The console file gets CR LF line ends from the serial port; tail ends
# after QEMU does, once it has read the rest.
conlog=${log:-$tmp/console.log}
if [ -n "$log" ]; then
	tail -n +1 --pid="$qpid" -F "$raw" 2>/dev/null | sed -u 's/\r$//' >"$log" &
else
	tail -n +1 --pid="$qpid" -F "$raw" 2>/dev/null | sed -u 's/\r$//' | tee -p "$conlog" &
fi
followpid=$!
if [ -n "$pidfile" ]; then
	{ echo "$qpid" >"$pidfile.tmp" && mv "$pidfile.tmp" "$pidfile"; } ||
		die "cannot write pid file '$pidfile'"
fi

timed_out=''
while kill -0 "$qpid" 2>/dev/null; do
	if ((${EPOCHREALTIME%.*} - ${start%.*} >= timeout)); then
		timed_out=1
		virsh_ destroy "$name" >/dev/null 2>&1 || true
		break
	fi
	sleep 0.2
done
wait "$followpid" 2>/dev/null || true
followpid=''
for _ in $(seq 50); do
	kill -0 "$qpid" 2>/dev/null || break
	sleep 0.1
done
# A transient domain is gone with its QEMU.
if virsh_ domstate "$name" >/dev/null 2>&1; then
	virsh_ destroy "$name" >/dev/null 2>&1 || true
fi
created=''
qpid_done=$qpid
qpid=''
[ -z "$pidfile" ] || rm -f "$pidfile"
wall=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')

if [ -n "$timed_out" ]; then
	say "error: the guest did not finish within $timeout s; domain $name (QEMU pid $qpid_done) was destroyed"
	guest_tail_console "$conlog" >&2
	exit $E_TIMEOUT
fi
if ! status=$(guest_status "$conlog" ""); then
	qlog=/var/log/libvirt/qemu/$name.log
	if [ -r "$qlog" ]; then
		say "libvirt's log of the domain ($qlog) ends:"
		tail -n 5 "$qlog" | sed 's/^/  | /' >&2
	fi
	exit $E_FAIL
fi
if [ -n "$output" ]; then
	guest_output "$conlog" "$output" || die "cannot write '$output'"
fi
up=$(guest_uptime "$conlog")
say "guest command exited with status $status (${up:+command started at guest uptime $up s, }$wall s in all, $accel)"
exit "$status"
