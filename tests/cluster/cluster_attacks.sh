#!/usr/bin/env bash
# An attacker on pbxd's cluster port (tests/cluster/cluster_forge.c, a raw
# nng client) tries what issue 11 reported: unframed messages without a
# hello (Unregister of a binding, Exit to the admin actor, a SipRequest
# without a flow to the call routers), the same under a wrong MAC, a flood
# of hellos, the right key without a hello, then a full handshake followed by
# the same messages (refused by the allow-list) and a replayed frame; then
# hellos from more nodes than the peer table holds, which are forgotten when
# silent. After each: pbxd alive, its admin actor answering, the binding
# still there, the drop logged and counted in pbxctl status. pbxd refuses cluster URLs off loopback
# without cluster.secret.
source "$(dirname "$0")/../registrar/lib.sh"
FORGE=$BUILD/tests/cluster_forge
[ -x "$FORGE" ] || fail "no $FORGE: build the tree first"
SECRET="e2e cluster secret, not the demo one"
AOR=1000@127.0.0.1
ME=tcp://127.0.0.1:$((P + 5)) # the forger's own cluster URL

out=$("$BIN/pbxd" -c "$SRC/conf/pbx.yaml" --data "$WORK/x" --listen external=none \
	--admin "tcp://127.0.0.1:$((P + 6))" --cluster-listen "tcp://0.0.0.0:$((P + 7))" \
	--sip "127.0.0.1:$((P + 8))" 2>&1)
[ $? != 0 ] && grep -q "cluster.secret is not set: refusing to start" <<<"$out" ||
	fail "cluster.listen on 0.0.0.0 without a secret must be refused: $out"
