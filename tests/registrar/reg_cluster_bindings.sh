#!/usr/bin/env bash
# Registration actors that see what other nodes did (contract section 6),
# two nodes replicating (max_bindings 2, min_expires 1, expiry_grace 4),
# REGISTERs made by hand (openssl md5, udpsend), each device from its port:
#  - B registers 1000 on node 2 (node 2's actor loads the AOR), then A on
#    node 1; B refreshes on node 2: its 200 lists A and B (node 2's actor
#    reloads the AOR when the store's epoch of it moved; it listed only B
#    before);
#  - a third device C on node 2: 403 Too Many Bindings (max_bindings 2
#    counts A; accepted before);
#  - A with Expires: 3 on node 1 (node 2's actor holds that version too)
#    is expired by node 1 on time, not by node 2 (node 1's version: node 2
#    waits for the grace, and by then the expiry came from node 1; without
#    the grace node 2 expired it too); node 2's 200 no longer lists it;
#  - D with Expires: 2 on node 1, node 1 killed (-9): node 2 expires D
#    once it has been expired for the grace ("written by node 1"), and
#    pbxctl on node 2 lists only B.
source "$(dirname "$0")/lib.sh"
cluster_conf "$WORK/pbx.yaml" 's/^  min_expires: 60$/  min_expires: 1/' 's/^  max_bindings: 10$/  max_bindings: 2/' \
	's/^  expiry_grace: 30$/  expiry_grace: 4/'
grep -q '^  expiry_grace: 4$' "$WORK/pbx.yaml" && grep -q '^  max_bindings: 2$' "$WORK/pbx.yaml" ||
	fail "cluster_conf: the registrar settings did not apply"
start_node 1 "$WORK/pbx.yaml" --log-level debug
start_node 2 "$WORK/pbx.yaml" --log-level debug
wait_for 10 link_up "$ADMIN" && wait_for 10 link_up "$ADMIN2" || fail "the nodes do not see each other up"
PA=$((P + 7)) PB=$((P + 8)) PC=$((P + 9)) PD=$((P + 10))

# reg_on NODE NAME PORT EXPIRES: 1000 registers sip:1000@127.0.0.1:PORT
# from PORT on node NODE (a 401, then credentials for its nonce); prints
# the status code; the answer in $WORK/NAME.1
reg_on() {
	local node=$1 n=$2 port=$3 exp=$4 pbx=$PBX nonce
	[ "$node" = 2 ] && pbx=$PBX2
	LP=$port PBX=$pbx TOURI=sip:1000@127.0.0.1 CALLID=$n-$RANDOM@x FROMTAG=$n sip_req "$WORK/$n.0.req" REGISTER \
		sip:127.0.0.1 "Contact: <sip:1000@127.0.0.1:$port>" "Expires: $exp"
	LP=$port PBX=$pbx send_udp "$n.0" "$WORK/$n.0.req" -w 1500 || return 0
	nonce=$(nonce_of "$WORK/$n.0.1")
	LP=$port PBX=$pbx TOURI=sip:1000@127.0.0.1 CALLID=$n-$RANDOM@x FROMTAG=$n CSEQ=2 sip_req "$WORK/$n.req" REGISTER \
		sip:127.0.0.1 "Contact: <sip:1000@127.0.0.1:$port>" "Expires: $exp" \
		"Authorization: $(digest 1000 1234 REGISTER sip:127.0.0.1 "$nonce")"
	LP=$port PBX=$pbx send_udp "$n" "$WORK/$n.req" -w 1500
	codes "$n" | head -1
}
# listed NAME PORT: the 200 in NAME.1 lists the contact of PORT
listed() { header "$WORK/$1.1" Contact | grep -q "sip:1000@127.0.0.1:$2>"; }
# on_node NODE PORT: pbxctl of node NODE lists 1000's contact of PORT
on_node() {
	local a=$ADMIN
	[ "$1" = 2 ] && a=$ADMIN2
	"$BIN/pbxctl" -s "$a" registrations --user 1000 --json |
		jq -e --arg c "sip:1000@127.0.0.1:$2" '.registrations | any(.contact == $c)' >/dev/null
}
gone_from() { ! on_node "$1" "$2"; }

