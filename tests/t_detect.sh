#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# `hvtrace detect` as a binary: every fixture tree against its golden
# (tests/fixtures/detect/ENV.json, and ENV.txt where there is one), the real
# machine, and bad input. Regenerate a golden after an intended change with
#   build/hvtrace detect --json --root tests/fixtures/detect/ENV \
#       --cpuid tests/fixtures/detect/ENV/cpuid.txt > tests/fixtures/detect/ENV.json
. "$(dirname "$0")/lib.sh"
FIX=tests/fixtures/detect

if [ ! -x "$HVTRACE" ]; then
	fail "detect: binary" "$HVTRACE is not built"
	exit 0
fi

# golden NAME GOLDEN ARGS...: output of `hvtrace detect ARGS` must equal GOLDEN.
golden() {
	local name=$1 want=$2 rc
	shift 2
	"$HVTRACE" detect "$@" >"$TMP/got" 2>"$TMP/err"
	rc=$?
	if [ "$rc" != 0 ]; then
		fail "$name" "exit $rc: $(head -c 300 "$TMP/err")"
	elif ! diff -u "$want" "$TMP/got" >"$TMP/diff"; then
		fail "$name" "output differs from $want (diff follows)"
		head -n 40 "$TMP/diff" | sed 's/^/    /'
	else
		ok "$name"
	fi
}

for dir in "$FIX"/*/; do
	env=$(basename "$dir")
	for fmt in json txt; do
		want=$FIX/$env.$fmt
		if [ "$fmt" = json ] && [ ! -f "$want" ]; then
			fail "detect --json $env" "no golden $want"
			continue
		fi
		[ -f "$want" ] || continue
		args=(--root "$dir" --cpuid "$dir/cpuid.txt")
		[ "$fmt" = json ] && args+=(--json)
		golden "detect $fmt matches golden: $env" "$want" "${args[@]}"
	done
done

# This machine, without overrides: must succeed and name what it is.
if "$HVTRACE" detect --json >"$TMP/real.json" 2>"$TMP/err"; then
	summary=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["summary"])' \
		<"$TMP/real.json" 2>"$TMP/perr")
	if [ -n "$summary" ]; then
		ok "detect on this machine: $summary"
	else
		fail "detect on this machine" "no summary in the JSON: $(head -c 300 "$TMP/perr")"
	fi
else
	fail "detect on this machine" "exit $?: $(head -c 300 "$TMP/err")"
fi
if "$HVTRACE" detect >"$TMP/real.txt" 2>"$TMP/err" && grep -q '^Evidence:' "$TMP/real.txt"; then
	ok "detect text output on this machine"
else
	fail "detect text output on this machine" "$(head -c 300 "$TMP/err")"
fi
# Where the kernel log names a hypervisor (root), detect must show that line.
kname=$(dd if=/dev/kmsg iflag=nonblock bs=8192 2>/dev/null |
	sed -n 's/.*;Hypervisor detected: //p' | head -n 1)
if [ -n "$kname" ]; then
	if grep -q "\"Hypervisor detected: $kname\"" "$TMP/real.json"; then
		ok "detect reports the kernel's verdict ($kname)"
	else
		fail "detect reports the kernel's verdict" \
			"kernel says '$kname', detect's evidence lacks it"
	fi
else
	skip "detect reports the kernel's verdict" "kernel log unreadable or names no hypervisor"
fi

# Bad input: a clear error and the right exit status.
printf 'CPU:\n   0x00000001 0x00: eax=0x0 ebx=0x0 ecx=0x0 edx=0x0\nbanana\n' >"$TMP/bad-cpuid"
expect_fail "detect: --root to a missing directory" 1 \
	"^hvtrace: detect: root directory '$TMP/none': No such file or directory" -- \
	"$HVTRACE" detect --root "$TMP/none"
expect_fail "detect: --root to a file" 1 "root directory .*: not a directory" -- \
	"$HVTRACE" detect --root "$TMP/bad-cpuid"
expect_fail "detect: malformed --cpuid file" 1 \
	"^hvtrace: detect: malformed CPUID file '$TMP/bad-cpuid', line 3" -- \
	"$HVTRACE" detect --root "$FIX/kvm" --cpuid "$TMP/bad-cpuid"
expect_fail "detect: missing --cpuid file" 1 "cannot open CPUID file '$TMP/none'" -- \
	"$HVTRACE" detect --cpuid "$TMP/none"
expect_fail "detect: unknown option" 2 "Try 'hvtrace detect --help'" -- \
	"$HVTRACE" detect --bogus
expect_fail "detect: stray argument" 2 "unexpected argument 'extra'" -- \
	"$HVTRACE" detect extra
if "$HVTRACE" detect --help >"$TMP/help" && grep -q '^Examples:' "$TMP/help"; then
	ok "detect --help ends with examples"
else
	fail "detect --help ends with examples" "exit status or text wrong"
fi