out=$("$BIN/pbxd" -c "$SRC/conf/pbx.yaml" --data "$WORK/x" --listen external=none \
	--admin "tcp://127.0.0.1:$((P + 6))" --cluster-listen "tcp://127.0.0.1:$((P + 7))" \
	--peer tcp://192.0.2.1:7100 --sip "127.0.0.1:$((P + 8))" 2>&1)
[ $? != 0 ] && grep -q "peer tcp://192.0.2.1:7100 is on another machine" <<<"$out" ||
	fail "a peer off loopback without a secret must be refused: $out"
pass "no cluster.secret: listen or peer off loopback refused"

make_conf "$WORK/pbx.yaml" "s/^cluster:\$/cluster:\n  secret: \"$SECRET\"/"
grep -q "^  secret: \"$SECRET\"" "$WORK/pbx.yaml" || fail "make_conf: no cluster section in conf/pbx.yaml"
start_pbxd -c "$WORK/pbx.yaml"
grep -q "demo secret" "$WORK/pbxd.log" && fail "demo secret in use despite cluster.secret"

reg r1 200 "$LP" "Contact: <sip:1000@127.0.0.1:$LP>" "Expires: 600" || fail "REGISTER 1000"
[ "$(nbindings 1000)" = 1 ] || fail "no binding for 1000: $(bindings 1000)"

npeers() { ctl --json status | jq '.peers | length'; }
no_peers() { [ "$(npeers)" = 0 ]; }
# whole: pbxd runs, its admin actor answers, the binding is there
whole() {
	kill -0 "$PBXD" 2>/dev/null || fail "$1: pbxd died (status: $(wait "$PBXD"; echo $?))"
	ctl status >/dev/null || fail "$1: the admin actor does not answer"
	[ "$(nbindings 1000)" = 1 ] || fail "$1: binding of 1000 gone: $(bindings 1000)"
}
logged() { wait_for 5 grep -q -- "$1" "$WORK/pbxd.log"; }
# dropped KEY: pbxctl status --json's count of frames dropped for KEY
dropped() { ctl --json status | jq -e ".cluster_dropped.$1"; }
# counted KEY MIN: that count reaches MIN
counted() {
	local k=$1 min=$2
	atleast() { [ "$(dropped "$k")" -ge "$min" ]; }
	wait_for 5 atleast || fail "pbxctl status: cluster_dropped.$k is $(dropped "$k"), expected >= $min"
}
for k in malformed bad_mac unauthenticated replayed refused peers_full; do
	[ "$(dropped $k)" = 0 ] || fail "before any attack: cluster_dropped.$k is $(dropped $k): $(ctl --json status)"
done

"$FORGE" "$CLUSTER" 1 legacy "$AOR" || fail "forge legacy"
logged "dropped (malformed): .*not a cluster frame" || fail "unframed message not logged"
whole "unframed Unregister, Exit, SipRequest without flow"
counted malformed 1
pass "unframed messages without a hello: dropped, logged"

"$FORGE" "$CLUSTER" 1 badmac "$AOR" || fail "forge badmac"
logged "dropped (bad MAC)" || fail "wrong MAC not logged"
whole "wrong MAC"
counted bad_mac 1
[ "$(npeers)" = 0 ] || fail "a hello under a wrong MAC made a peer: $(ctl status)"
pass "wrong MAC: dropped, logged, no peer learned"

"$FORGE" "$CLUSTER" 1 hellos 100 || fail "forge hellos"
whole "100 hellos under a wrong MAC"
[ "$(npeers)" = 0 ] || fail "forged hellos made peers: $(ctl status)"
pass "100 forged hellos: no peer learned"

"$FORGE" "$CLUSTER" 1 unbound "$AOR" "$SECRET" || fail "forge unbound"
logged "dropped (unauthenticated): unregister from node 4242 before its hello" ||
	fail "messages before a hello not logged"
whole "the right key, no hello"
counted unauthenticated 1
pass "the right key without a hello: nothing delivered"

out=$("$FORGE" "$CLUSTER" 1 authed "$AOR" "$SECRET" "$ME") || fail "forge authed: $out"
grep -q pong <<<"$out" || fail "the authenticated forger got no pong: $out"
for k in unregister exit sip_request; do
	logged "dropped (refused): $k from node 4242 to " || fail "$k from an authenticated peer not refused"
done
logged "dropped (replayed): frame [0-9]* from node 4242" || fail "replayed frame not logged"
logged "dropped (replayed): hello of an ended session of node 4242" ||
	fail "the hello of an ended session was not refused"
whole "Unregister, Exit, SipRequest from an authenticated peer"
counted refused 3
counted replayed 1
pass "authenticated peer: Ping answered; Unregister, Exit, SipRequest refused; replays dropped"

"$FORGE" "$CLUSTER" 1 learn 70 "$SECRET" || fail "forge learn"
logged "dropped (peer table full)" || fail "a full peer table not logged"
n=$(npeers)
[ "$n" -le 64 ] || fail "$n peers"
whole "70 hellos with the right key"
counted peers_full 1
out=$(ctl status)
grep -qE "^cluster +dropped [1-9][0-9]* malformed, [1-9][0-9]* bad MAC, [1-9][0-9]* unauthenticated, [1-9][0-9]* replayed, [1-9][0-9]* refused, [1-9][0-9]* peers full$" <<<"$out" ||
	fail "pbxctl status table: no cluster drop counters: $out"
pass "pbxctl status counts each drop: $(grep '^cluster ' <<<"$out")"
pass "70 nodes say hello: table bounded at $n peers, logged"

# learned peers that never answer are forgotten after 3 dead times (9 s)
wait_for 30 no_peers || fail "learned peers not forgotten: $(npeers) left"
grep -q "forgot learned peer forger at $ME" "$WORK/pbxd.log" || fail "forgetting the forger not logged"
learned=$(grep -c "learned peer forged[0-9]* at" "$WORK/pbxd.log")
forgot=$(grep -c "forgot learned peer ? at tcp://127.0.0.1:100" "$WORK/pbxd.log")
[ "$learned" -gt 0 ] && [ "$forgot" = "$learned" ] ||
	fail "$learned made-up peers learned, $forgot forgotten"
whole "after forgetting"
pass "silent learned peers forgotten"
finish
