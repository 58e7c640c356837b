#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The agent channel for real, on this machine: a guest and a host end (two
# processes of tests/helpers/agent_peer, built on user/agent.c) over TCP on
# 127.0.0.1 and over a unix socket the "guest" serves as QEMU would; the guest
# recording handed over and merged with `hvtrace merge`; and hostile byte
# streams that the host must refuse with a sentence, quickly, leaving no file.
# Both ends read one CLOCK_MONOTONIC here, so the true offset is 0 and the
# stated uncertainty must cover the measured one.
. "$(dirname "$0")/lib.sh"
PEER=$OUT/tests/helpers/agent_peer

if [ ! -x "$PEER" ] || [ ! -x "$HVTRACE" ]; then
	fail agent_binaries "$PEER or $HVTRACE not built"
	exit 1
fi
cd "$TMP" || exit 1

# Children of this script, killed by pid at the end.
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

# A free port above 20000: bind-tested by the host peer, retried on a clash.
port() { echo $((20000 + (RANDOM * 7 + $$) % 40000)); }

# wait_line FILE PATTERN: until FILE has a line matching PATTERN (5 s at most).
wait_line() {
	local i
	for i in $(seq 50); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# field FILE PREFIX KEY: the value of KEY=... on FILE's line starting with PREFIX.
field() { grep -m1 "^$2 " "$1" | tr ' ' '\n' | sed -n "s/^$3=//p"; }

# host_start NAME CHANNEL ARGS...: a host peer in the background, output in NAME.out.
host_start() {
	local name=$1
	shift
	"$PEER" host "$@" >"$name.out" 2>&1 &
	HOST_PID=$!
	PIDS+=("$HOST_PID")
	wait_line "$name.out" '^(listening|error)'
}

# ---- a guest and a host over TCP ------------------------------------------------

for try in 1 2 3; do
	P=$(port)
	host_start tcp "tcp:127.0.0.1:$P" --recording recv.hvt --host-recording host.hvt \
		--timeout 15000 --sync-ms 250
	grep -q '^listening' tcp.out && break
	wait "$HOST_PID"
done
"$PEER" guest "tcp:127.0.0.1:$P" --phases tar,configure,make --phase-ms 400 \
	--recording guest.hvt --label tcp-pair --timeout 10000 >guest.out 2>&1
guest_rc=$?
wait "$HOST_PID"
host_rc=$?
expect_eq tcp_guest_exit_status 0 "$guest_rc"
expect_eq tcp_host_exit_status 0 "$host_rc"
expect_eq tcp_phases_arrive_in_order "0 tar start|1 configure mark|2 make mark" \
	"$(grep '^phase ' tcp.out | cut -d' ' -f2-4 | paste -sd'|')"
expect_eq tcp_hello_carries_the_label tcp-pair "$(field tcp.out hello label)"
expect_eq tcp_end_arrives "end status=0 dropped=0" "$(grep '^end ' tcp.out)"
sent=$(field tcp.out pings sent) answered=$(field tcp.out pings answered)
lost=$(field tcp.out pings lost)
# One ping may still be out when the guest says BYE: then it counts as lost.
if [ -n "$sent" ] && [ "$sent" -ge 32 ] && [ $((answered + lost)) = "$sent" ] &&
	[ "$lost" -le 1 ]; then
	ok tcp_every_ping_is_answered
else
	fail tcp_every_ping_is_answered "sent $sent, answered $answered, lost $lost"
fi
bursts=$(field tcp.out clock bursts)
if [ -n "$bursts" ] && [ "$bursts" -ge 3 ]; then
	ok tcp_clock_sync_repeats_through_the_run
else
	fail tcp_clock_sync_repeats_through_the_run "$bursts bursts"
fi
off=$(field tcp.out clock offset) unc=$(field tcp.out clock uncertainty)
if [ -n "$off" ] && [ -n "$unc" ] && [ "${off#-}" -le "$unc" ] && [ "$unc" -lt 50000000 ]; then
	ok tcp_offset_is_zero_within_the_stated_uncertainty
else
	fail tcp_offset_is_zero_within_the_stated_uncertainty "offset $off ns, uncertainty $unc ns"
fi
expect_eq tcp_guest_recording_arrives_whole "recording complete=1" \
	"$(grep -o '^recording complete=[01]' tcp.out)"
if cmp -s guest.hvt recv.hvt; then ok tcp_received_recording_is_identical
else fail tcp_received_recording_is_identical "recv.hvt differs from guest.hvt"; fi
expect_eq tcp_guest_dropped_nothing 0 "$(field guest.out guest dropped)"

# ---- merging what the pair recorded -------------------------------------------------

"$HVTRACE" merge recv.hvt host.hvt -o both.hvt 2>merge.err
expect_eq merge_exit_status 0 $?
expect_eq merge_has_the_guest_phases "tar|configure|make" \
	"$(sql both.hvt 'SELECT name FROM phase ORDER BY id' | paste -sd'|')"
expect_eq merge_clock_from_the_sync "sync $unc" \
	"$(sql both.hvt "SELECT value FROM meta WHERE key = 'clock_source'") $(sql both.hvt \
		"SELECT value FROM meta WHERE key = 'clock_uncertainty_ns'")"
expect_eq merge_both_views_per_phase "3 3" \
	"$(sql both.hvt "SELECT COUNT(DISTINCT CASE WHEN view = 'guest' THEN phase END) || ' ' ||
		COUNT(DISTINCT CASE WHEN view = 'host' THEN phase END) FROM stat")"
# Same clock: each guest phase starts on the host's line within the uncertainty.
shift_ns=$(sqlite3 -batch -noheader both.hvt "ATTACH 'recv.hvt' AS g;
	SELECT MAX(ABS(p.start_mono_ns - q.start_mono_ns)) FROM phase p JOIN g.phase q USING (id)")
if [ -n "$shift_ns" ] && [ "$shift_ns" -le "$unc" ]; then
	ok merge_places_phases_within_the_uncertainty
else
	fail merge_places_phases_within_the_uncertainty "moved by $shift_ns ns, bound $unc ns"
fi
case $(cat merge.err) in
*"3 guest phases on the host's time line"*"from sync"*) ok merge_says_what_it_did ;;
*) fail merge_says_what_it_did "$(cat merge.err)" ;;
esac
# The offset as a sentence (one clock here: well under a second), not a bare number.
if grep -qE "^hvtrace: clock: the guest's clock (reads the same as the host's|is [0-9]+\.[0-9]{3} ms (behind|ahead of) the host's); guest times are placed on the host's to \+-[0-9.]+ [mun]?s$" merge.err &&
	! grep -qE 'offset -?[0-9]+ ns' merge.err; then
	ok merge_explains_the_clock_offset
