#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# /init of the hvtrace test guest (tools/mkguest.sh puts it in the initramfs;
# it runs under busybox sh). It mounts what tracing needs, loads the virtio
# modules, finds the agent's virtio-serial port, runs one command and powers
# off. Every way out powers off: a guest must never hang a test.
#
# Console markers, each at the start of a line, read by tools/qemu-run.sh:
#   HVTGUEST-BEGIN <uptime>   the command starts (guest uptime in seconds)
#   HVTGUEST-EXIT <status>    the command ended with this exit status
#   HVTGUEST-FAIL <why>       the guest could not set up or run the command
#   HVTGUEST-PROBE-OK         the answer to hvt.probe=1 (qemu-run's KVM test boot)
# Kernel command line (the kernel passes dotted words to no one, so they are
# read from /proc/cmdline):
#   hvt.cmd64=B64     run `sh -c "$(base64 -d B64)"` instead of /guest-cmd
#   hvt.port=NAME     the virtio-serial port to find (default org.hvtrace.0)
#   hvt.portwait=S    how long to wait for that port to appear (default 15)
#   hvt.verbose=1     keep kernel messages on the console while the command runs
#   hvt.probe=1       print HVTGUEST-PROBE-OK and power off at once
#   hvt.root=DEV      run the command chrooted into the filesystem on DEV
# The command runs in /root with stdin from /dev/null and, when the port was
# found, HVTRACE_PORT=/dev/vportNpM in its environment.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TERM=linux

off() {
	sync
	poweroff -f
	# Still running: poweroff failed. Ask the kernel directly; failing that,
	# let init die: the kernel panics, panic=-1 reboots, and QEMU's
	# -no-reboot turns that into an exit.
	echo o >/proc/sysrq-trigger 2>/dev/null
	sleep 10
	exit 1
}

fail() {
	echo "HVTGUEST-FAIL $*"
	off
}

warn() { echo "hvtguest: warning: $*"; }

mount -t proc proc /proc || fail "cannot mount /proc"
mount -t sysfs sysfs /sys || fail "cannot mount /sys"
mount -t devtmpfs devtmpfs /dev || fail "cannot mount devtmpfs on /dev"
# The kernel gave init /dev/console only if the initramfs had the node.
exec </dev/console >/dev/console 2>&1

cmd64=
port=org.hvtrace.0
portwait=15
verbose=
probe=
root=
# shellcheck disable=SC2013 # words, not lines
for a in $(cat /proc/cmdline); do
	case $a in
	hvt.cmd64=*) cmd64=${a#hvt.cmd64=} ;;
	hvt.port=*) port=${a#hvt.port=} ;;
	hvt.portwait=*) portwait=${a#hvt.portwait=} ;;
	hvt.verbose=1) verbose=1 ;;
	hvt.probe=1) probe=1 ;;
	hvt.root=*) root=${a#hvt.root=} ;;
	esac
done

if [ -n "$probe" ]; then
	echo "HVTGUEST-PROBE-OK"
	off
fi
case $portwait in '' | *[!0-9]*) fail "hvt.portwait wants whole seconds, not '$portwait'" ;; esac
if [ -n "$cmd64" ]; then
	# busybox base64 -d skips what is not base64 and still succeeds.
	case $cmd64 in *[!A-Za-z0-9+/=]*) fail "hvt.cmd64 is not valid base64" ;; esac
	cmd=$(echo "$cmd64" | base64 -d) || fail "hvt.cmd64 is not valid base64"
fi

mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts || fail "cannot mount devpts"
mount -t tmpfs -o mode=1777 tmpfs /dev/shm || fail "cannot mount /dev/shm"
mount -t tracefs tracefs /sys/kernel/tracing || fail "cannot mount tracefs on /sys/kernel/tracing"
mount -t debugfs debugfs /sys/kernel/debug || fail "cannot mount debugfs on /sys/kernel/debug"
mount -t bpf bpf /sys/fs/bpf || fail "cannot mount bpffs on /sys/fs/bpf"
mount -t cgroup2 cgroup2 /sys/fs/cgroup || fail "cannot mount cgroup2 on /sys/fs/cgroup"
hostname hvtguest
ifconfig lo 127.0.0.1 up 2>/dev/null || warn "cannot bring up lo"

