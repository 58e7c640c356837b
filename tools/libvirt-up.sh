#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Makes sure a libvirt daemon answers on qemu:///system. Where a service
# manager already runs one (or socket-activates it), this does nothing; else
# it starts virtlogd and libvirtd by hand, as root, and waits until
# `virsh -c qemu:///system version` answers. What it started is written to a
# state file, so that tools/libvirt-down.sh stops exactly that and nothing
# else. Idempotent: a second run finds the daemon answering and starts nothing.
set -euo pipefail

prog=libvirt-up
here=$(cd "$(dirname "$0")" && pwd)
URI=qemu:///system
state=${HVT_LIBVIRT_STATE:-/run/hvtrace/libvirt.started}
timeout=60
quiet=

usage() {
	cat <<EOF
Usage: tools/libvirt-up.sh [--state FILE] [--timeout S] [--quiet]

Starts virtlogd and libvirtd by hand when no daemon answers on $URI
(no service manager here, or none that runs libvirt), and waits for it.
The first start takes ~8 s (libvirt probes QEMU's capabilities; later
starts read them from /var/cache/libvirt).

Options:
  --state FILE   where to note what was started, for tools/libvirt-down.sh
                 (default: \$HVT_LIBVIRT_STATE or $state). Nothing is written
                 when the daemon was already running: then down stops nothing.
  --timeout S    give up after S seconds (default $timeout)
  --quiet        no progress lines
  -h, --help     this text

Exit status: 0 when $URI answers, 1 on failure (the reason and the daemon's
log are on stderr), 2 for a usage error.

Examples:
  sudo tools/libvirt-up.sh && virsh -c $URI list --all
  sudo tools/libvirt-up.sh --state /tmp/my.state; ...; sudo tools/libvirt-down.sh --state /tmp/my.state
EOF
}

say() { [ -n "$quiet" ] || printf '%s: %s\n' "$prog" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$prog" "$*" >&2
	exit 1
}
usage_err() {
	printf '%s: %s (see --help)\n' "$prog" "$*" >&2
	exit 2
}