[ "$(reg_on 2 b1 "$PB" 300)" = 200 ] || fail "B on node 2: $(cut -d' ' -f4- "$WORK/b1.out")"
wait_for 10 on_node 1 "$PB" || fail "node 1 never got B's binding (replication)"
[ "$(reg_on 1 a1 "$PA" 300)" = 200 ] || fail "A on node 1: $(cut -d' ' -f4- "$WORK/a1.out")"
listed a1 "$PB" && pass "A's 200 on node 1 lists B (registered on node 2)" ||
	problem "A's 200 on node 1 must list B, registered on node 2: $(header "$WORK/a1.1" Contact | tr '\n' ' ')"
wait_for 10 on_node 2 "$PA" || fail "node 2 never got A's binding (replication)"

c=$(reg_on 2 b2 "$PB" 300)
if [ "$c" = 200 ] && listed b2 "$PA" && listed b2 "$PB"; then
	pass "B refreshes on node 2: its 200 lists A (node 1) and B"
else
	problem "B's refresh on node 2 must list A (registered on node 1) and B, got $c: $(header "$WORK/b2.1" Contact | tr '\n' ' ')"
fi
c=$(reg_on 2 c1 "$PC" 300)
[ "$c" = 403 ] && [ "$(reason "$WORK/c1.1")" = "Too Many Bindings" ] &&
	pass "a third device on node 2: 403 Too Many Bindings (A on node 1 counts)" ||
	problem "a third device on node 2 with max_bindings 2 (A on node 1, B on node 2) must get 403 Too Many Bindings, got '$(cut -d' ' -f4- "$WORK/c1.out")'"

# A expires on node 1, on time, by node 1; node 2's actor holds A's
# short version too (B's refresh reloads it), and leaves it to node 1
[ "$(reg_on 1 a2 "$PA" 3)" = 200 ] || problem "A's refresh with Expires: 3 on node 1: $(cut -d' ' -f4- "$WORK/a2.out")"
short_on_2() {
	"$BIN/pbxctl" -s "$ADMIN2" registrations --user 1000 --json |
		jq -e --arg c "sip:1000@127.0.0.1:$PA" '.registrations | any(.contact == $c and .expires_in <= 3)' >/dev/null
}
wait_for 3 short_on_2 || problem "node 2 did not get A's refresh"
c=$(reg_on 2 b2b "$PB" 300)
[ "$c" = 200 ] && listed b2b "$PA" || problem "B's refresh on node 2 must list A's short version, got $c: $(header "$WORK/b2b.1" Contact | tr '\n' ' ')"
wait_for 10 grep -q "binding expired: 1000@127.0.0.1 -> sip:1000@127.0.0.1:$PA\$" "$WORK/n1.log" &&
	pass "node 1 expired A (its own) on time" || problem "node 1 did not expire A"
wait_for 10 gone_from 2 "$PA" && pass "node 2 no longer has A" || problem "A is still on node 2: $(ctl registrations --user 1000)"
! grep -q "binding expired: 1000@127.0.0.1 -> sip:1000@127.0.0.1:$PA" "$WORK/n2.log" &&
	pass "node 2 did not expire A itself (node 1's version)" ||
	problem "node 2 expired node 1's binding A: $(grep "binding expired" "$WORK/n2.log" | head -2)"
c=$(reg_on 2 b3 "$PB" 300)
[ "$c" = 200 ] && ! listed b3 "$PA" && pass "B's next 200 on node 2 no longer lists A" ||
	problem "B's refresh on node 2 after A expired must not list A, got $c: $(header "$WORK/b3.1" Contact | tr '\n' ' ')"

# D on node 1, then node 1 dies: node 2 expires D after the grace
[ "$(reg_on 1 d1 "$PD" 2)" = 200 ] || problem "D on node 1: $(cut -d' ' -f4- "$WORK/d1.out")"
wait_for 10 on_node 2 "$PD" || problem "node 2 never got D's binding (replication)"
kill -9 "$PBXD1"
wait "$PBXD1" 2>/dev/null
PBXD1=
wait_for 20 grep -q "binding expired: 1000@127.0.0.1 -> sip:1000@127.0.0.1:$PD (written by node 1, expired for 4 s)" "$WORK/n2.log" &&
	pass "node 1 dead: node 2 expired D after the grace" ||
	problem "node 2 must expire the dead node 1's binding D after the grace: $(grep 'binding expired' "$WORK/n2.log" | tail -2)"
wait_for 10 gone_from 2 "$PD" || problem "D is still on node 2"
on_node 2 "$PB" && pass "B stays on node 2" || problem "B is gone from node 2"
finish_nodes
