#!/usr/bin/env bash
# Credentials that must not work twice or elsewhere (RFC 7616 section 3.4,
# RFC 2617 section 3.2.2.5), REGISTERs made by hand (openssl md5, udpsend):
#  - an accepted Authorization copied into a new REGISTER (new Call-ID,
#    From tag, branch) is not accepted again: 401 stale=true;
#  - an RFC 2069 answer (no qop, so no nonce count) gets a fresh 401, and
#    its copy too (accepted, then replayed with a new Call-ID, up to this
#    change);
#  - a digest uri that is not the Request-URI: 400 naming the problem
#    (accepted up to this change);
#  - the copy still fails once the AOR's actor stopped and was spawned anew
#    (actor_idle 1): the node, not the actor, remembers what was accepted.
source "$(dirname "$0")/lib.sh"
make_conf "$WORK/pbx.yaml" 's/^  actor_idle: 32$/  actor_idle: 1/'
grep -q '^  actor_idle: 1$' "$WORK/pbx.yaml" || fail "make_conf: actor_idle did not apply"
start_pbxd -c "$WORK/pbx.yaml" --log-level debug
R="sip:127.0.0.1:$SIP"

# challenge NAME USER: a REGISTER without credentials; prints the nonce
challenge() {
	TOURI=sip:$2@127.0.0.1 FROMTAG=c$RANDOM sip_req "$WORK/$1.req" REGISTER "$R" \
		"Contact: <sip:$2@127.0.0.1:$LP>"
	send_udp "$1" "$WORK/$1.req" || { problem "$1: no answer to a REGISTER without credentials"; return 1; }
	nonce_of "$WORK/$1.1"
}
# register NAME USER AUTHORIZATION: a REGISTER with it (new Call-ID, From
# tag and branch each time); prints the status code of the answer (none:
# empty)
register() {
	TOURI=sip:$2@127.0.0.1 FROMTAG=r$RANDOM CSEQ=2 sip_req "$WORK/$1.req" REGISTER "$R" \
		"Contact: <sip:$2@127.0.0.1:$LP>" "Authorization: $3"
	send_udp "$1" "$WORK/$1.req" -w 1500
	codes "$1" | head -1
}

# 1. an accepted credential, copied into a new REGISTER
n=$(challenge c1 1040)
a=$(digest 1040 1234 REGISTER "$R" "$n")
[ "$(register ok 1040 "$a")" = 200 ] || fail "1040 with good credentials: $(cut -d' ' -f4- "$WORK/ok.out")"
c=$(register copy 1040 "$a")
if [ "$c" = 401 ] && header "$WORK/copy.1" WWW-Authenticate | grep -q 'stale=true'; then
	pass "the same Authorization in a new REGISTER: 401 stale=true"
else
	problem "an accepted Authorization copied into a new REGISTER (new Call-ID) must get 401 stale=true, got '$(cut -d' ' -f4- "$WORK/copy.out")' $(header "$WORK/copy.1" WWW-Authenticate | head -1)"
fi
# the next nonce count of the same nonce is new
[ "$(register nc2 1040 "$(digest 1040 1234 REGISTER "$R" "$n" 00000002)")" = 200 ] &&
	pass "nc=00000002 of the same nonce: 200" ||
	problem "nc=00000002 of the same nonce: $(cut -d' ' -f4- "$WORK/nc2.out"), expected 200"

# 2. an RFC 2069 answer, and its copy
n=$(challenge c2 1041)
a=$(digest 1041 1234 REGISTER "$R" "$n" none)
c=$(register noqop 1041 "$a")
if [ "$c" = 401 ] && ! header "$WORK/noqop.1" WWW-Authenticate | grep -q 'stale=true'; then
	pass "an answer without qop: a fresh 401"
else
	problem "an RFC 2069 answer (no qop) must get a fresh 401, got '$(cut -d' ' -f4- "$WORK/noqop.out")'"
fi
c=$(register noqop2 1041 "$a")
[ "$c" = 401 ] && pass "its copy with a new Call-ID: 401" ||
	problem "the copy of an answer without qop must get 401, got '$(cut -d' ' -f4- "$WORK/noqop2.out")'"
[ "$(nbindings 1041)" = 0 ] && pass "1041 has no binding" ||
	problem "answers without qop registered 1041: $(bindings 1041)"

# 3. the digest uri of another resource (computed for it: only the uri is wrong)
n=$(challenge c3 1042)
c=$(register uri 1042 "$(digest 1042 1234 REGISTER sip:evil.example.com "$n")")
if [ "$c" = 400 ] && [ "$(reason "$WORK/uri.1")" = "Digest URI Does Not Match Request-URI" ]; then
	pass "digest uri sip:evil.example.com for $R: 400 $(reason "$WORK/uri.1")"
else
	problem "a digest uri that is not the Request-URI must get 400 naming it, got '$(cut -d' ' -f4- "$WORK/uri.out")'"
fi

# 4. 1043 registers and unregisters (no binding left): its actor stops
# after 1 s; the copy of the last credential still fails
n=$(challenge c4 1043)
a=$(digest 1043 1234 REGISTER "$R" "$n")
[ "$(register on 1043 "$a")" = 200 ] || problem "1043 registers: $(cut -d' ' -f4- "$WORK/on.out")"
TOURI=sip:1043@127.0.0.1 FROMTAG=r$RANDOM CSEQ=3 sip_req "$WORK/off.req" REGISTER "$R" \
	"Contact: <sip:1043@127.0.0.1:$LP>" "Expires: 0" "Authorization: $(digest 1043 1234 REGISTER "$R" "$n" 00000002)"
send_udp off "$WORK/off.req"
[ "$(codes off | head -1)" = 200 ] || problem "1043 unregisters: $(cut -d' ' -f4- "$WORK/off.out")"
wait_for 10 grep -q "registration 1043@127.0.0.1: no bindings, idle: stopping" "$WORK/pbxd.log" ||
	problem "1043's actor did not stop (log level debug?)"
sleep 2.5 # its grace period
c=$(register again 1043 "$a")
[ "$c" = 401 ] && pass "1043's credential copied after its actor stopped: 401" ||
	problem "1043's accepted credential, copied after its actor stopped and was spawned anew, must get 401, got '$(cut -d' ' -f4- "$WORK/again.out")'"
[ "$(nbindings 1043)" = 0 ] || problem "the copied credential registered 1043: $(bindings 1043)"
finish
