#!/usr/bin/env bash
# Admission of INVITEs on the internal profile (digest), by hand (openssl
# md5, udpsend), from the caller's port:
#  - an INVITE without credentials gets one 407 and nothing else: no 100,
#    no retransmission of the 407 (up to this change: 100, then the 407
#    retransmitted for 32 s, 11 times, towards a source that may be
#    spoofed), and no transaction: 40 of them leave pbxctl's actor count
#    as it was;
#  - an accepted Proxy-Authorization copied into a new INVITE (new Call-ID,
#    From tag, branch) gets 407 stale=true; into one for another number
#    (Request-URI), 400 naming the problem (both were accepted: the copy
#    placed calls); these have credentials, so a transaction (100 Trying)
#    and the router's answer;
#  - an RFC 2069 answer (no qop) gets a fresh 407 (it was accepted).
# 5555 has no extension: an admitted INVITE gets 100 and 404.
source "$(dirname "$0")/lib.sh"
start_calls_pbxd
actors() { ctl --json status | jq '[.workers[].actors] | add'; }
LP=$CALLER

# invite NAME DIAL [AUTHORIZATION]: an INVITE from 1000 to DIAL (new
# Call-ID, From tag, branch), the replies within 2.5 s in $WORK/NAME.out
invite() {
	local n=$1 d=$2 cid=$1-$RANDOM$RANDOM@x
	shift 2
	CALLID=$cid TOURI=sip:$d@127.0.0.1 FROMTAG=f$RANDOM sip_req "$WORK/$n.req" INVITE "sip:$d@127.0.0.1:$SIP" \
		"Contact: <sip:1000@127.0.0.1:$LP>" ${1:+"Proxy-Authorization: $1"}
	sed -i 's/^From: <sip:tester@/From: <sip:1000@/' "$WORK/$n.req"
	# replies to this INVITE only (earlier ones' 404s, never ACKed, are
	# retransmitted to the same port)
	send_udp "$n" "$WORK/$n.req" -n 20 -w 2500 -m "$cid" 2>/dev/null
}
starts() { cut -d' ' -f4- "$WORK/$1.out" | tr '\n' '|'; }
# reply NAME CODE: the file of the first reply of run NAME with that code
reply() { echo "$WORK/$1.$(awk -v c="$2" '$5 == c { print $1; exit }' "$WORK/$1.out")"; }

# 1. no credentials: one 407, no transaction
invite bare 5555
if [ "$(codes bare | tr '\n' ' ')" = "407 " ]; then
	pass "INVITE without credentials: one 407 in 2.5 s, no 100, no retransmission"
else
	problem "INVITE without credentials: expected one 407 and nothing else in 2.5 s, got $(starts bare)"
fi
base=$(actors)
for i in $(seq 1 40); do
	CALLID=b$i-$$@x TOURI=sip:5555@127.0.0.1 sip_req "$WORK/b$i.req" INVITE "sip:5555@127.0.0.1:$SIP"
	"$UDPSEND" -b "$LP" -w 300 -m "b$i-$$@x" "$PBX" "$WORK/b$i.req" >"$WORK/b$i.out" 2>/dev/null
done
now=$(actors)
n407=$(cat "$WORK"/b[0-9]*.out | awk '$5 == 407' | grep -c .)
[ "$n407" = 40 ] || problem "40 INVITEs without credentials: $n407 answered 407"
if [ "$now" -le $((base + 3)) ]; then
	pass "40 unauthenticated INVITEs: $base actors before, $now after (no transactions kept)"
else
	problem "40 unauthenticated INVITEs left $((now - base)) actors behind ($base -> $now): transactions kept for the 407"
fi

# 2. an accepted credential, and its copies
nonce=$(nonce_of "$(reply bare 407)" Proxy-Authenticate)
[ -n "$nonce" ] || fail "no MD5 challenge in a 407: $(starts bare)"
a=$(digest 1000 1234 INVITE "sip:5555@127.0.0.1:$SIP" "$nonce")
invite ok 5555 "$a"
codes ok | grep -qx 404 && pass "INVITE with credentials: admitted ($(starts ok))" ||
	fail "an INVITE with good credentials must be admitted (404 for 5555), got $(starts ok)"
invite copy 5555 "$a"
if codes copy | grep -qx 407 && ! codes copy | grep -qx 404 &&
	header "$(reply copy 407)" Proxy-Authenticate | grep -q 'stale=true'; then
	pass "the same Proxy-Authorization in a new INVITE: 407 stale=true"
else
	problem "an accepted Proxy-Authorization copied into a new INVITE (new Call-ID) must be challenged (407 stale=true), got $(starts copy)"
fi
invite other 5556 "$a"
if codes other | grep -qx 400 && ! codes other | grep -qx 404 &&
	[ "$(reason "$(reply other 400)")" = "Digest URI Does Not Match Request-URI" ]; then
	pass "the same Proxy-Authorization for another number: 400 $(reason "$(reply other 400)")"
else
	problem "an accepted Proxy-Authorization copied into an INVITE for another Request-URI must get 400, got $(starts other)"
fi

# 3. an RFC 2069 answer to a fresh challenge
invite bare2 5555
nonce=$(nonce_of "$(reply bare2 407)" Proxy-Authenticate)
invite noqop 5555 "$(digest 1000 1234 INVITE "sip:5555@127.0.0.1:$SIP" "$nonce" none)"
if codes noqop | grep -qx 407 && ! codes noqop | grep -qx 404; then
	pass "an INVITE answering without qop: 407"
else
	problem "an RFC 2069 answer (no qop) must be challenged again, got $(starts noqop)"
fi
finish
