#!/usr/bin/env bash
# A real softphone on each side of a call between two nodes (issue 12):
# baresip 1001 registers at node 2, baresip 1000 at node 1 dials 1001 (its
# B leg runs on node 2, which holds 1001's flow), 1001 answers by itself,
# the caller quits and hangs up after a few seconds. Asserts, as
# call_baresip.sh does on one node: node 1 holds 1001's binding with its
# flow on node 2; pbxctl calls on node 1 lists the answered call; both
# baresip report the call established and 1001 that it ended; one CDR on
# node 1, NORMAL_CLEARING, naming callee_node 2; each side hears the other's
# tone (bypass media: the RTP goes from one baresip to the other).
source "$(dirname "$0")/xlib.sh"
command -v baresip >/dev/null || { echo "skipped: baresip is not installed (Debian package baresip)"; exit 77; }
command -v sox >/dev/null || { echo "skipped: sox is not installed (Debian package sox)"; exit 77; }
[ -d /usr/lib/baresip/modules ] || { echo "skipped: no /usr/lib/baresip/modules"; exit 77; }
# baresip 1.0 takes MD5 challenges only (call_baresip.sh)
eval "orig_$(declare -f calls_conf)"
calls_conf() {
	orig_calls_conf "$@"
	sed -i 's/^registrar:$/registrar:\n  digest: md5/' "$1"
	grep -q '^  digest: md5$' "$1" || fail "could not set registrar.digest in $1"
}
start_cluster 2

RTP=$((40000 + (P - 30000) * 4))
# bs_conf USER SIP-PORT RTP-FIRST TONE-HZ NODE: a baresip folder $WORK/bsUSER
# registering at NODE
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
	echo "<sip:$u@127.0.0.1>;outbound=\"sip:127.0.0.1:${NSIP[$5]}\";auth_pass=1234;answermode=auto;audio_codecs=pcmu;regint=600;mwi=no" >"$d/accounts"
}
# baresip binds TLS on the next port too; node 3's ports and U5/U6 are free
bs_conf 1001 "$((P + 12))" "$RTP" 1000 2
bs_conf 1000 "$((P + 15))" "$((RTP + 40))" 440 1

baresip -f "$WORK/bs1001" -t 40 </dev/null >"$WORK/bs1001.log" 2>&1 &
PIDS+=($!)
bs1001=$!
wait_for 15 has_binding 1 1001 "$((P + 12))" 2 ||
	fail "node 1 does not hold baresip 1001's binding with its flow on node 2: $(ctl_n 1 registrations --json 2>&1 | head -c 400); $(tail -3 "$WORK/bs1001.log")"
pass "baresip 1001 registered at node 2, seen by node 1"

baresip -f "$WORK/bs1000" -t 12 -e "/dial sip:1001@127.0.0.1" </dev/null >"$WORK/bs1000.log" 2>&1 &
PIDS+=($!)
bs1000=$!
calls_live() { ctl_n 1 calls --json 2>/dev/null | jq -e '.calls[]? | select(.caller_number == "1000" and .destination == "1001" and (.answered_ms // 0) > 0)' >/dev/null 2>&1; }
wait_for 8 calls_live && pass "pbxctl calls on node 1: 1000 -> 1001 answered" ||
	problem "pbxctl calls on node 1 should list an answered call 1000 -> 1001: $(ctl_n 1 calls --json 2>&1 | head -c 400)"
wait "$bs1000"
grep -qi 'established' "$WORK/bs1000.log" && pass "baresip 1000: call established" ||
	problem "baresip 1000 never reported the call established: $(grep -iE 'call|sip|error' "$WORK/bs1000.log" | tail -5)"
grep -qi 'established' "$WORK/bs1001.log" && pass "baresip 1001: call established (auto answer, B leg on node 2)" ||
	problem "baresip 1001 never reported the call established: $(grep -iE 'call|sip|error' "$WORK/bs1001.log" | tail -5)"
ended() { grep -qiE 'closed|terminated|hangup|bye' "$WORK/bs1001.log"; }
wait_for 5 ended && pass "baresip 1001: call ended" || problem "baresip 1001 did not see the call end: $(tail -3 "$WORK/bs1001.log")"

r=""
for ((i = 0; i < 50; i++)); do
	r=$(ctl_n 1 cdr --json 2>/dev/null | jq -c '[(.records // .)[]? | select(.caller_number == "1000" and .destination == "1001")][0] // empty' 2>/dev/null)
	[ -n "$r" ] && break
	sleep 0.1
done
if [ -z "$r" ]; then
	problem "no CDR for 1000 -> 1001 on node 1: $(ctl_n 1 cdr --json 2>&1 | head -c 400)"
else
	check_cdr "baresip across nodes" "$(jq -r .sip_call_id <<<"$r")" NORMAL_CLEARING 3 12 caller
	check_cross_cdr "baresip across nodes" 1 "$(jq -r .sip_call_id <<<"$r")" 2 "$((P + 12))"
fi

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
