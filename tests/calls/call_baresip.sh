#!/usr/bin/env bash
# A real softphone on each side: two headless baresip (package baresip)
# register as 1000 and 1001; 1000 calls 1001, who answers by itself
# (answermode=auto); the call is up for a few seconds, then the caller quits
# and hangs up. Asserts: both registered; pbxctl calls lists the call while
# it is up; baresip reports the call established on both sides; the CDR
# says NORMAL_CLEARING with billsec > 0. With bypass media the RTP goes
# straight from one baresip to the other: each sends a tone (440 Hz from
# 1000, 1000 Hz from 1001, made with sox) and records what it receives
# (sndfile), and the received tone is checked with sox.
source "$(dirname "$0")/lib.sh"
command -v baresip >/dev/null || { echo "skipped: baresip is not installed (Debian package baresip)"; exit 77; }
command -v sox >/dev/null || { echo "skipped: sox is not installed (Debian package sox)"; exit 77; }
[ -d /usr/lib/baresip/modules ] || { echo "skipped: no /usr/lib/baresip/modules"; exit 77; }
# libre 1.0 (Debian's baresip 1.0.0) answers a 401/407 that carries any
# challenge with an algorithm other than MD5 with ENOSYS, even when an MD5
# challenge comes first: challenge with MD5 alone (registrar.digest)
eval "orig_$(declare -f calls_conf)"
calls_conf() {
	orig_calls_conf "$@"
	sed -i 's/^registrar:$/registrar:\n  digest: md5/' "$1"
	grep -q '^  digest: md5$' "$1" || fail "could not set registrar.digest in $1"
}
start_calls_pbxd

# RTP ports of this test: 80 from a base that follows the SIP base port
RTP=$((40000 + (P - 30000) * 4))

# bs_conf USER SIP-PORT RTP-FIRST TONE-HZ: a baresip folder $WORK/bsUSER
bs_conf() {
	local u=$1 d=$WORK/bs$1
	mkdir -p "$d/snd"
	sox -n -r 8000 -c 1 -b 16 "$d/tone.wav" synth 30 sine "$4" 2>/dev/null ||
		fail "sox cannot make a $4 Hz tone"
	cat >"$d/config" <<EOF
poll_method		poll
sip_listen		127.0.0.1:$2
net_interface		127.0.0.1
audio_source		aufile,$d/tone.wav
audio_player		alsa,null
audio_alert		alsa,null
rtp_ports		$3-$(($3 + 39))
module_path		/usr/lib/baresip/modules
module			g711.so
module			aufile.so
module			alsa.so
module			sndfile.so
snd_path		$d/snd
module_tmp		account.so
module_app		menu.so
EOF
	echo "<sip:$u@127.0.0.1>;outbound=\"sip:127.0.0.1:$SIP\";auth_pass=1234;answermode=auto;audio_codecs=pcmu;regint=600;mwi=no" >"$d/accounts"
}
# baresip also binds TLS on the next port: 1001 on P+10/11, 1000 on P+12/13
bs_conf 1001 "$((P + 10))" "$RTP" 1000
bs_conf 1000 "$((P + 12))" "$((RTP + 40))" 440

# the callee, up for the whole test
baresip -f "$WORK/bs1001" -t 40 </dev/null >"$WORK/bs1001.log" 2>&1 &
PIDS+=($!)
bs1001=$!
registered() { [ "$(nbindings 1001)" = 1 ]; }
if ! wait_for 10 registered && grep -q 'Function not implemented' "$WORK/bs1001.log"; then
	fail "baresip 1001 cannot register: baresip 1.0 gives up on a 401 that also offers algorithm=SHA-256 (ENOSYS, 'Function not implemented'); pbxd must be able to challenge with MD5 alone for such clients. $(grep -a 'reg:' "$WORK/bs1001.log" | tail -1 | sed 's/\x1b\[[0-9;]*m//g')"
fi
registered || fail "baresip 1001 did not register: pbxctl shows $(bindings 1001); $(tail -5 "$WORK/bs1001.log")"
pass "baresip 1001 registered: $(bindings 1001 | jq -r '.[0].contact')"

# the caller: registers, dials, quits (and hangs up) after 12 s
baresip -f "$WORK/bs1000" -t 12 -e "/dial sip:1001@127.0.0.1" </dev/null >"$WORK/bs1000.log" 2>&1 &
PIDS+=($!)
bs1000=$!
calls_live() { ctl calls --json 2>/dev/null | jq -e '(.calls // .)[]? | select(.caller_number == "1000" and .destination == "1001" and (.answered_ms // 0) > 0)' >/dev/null 2>&1; }
if wait_for 8 calls_live; then
	pass "pbxctl calls: 1000 -> 1001 answered"
else
	problem "pbxctl calls should list an answered call 1000 -> 1001: $(ctl calls --json 2>&1 | head -c 400)"
fi
wait "$bs1000"
sleep 1
grep -qi 'established' "$WORK/bs1000.log" && pass "baresip 1000: call established" ||
	problem "baresip 1000 never reported the call established: $(grep -iE 'call|sip|error' "$WORK/bs1000.log" | tail -5)"
grep -qi 'established' "$WORK/bs1001.log" && pass "baresip 1001: call established (auto answer)" ||
	problem "baresip 1001 never reported the call established: $(grep -iE 'call|sip|error' "$WORK/bs1001.log" | tail -5)"
grep -qiE 'closed|terminated|hangup|bye' "$WORK/bs1001.log" && pass "baresip 1001: call ended" ||
	problem "baresip 1001 did not see the call end: $(tail -3 "$WORK/bs1001.log")"

# the CDR: find the call by its caller and destination (the newest)
r=""
for ((i = 0; i < 50; i++)); do
	r=$(ctl cdr --json 2>/dev/null | jq -c '[(.records // .)[]? | select(.caller_number == "1000" and .destination == "1001")][0] // empty' 2>/dev/null)
	[ -n "$r" ] && break
	sleep 0.1
done
if [ -z "$r" ]; then
	problem "baresip call: no CDR for 1000 -> 1001 in pbxctl cdr --json: $(ctl cdr --json 2>&1 | head -c 400)"
else
	check_cdr "baresip call" "$(jq -r .sip_call_id <<<"$r")" NORMAL_CLEARING 3 12 caller
fi

# the tones, through bypass media: what each side received (sndfile's
# *-dec.wav holds the decoded audio it played)
tone_of() {
	local f
	f=$(ls -t "$WORK/bs$1/snd/"*dec*.wav 2>/dev/null | head -1)
	[ -n "$f" ] || return 1
	sox "$f" -n stat 2>&1 | awk '/Rough +frequency/ { print $3 }'
}
for side in "1000 1000" "1001 440"; do
	set -- $side
	hz=$(tone_of "$1")
	if [ -z "$hz" ]; then
		problem "baresip $1: no received audio recorded in $WORK/bs$1/snd ($(ls "$WORK/bs$1/snd" | tr '\n' ' '))"
	elif [ "$hz" -ge $(($2 * 85 / 100)) ] && [ "$hz" -le $(($2 * 115 / 100)) ]; then
		pass "baresip $1 heard ~$hz Hz (the other side sends $2 Hz)"
	else
		problem "baresip $1 heard ~$hz Hz, expected about $2 Hz (the other side's tone)"
	fi
done
kill "$bs1001" 2>/dev/null
finish
