#!/usr/bin/env bash
# Calls between three nodes when nodes fail (issue 12). Caller 1000 dials
# from node 1 unless said otherwise. What must hold:
#  - fork: 1006 registered at node 2 and at node 3: both ring, node 2's
#    answers, node 3's gets a CANCEL; the CDR on node 1 names callee_node 2;
#  - the flow owner killed (-9) while the caller dials: 1005 registered at
#    node 1 and node 2; node 2 is killed while both ring: node 1's fork
#    still rings and answers, the call goes on (node 1 logs the leg gone);
#  - the caller's node killed during an answered call: 1009 at node 3
#    calls 1002 at node 1, node 3 is killed: node 1's B leg hangs its SIP
#    side up (BYE with a Q.850 Reason);
#  - the only binding's node killed while it rings: 1008 at node 2
#    (restarted), node 2 killed: the caller gets 480 within its 8 s
#    receive timeout (the bridge's own no-answer timeout is 60 s).
source "$(dirname "$0")/xlib.sh"
start_cluster 3

# got NAME REGEX: sipp run NAME has received a message matching REGEX
got() { grep -qE "$2" "$WORK/$1.msg" 2>/dev/null; }

# -- fork to bindings on two other nodes
register_at 2 1006 "$U1" 1 2 3
register_at 3 1006 "$U3" 1 2 3
uas f2 "$(scen f2-uas uas_answer.xml RING=1000 WAIT=10000)" "$U1" -s 1006
uas f3 "$(scen f3-uas uas_ring_cancel.xml WAIT=10000)" "$U3" -s 1006
DIAL=1006 at 1 uac fork "$(scen fork uac_bye.xml ACKDELAY=0 TALK=1500)"
sides "fork over nodes 2 and 3" $? fork f2 f3
[ -n "$(m_first f3 in '^INVITE ')" ] && [ -n "$(m_first f3 in '^CANCEL ')" ] &&
	pass "fork: node 3's binding got the INVITE, then a CANCEL" ||
	problem "fork: node 3's binding should get the INVITE and then a CANCEL (got: $(for f in $(m_list f3 in); do start_line "$f"; done | tr '\n' ','))"
check_cross_cdr "fork over nodes 2 and 3" 1 "$(call_id fork)" 2 "$U1"

# -- the flow owner killed while the caller dials; the local fork answers
register_at 1 1005 "$U4" 1 2
register_at 2 1005 "$U5" 1 2
uas k1 "$(scen k1-uas uas_answer.xml RING=3000 WAIT=10000)" "$U4" -s 1005
uas k2 "$(scen k2-uas uas_ring_cancel.xml WAIT=10000)" "$U5" -s 1005
DIAL=1005 at 1 uac kill "$(scen kill uac_bye.xml ACKDELAY=0 TALK=1000)" &
kc=$!
wait_for 8 got k2 '^INVITE ' || problem "flow owner killed: node 2's binding never got the INVITE"
kill -9 "${NPID[2]}"
wait "${NPID[2]}" 2>/dev/null
wait "$kc"
sides "flow owner killed while dialling" $? kill k1
uas_wait k2 1 >/dev/null # rang on node 2 until it died: nothing to wait for
grep -qE "leg [0-9]+ on node 2 gone" "$WORK/pbxd.log" &&
	pass "flow owner killed: node 1 saw the leg on node 2 gone: $(grep -oE "leg [0-9]+ on node 2 gone \([^)]*\)" "$WORK/pbxd.log" | head -1)" ||
	problem "flow owner killed: node 1 should log the leg on node 2 gone"
check_cross_cdr "flow owner killed while dialling" 1 "$(call_id kill)" 1 "$U4"

# -- the caller's node killed during the call: the B leg hangs up
register_at 1 1002 "$U2" 1 3
uas h1 "$(scen h1-uas uas_answer.xml RING=0 WAIT=15000)" "$U2" -s 1002
DIAL=1002 AU=1009 UAC_PORT=$CALLER2 at 3 uac h "$(scen h uac_wait_bye.xml WAIT=30000)" &
hc=$!
PIDS+=($hc)
wait_for 8 got h1 '^ACK ' || problem "A node killed: the callee on node 1 never got the ACK ($(why h1))"
kill -9 "${NPID[3]}"
wait "${NPID[3]}" 2>/dev/null
t0=$(date +%s%N)
if uas_wait h1 12; then
	pass "A node killed: the callee on node 1 got a BYE $((($(date +%s%N) - t0) / 1000000)) ms after the kill"
	bye=$(m_first h1 in '^BYE ')
	header "$bye" reason | grep -qiE '^Q\.850 *;.*cause=38' && pass "A node killed: BYE with Reason $(header "$bye" reason)" ||
		problem "A node killed: the BYE should carry Reason Q.850 cause 38 (NETWORK_OUT_OF_ORDER), got '$(header "$bye" reason)'"
else
	problem "A node killed: the callee on node 1 should get a BYE: $(why h1)"
fi
kill "$hc" 2>/dev/null

# -- the only binding's node killed while it rings: 480 to the caller
start_node 2
wait_for 15 peers_up 1 1 || fail "node 2 restarted: no link with node 1"
register_at 2 1008 "$U6" 1 2
uas r2 "$(scen r2-uas uas_ring_cancel.xml WAIT=10000)" "$U6" -s 1008
DIAL=1008 at 1 uac only "$(scen only uac_fail.xml CODE=480)" &
oc=$!
wait_for 8 got r2 '^INVITE ' || problem "only binding: node 2's binding never got the INVITE"
kill -9 "${NPID[2]}"
wait "${NPID[2]}" 2>/dev/null
t0=$(date +%s%N)
wait "$oc"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 0 ] && pass "only binding's node killed: the caller's scenario done, ${ms} ms after the kill" ||
	problem "only binding's node killed: $(why only)"
final_is only 480 "only binding's node killed"
r=$(cdr_at 1 "$(call_id only)") && [ "$(jq -r .cause_text <<<"$r")" = SUBSCRIBER_ABSENT ] &&
	pass "only binding's node killed: CDR SUBSCRIBER_ABSENT" ||
	problem "only binding's node killed: node 1's CDR should say SUBSCRIBER_ABSENT: ${r:-none}"
uas_wait r2 1 >/dev/null
finish
