#!/usr/bin/env bash
# Calls between two nodes (issue 12): 1000 registers at node 1, 1001 to
# 1004 at node 2; a call to a user whose flow is on the other node has its B
# leg there (CallLegStart to that node's call router, Leg messages over the
# cluster link). What must hold, as for a call on one node (call_basic,
# call_fail, call_indialog):
#  - 1000@n1 calls 1001@n2: 183 with SDP relayed, the answer, the
#    callee's BYE reaches the caller with Reason cause 16; the B leg's
#    INVITE leaves node 2 (its Via), to the registered contact;
#  - while it is up, pbxctl calls on node 2 lists the call of node 1;
#  - 1001@n2 calls 1000@n1 the other way: 180 relayed; the caller hangs
#    up: Reason;
#  - busy (486), the caller cancels (487, the callee gets CANCEL), no
#    answer ({call_timeout=2}: 480 and CANCEL);
#  - re-INVITE hold/resume, INFO and MESSAGE pass through both ways;
#  - every call has one CDR line, on the caller's node, naming both nodes
#    (node, callee_node) and the contact that answered; none elsewhere;
#  - pbxctl hangup on node 2 ends an answered call of node 1 (BYE with the
#    cause given to both sides); again: no such call;
#  - pbxctl calls on node 1 with node 2 stopped says node 2 did not answer.
source "$(dirname "$0")/xlib.sh"
start_cluster 2
register_at 1 1000 "$U2"
register_at 2 1001 "$U1"
register_at 2 1003 "$U3"
register_at 2 1004 "$U4"
register_at 2 1007 "$U5"

# -- 1000@n1 calls 1001@n2, who answers after early media and hangs up
uas x1 "$(scen x1-uas uas_hangup.xml RING=500 TALK=2500)" "$U1" -s 1001
at 1 uac a1 "$(scen a1 uac_wait_bye.xml WAIT=10000)" &
a1=$!
cid1="a1-1-$$@127.0.0.1"
listed() { ctl_n 2 calls --json 2>/dev/null | jq -e --arg c "$cid1" '.calls[] | select(.sip_call_id == $c and .node == 1)' >/dev/null; }
wait_for 5 listed && pass "pbxctl calls on node 2 lists node 1's call" ||
	problem "pbxctl calls on node 2 does not list the call $cid1 of node 1: $(ctl_n 2 calls --json 2>&1 | head -c 600)"
wait "$a1"
sides "n1 -> n2, callee hangs up" $? a1 x1
[ -n "$(m_first a1 in '^SIP/2.0 183')" ] && pass "n1 -> n2: 183 relayed" ||
	problem "n1 -> n2: the caller should get the callee's 183"
same_body "n1 -> n2: offer" "$(m_last a1 out '^INVITE ')" "$(m_first x1 in '^INVITE ')"
same_body "n1 -> n2: early media" "$(m_first x1 out '^SIP/2.0 183')" "$(m_first a1 in '^SIP/2.0 183')"
same_body "n1 -> n2: answer" "$(m_first x1 out '^SIP/2.0 200' INVITE)" "$(m_first a1 in '^SIP/2.0 200' INVITE)"
inv=$(m_first x1 in '^INVITE ')
[ "$(start_line "$inv")" = "INVITE sip:1001@127.0.0.1:$U1 SIP/2.0" ] &&
	header "$inv" via | head -1 | grep -q ":${NSIP[2]}" &&
	pass "n1 -> n2: the B leg leaves node 2: $(header "$inv" via | head -1)" ||
	problem "n1 -> n2: the B leg's INVITE should go to the contact from node 2 (port ${NSIP[2]}): $(start_line "$inv") / $(header "$inv" via | head -1)"
legs_apart "n1 -> n2" a1 x1
reason_ok "n1 -> n2: BYE to the caller" "$(m_first a1 in '^BYE ')"
check_cdr "n1 -> n2" "$(call_id a1)" NORMAL_CLEARING 2 4 callee
check_cross_cdr "n1 -> n2" 1 "$(call_id a1)" 2 "$U1"

# -- 1001@n2 calls 1000@n1, the caller hangs up
uas x2 "$(scen x2-uas uas_answer.xml RING=500 WAIT=10000)" "$U2" -s 1000
DIAL=1000 AU=1001 UAC_PORT=$CALLER2 at 2 uac a2 "$(scen a2 uac_bye.xml ACKDELAY=0 TALK=1500)"
sides "n2 -> n1, caller hangs up" $? a2 x2
[ -n "$(m_first a2 in '^SIP/2.0 180')" ] && pass "n2 -> n1: 180 relayed" || problem "n2 -> n1: no 180 reached the caller"
same_body "n2 -> n1: answer" "$(m_first x2 out '^SIP/2.0 200' INVITE)" "$(m_first a2 in '^SIP/2.0 200' INVITE)"
reason_ok "n2 -> n1: BYE to the callee" "$(m_first x2 in '^BYE ')"
check_cross_cdr "n2 -> n1" 2 "$(call_id a2)" 1 "$U2"

# -- busy
uas x3 "$(scen x3-uas uas_busy.xml)" "$U4" -s 1004
DIAL=1004 at 1 uac busy "$(scen busy uac_fail.xml CODE=486)"
sides "n1 -> n2, busy" $? busy x3
final_is busy 486 "n1 -> n2, busy"
r=$(cdr_at 1 "$(call_id busy)") && [ "$(jq -r .cause_text <<<"$r")" = USER_BUSY ] &&
	pass "busy: CDR USER_BUSY on node 1" || problem "busy: node 1's CDR should say USER_BUSY: ${r:-none}"

