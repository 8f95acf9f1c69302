#!/usr/bin/env bash
# Two pbxd processes on loopback: ping across with pbxctl, SIGKILL one, see
# the link go down, restart it, see the link come back, stop both cleanly.
source "$(dirname "$0")/lib.sh"
B=$(port_base)
A1=tcp://127.0.0.1:$((B + 1)) C1=tcp://127.0.0.1:$((B + 11))
A2=tcp://127.0.0.1:$((B + 2)) C2=tcp://127.0.0.1:$((B + 12))

start() { # start N: node N, its admin and cluster URLs
	local n=$1 a c
	if [ "$n" = 1 ]; then a=$A1 c=$C1; else a=$A2 c=$C2; fi
	"$BIN/pbxd" -c "$SRC/conf/pbx.yaml" --listen external=none --node "n$n" --node-id "$n" \
		--data "$WORK/n$n" --admin "$a" --cluster-listen "$c" \
		--peer "$C1" --peer "$C2" --workers 2 \
		--sip "127.0.0.1:$((B + 20 + n))" >>"$WORK/n$n.log" 2>&1 &
	PIDS+=($!)
	eval "PID$n=$!"
}

link_is() { # link_is ADMIN STATE
	"$BIN/pbxctl" -s "$1" --json status | grep -q "\"state\":\"$2\""
}

start 1
start 2
wait_for 10 link_is "$A1" up || fail "n1 never saw n2 up"
wait_for 10 link_is "$A2" up || fail "n2 never saw n1 up"
pass "link up both ways"

out=$("$BIN/pbxctl" -s "$A1" ping n2 -n 3) || fail "ping n1->n2: $out"
[ "$(grep -c 'reply from n2 (node 2)' <<<"$out")" = 3 ] || fail "ping output: $out"
"$BIN/pbxctl" -s "$A2" --json ping 1 | grep -q '"node_id":1' || fail "ping n2->1"
pass "ping across the actor path both ways"

"$BIN/pbxctl" -s "$A1" ping nosuch >/dev/null 2>&1
[ $? = 1 ] || fail "ping to an unknown node must fail with exit 1"

kill -9 "$PID2"
wait "$PID2" 2>/dev/null
wait_for 10 link_is "$A1" down || fail "n1 did not see the link go down"
"$BIN/pbxctl" -s "$A1" ping n2 >/dev/null 2>&1 && fail "ping to a dead node succeeded"
"$BIN/pbxctl" -s "$A2" status >/dev/null 2>&1
[ $? = 2 ] || fail "pbxctl to a dead node must exit 2"
grep -q "link down" "$WORK/n1.log" || fail "link down not logged"
pass "SIGKILL: link down, ping fails, unreachable admin exits 2"

start 2
wait_for 10 link_is "$A1" up || fail "link did not come back"
wait_for 10 "$BIN/pbxctl" -s "$A1" ping n2 || fail "ping after restart"
grep -q "restarted" "$WORK/n1.log" || fail "restart not noticed"
# one line per state change, not per message or heartbeat
downs=$(grep -c "link down" "$WORK/n1.log")
[ "$downs" = 1 ] || fail "link down logged $downs times"
pass "restart: link back up, logged once per change"

kill -TERM "$PID1" "$PID2"
wait "$PID1"; r1=$?
wait "$PID2"; r2=$?
[ "$r1" = 0 ] && [ "$r2" = 0 ] || fail "SIGTERM exit codes $r1 $r2"
grep -q "pbxd stopped" "$WORK/n1.log" || fail "no clean stop"
pass "SIGTERM: both exit 0"
