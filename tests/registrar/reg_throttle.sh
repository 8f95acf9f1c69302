#!/usr/bin/env bash
# Throttling of wrong passwords (registrar.throttle): 5,000 REGISTERs with
# a wrong password from one source (127.0.0.1), sent as fast as udpsend
# can, get at most `failures` (10) answers: the source is then backed off
# and ignored, with one log line. All 5,000 were answered 403 up to this
# change. The user they guessed for (1050) is backed off too, but only
# from addresses it never authenticated from: 1050 on 127.0.0.2 (where it
# registered before) registers at once; on 127.0.0.3 it gets 503 with a
# Retry-After of at most the backoff (8 s here), and 200 once it is over.
# The guessing source gets nothing, not even a 401, until its backoff ends.
source "$(dirname "$0")/lib.sh"
make_conf "$WORK/pbx.yaml" 's/^    backoff: 30$/    backoff: 8/' 's/^    max_backoff: 3600$/    max_backoff: 60/' \
	's/^    user_max_backoff: 300$/    user_max_backoff: 8/'
grep -q '^    user_max_backoff: 8$' "$WORK/pbx.yaml" && grep -q '^    backoff: 8$' "$WORK/pbx.yaml" ||
	fail "make_conf: the throttle settings did not apply"
start_pbxd -c "$WORK/pbx.yaml"
R="sip:127.0.0.1:$SIP"

# reg_from NAME ADDR PASSWORD: 1050 registers from ADDR:$LP by hand (401,
# then the answer); prints the last status code (empty: no answer)
reg_from() {
	local n=$1 ip=$2 pw=$3 nonce
	VIAHOST=$ip TOURI=sip:1050@127.0.0.1 CALLID=$n$RANDOM@x FROMTAG=$n sip_req "$WORK/$n.0.req" REGISTER "$R" \
		"Contact: <sip:1050@$ip:$LP>"
	send_udp "$n.0" "$WORK/$n.0.req" -a "$ip" -w 1000 || return 0
	[ "$(codes "$n.0" | head -1)" = 401 ] || { codes "$n.0" | head -1; return 0; }
	nonce=$(nonce_of "$WORK/$n.0.1")
	VIAHOST=$ip TOURI=sip:1050@127.0.0.1 CALLID=$n$RANDOM@x FROMTAG=$n CSEQ=2 sip_req "$WORK/$n.req" REGISTER "$R" \
		"Contact: <sip:1050@$ip:$LP>" "Authorization: $(digest 1050 "$pw" REGISTER "$R" "$nonce")"
	send_udp "$n" "$WORK/$n.req" -a "$ip" -w 1000
	codes "$n" | head -1
}

[ "$(reg_from home 127.0.0.2 1234)" = 200 ] || fail "1050 cannot register from 127.0.0.2: $(cat "$WORK/home.out" 2>/dev/null)"
pass "1050 registered from 127.0.0.2"

# 5,000 wrong passwords from 127.0.0.1, one nonce, as fast as they go
VIAHOST=127.0.0.1 TOURI=sip:1050@127.0.0.1 FROMTAG=x sip_req "$WORK/x0.req" REGISTER "$R" "Contact: <sip:1050@127.0.0.1:$LP>"
send_udp x0 "$WORK/x0.req" || fail "no 401 for the guesser"
nonce=$(nonce_of "$WORK/x0.1")
CALLID=guess$RANDOM@x TOURI=sip:1050@127.0.0.1 FROMTAG=x CSEQ=2 sip_req "$WORK/guess.req" REGISTER "$R" \
	"Contact: <sip:1050@127.0.0.1:$LP>" "Authorization: $(digest 1050 wrong REGISTER "$R" "$nonce")"
t0=$(date +%s.%N)
send_udp guess "$WORK/guess.req" -c 5000 -i 0 -n 5000 -w 1000
t1=$(date +%s.%N)
n=$(grep -c . "$WORK/guess.out")
other=$(codes guess | grep -vc '^403$')
echo "5000 wrong passwords sent and answered in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a - 1 }') s: $n answers"
if [ "$n" -ge 1 ] && [ "$n" -le 12 ] && [ "$other" = 0 ]; then
	pass "5000 wrong passwords from one source: $n answers (403), then silence"
else
	problem "5000 wrong passwords from one source: $n answers ($other not 403), expected at most 12 (throttling after 10)"
fi
grep -q "auth: source 127.0.0.1 throttled for 8 s" "$WORK/pbxd.log" && pass "log: $(grep -m1 'auth: source 127.0.0.1 throttled' "$WORK/pbxd.log" | cut -d' ' -f6-)" ||
	problem "no log line 'auth: source 127.0.0.1 throttled for 8 s' in pbxd.log"
[ "$(grep -c 'auth: source 127.0.0.1 throttled' "$WORK/pbxd.log")" = 1 ] ||
	problem "one log line per backoff expected, got $(grep -c 'auth: source 127.0.0.1 throttled' "$WORK/pbxd.log")"

# the guessing source is ignored, even with the right password
c=$(reg_from ignored 127.0.0.1 1234)
[ -z "$c" ] && pass "the backed-off source gets no answer at all" ||
	problem "a REGISTER from the backed-off source got an answer: $c"
# the user's own address is not held back
c=$(reg_from home2 127.0.0.2 1234)
[ "$c" = 200 ] && pass "1050 from 127.0.0.2 (its address): 200 during the backoff" ||
	problem "1050 from the address it registered from must not be locked out: got '$c'"
# a new address of the user's: 503 with Retry-After, then 200
c=$(reg_from new 127.0.0.3 1234)
ra=$(header "$WORK/new.1" Retry-After 2>/dev/null)
if [ "$c" = 503 ] && [ -n "$ra" ] && [ "$ra" -ge 1 ] && [ "$ra" -le 8 ]; then
	pass "1050 from a new address: 503, Retry-After: $ra"
	sleep "$ra"
	sleep 0.3
	c=$(reg_from new2 127.0.0.3 1234)
	[ "$c" = 200 ] && pass "after Retry-After, from the new address: 200" ||
		problem "1050 from 127.0.0.3 after the Retry-After ($ra s) must register: got '$c'"
else
	problem "1050 from a new address during the user's backoff: expected 503 with Retry-After 1-8, got '$c' (Retry-After '$ra')"
fi
# the guessing source is heard again once its backoff is over
end=$(awk -v b="$t1" 'BEGIN { printf "%d", b + 8 }')
while [ "$(date +%s)" -le "$end" ]; do sleep 0.2; done
c=$(reg_from later 127.0.0.1 1234)
[ "$c" = 200 ] && pass "the guessing source after its backoff: 200 with the right password" ||
	problem "after its backoff the source must be heard again: got '$c'"
finish
