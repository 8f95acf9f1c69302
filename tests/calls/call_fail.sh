#!/usr/bin/env bash
# Calls that do not connect, each answered to the caller with the right
# status and recorded with a cause and billsec 0 (pbxctl cdr and one line
# in calls.cdr_file):
#  - the caller CANCELs while 1003 rings: 200 to the CANCEL, 487 to the
#    INVITE, and the callee's fork gets a CANCEL too;
#  - 1004 is busy: its 486 reaches the caller as 486;
#  - 5555 matches no extension: 404;
#  - 1050 is in the dialplan but not in the directory: 404;
#  - 1010 has no binding: 480;
#  - 1005 rings and never answers, dialled through an extension with
#    [call_timeout=2] (per target) and one with {call_timeout=2} (all
#    targets): 480 after about 2 s, the callee's fork CANCELled;
#  - a wrong password on the INVITE: 407, then 403 (no call, no CDR needed).
# Every INVITE of the internal profile must be challenged first (407).
source "$(dirname "$0")/lib.sh"
start_calls_pbxd
register 1003 "$U1"
register 1004 "$U2"
register 1005 "$U3"

# challenged NAME WHAT: the first final answer of run NAME was a 407
challenged() {
	local f
	f=$(m_first "$1" in '^SIP/2.0 [2-6]' INVITE)
	[ -n "$f" ] && start_line "$f" | grep -q '^SIP/2.0 407 ' ||
		problem "$2: the internal profile must challenge the INVITE (407) first, got '$(start_line "$f" 2>/dev/null)'"
}
# final_is NAME CODE WHAT: the last final answer to the INVITE in run NAME
final_is() {
	local f
	f=$(m_last "$1" in '^SIP/2.0 [2-6]' INVITE)
	[ -n "$f" ] && start_line "$f" | grep -q "^SIP/2.0 $2 " &&
		pass "$3: $(start_line "$f")" ||
		problem "$3: expected $2, got '$(start_line "$f" 2>/dev/null)'"
}

# -- the caller cancels while 1003 rings
uas c1 "$(scen c1-uas uas_ring_cancel.xml WAIT=10000)" "$U1" -s 1003
DIAL=1003 uac cancel "$(scen cancel uac_cancel.xml RING=1500)"
sides "caller cancels" $? cancel c1
final_is cancel 487 "caller cancels"
[ -n "$(m_first c1 in '^CANCEL ')" ] && pass "caller cancels: the callee's fork got a CANCEL" ||
	problem "caller cancels: the callee never got a CANCEL ($(why c1))"
check_cdr "caller cancels" "$(call_id cancel)" "ORIGINATOR_CANCEL|NORMAL_CLEARING" 0 0 caller

# -- busy
uas c2 "$(scen c2-uas uas_busy.xml)" "$U2" -s 1004
DIAL=1004 uac busy "$(scen busy uac_fail.xml CODE=486)"
sides "busy" $? busy c2
challenged busy "busy"
final_is busy 486 "busy"
check_cdr "busy" "$(call_id busy)" USER_BUSY 0 0

# -- no extension matches
DIAL=5555 uac nomatch "$(scen nomatch uac_fail.xml CODE=404)"
[ $? = 0 ] || problem "unknown number: $(why nomatch)"
challenged nomatch "unknown number"
final_is nomatch 404 "unknown number 5555"
check_cdr "unknown number" "$(call_id nomatch)" "UNALLOCATED_NUMBER|NO_ROUTE_DESTINATION" 0 0

# -- the extension bridges to a user the directory does not have
DIAL=1050 uac nouser "$(scen nouser uac_fail.xml CODE=404)"
[ $? = 0 ] || problem "user not in the directory: $(why nouser)"
final_is nouser 404 "user/1050 not in the directory"
check_cdr "user not in the directory" "$(call_id nouser)" "UNALLOCATED_NUMBER|NO_ROUTE_DESTINATION" 0 0

# -- a user without a binding
DIAL=1010 uac noreg "$(scen noreg uac_fail.xml CODE=480)"
[ $? = 0 ] || problem "unregistered user: $(why noreg)"
final_is noreg 480 "1010 not registered"
check_cdr "unregistered user" "$(call_id noreg)" "USER_NOT_REGISTERED|SUBSCRIBER_ABSENT|NO_USER_RESPONSE|TEMPORARY_FAILURE" 0 0

# -- no answer: [call_timeout=2] on the target, then {call_timeout=2} for all
for v in 8 9; do
	n=noans$v
	uas "c$v" "$(scen "c$v-uas" uas_ring_cancel.xml WAIT=10000)" "$U3" -s 1005
	t0=$(date +%s%N)
	DIAL=${v}1005 uac "$n" "$(scen "$n" uac_fail.xml CODE=480)"
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	sides "no answer (${v}1005)" $rc "$n" "c$v"
	final_is "$n" 480 "no answer (${v}1005)"
	# the timer runs from the B leg's INVITE: 2 s plus the challenge round trip
	[ "$ms" -ge 1800 ] && [ "$ms" -le 4500 ] && pass "no answer (${v}1005): gave up after $ms ms" ||
		problem "no answer (${v}1005): call_timeout=2 should end the call after ~2 s, took $ms ms"
	[ -n "$(m_first "c$v" in '^CANCEL ')" ] ||
		problem "no answer (${v}1005): the ringing callee never got a CANCEL"
	check_cdr "no answer (${v}1005)" "$(call_id "$n")" "NO_ANSWER|NO_USER_RESPONSE" 0 0
done

# -- wrong password: challenged, then 403
AP=wrong uac badpw "$(scen badpw uac_fail.xml CODE=403)"
[ $? = 0 ] || problem "wrong password: $(why badpw)"
challenged badpw "wrong password"
final_is badpw 403 "wrong password"
finish
