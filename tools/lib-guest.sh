# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash
#
# What a test guest's console says, for the scripts that boot one
# (tools/qemu-run.sh under QEMU, tools/libvirt-run.sh as a libvirt domain).
# The console is the one tools/guest-init.sh writes, with line ends as LF.
# Sourced; the sourcing script defines say() (its own "prog: ..." line on stderr).
#
#   guest_status CONSOLE VMM_FAILED   the guest command's exit status on stdout; or, without
#                                     one, the reason (on stderr) and status 1. VMM_FAILED:
#                                     how the VMM itself failed, if it did ("" otherwise).
#   guest_output CONSOLE FILE         what the command printed, into FILE
#   guest_uptime CONSOLE              the guest's uptime when its command began, or nothing
#   guest_tail_console CONSOLE        its last lines, for an error message

guest_tail_console() {
	if grep -aq . "$1"; then
		echo "last console lines:"
		grep -a . "$1" | tail -n 15 | sed 's/^/  | /'
	else
		echo "the console stayed empty (--verbose shows the kernel's messages)"
	fi
}

guest_status() {
	local log=$1 vmm_failed=$2 fail last panic
	if fail=$(grep -a -m 1 '^HVTGUEST-FAIL ' "$log"); then
		say "error: the guest failed before its command ran: ${fail#HVTGUEST-FAIL }"
		return 1
	fi
	last=$(grep -a 'HVTGUEST-EXIT [0-9][0-9]*$' "$log" | tail -n 1 || true)
	if [ -n "$last" ]; then
		echo "${last##* }"
		return 0
	fi
	if [ -n "$vmm_failed" ]; then
		say "error: $vmm_failed"
		return 1
	fi
	if panic=$(grep -a -o -m 1 'Kernel panic - .*' "$log"); then
		say "error: the guest kernel panicked before its command ended: $panic"
	else
		say "error: the guest stopped without reporting its command's exit status (did the command power off?)"
	fi
	guest_tail_console "$log" >&2
	return 1
}

# Lines after the first BEGIN marker up to the last EXIT marker; text before
# the marker on its line is output that did not end in a newline.
guest_output() {
	local last
	last=$(grep -a -n 'HVTGUEST-EXIT [0-9][0-9]*$' "$1" | tail -n 1 || true)
	awk -v last="${last%%:*}" '
		begin && NR < last { print }
		NR == last && begin { sub(/HVTGUEST-EXIT [0-9]+$/, ""); printf "%s", $0 }
		!begin && /^HVTGUEST-BEGIN / { begin = 1 }' "$1" >"$2"
}

guest_uptime() {
	sed -n 's/^HVTGUEST-BEGIN \([0-9.]*\).*/\1/p' "$1" | head -n 1
}