# -- the caller cancels while 1003@n2 rings
uas x4 "$(scen x4-uas uas_ring_cancel.xml WAIT=10000)" "$U3" -s 1003
DIAL=1003 at 1 uac cancel "$(scen cancel uac_cancel.xml RING=1500)"
sides "n1 -> n2, caller cancels" $? cancel x4
final_is cancel 487 "n1 -> n2, caller cancels"
[ -n "$(m_first x4 in '^CANCEL ')" ] && pass "caller cancels: the callee on node 2 got a CANCEL" ||
	problem "caller cancels: the callee on node 2 never got a CANCEL ($(why x4))"

# -- no answer: {call_timeout=2}
uas x5 "$(scen x5-uas uas_ring_cancel.xml WAIT=10000)" "$U3" -s 1003
DIAL=91003 at 1 uac noans "$(scen noans uac_fail.xml CODE=480)"
sides "n1 -> n2, no answer" $? noans x5
final_is noans 480 "n1 -> n2, no answer"
[ -n "$(m_first x5 in '^CANCEL ')" ] && pass "no answer: the callee on node 2 got a CANCEL" ||
	problem "no answer: the ringing callee on node 2 never got a CANCEL"
r=$(cdr_at 1 "$(call_id noans)") && grep -qE '^(NO_ANSWER|NO_USER_RESPONSE)$' <<<"$(jq -r .cause_text <<<"$r")" &&
	pass "no answer: CDR $(jq -r .cause_text <<<"$r") on node 1" || problem "no answer: node 1's CDR: ${r:-none}"

# -- requests inside the call: hold, resume, INFO, MESSAGE, both ways
uas d1 "$(scen d1-uas uas_indialog.xml WAIT=10000)" "$U5" -s 1007
DIAL=1007 at 1 uac d "$(scen d uac_indialog.xml TALK=500 WAIT=10000)"
sides "n1 -> n2, in-dialog" $? d d1
same_body "hold offer caller -> callee" "$(m_find d out '^INVITE ' '^CSeq: 3143 ')" "$(m_find d1 in '^INVITE ' '^a=sendonly')"
same_body "hold answer callee -> caller" "$(m_find d1 out '^SIP/2.0 200' '^o=calls-uas-answer 271828 2 ')" "$(m_find d in '^SIP/2.0 200' '^CSeq: 3143 INVITE')"
same_body "resume offer caller -> callee" "$(m_find d out '^INVITE ' '^CSeq: 3144 ')" "$(m_find d1 in '^INVITE ' '^o=calls-uac-offer 314159 3 ')"
same_body "callee's hold offer -> caller" "$(m_find d1 out '^INVITE ' '^CSeq: 102 ')" "$(m_find d in '^INVITE ' '^a=sendonly')"
for m in INFO MESSAGE; do
	s=$(m_first d out "^$m ") r=$(m_first d1 in "^$m ")
	same_body "$m caller -> callee across nodes" "$s" "$r"
	[ -n "$(m_find d in '^SIP/2.0 200' "^CSeq: [0-9]+ $m")" ] || problem "$m across nodes: the caller got no 200"
done
reason_ok "in-dialog: BYE to the callee" "$(m_first d1 in '^BYE ')"
check_cross_cdr "in-dialog" 1 "$(call_id d)" 2 "$U5"

# -- pbxctl hangup on node 2 ends a call of node 1: both sides get BYE
uas x6 "$(scen x6-uas uas_answer.xml RING=0 WAIT=15000)" "$U1" -s 1001
at 1 uac hup "$(scen hup uac_wait_bye.xml WAIT=15000)" &
hc=$!
cidh="hup-1-$$@127.0.0.1"
up() { ctl_n 2 calls --json 2>/dev/null | jq -e --arg c "$cidh" '.calls[] | select(.sip_call_id == $c and .answered_ms > 0)' >/dev/null; }
if wait_for 8 up; then
	id=$(ctl_n 2 calls --json | jq -r --arg c "$cidh" '.calls[] | select(.sip_call_id == $c) | .id')
	ctl_n 2 hangup "$id" USER_BUSY >/dev/null 2>&1 && pass "pbxctl hangup on node 2 found node 1's call $id" ||
		problem "pbxctl hangup on node 2 of node 1's call $id: $(ctl_n 2 hangup "$id" 2>&1)"
else
	problem "pbxctl calls on node 2 never listed the answered call $cidh"
fi
wait "$hc"
sides "hangup from node 2" $? hup x6
bye=$(m_first hup in '^BYE ')
header "$bye" reason | grep -qE 'cause=17' && pass "hangup from node 2: the caller's BYE says $(header "$bye" reason)" ||
	problem "hangup from node 2: the caller's BYE should carry cause 17 (USER_BUSY), got '$(header "$bye" reason)'"
ctl_n 2 hangup "$id" >/dev/null 2>&1 && problem "pbxctl hangup of an ended call should fail (no such call)" ||
	pass "pbxctl hangup of the ended call: no such call"

# -- pbxctl calls with a node gone: its name, not a hang
kill -TERM "${NPID[2]}"
wait "${NPID[2]}" 2>/dev/null
out=$(ctl_n 1 calls --json 2>&1)
jq -e '.silent_nodes | index("n2")' <<<"$out" >/dev/null &&
	pass "pbxctl calls on node 1, node 2 stopped: silent_nodes $(jq -c .silent_nodes <<<"$out")" ||
	problem "pbxctl calls on node 1 should name n2 as not answering: $out"
ctl_n 1 calls | grep -q 'node n2 did not answer' && pass "pbxctl calls (table) says node n2 did not answer" ||
	problem "pbxctl calls (table): no 'node n2 did not answer': $(ctl_n 1 calls 2>&1)"
finish
