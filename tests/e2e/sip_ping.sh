#!/usr/bin/env bash
# Client transactions over real UDP: pbxctl sip-ping from one pbxd to
# another gets 200; to a closed port the transaction retransmits on the
# RFC 3261 schedule and fails with 408 at Timer F (short timers here).
source "$(dirname "$0")/lib.sh"
B=$(port_base)
A1=tcp://127.0.0.1:$((B + 41)) A2=tcp://127.0.0.1:$((B + 42))
S1=127.0.0.1:$((B + 43)) S2=127.0.0.1:$((B + 44)) DEAD=127.0.0.1:$((B + 45))

# T1 = 20 ms: Timer F = 64*T1 = 1.28 s
sed -e 's/^    t1: .*/    t1: 20/' -e 's/^    t2: .*/    t2: 160/' \
	"$SRC/conf/pbx.yaml" >"$WORK/fast.yaml"
grep -q "t1: 20" "$WORK/fast.yaml" || fail "could not set t1 in the copy of conf/pbx.yaml"

"$BIN/pbxd" -c "$WORK/fast.yaml" --listen external=none --data "$WORK/n1" --admin "$A1" \
	--cluster-listen "tcp://127.0.0.1:$((B + 46))" --sip "$S1" >"$WORK/n1.log" 2>&1 &
PIDS+=($!)
"$BIN/pbxd" -c "$SRC/conf/pbx.yaml" --listen external=none --node n2 --node-id 2 --data "$WORK/n2" \
	--admin "$A2" --cluster-listen "tcp://127.0.0.1:$((B + 47))" --sip "$S2" \
	>"$WORK/n2.log" 2>&1 &
PIDS+=($!)
wait_for 10 "$BIN/pbxctl" -s "$A1" status || fail "n1 not up"
wait_for 10 "$BIN/pbxctl" -s "$A2" status || fail "n2 not up"

out=$("$BIN/pbxctl" -s "$A1" sip-ping "sip:$S2") || fail "sip-ping to n2: $out"
grep -q "^200 OK in .* ms from pbx/" <<<"$out" || fail "sip-ping output: $out"
pass "OPTIONS through a client transaction: $out"

"$BIN/pbxctl" -s "$A1" trace on >/dev/null
start=$(date +%s%N)
out=$("$BIN/pbxctl" -s "$A1" --json sip-ping "sip:$DEAD")
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
[ $rc = 1 ] || fail "sip-ping to a closed port: exit $rc, $out"
grep -q '"code":408' <<<"$out" || fail "expected 408: $out"
[ $ms -ge 1200 ] && [ $ms -lt 5000 ] || fail "Timer F should end it after ~1.28 s, took $ms ms"
sends=$(grep -c "sip out udp $DEAD" "$WORK/n1.log")
# T1=20, T2=160: sends at 0,20,60,140,300,460,...,1260: 10 in all
[ "$sends" -ge 8 ] && [ "$sends" -le 11 ] || fail "expected ~10 transmissions, saw $sends"
pass "closed port: 408 after $ms ms, $sends transmissions"

out=$("$BIN/pbxctl" -s "$A1" sip-ping "sip:nowhere.example.com" 2>&1)
[ $? = 1 ] && grep -q "IP address" <<<"$out" || fail "a host name must be refused clearly: $out"
pass "host names refused until DNS arrives"
