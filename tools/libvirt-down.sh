#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Stops what tools/libvirt-up.sh started (read from its state file), and
# nothing else: a daemon that was already running is left alone. A libvirtd
# that still runs domains is not stopped (their QEMU processes would be left
# behind, unmanaged) unless --destroy-domains is given.
set -euo pipefail

prog=libvirt-down
URI=qemu:///system
state=${HVT_LIBVIRT_STATE:-/run/hvtrace/libvirt.started}
destroy=
quiet=

usage() {
	cat <<EOF
Usage: tools/libvirt-down.sh [--state FILE] [--destroy-domains] [--quiet]

Stops the virtlogd and libvirtd that tools/libvirt-up.sh started, as noted in
its state file. Without a state file, or with an empty one (the daemon was
already running), it stops nothing.

Options:
  --state FILE        the file given to libvirt-up.sh --state
                      (default: \$HVT_LIBVIRT_STATE or $state)
  --destroy-domains   destroy the domains that still run on $URI first
                      (by default they keep libvirtd running, and this fails)
  --quiet             no progress lines
  -h, --help          this text

Examples:
  sudo tools/libvirt-down.sh
  sudo tools/libvirt-down.sh --state /tmp/my.state --destroy-domains
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
	--state) (($# >= 2)) || usage_err "--state needs a file"; state=$2; shift 2 ;;
	--destroy-domains) destroy=1; shift ;;
	--quiet) quiet=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage_err "unknown argument '$1'" ;;
	esac
done

if [ ! -s "$state" ]; then
	say "nothing to stop (no daemon was started by libvirt-up.sh${state:+ per $state})"
	rm -f "$state"
	exit 0
fi

starttime() { awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null; }

# ours NAME PID START: the process is still the one libvirt-up.sh started.
ours() {
	[ "$(cat "/proc/$2/comm" 2>/dev/null)" = "$1" ] && [ "$(starttime "$2")" = "$3" ]
}

libvirtd_pid=$(awk '$1 == "libvirtd" { print $2; exit }' "$state")
libvirtd_start=$(awk '$1 == "libvirtd" { print $3; exit }' "$state")
if [ -n "$libvirtd_pid" ] && ours libvirtd "$libvirtd_pid" "$libvirtd_start"; then
	running=$(timeout 10 virsh -c "$URI" list --name 2>/dev/null | grep . || true)
	if [ -n "$running" ]; then
		if [ -z "$destroy" ]; then
			die "domains still run on $URI (${running//$'\n'/ });" \
				"destroy them first or use --destroy-domains"
		fi
		for d in $running; do
			say "destroying domain $d"
			timeout 30 virsh -c "$URI" destroy "$d" >/dev/null 2>&1 ||
				say "warning: cannot destroy domain $d"
		done
	fi
fi

# Stop in reverse order of start (libvirtd before the virtlogd it logs through).
rc=0
while read -r name pid start; do
	[ -n "$name" ] || continue
	if ! ours "$name" "$pid" "$start"; then
		say "$name (pid $pid) is gone already"
		continue
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		ours "$name" "$pid" "$start" || break
		sleep 0.1
	done
	if ours "$name" "$pid" "$start"; then
		say "warning: $name (pid $pid) ignored SIGTERM for 10 s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.2
		ours "$name" "$pid" "$start" && rc=1
	fi
	say "stopped $name (pid $pid)"
done < <(tac "$state")
((rc == 0)) || die "could not stop every daemon listed in $state"
rm -rf "$state.d/private"
rm -f "$state"