while (($#)); do
	case $1 in
	--state)
		(($# >= 2)) || usage_err "--state needs a file"
		[[ $2 != *\'* ]] || usage_err "--state: the path must not hold a single quote"
		state=$2
		shift 2
		;;
	--timeout)
		(($# >= 2)) && [[ $2 =~ ^[1-9][0-9]*$ ]] || usage_err "--timeout needs a number of seconds"
		timeout=$2
		shift 2
		;;
	--quiet) quiet=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage_err "unknown argument '$1'" ;;
	esac
done

answers() { timeout 10 virsh -c "$URI" version >/dev/null 2>&1; }

command -v virsh >/dev/null || die "virsh not found: install libvirt-clients ('sudo make deps')"
if answers; then
	say "libvirt already answers on $URI; nothing started"
	exit 0
fi
[ "$(id -u)" = 0 ] || die "no libvirt daemon answers on $URI, and starting one needs root"
for d in virtlogd libvirtd; do
	command -v "$d" >/dev/null || [ -x "/usr/sbin/$d" ] ||
		die "$d not found: install libvirt-daemon and libvirt-daemon-driver-qemu ('sudo make deps')"
done
export PATH=$PATH:/usr/sbin:/sbin

dir=$(dirname "$state")
run=$state.d
mkdir -p "$dir" "$run" || die "cannot create '$run'"
exec 9>"$run/.lock"
flock 9 # two callers at once must not both start a daemon

# A daemon started by a concurrent caller may have come up meanwhile.
if answers; then
	say "libvirt already answers on $URI; nothing started"
	exit 0
fi

# pid and start time (field 22 of /proc/PID/stat) identify a process even
# when its pid is later reused; libvirt-down.sh checks both.
starttime() { awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null; }

: >"$state"
note() { printf '%s %s %s\n' "$1" "$2" "$(starttime "$2")" >>"$state"; }

# A failed start leaves nothing running.
ok=
cleanup() {
	[ -n "$ok" ] && return
	"$here/libvirt-down.sh" --state "$state" --quiet || true
}
trap cleanup EXIT

# Without libvirt-daemon-system (which brings firewalld, polkitd and more)
# there is no 'libvirt-qemu' user or group, and libvirtd's QEMU driver refuses
# to start: it resolves its built-in user before it reads qemu.conf. Then
# libvirtd runs in a mount namespace of its own, where /etc/passwd and
# /etc/group are copies that add that user and group, and /etc/libvirt is a
# copy whose qemu.conf runs QEMU as root (the directories libvirtd keeps
# definitions in stay the host's, bind-mounted into the copy). Nothing outside
# that namespace changes.
QEMU_USER=libvirt-qemu
mounts=
if ! getent passwd "$QEMU_USER" >/dev/null || ! getent group "$QEMU_USER" >/dev/null; then
	priv=$run/private
	rm -rf "$priv"
	mkdir -p "$priv/libvirt" /etc/libvirt/qemu
	# A system id that neither file uses.
	id=64055
	while getent passwd "$id" >/dev/null || getent group "$id" >/dev/null; do id=$((id + 1)); done
	cp /etc/passwd "$priv/passwd"
	cp /etc/group "$priv/group"
	getent passwd "$QEMU_USER" >/dev/null ||
		echo "$QEMU_USER:x:$id:$id:hvtrace libvirt-up.sh:/var/lib/libvirt:/usr/sbin/nologin" >>"$priv/passwd"
	getent group "$QEMU_USER" >/dev/null || echo "$QEMU_USER:x:$id:" >>"$priv/group"
	for f in /etc/libvirt/*; do
		[ -f "$f" ] && cp -p "$f" "$priv/libvirt/"
	done
	{
		grep -Ev '^[[:space:]]*(user|group)[[:space:]]*=' /etc/libvirt/qemu.conf 2>/dev/null || true
		echo "# hvtrace tools/libvirt-up.sh: this host has no user $QEMU_USER"
		printf 'user = "root"\ngroup = "root"\n'
	} >"$priv/libvirt/qemu.conf"
	mounts="mount --bind '$priv/passwd' /etc/passwd && mount --bind '$priv/group' /etc/group"
	for d in /etc/libvirt/*/; do
		d=${d%/}
		mkdir -p "$priv/libvirt/${d##*/}"
		mounts+=" && mount --bind '$d' '$priv/libvirt/${d##*/}'"
	done
	mounts+=" && mount --rbind '$priv/libvirt' /etc/libvirt"
	say "no user '$QEMU_USER' here (libvirt-daemon-system is not installed): libvirtd runs" \
		"with private copies of /etc/passwd, /etc/group and /etc/libvirt that add it and" \
		"run QEMU as root"
fi

# start NAME: runs NAME -d unless it already runs.
start() {
	local name=$1 pidf=$run/$1.pid pid=""
	if pid=$(pgrep -x "$name" | head -n 1) && [ -n "$pid" ]; then
		say "$name already runs (pid $pid); not starting another"
		return 0
	fi
	rm -f "$pidf"
	# Warnings and errors to a file: a daemon has no terminal to tell.
	export LIBVIRT_LOG_OUTPUTS="3:file:$run/$name.log"
	if [ "$name" = libvirtd ] && [ -n "$mounts" ]; then
		unshare --mount --propagation private -- sh -c "$mounts && exec libvirtd -d -p '$pidf'" \
			2>"$run/$name.err" ||
			die "libvirtd -d (in its own mount namespace) failed:" \
				"$(cat "$run/$name.err" "$run/$name.log" 2>/dev/null | tail -n 5)"
	elif ! "$name" -d -p "$pidf" 2>"$run/$name.err"; then
		die "$name -d failed: $(cat "$run/$name.err" "$run/$name.log" 2>/dev/null | tail -n 5)"
	fi
	unset LIBVIRT_LOG_OUTPUTS
	for _ in $(seq 50); do
		[ -s "$pidf" ] && break
		sleep 0.1
	done
	pid=$(cat "$pidf" 2>/dev/null || true)
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null ||
		die "$name did not stay up: $(tail -n 5 "$run/$name.log" 2>/dev/null)"
	note "$name" "$pid"
	say "started $name (pid $pid; log $run/$name.log)"
}

t0=$SECONDS
start virtlogd
start libvirtd

say "waiting for $URI (the first start probes QEMU: ~8 s)"
while ! answers; do
	if ((SECONDS - t0 >= timeout)); then
		die "libvirtd started but $URI did not answer within $timeout s; its log:" \
			"$(grep -v dmidecode "$run/libvirtd.log" 2>/dev/null | tail -n 5)"
	fi
	if pid=$(awk '$1 == "libvirtd" { print $2 }' "$state") && [ -n "$pid" ] &&
		! kill -0 "$pid" 2>/dev/null; then
		die "libvirtd exited during start-up; its log:" \
			"$(grep -E ': error :' "$run/libvirtd.log" 2>/dev/null | tail -n 3)"
	fi
	sleep 0.2
done
ok=1
say "$URI answers ($((SECONDS - t0)) s); state in $state"
