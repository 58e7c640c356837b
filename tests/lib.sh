# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shared helpers for tests/t_*.sh. Each check prints one line that
# tests/run.sh counts: "ok - NAME", "not ok - NAME: WHY" or "skip - NAME: WHY".
OUT=${OUT:?OUT must point at the build folder}
HVTRACE=$OUT/hvtrace
PROG=$OUT/tests/prog
TMP=$(mktemp -d /tmp/hvtrace-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

ok() { echo "ok - $1"; }
fail() { echo "not ok - $1: $2"; }
skip() { echo "skip - $1: $2"; }

# expect_eq NAME EXPECTED GOT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "expected '$2', got '$3'"; fi
}

# expect_fail NAME EXIT_CODE PATTERN -- CMD...: CMD must exit with EXIT_CODE
# and print PATTERN (grep -E) on stderr.
expect_fail() {
	local name=$1 code=$2 pat=$3 rc
	shift 4
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" != "$code" ]; then
		fail "$name" "exit $rc (wanted $code); stderr: $(head -c 300 "$TMP/err")"
	elif ! grep -qE -- "$pat" "$TMP/err"; then
		fail "$name" "stderr lacks /$pat/: $(head -c 300 "$TMP/err")"
	else
		ok "$name"
	fi
}

# sql FILE QUERY: one value from a recording.
sql() { sqlite3 -batch -noheader "$1" "$2"; }

need_root() {
	[ "$(id -u)" = 0 ] && return 0
	skip "$1" "needs root (BPF)"
	return 1
}

# expect_golden NAME GOLDEN -- CMD...: CMD must exit 0 and print exactly the file GOLDEN.
# UPDATE_GOLDEN=1 rewrites GOLDEN instead (review the diff before committing it).
expect_golden() {
	local name=$1 want=$2 rc
	shift 3
	"$@" >"$TMP/golden.out" 2>"$TMP/golden.err"
	rc=$?
	if [ "$rc" != 0 ]; then
		fail "$name" "exit $rc: $(head -c 300 "$TMP/golden.err")"
	elif [ -n "${UPDATE_GOLDEN:-}" ]; then
		cp "$TMP/golden.out" "$want"
		ok "$name (golden rewritten)"
	elif ! diff -u "$want" "$TMP/golden.out" >"$TMP/golden.diff"; then
		fail "$name" "output differs from $(basename "$want"):"
		head -n 30 "$TMP/golden.diff"
	else
		ok "$name"
	fi
}
