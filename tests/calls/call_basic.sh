#!/usr/bin/env bash
# Two registered users call each other through pbxd (internal profile):
# 1000 calls 1001, who answers and hangs up; 1000 calls 1002, who answers,
# and the caller hangs up after ACKing late. What must hold (RFC 3261, the
# B2BUA's rules):
#  - the INVITE is challenged (407 Proxy-Authenticate), then 100 Trying;
#  - the callee's INVITE goes to its registered contact, carries the
#    caller id of 1000's directory entry, and belongs to another dialog
#    (Call-ID, tags, CSeq, Contact all different from the caller's);
#  - 183 with SDP, 180 and the 200 are relayed; SDP passes unchanged both
#    ways (distinctive o= lines);
#  - the 200 is retransmitted until the caller ACKs; each leg gets its ACK;
#  - a BYE from either side reaches the other with
#    Reason: Q.850;cause=16;text="NORMAL_CLEARING";
#  - pbxctl calls lists the call while it is up, not after;
#  - the CDR (pbxctl cdr --json and one line in calls.cdr_file):
#    NORMAL_CLEARING, billsec of the talk time, who hung up.
source "$(dirname "$0")/lib.sh"
start_calls_pbxd
register 1001 "$U1"
register 1002 "$U2"

# -- 1000 calls 1001; 1001 answers after 500 ms of early media, hangs up 2 s later
uas b1 "$(scen b1-uas uas_hangup.xml RING=500 TALK=2500)" "$U1" -s 1001
uac a1 "$(scen a1 uac_wait_bye.xml WAIT=10000)" &
a1=$!
# while the call is up: pbxctl calls shows it
sleep 1.8
cid1="a1-1-$$@127.0.0.1"
live=$(ctl calls --json 2>&1)
c=$(jq -c --arg c "$cid1" '(.calls // .)[]? | select(.sip_call_id == $c)' <<<"$live" 2>/dev/null)
if [ -z "$c" ]; then
	problem "callee hangs up: pbxctl calls --json during the call does not list Call-ID $cid1: $(head -c 400 <<<"$live")"
else
	[ "$(jq -r .caller_number <<<"$c")" = 1000 ] && [ "$(jq -r .destination <<<"$c")" = 1001 ] &&
		pass "pbxctl calls lists the call: $c" ||
		problem "pbxctl calls: expected caller_number 1000 and destination 1001, got $c"
fi
wait "$a1"
sides "callee hangs up" $? a1 b1

# the challenge, then 100 Trying first
f=$(m_first a1 in '^SIP/2.0 [2-6]' INVITE)
if ! start_line "$f" 2>/dev/null | grep -q '^SIP/2.0 407 '; then
	problem "internal profile: the first answer to the INVITE should be 407, got '$(start_line "$f" 2>/dev/null)'"
elif ! header "$f" proxy-authenticate | grep -qi '^digest .*realm="127.0.0.1"'; then
	problem "407 without Proxy-Authenticate: Digest realm=\"127.0.0.1\": $(header "$f" proxy-authenticate)"
else
	pass "INVITE challenged: 407 with $(header "$f" proxy-authenticate | head -1 | cut -c1-60)..."
fi
first=""
for f in $(m_list a1 in '^SIP/2.0' INVITE); do
	[ "$(header "$f" cseq | awk '{print $1}')" = 3142 ] && { first=$(start_line "$f"); break; }
done
[ "${first%% *}" = SIP/2.0 ] && grep -q '^SIP/2.0 100 ' <<<"$first" && pass "100 Trying first" ||
	problem "the first answer to the authenticated INVITE should be 100 Trying, got '${first:-nothing}'"

# the callee's INVITE: to the registered contact, caller id, its own dialog
inv=$(m_first b1 in '^INVITE ')
[ "$(start_line "$inv")" = "INVITE sip:1001@127.0.0.1:$U1 SIP/2.0" ] &&
	pass "B leg to the contact: $(start_line "$inv")" ||
	problem "B leg: expected INVITE sip:1001@127.0.0.1:$U1 (the registered contact), got '$(start_line "$inv")'"
from=$(header "$inv" from)
grep -qE '^"?Extension 1000"? *<sip:1000@' <<<"$from" &&
	pass "caller id from the directory: $from" ||
	problem "B leg From should carry 1000's caller id (\"Extension 1000\" <sip:1000@...>), got '$from'"
legs_apart "callee hangs up" a1 b1
# SDP both ways, unchanged: the offer, the 183's and the 200's answers
same_body "offer caller -> callee" "$(m_last a1 out '^INVITE ')" "$inv"
same_body "183 early media callee -> caller" "$(m_first b1 out '^SIP/2.0 183')" "$(m_first a1 in '^SIP/2.0 183')"
same_body "200 answer callee -> caller" "$(m_first b1 out '^SIP/2.0 200' INVITE)" "$(m_first a1 in '^SIP/2.0 200' INVITE)"
# the ACK on the B leg: a new transaction (RFC 3261 13.2.2.4), the INVITE's CSeq number
ack=$(m_first b1 in '^ACK ')
if [ -n "$ack" ]; then
	bi=$(header "$inv" via | head -1 | grep -oE 'branch=[^;]+')
	ba=$(header "$ack" via | head -1 | grep -oE 'branch=[^;]+')
	[ "$bi" != "$ba" ] && [ "$(header "$ack" cseq | awk '{print $1}')" = "$(header "$inv" cseq | awk '{print $1}')" ] &&
		pass "B leg ACK: own branch, CSeq $(header "$ack" cseq)" ||
		problem "B leg ACK of the 2xx: expected a new branch and the INVITE's CSeq number, got $(header "$ack" via) / $(header "$ack" cseq)"
fi
reason_ok "callee hangs up: BYE to the caller" "$(m_first a1 in '^BYE ')"
check_cdr "callee hangs up" "$(call_id a1)" NORMAL_CLEARING 2 4 callee
live=$(ctl calls --json 2>&1)
jq -e --arg c "$cid1" '(.calls // .)[]? | select(.sip_call_id == $c)' <<<"$live" >/dev/null 2>&1 &&
	problem "pbxctl calls still lists the ended call $cid1: $live"

# -- 1000 calls 1002: ringing 1 s, the caller ACKs 1.6 s late, talks 2 s, hangs up
uas b2 "$(scen b2-uas uas_answer.xml RING=1000 WAIT=10000)" "$U2" -s 1002
DIAL=1002 uac a2 "$(scen a2 uac_bye.xml ACKDELAY=1600 TALK=2000)"
sides "caller hangs up" $? a2 b2
[ -n "$(m_first a2 in '^SIP/2.0 180')" ] && pass "180 relayed" || problem "caller hangs up: no 180 reached the caller"
n=$(m_count a2 in '^SIP/2.0 200' INVITE)
[ "$n" -ge 2 ] && pass "200 retransmitted until the late ACK ($n copies)" ||
	problem "ACK 1.6 s late: the caller got $n 200 OK, expected retransmissions (T1 500 ms: at 0.5, 1.5 s)"
legs_apart "caller hangs up" a2 b2
same_body "offer caller -> callee (2)" "$(m_last a2 out '^INVITE ')" "$(m_first b2 in '^INVITE ')"
same_body "200 answer callee -> caller (2)" "$(m_first b2 out '^SIP/2.0 200' INVITE)" "$(m_first a2 in '^SIP/2.0 200' INVITE)"
reason_ok "caller hangs up: BYE to the callee" "$(m_first b2 in '^BYE ')"
check_cdr "caller hangs up" "$(call_id a2)" NORMAL_CLEARING 2 5 caller
finish
