#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Prints the libvirt domain XML of the hvtrace test guest (a guest made by
# tools/mkguest.sh), filled in from tools/libvirt-domain.xml.in. Define it with
# `virsh define` or start it at once with `virsh create`.
set -euo pipefail

prog=libvirt-domain
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/lib-disk.sh
. "$here/lib-disk.sh"
name=hvtguest type=qemu vcpus=2 mem=1024 guest=${HVT_GUEST_DIR:-${OUT:-build}/guest}
kernel='' initrd='' channel='' console='' cmd='' have_cmd='' append='' devices='' rootfs=''
backing=''
disks=()

usage() {
	cat <<EOF
Usage: tools/libvirt-domain.sh --channel SOCK --console FILE [options] > guest.xml

Prints a libvirt <domain> for the guest that tools/mkguest.sh made: direct
kernel boot, ACPI, the agent's virtio-serial port org.hvtrace.0 on a unix
socket QEMU listens on (which 'hvtrace record --vm NAME' finds in the
domain's XML), and the serial console written to a file.

Options:
  --name NAME        domain name (default $name)
  --type qemu|kvm    TCG or KVM (default $type)
  --guest DIR        DIR/vmlinuz and DIR/initrd.img (default \$HVT_GUEST_DIR,
                     or \$OUT/guest, or build/guest)
  --vcpus N          virtual CPUs (default $vcpus)
  --mem MB           memory (default $mem)
  --channel SOCK     the agent socket (absolute path), or 'auto' (libvirt
                     picks the path: /var/lib/libvirt/qemu/channel/target/...),
                     or 'none' (no channel); required
  --console FILE     the console log file (absolute path; required)
  --cmd STRING       the guest runs 'sh -c STRING' instead of its /guest-cmd
  --append ARGS      more kernel command line
  --rootfs IMG[:FMT] IMG is vda, and the guest command runs chrooted into it;
                     FMT is raw (the default) or qcow2 (e.g. an overlay of
                     tools/mkrootfs.sh's image): never guessed from its bytes
  --disk IMG[:FMT]   add IMG as the next virtio disk: vda, vdb, ... (after
                     --rootfs's); FMT as for --rootfs
  --backing FILE     the only backing file a qcow2 disk may have, recorded in
                     it as raw (qemu-img create -f qcow2 -F raw -b FILE); a
                     qcow2 disk with any other backing file (or an external
                     data file) is refused
  --nic              add a virtio NIC on user-mode networking
  -h, --help         this text

Examples:
  tools/libvirt-domain.sh --channel /tmp/hvt.sock --console /tmp/console.log \\
      --cmd 'sleep 600' > guest.xml && virsh -c qemu:///system create guest.xml
  tools/libvirt-domain.sh --name vm1 --channel auto --console /tmp/vm1.log \\
      --rootfs root.qcow2:qcow2 --backing root.img --disk out.img > vm1.xml
EOF
}

die() {
	printf '%s: error: %s\n' "$prog" "$*" >&2
	exit 1
}
usage_err() {
	printf '%s: %s (see --help)\n' "$prog" "$*" >&2
	exit 2
}
need() { (($# >= 2)) || usage_err "$1 needs a value"; }

# xml TEXT: TEXT escaped for an XML attribute or element.
xml() {
	local s=$1
	s=${s//&/"&amp;"}
	s=${s//</"&lt;"}
	s=${s//>/"&gt;"}
	s=${s//\'/"&apos;"}
	s=${s//\"/"&quot;"}
	s=${s//@/"&#64;"}
	printf '%s' "$s"
}

abs() { case $2 in /*) ;; *) usage_err "$1 wants an absolute path, not '$2'" ;; esac; }

while (($#)); do
	case $1 in
	--name) need "$@"; name=$2; shift 2 ;;
	--type) need "$@"; type=$2; shift 2 ;;
	--guest) need "$@"; guest=$2; shift 2 ;;
	--vcpus) need "$@"; vcpus=$2; shift 2 ;;
	--mem) need "$@"; mem=$2; shift 2 ;;
	--channel)
		need "$@"
		case $2 in auto | none) ;; *) abs "$1" "$2" ;; esac
		channel=$2
		shift 2
		;;
	--console) need "$@"; abs "$1" "$2"; console=$2; shift 2 ;;
	--cmd) need "$@"; cmd=$2; have_cmd=1; shift 2 ;;
	--append) need "$@"; append+=" $2"; shift 2 ;;
	--rootfs) need "$@"; rootfs=$2; shift 2 ;;
	--disk) need "$@"; disks+=("$2"); shift 2 ;;
	--backing) need "$@"; backing=$2; shift 2 ;;
	--nic) devices+="<interface type='user'><model type='virtio'/></interface>"; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage_err "unknown argument '$1'" ;;
	esac
done
case $type in qemu | kvm) ;; *) usage_err "--type is qemu or kvm, not '$type'" ;; esac
[[ $vcpus =~ ^[1-9][0-9]*$ ]] || usage_err "--vcpus wants a number, not '$vcpus'"
[[ $mem =~ ^[1-9][0-9]*$ ]] || usage_err "--mem wants a number of MiB, not '$mem'"
[ -n "$channel" ] || usage_err "--channel SOCK is required"
[ -n "$console" ] || usage_err "--console FILE is required"
# The root (if any) is vda, then the other disks in order.
[ -z "$rootfs" ] || disks=("$rootfs" "${disks[@]}")
((${#disks[@]} <= 26)) || usage_err "at most 26 disks"
letters=abcdefghijklmnopqrstuvwxyz
disk_xml=''
for ((i = 0; i < ${#disks[@]}; i++)); do
	disk_split "${disks[i]}"
	disk_check "$disk_path" "$disk_fmt" "$backing" || die "$disk_why"
	[ -z "$disk_note" ] || printf '%s: note: %s\n' "$prog" "$disk_note" >&2
	disk_xml+="<disk type='file' device='disk'><driver name='qemu' type='$disk_fmt'/>"
	disk_xml+="<source file='$(xml "$(realpath "$disk_path")")'/>"
	disk_xml+="<target dev='vd${letters:i:1}' bus='virtio'/></disk>"
done
devices=$disk_xml$devices
[ -z "$rootfs" ] || append+=" hvt.root=/dev/vda"
kernel=$(realpath "$guest/vmlinuz" 2>/dev/null) && [ -f "$kernel" ] ||
	die "no kernel '$guest/vmlinuz' (run tools/mkguest.sh)"
initrd=$(realpath "$guest/initrd.img" 2>/dev/null) && [ -f "$initrd" ] ||
	die "no initramfs '$guest/initrd.img' (run tools/mkguest.sh)"

cmdline="console=ttyS0 panic=-1 quiet"
[ -z "$have_cmd" ] || cmdline+=" hvt.cmd64=$(printf '%s' "$cmd" | base64 -w 0)"
cmdline+=$append
((${#cmdline} < 2048)) || die "kernel command line too long (${#cmdline} bytes, at most 2047)"
if [ "$type" = kvm ]; then
	cpu="<cpu mode='host-passthrough' check='none'/>"
else
	cpu="<cpu mode='custom' match='exact' check='none'><model fallback='forbid'>qemu64</model></cpu>"
fi

# Values are escaped, '@' included, so that no value can hold a placeholder
# that a later substitution would replace. (Quoted replacements: bash 5.2
# would otherwise read '&' in them as the matched text.)
out=$(<"$here/libvirt-domain.xml.in")
# The template's comments describe it; the domain does not need them.
out=${out#*-->}
out=${out#*-->}
sub() { out=${out//"$1"/"$2"}; }
sub @NAME@ "$(xml "$name")"
sub @TYPE@ "$type"
sub @CPU@ "$cpu"
sub @VCPUS@ "$vcpus"
sub @MEM_MIB@ "$mem"
sub @KERNEL@ "$(xml "$kernel")"
sub @INITRD@ "$(xml "$initrd")"
sub @CMDLINE@ "$(xml "$cmdline")"
case $channel in
none) sub @CHANNEL@ "" ;;
auto) sub @CHANNEL@ "<channel type='unix'><source mode='bind'/><target type='virtio' name='org.hvtrace.0'/></channel>" ;;
*) sub @CHANNEL@ "<channel type='unix'><source mode='bind' path='$(xml "$channel")'/><target type='virtio' name='org.hvtrace.0'/></channel>" ;;
esac
sub @CONSOLE@ "$(xml "$console")"
sub @DEVICES@ "$devices"
printf '%s\n' "${out#$'\n'}"
