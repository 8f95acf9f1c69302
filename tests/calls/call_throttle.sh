#!/usr/bin/env bash
# Wrong passwords on INVITE are throttled like those on REGISTER
# (registrar.throttle, failures: 10): 1000 calls 1001 with a
# Proxy-Authorization whose response is wrong, 40 times from one source
# (127.0.0.1), each a new INVITE (its own Call-ID, branch, nonce count). The
# first failures + 0..2 get a final answer: then the source is backed off
# and ignored, with one log line. Without throttling on INVITE every one of
# them is answered 403.
source "$(dirname "$0")/lib.sh"
start_calls_pbxd
LP=$CALLER
R=sip:1001@127.0.0.1:$SIP

# inv NAME [PROXY-AUTHORIZATION]: an INVITE from 1000 to 1001 in $WORK/NAME.req
inv() {
	CALLID=$1-$RANDOM$RANDOM@x TOURI=sip:1001@127.0.0.1 FROMTAG=f$RANDOM sip_req "$WORK/$1.req" INVITE "$R" \
		"Contact: <sip:1000@127.0.0.1:$LP>" ${2:+"Proxy-Authorization: $2"}
	sed -i 's/^From: <sip:tester@/From: <sip:1000@/' "$WORK/$1.req"
}
inv bare
send_udp bare "$WORK/bare.req" -w 2500 || fail "no answer to an INVITE without credentials"
[ "$(codes bare | head -1)" = 407 ] || fail "INVITE without credentials: $(cat "$WORK/bare.out")"
nonce=$(nonce_of "$WORK/bare.1" Proxy-Authenticate)
[ -n "$nonce" ] || fail "no MD5 challenge in the 407"

# each a new INVITE (its own Call-ID, branch and nonce count), so that no
# transaction answers a copy of an earlier one. Only an answer that names the
# guess's own Call-ID counts: the 403s of earlier guesses are retransmitted
# (nothing ACKs them) to the same port. 40 guesses take ~12 s, well inside
# the first backoff (30 s).
answered=0
for i in $(seq 40); do
	inv "guess$i" "$(digest 1000 wrong INVITE "$R" "$nonce" "$(printf %08x "$i")")"
	send_udp "guess$i" "$WORK/guess$i.req" -w 300
	for f in "$WORK/guess$i".[0-9]*; do
		[ -f "$f" ] || continue
		case "$(status "$f")" in 1[0-9][0-9] | "") continue ;; esac
		header "$f" Call-ID | grep -q "^guess$i-" && { answered=$((answered + 1)); break; }
	done
done
echo "40 INVITEs with a wrong password: $answered got a final answer of their own"
[ "$answered" -ge 10 ] && [ "$answered" -le 12 ] ||
	fail "40 INVITEs with a wrong password from one source: $answered final answers, expected 10 to 12 (throttled after 10 failures)"
pass "40 wrong passwords on INVITE from one source: $answered final answers, then silence"
grep -q "auth: source 127.0.0.1 throttled" "$WORK/pbxd.log" ||
	fail "no log line 'auth: source 127.0.0.1 throttled' in pbxd.log"
pass "log: $(grep -m1 'auth: source 127.0.0.1 throttled' "$WORK/pbxd.log" | cut -d' ' -f6-)"
finish