else
	fail merge_explains_the_clock_offset "$(cat merge.err)"
fi
# What the host counted outside the guest's phases (as the VM's boot would be)
# is expected: a note, and the exit status stays 0.
cp host.hvt host-outside.hvt
sqlite3 -batch host-outside.hvt "INSERT INTO stat (phase, view, kind, key, name, count, sum_ns)
	VALUES (99, 'host', 'exit', 30, 'IO_INSTRUCTION', 40, 4000)"
"$HVTRACE" merge recv.hvt host-outside.hvt -o both-outside.hvt 2>merge-outside.err
rc=$?
want="^hvtrace: note: [0-9.]+ s of the host recording before the guest's first phase and [0-9.]+ s "
want+="after its last are in no guest phase: what the host counted then is left out of the "
want+="phases' stats \(40 VM exits; every kind in meta host_outside_\*\)$"
if [ "$rc" = 0 ] && grep -qE "$want" merge-outside.err && ! grep -q 'warning' merge-outside.err
then
	ok merge_outside_the_phases_is_a_note
else
	fail merge_outside_the_phases_is_a_note "exit $rc; stderr: $(cat merge-outside.err)"
fi

# ---- the QEMU way: the host connects to a unix socket the other side serves ----------

"$PEER" guest x --listen-unix "$TMP/port.sock" --phases one,two --phase-ms 300 \
	--recording g-unix.hvt --timeout 10000 >guest-unix.out 2>&1 &
