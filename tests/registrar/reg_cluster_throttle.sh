#!/usr/bin/env bash
# Throttling across the cluster (registrar_share.c): two nodes (failures 10
# in 60 s, backoff 8 s), wrong passwords for 1050 from 127.0.0.1 split over
# them are throttled as if they all went to one node:
#  - 6 wrong passwords to node 1: 6 answers (403); node 2 counts them (its
#    debug line "auth: node 1 reported failed authentications: ...");
#  - 20 more to node 2: only 4 are answered (its 7th to 10th failure), then
#    silence; without sharing node 2 answered 10 (its own threshold);
#  - node 1 counts node 2's 4: its source backoff starts too ("throttled
#    ... across the cluster"), and 127.0.0.1 gets nothing from node 1 either;
#  - the user is backed off on node 1 too: 1050 from 127.0.0.3 gets 503.
source "$(dirname "$0")/lib.sh"
cluster_conf "$WORK/pbx.yaml" 's/^    backoff: 30$/    backoff: 8/' 's/^    max_backoff: 3600$/    max_backoff: 60/' \
	's/^    user_max_backoff: 300$/    user_max_backoff: 8/'
grep -q '^    user_max_backoff: 8$' "$WORK/pbx.yaml" && grep -q '^    backoff: 8$' "$WORK/pbx.yaml" &&
	grep -q '^    failures: 10$' "$WORK/pbx.yaml" || fail "cluster_conf: the throttle settings did not apply"
start_node 1 "$WORK/pbx.yaml" --log-level debug
start_node 2 "$WORK/pbx.yaml" --log-level debug
wait_for 10 link_up "$ADMIN" && wait_for 10 link_up "$ADMIN2" || fail "the nodes do not see each other up"
R="sip:127.0.0.1:$SIP"

# counted LOG NODE: failures by source that log says node NODE reported
counted() {
	awk -v n="auth: node $2 reported failed authentications: " 'index($0, n) {
		for (i = 1; i < NF; i++) if ($i == "by" && $(i + 1) == "source,") { s += $(i - 1); break } }
		END { print s + 0 }' "$1"
}
at_least() { [ "$(counted "$1" "$2")" -ge "$3" ]; }

# one wrong password for 1050 from 127.0.0.1, answering a nonce of node 1
# (a wrong password is wrong on any node: it is checked before the node)
TOURI=sip:1050@127.0.0.1 FROMTAG=x sip_req "$WORK/x0.req" REGISTER "$R" "Contact: <sip:1050@127.0.0.1:$LP>"
send_udp x0 "$WORK/x0.req" || fail "no 401 from node 1"
nonce=$(nonce_of "$WORK/x0.1")
CALLID=guess$RANDOM@x TOURI=sip:1050@127.0.0.1 FROMTAG=x CSEQ=2 sip_req "$WORK/guess.req" REGISTER "$R" \
	"Contact: <sip:1050@127.0.0.1:$LP>" "Authorization: $(digest 1050 wrong REGISTER "$R" "$nonce")"

send_udp g1 "$WORK/guess.req" -c 6 -i 20 -n 6 -w 1000
n=$(grep -c . "$WORK/g1.out")
[ "$n" = 6 ] && [ "$(codes g1 | grep -c '^403$')" = 6 ] && pass "6 wrong passwords to node 1: 6 times 403" ||
	problem "6 wrong passwords to node 1 must get 6 answers 403, got $n: $(codes g1 | tr '\n' ' ')"
wait_for 10 at_least "$WORK/n2.log" 1 6 && pass "node 2 counted node 1's failures ($(counted "$WORK/n2.log" 1))" ||
	problem "node 2 did not count node 1's failures (counted: $(counted "$WORK/n2.log" 1), want 6)"

PBX=$PBX2 send_udp g2 "$WORK/guess.req" -c 20 -i 20 -n 20 -w 1000
n=$(grep -c . "$WORK/g2.out")
other=$(codes g2 | grep -vc '^403$')
if [ "$n" = 4 ] && [ "$other" = 0 ]; then
	pass "20 more to node 2: 4 answers (403), then silence"
else
	problem "20 more wrong passwords to node 2 after 6 to node 1 must get 4 answers (403: failures 7 to 10 of 10), got $n ($other not 403)"
fi
grep -q "auth: source 127.0.0.1 throttled for 8 s" "$WORK/n2.log" ||
	problem "node 2 did not log the source's backoff"

wait_for 10 grep -q "auth: source 127.0.0.1 throttled for 8 s: 10 failed authentications within 60 s across the cluster" "$WORK/n1.log" &&
	pass "node 1: $(grep -m1 'auth: source 127.0.0.1 throttled' "$WORK/n1.log" | cut -d' ' -f6-)" ||
	problem "node 1 did not throttle 127.0.0.1 from node 2's failures (counted from node 2: $(counted "$WORK/n1.log" 2))"
send_udp ign "$WORK/x0.req" -w 1000
[ -z "$(codes ign)" ] && pass "node 1 ignores 127.0.0.1 now" ||
	problem "node 1 must ignore the backed-off 127.0.0.1, got '$(codes ign | head -1)'"

# 1050 from an address it never authenticated from: 503 on node 1
VIAHOST=127.0.0.3 TOURI=sip:1050@127.0.0.1 FROMTAG=n sip_req "$WORK/n0.req" REGISTER "$R" "Contact: <sip:1050@127.0.0.3:$LP>"
send_udp n0 "$WORK/n0.req" -a 127.0.0.3 -w 1000
n3=$(nonce_of "$WORK/n0.1")
VIAHOST=127.0.0.3 TOURI=sip:1050@127.0.0.1 FROMTAG=n CSEQ=2 sip_req "$WORK/n1.req" REGISTER "$R" \
	"Contact: <sip:1050@127.0.0.3:$LP>" "Authorization: $(digest 1050 1234 REGISTER "$R" "$n3")"
send_udp new "$WORK/n1.req" -a 127.0.0.3 -w 1000
[ "$(codes new | head -1)" = 503 ] && pass "1050 from 127.0.0.3 on node 1: 503 (the user's backoff across the cluster)" ||
	problem "1050 from a new address on node 1 must get 503 during the user's backoff, got '$(codes new | head -1)'"
finish_nodes
