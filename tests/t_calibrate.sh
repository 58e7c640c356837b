#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# hvtrace calibrate, the real binaries: JSON that parses and holds every probe
# with a unit cost, the text table, probe selection, and every bad option.
# Speed is not tested here (bench/calib-stability.sh measures it).
. "$(dirname "$0")/lib.sh"

if [ ! -x "$HVTRACE" ]; then
	fail calibrate_binary "$HVTRACE not built"
	exit 1
fi
if ! command -v jq >/dev/null; then
	fail calibrate_jq "jq is missing (apt-get install jq)"
	exit 1
fi

# The probe names as --help lists them: the two-space indented lines after "Probes".
probes=$("$HVTRACE" calibrate --help | sed -n '/^Probes/,/^$/s/^  \([a-z_]*\) .*/\1/p')
expect_eq calibrate_help_lists_8_probes 8 "$(echo "$probes" | wc -l)"

# check_json NAME BINARY: --json parses, names every probe, each with a unit cost.
check_json() {
	local name=$1 bin=$2 p bad=
	if ! "$bin" calibrate --json --budget-ms 300 >"$TMP/$name.json" 2>"$TMP/err"; then
		fail "$name" "exit $?: $(head -c 300 "$TMP/err")"
		return
	fi
	if ! jq -e . "$TMP/$name.json" >/dev/null 2>&1; then
		fail "$name" "not JSON: $(head -c 300 "$TMP/$name.json")"
		return
	fi
	for p in $probes; do
		jq -e --arg p "$p" '.probes[] | select(.probe == $p and .error == null and
			.unit_ns > 0 and .spread_ns >= 0 and .iterations > 0)' \
			"$TMP/$name.json" >/dev/null || bad="$bad $p"
	done
	if [ -n "$bad" ]; then
		fail "$name" "probes missing or without a unit cost:$bad"
	else
		ok "$name"
	fi
}
check_json calibrate_json_has_every_probe "$HVTRACE"
J=$TMP/calibrate_json_has_every_probe.json
expect_eq calibrate_json_probe_count 8 "$(jq '.probes | length' "$J")"
expect_eq calibrate_json_budget 300000000 "$(jq '.budget_ns' "$J")"
if [ -x "$OUT/hvtrace-static" ]; then
	check_json calibrate_static_json_has_every_probe "$OUT/hvtrace-static"
else
	fail calibrate_static_json_has_every_probe "$OUT/hvtrace-static not built"
fi

"$HVTRACE" calibrate --budget-ms 100 --probe null_syscall --probe cpuid >"$TMP/text" 2>&1
expect_eq calibrate_text_exit 0 "$?"
expect_eq calibrate_text_rows "null_syscall cpuid" \
	"$(awk '/^(null_syscall|cpuid) / { printf "%s%s", s, $1; s = " " }' "$TMP/text")"
expect_eq calibrate_text_only_selected 0 "$(grep -cE '^(fork_exit|page_fault) ' "$TMP/text")"

expect_eq calibrate_json_only_selected '["page_fault"]' \
	"$("$HVTRACE" calibrate --json --budget-ms 50 -p page_fault | jq -c '[.probes[].probe]')"

expect_fail calibrate_unknown_probe_named 2 "unknown probe 'forkexit'.*fork_exit" -- \
	"$HVTRACE" calibrate --probe forkexit
expect_fail calibrate_budget_zero 2 "--budget-ms '0'" -- "$HVTRACE" calibrate --budget-ms 0
expect_fail calibrate_budget_not_a_number 2 "--budget-ms '2s'" -- \
	"$HVTRACE" calibrate --budget-ms 2s
expect_fail calibrate_budget_too_big 2 "--budget-ms '600001'" -- \
	"$HVTRACE" calibrate --budget-ms 600001
expect_fail calibrate_stray_argument 2 "unexpected argument 'json'" -- \
	"$HVTRACE" calibrate json
expect_fail calibrate_unknown_option 2 "Try 'hvtrace calibrate --help'" -- \
	"$HVTRACE" calibrate --jsn

"$HVTRACE" calibrate --help >"$TMP/help"
expect_eq calibrate_help_exit 0 "$?"
expect_eq calibrate_help_ends_with_examples \
	"hvtrace calibrate --json --budget-ms 500 > guest-calib.json" \
	"$(tail -n 1 "$TMP/help" | sed 's/^ *//')"

# A probe that cannot run: fork refused (RLIMIT_NPROC, which root ignores, so as
# nobody). The others still run and print; the exit status says it failed.
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	skip calibrate_failed_probe_exit_1 "needs root and setpriv to run as nobody"
else
	expect_fail calibrate_failed_probe_exit_1 1 "probe fork_exit could not run: " -- \
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
		bash -c 'ulimit -u 1; exec "$0" calibrate --json -p fork_exit -p cpuid -b 50' \
		"$HVTRACE"
	# probe:has a unit cost:has an error, per probe
	q='[.probes[] | "\(.probe):\(.unit_ns != null):\(.error != null)"] | join(" ")'
	expect_eq calibrate_failed_probe_json "fork_exit:false:true cpuid:true:false" \
		"$(jq -r "$q" "$TMP/out")"
fi