GUEST_PID=$!
PIDS+=("$GUEST_PID")
wait_line guest-unix.out '^listening'
"$PEER" host "$TMP/port.sock" --recording r-unix.hvt --timeout 10000 >unix.out 2>&1
expect_eq unix_host_exit_status 0 $?
wait "$GUEST_PID"
expect_eq unix_guest_exit_status 0 $?
expect_eq unix_phases_arrive "one|two" "$(grep '^phase ' unix.out | cut -d' ' -f3 | paste -sd'|')"
if cmp -s g-unix.hvt r-unix.hvt; then ok unix_recording_arrives_whole
else fail unix_recording_arrives_whole "$(grep -E '^(recording|error)' unix.out)"; fi

# ---- what a guest meets when the host is missing or mute -------------------------------

P=$(port)
out=$("$PEER" guest "tcp:127.0.0.1:$P" 2>&1)
case $out in
*"cannot connect to TCP 127.0.0.1 port $P: Connection refused"*) ok guest_without_host_says_so ;;
*) fail guest_without_host_says_so "$out" ;;
esac
out=$("$PEER" guest none 2>&1)
case $out in
*"no host channel (--host none)"*) ok guest_none_records_alone ;;
*) fail guest_none_records_alone "$out" ;;
esac
P=$(port)
"$PEER" deaf "$P" >deaf.out 2>&1 &
PIDS+=($!)
wait_line deaf.out '^listening'
start=$(date +%s%N)
out=$("$PEER" guest "tcp:127.0.0.1:$P" --phases a,b --phase-ms 100 --recording deaf.hvt \
	--timeout 20000 2>&1)
ms=$((($(date +%s%N) - start) / 1000000))
case $out in
*"no host agent answered on TCP 127.0.0.1 port $P"*) ok guest_with_a_mute_host_gives_up ;;
*) fail guest_with_a_mute_host_gives_up "$out" ;;
esac
if [ "$ms" -lt 5000 ]; then ok guest_with_a_mute_host_does_not_wait_long
else fail guest_with_a_mute_host_does_not_wait_long "$ms ms"; fi

# ---- hostile guests: refused with a sentence, in bounded time, nothing left behind ------

# hostile MODE PATTERN MAX_MS: the host (3 s deadline) must exit 1 printing PATTERN.
hostile() {
	local mode=$1 pat=$2 max=$3 start ms hp gp
	P=$(port)
	host_start "h-$mode" "tcp:127.0.0.1:$P" --recording "h-$mode.hvt" --timeout 3000
	hp=$HOST_PID
	start=$(date +%s%N)
	"$PEER" hostile "tcp:127.0.0.1:$P" "$mode" >/dev/null 2>&1 &
	gp=$!
	PIDS+=("$gp")
	wait "$hp"
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	kill "$gp" 2>/dev/null
	if [ "$rc" != 1 ]; then
		fail "hostile_$mode" "host exited $rc: $(tail -n 3 "h-$mode.out")"
	elif ! grep -qE -- "^error: .*$pat" "h-$mode.out"; then
		fail "hostile_$mode" "no /$pat/: $(grep '^error' "h-$mode.out")"
	elif [ "$ms" -gt "$max" ]; then
		fail "hostile_$mode" "took $ms ms (at most $max)"
	elif [ -e "h-$mode.hvt" ]; then
		fail "hostile_$mode" "left h-$mode.hvt behind"
	else
		ok "hostile_$mode"
	fi
}

hostile random "not an hvtrace agent stream \(bad magic at byte 0\)" 2000
hostile badversion "protocol version 7 at byte 0; this hvtrace speaks 1" 2000
hostile oversize "REC_CHUNK of 4294967295 bytes at byte [0-9]+; at most 65536" 2000
hostile escape "phase name has byte 0x1b at 0 \(printable ASCII only\)" 2000
hostile phases "more than 16384 phase messages" 4000
hostile bigrecording "guest recording of 1073741824 bytes exceeds the limit of 268435456" 2000
hostile chunkgap "chunk at offset 500; expected 100" 2000
# Endless partial frames and silence cost the host nothing but its own deadline.
hostile trickle "did not finish in time \(no END from it; a message was cut off\)" 5000
hostile silent "did not finish in time \(no END from it\)" 5000

if [ -n "$(find "$TMP" -newer "$PEER" -name 'h-*' ! -name '*.out' 2>/dev/null)" ]; then
	fail hostile_guests_write_no_files "$(ls "$TMP"/h-* | grep -v '\.out$')"
else
	ok hostile_guests_write_no_files
fi
