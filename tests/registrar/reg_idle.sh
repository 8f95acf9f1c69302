#!/usr/bin/env bash
# Registration actors do not outlive their use (registrar.actor_idle, 1 s
# here): REGISTERs with junk credentials for 60 AORs of the directory each
# spawn an actor (one per AOR) and get a challenge; once idle they stop,
# and pbxctl status counts as many actors per worker as before. Up to this
# change they stayed for good. An AOR with a binding keeps its actor, and
# an AOR whose actor stopped registers again.
source "$(dirname "$0")/lib.sh"
make_conf "$WORK/pbx.yaml" 's/^  actor_idle: 32$/  actor_idle: 1/'
grep -q '^  actor_idle: 1$' "$WORK/pbx.yaml" || fail "make_conf: actor_idle did not apply"
start_pbxd -c "$WORK/pbx.yaml"
R="sip:127.0.0.1:$SIP"
actors() { ctl --json status | jq '[.workers[].actors] | add'; }

TO=1000 reg keep 200 "$LP" "Contact: <sip:1000@127.0.0.1:$LP>" "Expires: 600" ||
	fail "1000 cannot register"
sleep 1.5
base=$(actors)
junk='Digest username="x", realm="127.0.0.1", nonce="0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", uri="'$R'", response="00000000000000000000000000000000", algorithm=MD5, cnonce="c", nc=00000001, qop=auth'
for u in $(seq 1001 1060); do
	TOURI=sip:$u@127.0.0.1 sip_req "$WORK/j$u.req" REGISTER "$R" "Contact: <sip:$u@127.0.0.1:$LP>" \
		"Authorization: $junk"
	"$UDPSEND" -b "$LP" -w 300 -s 0 "$PBX" "$WORK/j$u.req" >"$WORK/j$u.out" 2>&1
done
n401=$(cat "$WORK"/j1*.out | awk '$5 == 401' | grep -c .)
[ "$n401" = 60 ] && pass "60 junk REGISTERs: 60 challenges" ||
	problem "60 junk REGISTERs: $n401 answered 401"
peak=$(actors)
echo "actors: $base before, $peak after the junk REGISTERs"
[ "$peak" -ge $((base + 30)) ] || problem "the junk REGISTERs spawned no actors ($base -> $peak): the test tests nothing"
settled() { [ "$(actors)" -le "$base" ]; }
if wait_for 15 settled; then
	pass "idle actors stopped: $(actors) actors (were $peak, $base before)"
else
	problem "registration actors without bindings stay: $(actors) actors, $base before the junk REGISTERs"
fi
# 1000's actor (a binding) stayed: its binding is there and it refreshes
[ "$(nbindings 1000)" = 1 ] || problem "1000's binding is gone: $(bindings 1000)"
next_second
TO=1000 CSEQ=5 reg refresh 200 "$LP" "Contact: <sip:1000@127.0.0.1:$LP>" "Expires: 600" &&
	pass "1000 refreshes" || problem "1000 cannot refresh: $(last_msg refresh | xargs head -1)"
# an AOR whose actor stopped registers anew
TO=1001 reg again 200 "$LP" "Contact: <sip:1001@127.0.0.1:$LP>" "Expires: 600" &&
	[ "$(nbindings 1001)" = 1 ] && pass "1001 registers after its actor stopped" ||
	problem "1001 cannot register after its actor stopped: $(bindings 1001)"
finish
