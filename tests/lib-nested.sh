# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash
# Real KVM exits without a usable /dev/kvm here: a QEMU TCG guest whose CPU
# has AMD SVM runs the Debian cloud kernel with kvm_amd, and in it the static
# hvtrace watches tests/prog/minivmm on the guest's own KVM (where kvm_exit
# and kvm_entry fire). Sourced after tests/lib.sh. ~20 s per boot.
#
#   nested_boot NAME DIR CMD_FILE OUTPUT  makes a guest in DIR that runs CMD_FILE, boots it
#   nested_file OUTPUT TAG DEST           a file the guest printed with nested_put
#
# The guest command is a busybox sh script; it may start with $NESTED_HELPERS.
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

# Shell functions for guest commands:
#   wait_for PATTERN FILE   until FILE has PATTERN (30 s at most)
#   nested_put TAG FILE     prints FILE for nested_file (base64 between markers)
# shellcheck disable=SC2016,SC2034 # expanded in the guest; used by the sourcing test
NESTED_HELPERS='wait_for() {
	i=0
	while ! grep -qs "$1" "$2" && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
}
nested_put() { echo "HVT-BEGIN $1"; base64 "$2"; echo "HVT-END $1"; }'

# nested_boot NAME DIR CMD_FILE OUTPUT: makes a guest in DIR with CMD_FILE
# as its command, hvtrace-static as /bin/hvtrace and minivmm,
# boots it under TCG and leaves the command's console output in OUTPUT.
# Returns 0 when the guest command exited 0; otherwise prints one skip or
# not-ok line named NAME and returns 1.
nested_boot() {
	local name=$1 guest=$2 cmd=$3 out=$4 rc
	if ! command -v qemu-system-x86_64 >/dev/null; then
		skip "$name" "qemu-system-x86_64 not found ('sudo make deps' installs it)"
		return 1
	fi
	if [ ! -x "$OUT/hvtrace-static" ]; then
		fail "$name" "no $OUT/hvtrace-static"
		return 1
	fi
	if ! "$ROOT/tools/mkguest.sh" --out "$guest" --cmd "$cmd" --module kvm-amd \
	     --with "$OUT/hvtrace-static:/bin/hvtrace" "$PROG/minivmm" \
	     >"$TMP/$name-mkguest.log" 2>&1; then
		fail "$name" "the guest does not build: $(tail -n 3 "$TMP/$name-mkguest.log")"
		return 1
	fi
	# TCG emulates AMD's SVM: the guest's kvm_amd runs minivmm.
	"$ROOT/tools/qemu-run.sh" --guest "$guest" --accel tcg --cpus 1 --timeout 300 \
		--output "$out" -- -cpu max >"$TMP/$name-qemu.log" 2>&1
	rc=$?
	# qemu-run.sh exits with the guest command's status (124, 125: its own failures).
	if [ "$rc" != 0 ]; then
		fail "$name" "guest exited $rc: $(tail -n 5 "$TMP/$name-qemu.log")"
		return 1
	fi
}

# nested_file OUTPUT TAG DEST: what the guest printed with `nested_put TAG FILE`.
nested_file() {
	sed -n "/^HVT-BEGIN $2\r\{0,1\}\$/,/^HVT-END $2\r\{0,1\}\$/p" "$1" | sed '1d;$d' |
		tr -d '\r' | base64 -d >"$3" 2>/dev/null
}
