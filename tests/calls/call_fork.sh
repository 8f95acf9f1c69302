#!/usr/bin/env bash
# Forking: 1006 is registered from two ports (two bindings); a call to 1006
# rings both at once. The first 2xx wins:
#  - the other fork, still ringing, gets a CANCEL (and answers 487);
#  - a fork whose 200 crosses the CANCEL is ACKed and then ended with a BYE
#    by pbxd; the caller sees one answer only (one To tag).
# The caller hangs up afterwards; the CDR names the contact that answered.
source "$(dirname "$0")/lib.sh"
start_calls_pbxd
register 1006 "$U1"
register 1006 "$U2"
[ "$(nbindings 1006)" = 2 ] || problem "1006 should have two bindings, pbxctl shows $(bindings 1006)"

# one_answer WHAT NAME: every 200 to the INVITE that run NAME got has the same To tag
one_answer() {
	local tags
	tags=$(for f in $(m_list "$2" in '^SIP/2.0 200' INVITE); do tag_of "$(header "$f" to)"; done | sort -u)
	[ "$(grep -c . <<<"$tags")" = 1 ] && pass "$1: the caller got one answer (To tag $tags)" ||
		problem "$1: the caller should see exactly one answered dialog, To tags of its 200s: $(echo $tags)"
}

# -- port U1 answers after 1 s, port U2 rings until cancelled
uas f1a "$(scen f1a-uas uas_answer.xml RING=1000 WAIT=10000)" "$U1" -s 1006
uas f1b "$(scen f1b-uas uas_ring_cancel.xml WAIT=10000)" "$U2" -s 1006
DIAL=1006 uac fork1 "$(scen fork1 uac_bye.xml ACKDELAY=0 TALK=1500)"
sides "forking, the loser rings" $? fork1 f1a f1b
[ -n "$(m_first f1b in '^INVITE ')" ] && [ -n "$(m_first f1b in '^CANCEL ')" ] &&
	pass "forking: the second binding got the INVITE, then a CANCEL" ||
	problem "forking: the second binding should get the INVITE in parallel and then a CANCEL (got: $(for f in $(m_list f1b in); do start_line "$f"; done | tr '\n' ','))"
one_answer "forking" fork1
legs_apart "forking" fork1 f1a
same_body "forking: answer" "$(m_first f1a out '^SIP/2.0 200' INVITE)" "$(m_first fork1 in '^SIP/2.0 200' INVITE)"
check_cdr "forking" "$(call_id fork1)" NORMAL_CLEARING 1 3 caller
r=$(cdr "$(call_id fork1)")
grep -q ":$U1" <<<"$(jq -r '.callee // empty' <<<"$r" 2>/dev/null)" && pass "forking: CDR callee $(jq -r .callee <<<"$r")" ||
	problem "forking: the CDR's callee should be the contact that answered (port $U1), got '$(jq -r '.callee // empty' <<<"$r" 2>/dev/null)'"

# -- port U1 answers after 1 s, port U2 answers 200 when the CANCEL comes
uas f2a "$(scen f2a-uas uas_answer.xml RING=1000 WAIT=10000)" "$U1" -s 1006
uas f2b "$(scen f2b-uas uas_late_2xx.xml WAIT=10000)" "$U2" -s 1006
DIAL=1006 uac fork2 "$(scen fork2 uac_bye.xml ACKDELAY=0 TALK=1500)"
sides "forking, a late 2xx" $? fork2 f2a f2b
if [ -n "$(m_first f2b in '^ACK ')" ] && [ -n "$(m_first f2b in '^BYE ')" ]; then
	pass "late 2xx of the losing fork: ACKed, then BYE"
else
	problem "late 2xx of the losing fork: pbxd must ACK it and send BYE (got: $(for f in $(m_list f2b in); do start_line "$f"; done | tr '\n' ','))"
fi
one_answer "forking, a late 2xx" fork2
check_cdr "forking, a late 2xx" "$(call_id fork2)" NORMAL_CLEARING 1 3 caller
finish
