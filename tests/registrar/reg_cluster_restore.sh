#!/usr/bin/env bash
# Restore at start in a cluster (contract section 6): a node restarted
# spawns registration actors only for the AORs whose bindings it holds the
# flow of or wrote, not for every AOR replicated to it. Two nodes: 1060 to
# 1069 register on node 1, 1070 on node 2; node 2, restarted on its data,
# has as many actors as before any registration plus one (1070's): it had
# 10 more (one per AOR of node 1) when it restored every AOR it held.
# pbxctl unregister on node 2 of 1060 (node 1's) removes it everywhere
# (node 2 answered "0 removed" before: the AOR had no actor there).
source "$(dirname "$0")/lib.sh"
cluster_conf "$WORK/pbx.yaml"
start_node 1 "$WORK/pbx.yaml"
start_node 2 "$WORK/pbx.yaml"
wait_for 10 link_up "$ADMIN" && wait_for 10 link_up "$ADMIN2" || fail "the nodes do not see each other up"
actors2() { "$BIN/pbxctl" -s "$ADMIN2" --json status | jq '[.workers[].actors] | add'; }
base=$(actors2)

# reg_on NODE USER: USER registers sip:USER@127.0.0.1:$LP on node NODE;
# prints the status code
reg_on() {
	local pbx=$PBX nonce
	[ "$1" = 2 ] && pbx=$PBX2
	PBX=$pbx TOURI=sip:$2@127.0.0.1 FROMTAG=c$2 sip_req "$WORK/$2.0.req" REGISTER sip:127.0.0.1 \
		"Contact: <sip:$2@127.0.0.1:$LP>"
	PBX=$pbx send_udp "$2.0" "$WORK/$2.0.req" -w 1500 || return 0
	nonce=$(nonce_of "$WORK/$2.0.1")
	PBX=$pbx TOURI=sip:$2@127.0.0.1 FROMTAG=r$2 CSEQ=2 sip_req "$WORK/$2.req" REGISTER sip:127.0.0.1 \
		"Contact: <sip:$2@127.0.0.1:$LP>" "Authorization: $(digest "$2" 1234 REGISTER sip:127.0.0.1 "$nonce")"
	PBX=$pbx send_udp "$2" "$WORK/$2.req" -w 1500
	codes "$2" | head -1
}
for u in $(seq 1060 1069); do
	[ "$(reg_on 1 "$u")" = 200 ] || problem "$u on node 1: $(cut -d' ' -f4- "$WORK/$u.out")"
done
[ "$(reg_on 2 1070)" = 200 ] || problem "1070 on node 2: $(cut -d' ' -f4- "$WORK/1070.out")"
has_all() {
	[ "$("$BIN/pbxctl" -s "$ADMIN2" registrations --json | jq '[.registrations[] | select(.aor | test("^10[67][0-9]@"))] | length')" = 11 ]
}
wait_for 10 has_all || fail "node 2 did not get node 1's 10 bindings"

PBXD=$PBXD2
term_pbxd 100 || problem "node 2 did not stop cleanly"
start_node 2 "$WORK/pbx.yaml"
wait_for 10 link_up "$ADMIN2" || fail "node 2 does not see node 1 after its restart"
has_all || problem "node 2 lost bindings in its restart"
n=$(actors2)
[ "$n" = $((base + 1)) ] && pass "node 2 restarted: $n actors, as before plus 1070's (none for node 1's 10 AORs)" ||
	problem "node 2 restarted must have $((base + 1)) actors (before: $base, plus 1070's), got $n"

# the operator removes on node 2 a binding made through node 1 (its AOR has
# no actor on node 2: one is spawned for it); node 1 loses it too
out=$("$BIN/pbxctl" -s "$ADMIN2" --json unregister 1060@127.0.0.1 2>&1)
[ "$(jq -r '.removed' <<<"$out" 2>/dev/null)" = 1 ] && pass "pbxctl unregister on node 2 of node 1's 1060: $out" ||
	problem "pbxctl unregister on node 2 of 1060 (registered on node 1) must remove 1 binding, got: $out"
gone_on_1() { [ "$("$BIN/pbxctl" -s "$ADMIN" registrations --user 1060 --json | jq '.registrations | length')" = 0 ]; }
wait_for 10 gone_on_1 && pass "node 1 no longer lists 1060" || problem "1060 is still on node 1"
finish_nodes
