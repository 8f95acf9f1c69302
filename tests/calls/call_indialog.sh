#!/usr/bin/env bash
# Requests inside an answered call (1000 calls 1007), carried from one leg
# to the other with their bodies unchanged (uac_indialog.xml and
# uas_indialog.xml tell the whole exchange):
#  - hold: re-INVITE a=sendonly, answered a=recvonly; resume: a=sendrecv
#    (RFC 3264 section 8.4), each offer and answer passed through;
#  - OPTIONS inside the dialog answered 200 by pbxd;
#  - glare: the callee re-INVITEs while pbxd's re-INVITE to it is pending:
#    pbxd answers it 491 (RFC 3261 section 14.2); the callee's hold a second
#    later reaches the caller;
#  - INFO (application/dtmf-relay) and MESSAGE (text/plain) passed through
#    (last, so that a refusal leaves the rest tested);
#  - the caller's BYE reaches the callee with Reason cause 16; CDR.
source "$(dirname "$0")/lib.sh"
start_calls_pbxd
register 1007 "$U1"

uas d1 "$(scen d1-uas uas_indialog.xml WAIT=10000)" "$U1" -s 1007
DIAL=1007 uac d "$(scen d uac_indialog.xml TALK=500 WAIT=10000)"
sides "in-dialog" $? d d1

# passed WHAT SENT RECEIVED SDP-ATTRIBUTE: the same body arrived, with that attribute
passed() {
	same_body "$1" "$2" "$3"
	[ -z "$4" ] || [ -z "$3" ] || tr -d '\r' <"$3" | grep -qx "$4" || problem "$1: no $4 in what arrived"
}
passed "hold offer caller -> callee" "$(m_find d out '^INVITE ' '^CSeq: 3143 ')" "$(m_find d1 in '^INVITE ' '^a=sendonly')" a=sendonly
passed "hold answer callee -> caller" "$(m_find d1 out '^SIP/2.0 200' '^o=calls-uas-answer 271828 2 ')" "$(m_find d in '^SIP/2.0 200' '^CSeq: 3143 INVITE')" a=recvonly
passed "resume offer caller -> callee" "$(m_find d out '^INVITE ' '^CSeq: 3144 ')" "$(m_find d1 in '^INVITE ' '^o=calls-uac-offer 314159 3 ')" a=sendrecv
passed "resume answer callee -> caller" "$(m_find d1 out '^SIP/2.0 200' '^o=calls-uas-answer 271828 3 ')" "$(m_find d in '^SIP/2.0 200' '^CSeq: 3144 INVITE')" a=sendrecv
# the B leg's CSeq goes up with each re-INVITE
cs=$(for f in $(m_list d1 in '^INVITE '); do header "$f" cseq | awk '{print $1}'; done | tr '\n' ' ')
n=$(tr ' ' '\n' <<<"$cs" | grep -c .)
[ "$n" -ge 4 ] && sort -n -C <<<"$(tr ' ' '\n' <<<"$cs" | grep .)" &&
	[ "$(tr ' ' '\n' <<<"$cs" | grep . | sort -u | wc -l)" = "$n" ] &&
	pass "B leg CSeq rises: $cs" || problem "B leg: expected 4 INVITEs with rising CSeq, got: '$cs'"

# INFO and MESSAGE: body and Content-Type kept
for m in INFO MESSAGE; do
	s=$(m_first d out "^$m ") r=$(m_first d1 in "^$m ")
	same_body "$m caller -> callee" "$s" "$r"
	[ -n "$r" ] && [ "$(header "$r" content-type)" = "$(header "$s" content-type)" ] ||
		problem "$m: Content-Type '$(header "$s" content-type)' should arrive unchanged, got '$([ -n "$r" ] && header "$r" content-type)'"
	[ -n "$(m_find d in '^SIP/2.0 200' "^CSeq: [0-9]+ $m")" ] || problem "$m: the caller got no 200"
done
# OPTIONS inside the dialog
f=$(m_find d in '^SIP/2.0 ' '^CSeq: 3147 OPTIONS')
[ -n "$f" ] && start_line "$f" | grep -q '^SIP/2.0 200 ' && pass "OPTIONS in the dialog: $(start_line "$f")" ||
	problem "OPTIONS in the dialog: expected 200, got '$([ -n "$f" ] && start_line "$f")'"
# glare
f=$(m_find d1 in '^SIP/2.0 ' '^CSeq: 101 INVITE')
[ -n "$f" ] && start_line "$f" | grep -q '^SIP/2.0 491 ' && pass "glare: the callee's re-INVITE got $(start_line "$f")" ||
	problem "glare: the callee's re-INVITE while pbxd's was pending should get 491, got '$([ -n "$f" ] && start_line "$f")'"
[ -z "$(m_find d in '^INVITE ' '^o=calls-uas-answer 271828 4 ')" ] ||
	problem "glare: the callee's refused re-INVITE (SDP version 4) must not reach the caller"
# the callee holds: its offer reaches the caller, the answer comes back
passed "callee's hold offer -> caller" "$(m_find d1 out '^INVITE ' '^CSeq: 102 ')" "$(m_find d in '^INVITE ' '^a=sendonly')" a=sendonly
passed "caller's answer -> callee" "$(m_find d out '^SIP/2.0 200' '^o=calls-uac-offer 314159 5 ')" "$(m_find d1 in '^SIP/2.0 200' '^CSeq: 102 INVITE')" a=recvonly
reason_ok "in-dialog: BYE to the callee" "$(m_first d1 in '^BYE ')"
check_cdr "in-dialog" "$(call_id d)" NORMAL_CLEARING 2 12 caller
finish
