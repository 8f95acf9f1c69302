#!/usr/bin/env bash
# Session timers (RFC 4028) on both legs of one call, through the external
# profile (no challenge):
#  - the caller asks for Session-Expires: 90;refresher=uac and never
#    refreshes: the 200 it gets says so (Session-Expires 90, refresher=uac,
#    Require: timer), and pbxd ends the call when the session expires, about
#    90 - 30 = 60 s after the 200 (section 10), with a BYE to both legs;
#  - the callee answers Session-Expires: 90;refresher=uac, which makes pbxd
#    (the UAC of that leg) the refresher: an UPDATE reaches the callee about
#    45 s (half the interval) after its 200;
#  - an INVITE asking for 30 s, below Min-SE (calls.min_se, 90), gets 422
#    with Min-SE: 90 (section 8.1).
# Takes about 65 s. call_cross_timer.sh runs the same with the callee on
# another node (it sets the cluster up and TIMER_SETUP, then sources this).
if [ -z "${TIMER_SETUP:-}" ]; then
	source "$(dirname "$0")/lib.sh"
	start_calls_pbxd
	register 1009 "$U1"
fi

# epoch_of NAME DIR REGEX [N]: when sipp run NAME sent (out) or received
# (in) the Nth (default first) message whose start line matches REGEX, from
# its message trace
epoch_of() {
	awk -v want="$([ "$2" = out ] && echo sent || echo received)" -v re="$3" -v n="${4:-1}" '
		/^-----------------------------------------------/ { ts = $2 " " $3; next }
		/^(UDP|TCP) message (sent|received)/ { dir = $3; grab = 1; next }
		grab && /./ { grab = 0
			if (dir == want && $0 ~ re && ++k == n) { print ts; exit } }' "$WORK/$1.msg" |
		{ read -r t && date -d "$t" +%s.%N; }
}
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# the callee for 80 s, the caller for 80 s
(exec timeout -k 2 80 sipp -sf "$(scen t1-uas uas_timer.xml SE=90 WAIT=70000)" -i 127.0.0.1 -p "$U1" \
	-nostdin -m 1 -s 1009 -trace_err -error_file "$WORK/t1.err.log" \
	-trace_msg -message_file "$WORK/t1.msg" -timeout 78 -timeout_error >"$WORK/t1.stdout" 2>&1) &
T1=$!
PIDS+=($T1)
wait_for 5 udp_bound "$U1" || fail "the callee's sipp does not listen on $U1"
timeout -k 2 80 sipp "127.0.0.1:$EXT" -sf "$(scen timer uac_timer.xml SE=90 WAIT=75000)" -i 127.0.0.1 \
	-p "$CALLER" -nostdin -m 1 -s 1009 -key caller 2000 -cid_str "timer-%u-$$@%s" \
	-trace_err -error_file "$WORK/timer.err.log" -trace_msg -message_file "$WORK/timer.msg" \
	-timeout 78 -timeout_error >"$WORK/timer.stdout" 2>&1
rc=$?
wait "$T1"
rc1=$?
m_split timer
m_split t1
[ "$rc" = 0 ] && pass "caller: call set up, BYE received" || problem "caller: $(why timer)"
[ "$rc1" = 0 ] && pass "callee: call set up, refresh and BYE received" || problem "callee: $(why t1)"

ok=$(m_first timer in '^SIP/2.0 200' INVITE)
se=$(header "$ok" session-expires 2>/dev/null)
if [[ "$se" =~ ^90[[:space:]]*\;[[:space:]]*refresher=uac ]] && header "$ok" require | grep -qi timer; then
	pass "the caller's 200: Session-Expires: $se, Require: timer"
else
	problem "the caller's 200 should say Session-Expires: 90;refresher=uac and Require: timer, got '$se' / '$(header "$ok" require 2>/dev/null)'"
fi
inv=$(m_first t1 in '^INVITE ')
[ -n "$(header "$inv" session-expires 2>/dev/null)" ] && pass "B leg INVITE offers a session timer: Session-Expires: $(header "$inv" session-expires)" ||
	problem "the callee's INVITE should carry Session-Expires"

t200=$(epoch_of t1 out '^SIP/2.0 200')
# the refresh: an UPDATE, or a second INVITE
tref=$(epoch_of t1 in '^UPDATE ')
[ -n "$tref" ] || tref=$(epoch_of t1 in '^INVITE ' 2)
if [ -n "$t200" ] && [ -n "$tref" ]; then
	d=$(secs "$t200" "$tref")
	awk -v d="$d" 'BEGIN { exit !(d >= 40 && d <= 52) }' &&
		pass "pbxd refreshed the callee's session $d s after its 200 (half of 90 s)" ||
		problem "pbxd should refresh the callee's session about 45 s after the 200, did after $d s"
else
	problem "no refresh (UPDATE or re-INVITE) reached the callee: $(why t1)"
fi
tc200=$(epoch_of timer in '^SIP/2.0 200')
tbye=$(epoch_of timer in '^BYE ')
if [ -n "$tc200" ] && [ -n "$tbye" ]; then
	d=$(secs "$tc200" "$tbye")
	awk -v d="$d" 'BEGIN { exit !(d >= 55 && d <= 66) }' &&
		pass "the unrefreshed session ended $d s after the 200 (90 - 30 s)" ||
		problem "pbxd should end the caller's unrefreshed session about 60 s after the 200, did after $d s"
	reason=$(header "$(m_first timer in '^BYE ')" reason)
	[ -n "$reason" ] && pass "BYE to the caller: Reason: $reason" || problem "the BYE to the caller has no Reason"
else
	problem "the caller never got a BYE: $(why timer)"
fi
[ -n "$(m_first t1 in '^BYE ')" ] && pass "the callee got a BYE too" || problem "the callee never got a BYE"

# below Min-SE: 422
timeout -k 2 20 sipp "127.0.0.1:$EXT" -sf "$(scen small uac_timer.xml SE=30 WAIT=5000)" -i 127.0.0.1 \
	-p "$CALLER" -nostdin -m 1 -s 1009 -key caller 2000 -cid_str "small-%u-$$@%s" \
	-trace_err -error_file "$WORK/small.err.log" -trace_msg -message_file "$WORK/small.msg" \
	-timeout 15 -timeout_error >"$WORK/small.stdout" 2>&1
m_split small
r=$(m_first small in '^SIP/2.0 4')
if [ "$(start_line "$r" 2>/dev/null | awk '{print $2}')" = 422 ] && [ "$(header "$r" min-se)" = 90 ]; then
	pass "Session-Expires 30 refused: 422 with Min-SE: 90"
else
	problem "Session-Expires below Min-SE should get 422 with Min-SE: 90, got '$(start_line "$r" 2>/dev/null)' Min-SE '$(header "$r" min-se 2>/dev/null)'"
fi
finish
