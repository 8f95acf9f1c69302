#!/usr/bin/env bash
# A REGISTER whose commit waits: another process holds LMDB's write lock
# (tests/lmdb_put ... HOLD_MS), so pbxd's store writer cannot commit for 2 s.
# A REGISTER has no server transaction: its registration actor absorbs the
# retransmissions that come meanwhile (nothing is answered before the
# commit, as a transaction in Trying would not), and one 200 leaves once the
# commit is done, with one event stored. Then the same bytes again: answered
# anew (200), nothing stored.
source "$(dirname "$0")/lib.sh"
PUT=$BUILD/tests/lmdb_put
make_conf "$WORK/pbx.yaml"
start_pbxd -c "$WORK/pbx.yaml"
R="sip:127.0.0.1:$SIP"
md5() { printf '%s' "$1" | openssl md5 -r | cut -d' ' -f1; }
events() { ctl --json status | jq .events; }

CID=slow$RANDOM@x FT=st$RANDOM
CALLID=$CID FROMTAG=$FT TOURI=sip:1005@127.0.0.1 \
	sip_req "$WORK/c0.req" REGISTER "$R" "Contact: <sip:1005@127.0.0.1:$LP>"
send_udp c0 "$WORK/c0.req" || fail "no answer to a REGISTER without credentials"
nonce=$(header "$WORK/c0.1" WWW-Authenticate | grep -m1 'algorithm=MD5' |
	sed -E 's/.*nonce="([^"]*)".*/\1/')
[ -n "$nonce" ] || fail "no MD5 challenge: $(head -1 "$WORK/c0.1")"
resp=$(md5 "$(md5 1005:127.0.0.1:1234):$nonce:00000001:5eed:auth:$(md5 "REGISTER:$R")")
CALLID=$CID FROMTAG=$FT TOURI=sip:1005@127.0.0.1 CSEQ=2 \
	sip_req "$WORK/c1.req" REGISTER "$R" "Contact: <sip:1005@127.0.0.1:$LP>" \
	"Authorization: Digest username=\"1005\", realm=\"127.0.0.1\", nonce=\"$nonce\", uri=\"$R\", response=\"$resp\", algorithm=MD5, cnonce=\"5eed\", nc=00000001, qop=auth"

ev0=$(events)
"$PUT" "$WORK/data" meta lmdb-put-hold x 2000 >"$WORK/hold.out" 2>&1 &
HOLD=$!
PIDS+=($HOLD)
wait_for 10 grep -q holding "$WORK/hold.out" ||
	fail "lmdb_put did not take the write lock: $(cat "$WORK/hold.out")"
# sent 3 times, 200 ms apart, while the commit waits; replies taken until
# 1.5 s after the first
send_udp slow "$WORK/c1.req" -c 3 -i 200 -n 1 -s 1500 -w 4000
wait "$HOLD" || problem "lmdb_put failed: $(cat "$WORK/hold.out")"
n=$(grep -c . "$WORK/slow.out")
if [ "$n" != 1 ] || [ "$(status "$WORK/slow.1")" != 200 ]; then
	problem "a REGISTER sent 3 times while its commit waits: $n answers ($(cut -d' ' -f4- "$WORK/slow.out" | tr '\n' '|')), expected one 200"
elif ! header "$WORK/slow.1" contact | grep -q "sip:1005@127.0.0.1:$LP"; then
	problem "the 200 lists no binding: $(header "$WORK/slow.1" contact)"
elif [ "$(events)" != $((ev0 + 1)) ]; then
	problem "$ev0 events before, $(events) after: expected one more"
else
	pass "3 sends while the commit waits: one 200, after the commit, one event"
fi
send_udp again "$WORK/c1.req"
if [ "$(status "$WORK/again.1" 2>/dev/null)" != 200 ] || [ "$(events)" != $((ev0 + 1)) ]; then
	problem "the same REGISTER after its 200: '$(cut -d' ' -f4- "$WORK/again.out")', $(events) events (expected 200, $((ev0 + 1)))"
else
	pass "the same REGISTER after its 200: 200 again, nothing stored"
fi
finish