# mkguest.sh wrote the modules in dependency order.
if [ -f /lib/modules/load-order ]; then
	while read -r m; do
		[ -n "$m" ] || continue
		if ! err=$(insmod "/lib/modules/$m.ko" 2>&1); then
			case $err in
			*exists*) ;;
			*) fail "cannot load module $m: $err" ;;
			esac
		fi
	done </lib/modules/load-order
fi

# No udev here: the port's name is only in sysfs. It shows up a little after
# virtio_console loads (the host announces ports over the control queue), so
# wait for it, but only if there is a virtio console device at all.
find_port() {
	for n in /sys/class/virtio-ports/*/name; do
		[ -f "$n" ] || continue
		[ "$(cat "$n")" = "$port" ] || continue
		d=${n%/name}
		d=/dev/${d##*/}
		[ -c "$d" ] && echo "$d" && return 0
	done
	return 1
}
has_console_dev() {
	grep -qx 0x0003 /sys/bus/virtio/devices/*/device 2>/dev/null
}
unset HVTRACE_PORT
if has_console_dev; then
	tries=$((portwait * 10))
	while ! dev=$(find_port) && [ "$tries" -gt 0 ]; do
		sleep 0.1
		tries=$((tries - 1))
	done
	if [ -n "$dev" ]; then
		export HVTRACE_PORT="$dev"
	else
		warn "no virtio-serial port named '$port' after ${portwait} s; HVTRACE_PORT is not set" \
			"(ports: $(cat /sys/class/virtio-ports/*/name 2>/dev/null | tr '\n' ' '))"
	fi
fi

# Keep the command's console output clean: only emergencies from the kernel.
[ -n "$verbose" ] || echo 2 >/proc/sys/kernel/printk

if [ -n "$cmd64" ]; then
	set -- sh -c "$cmd"
elif [ -e /guest-cmd ]; then
	set -- /guest-cmd
else
	set -- true
fi

# With hvt.root=DEV the command runs chrooted in that filesystem (a Debian
# root made by debootstrap, say), with /proc, /sys (tracefs, bpffs, debugfs
# inside) and /dev of this init, and this initramfs at /run/hvt (so the files
# given to mkguest.sh --with are in /run/hvt/bin, on PATH).
umount_root() {
	for m in /newroot/run/hvt /newroot/run /newroot/dev /newroot/sys /newroot/proc; do
		umount -l "$m" 2>/dev/null
	done
	sync
	umount /newroot 2>/dev/null || mount -o remount,ro /newroot 2>/dev/null
}
if [ -n "$root" ]; then
	mkdir -p /newroot
	tries=50 # virtio_blk may take a moment to show the disk
	while [ ! -b "$root" ] && [ "$tries" -gt 0 ]; do
		sleep 0.1
		tries=$((tries - 1))
	done
	[ -b "$root" ] || fail "hvt.root: no block device $root"
	mount "$root" /newroot || fail "cannot mount $root"
	[ -x /newroot/bin/sh ] || { umount_root; fail "$root has no /bin/sh"; }
	for d in proc sys dev run; do mkdir -p "/newroot/$d"; done
	if ! { mount --rbind /proc /newroot/proc && mount --rbind /sys /newroot/sys &&
		mount --rbind /dev /newroot/dev && mount -t tmpfs tmpfs /newroot/run &&
		mkdir -p /newroot/run/hvt && mount --bind / /newroot/run/hvt; }; then
		umount_root
		fail "cannot bind /proc, /sys, /dev and /run into $root"
	fi
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/run/hvt/bin
	[ "$1" = /guest-cmd ] && set -- /run/hvt/guest-cmd
	set -- chroot /newroot /bin/sh -c 'cd /root 2>/dev/null || cd /; exec "$@"' sh "$@"
else
	cd /root || fail "no /root"
fi

read -r up _ </proc/uptime
echo "HVTGUEST-BEGIN $up"
"$@" </dev/null
status=$?
echo "HVTGUEST-EXIT $status"
[ -z "$root" ] || umount_root
off
