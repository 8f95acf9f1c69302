#!/usr/bin/env bash
# Nonces bound to the node that made them (contract section 6), two pbxd
# processes sharing registrar.secret and cluster.secret, REGISTERs made by
# hand (openssl md5, udpsend):
#  - a REGISTER authorised on node 1, its Authorization replayed verbatim
#    (new Call-ID) to node 2: 401 stale=true with a nonce of node 2 (node 2
#    accepted it with 200 before: it checked the MAC under the shared
#    secret and had no memory of the counts node 1 took);
#  - the next nonce count of node 1's nonce on node 2: 401 stale=true too;
#  - a wrong password with node 1's nonce on node 2: 403, not stale;
#  - the honest client answers node 2's nonce: 200 (one extra round trip).
source "$(dirname "$0")/lib.sh"
cluster_conf "$WORK/pbx.yaml"
start_node 1 "$WORK/pbx.yaml"
start_node 2 "$WORK/pbx.yaml"
R="sip:127.0.0.1:$SIP"

# on NODE CMD...: run CMD with udpsend and sip_req aimed at node NODE
on() {
	local n=$1
	shift
	if [ "$n" = 2 ]; then PBX=$PBX2 "$@"; else "$@"; fi
}
# challenge NAME USER: a REGISTER without credentials; prints the nonce
challenge() {
	TOURI=sip:$2@127.0.0.1 FROMTAG=c$RANDOM sip_req "$WORK/$1.req" REGISTER "$R" \
		"Contact: <sip:$2@127.0.0.1:$LP>"
	send_udp "$1" "$WORK/$1.req" || { problem "$1: no answer to a REGISTER without credentials"; return 1; }
	nonce_of "$WORK/$1.1"
}
# register NAME USER AUTHORIZATION: a REGISTER with it (new Call-ID, From
# tag and branch each time); prints the status code of the answer
register() {
	TOURI=sip:$2@127.0.0.1 FROMTAG=r$RANDOM CSEQ=2 sip_req "$WORK/$1.req" REGISTER "$R" \
		"Contact: <sip:$2@127.0.0.1:$LP>" "Authorization: $3"
	send_udp "$1" "$WORK/$1.req" -w 1500
	codes "$1" | head -1
}
answer() { cut -d' ' -f4- "$WORK/$1.out"; }

n1=$(on 1 challenge c1 1040)
[ "${n1:8:8}" = 00000001 ] || problem "node 1's nonce $n1 does not name node 1"
a=$(digest 1040 1234 REGISTER "$R" "$n1")
[ "$(on 1 register ok 1040 "$a")" = 200 ] || fail "1040 on node 1 with good credentials: $(answer ok)"

c=$(on 2 register copy 1040 "$a")
n2=$(nonce_of "$WORK/copy.1")
if [ "$c" = 401 ] && header "$WORK/copy.1" WWW-Authenticate | grep -q 'stale=true'; then
	pass "node 1's accepted Authorization replayed to node 2: 401 stale=true"
else
	problem "node 1's accepted Authorization replayed verbatim to node 2 must get 401 stale=true, got '$(answer copy)' $(header "$WORK/copy.1" WWW-Authenticate | head -1)"
fi
[ -n "$n2" ] && [ "${n2:8:8}" = 00000002 ] && [ "$n2" != "$n1" ] ||
	problem "node 2's challenge must carry a nonce of node 2, got '$n2'"

c=$(on 2 register nc2 1040 "$(digest 1040 1234 REGISTER "$R" "$n1" 00000002)")
[ "$c" = 401 ] && header "$WORK/nc2.1" WWW-Authenticate | grep -q 'stale=true' &&
	pass "nc=00000002 of node 1's nonce on node 2: 401 stale=true" ||
	problem "nc=00000002 of node 1's nonce on node 2 must get 401 stale=true, got '$(answer nc2)'"

c=$(on 2 register wrong 1040 "$(digest 1040 4321 REGISTER "$R" "$n1" 00000003)")
[ "$c" = 403 ] && pass "a wrong password with node 1's nonce on node 2: 403" ||
	problem "a wrong password with node 1's nonce on node 2 must get 403, got '$(answer wrong)'"

if [ -n "$n2" ]; then
	c=$(on 2 register again 1040 "$(digest 1040 1234 REGISTER "$R" "$n2")")
	[ "$c" = 200 ] && pass "node 2's own nonce answered: 200" ||
		problem "1040 answering node 2's nonce must get 200, got '$(answer again)'"
fi
# node 1 still takes the next count of its own nonce
c=$(on 1 register back 1040 "$(digest 1040 1234 REGISTER "$R" "$n1" 00000004)")
[ "$c" = 200 ] && pass "nc=00000004 of node 1's nonce on node 1: 200" ||
	problem "node 1 must take the next count of its own nonce, got '$(answer back)'"
finish_nodes
