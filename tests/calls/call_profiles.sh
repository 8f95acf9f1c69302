#!/usr/bin/env bash
# Profiles: the external profile (no auth, context public, its own port)
# takes calls from the addresses of its ACL and refuses the others.
#  - ACL 127.0.0.0/8: a call from 127.0.0.1 to the external port reaches
#    1008 without a challenge; the callee sees the caller's From user as
#    caller id; the CDR says profile external, context public;
#  - a second pbxd whose external ACL is 192.0.2.0/24 (no test traffic goes
#    there: it only has to not match 127.0.0.1): the same call gets 403,
#    and the callee sees nothing.
source "$(dirname "$0")/lib.sh"
start_calls_pbxd
register 1008 "$U1"

uas e1 "$(scen e1-uas uas_answer.xml RING=500 WAIT=10000)" "$U1" -s 1008
PBX_TO=127.0.0.1:$EXT DIAL=1008 AU=+15550100 uac ext "$(scen ext uac_bye.xml ACKDELAY=0 TALK=1500)"
sides "external profile, ACL match" $? ext e1
[ -n "$(m_first ext in '^SIP/2.0 [2-6]' INVITE)" ] && [ -z "$(m_first ext in '^SIP/2.0 40[17]')" ] &&
	pass "external profile: no challenge" ||
	problem "external profile (auth: false): expected an answer without challenge, got '$(start_line "$(m_first ext in '^SIP/2.0 [2-6]' INVITE)" 2>/dev/null)'"
legs_apart "external profile" ext e1
same_body "external: offer" "$(m_last ext out '^INVITE ')" "$(m_first e1 in '^INVITE ')"
same_body "external: answer" "$(m_first e1 out '^SIP/2.0 200' INVITE)" "$(m_first ext in '^SIP/2.0 200' INVITE)"
from=$(header "$(m_first e1 in '^INVITE ')" from)
[ "$(uri_of "$from" | sed -E 's/^sips?:([^@]*)@.*/\1/')" = +15550100 ] && pass "external caller id: $from" ||
	problem "external profile: the callee should see caller +15550100, From is '$from'"
check_cdr "external profile" "$(call_id ext)" NORMAL_CLEARING 1 3 caller
r=$(cdr "$(call_id ext)")
[ "$(jq -r '.profile // empty' <<<"$r" 2>/dev/null)" = external ] && [ "$(jq -r '.context // empty' <<<"$r" 2>/dev/null)" = public ] ||
	problem "external profile: CDR profile/context should be external/public, got '$(jq -r '"\(.profile)/\(.context)"' <<<"$r" 2>/dev/null)'"

# -- a bridge to a sip: URI with a host name (localhost, looked up without
# blocking a worker)
uas e3 "$(scen e3-uas uas_answer.xml RING=200 WAIT=10000)" "$U1" -s 1008
PBX_TO=127.0.0.1:$EXT DIAL=71008 AU=+15550100 uac byname "$(scen byname uac_bye.xml ACKDELAY=0 TALK=500)"
sides "bridge to sip:1008@localhost" $? byname e3
ruri=$(start_line "$(m_first e3 in '^INVITE ')" 2>/dev/null)
[[ "$ruri" == "INVITE sip:1008@localhost:$U1 SIP/2.0" ]] && pass "host name target: $ruri" ||
	problem "bridge sip:1008@localhost:$U1 should reach the callee with that Request-URI, got '$ruri'"

# -- an ACL without 127.0.0.0/8
stop_pbxd
start_calls_pbxd 192.0.2.0/24
uas e2 "$(scen e2-uas uas_answer.xml RING=500 WAIT=10000)" "$U1" -s 1008
PBX_TO=127.0.0.1:$EXT DIAL=1008 AU=+15550100 uac acl "$(scen acl uac_fail.xml CODE=403)"
[ $? = 0 ] && pass "external profile, ACL does not match: 403" || problem "ACL without 127.0.0.0/8: expected 403, $(why acl)"
[ -z "$(m_first acl in '^SIP/2.0 40[17]')" ] || problem "ACL refusal: no challenge expected, got one"
uas_wait e2 2
[ -z "$(m_first e2 in '^INVITE ')" ] && pass "ACL refusal: the callee saw nothing" ||
	problem "ACL refusal: the callee must not be called"
finish
