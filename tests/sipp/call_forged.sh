#!/usr/bin/env bash
# Forged responses do not end a ringing call. 1000 calls 1001, whose phone
# rings for 8 s before it answers; meanwhile 486s are sprayed at pbxd:
#  - at guessed branches of the old format (z9hG4bK-pbx-NODE.WORKER.ID,
#    which named the B leg's client transaction: one of them ended the
#    call) and random ones of the new format;
#  - at the B leg's real branch (read from pbxd's trace, as someone on the
#    path would) but with another Call-ID, another CSeq, or everything
#    right but sent from another port than the callee's.
# The call must still be answered and ended by the caller's BYE, and every
# forged response be counted in sip_bad.
source "$(dirname "$0")/../calls/lib.sh"
command -v jq >/dev/null || fail "jq is not installed"
start_calls_pbxd
register 1001 "$U1"
ctl trace on --full >/dev/null || fail "pbxctl trace on --full"
bad() { ctl --json status | jq -r '.sip_bad // 0'; }

# forged BRANCH CALL-ID CSEQ: a 486 naming them, one datagram of the next
# spray; spray: send them all from one process, each from the same port
# (not the callee's)
sent=0 queued=()
forged() {
	local f=$WORK/forged.$((sent + ${#queued[@]}))
	printf 'SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 127.0.0.1:%s;branch=%s;rport=%s\r\nFrom: <sip:1000@127.0.0.1>;tag=f%s\r\nTo: <sip:1001@127.0.0.1>;tag=t%s\r\nCall-ID: %s\r\nCSeq: %s INVITE\r\nContent-Length: 0\r\n\r\n' \
		"$SIP" "$1" "$SIP" "$RANDOM" "$RANDOM" "$2" "$3" >"$f"
	queued+=("$f")
}
spray() {
	"$UDPSEND" -F "$PBX" "${queued[@]}" || fail "udpsend -F: cannot send to $PBX"
	sent=$((sent + ${#queued[@]}))
	queued=()
}
rnd() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }

before=$(bad)
[[ "$before" =~ ^[0-9]+$ ]] || fail "pbxctl status --json has no sip_bad: $before"
# guesses at the B leg's branch: the old format's ids and random ones
for ((i = 64; i < 256; i++)); do
	forged "z9hG4bK-pbx-1.0.$(printf %x "$i")" @CID@ @CS@
	forged "z9hG4bK-pbx-1.1.$(printf %x "$i")" @CID@ @CS@
done
for ((i = 0; i < 20; i++)); do
	forged "z9hG4bK-pbx-0-$(rnd)" @CID@ @CS@
	forged "z9hG4bK-pbx-1-$(rnd)" @CID@ @CS@
done
uas f1 "$(scen f1-uas uas_answer.xml RING=8000 WAIT=10000)" "$U1" -s 1001
RECV_TIMEOUT=15000 uac a1 "$(scen a1 uac_bye.xml ACKDELAY=0 TALK=500)" &
a1=$!

# the B leg's INVITE as pbxd sent it (trace --full): its branch, Call-ID
# and CSeq number. The trace has the message on the lines after its summary
# line, or (escaped logs) on that line with CRLF written as \r\n
binv() {
	sed 's/\\r\\n/\n/g' "$WORK/pbxd.log" | awk -v p="$U1" '
		/ sip out udp 127\.0\.0\.1:[0-9]+<->.*INVITE sip:1001@/ { if (index($0, "127.0.0.1:" p "<->")) m = 1; next }
		m && /^Via:/ { if (match($0, /branch=[^;]+/)) br = substr($0, RSTART + 7, RLENGTH - 7) }
		m && /^Call-ID:/ { sub(/^Call-ID:[ \t]*/, ""); sub(/\r$/, ""); cid = $0 }
		m && /^CSeq:/ { cs = $2 }
		m && /^\r?$/ { if (br != "" && cid != "" && cs != "") { print br, cid, cs; exit } m = 0 }
	'
}
has_binv() { [ -n "$(binv)" ]; }
wait_for 8 has_binv || fail "no INVITE to 1001 in pbxd's trace"
read -r BR CID CS <<<"$(binv)"
pass "B leg: branch $BR, Call-ID $CID, CSeq $CS"
[[ "$BR" =~ ^z9hG4bK-pbx-[0-9a-f]+-[0-9a-f]{32}$ ]] && pass "its branch carries 128 random bits" ||
	problem "branch $BR: expected z9hG4bK-pbx-WORKER-<32 hex digits>"
wait_for 5 grep -q ' sip in  udp .* SIP/2.0 180 ' "$WORK/pbxd.log" || problem "the callee's 180 did not come"

# the spray, while it rings (the guesses were written before the call:
# they get its Call-ID and CSeq now)
sed -i "s/@CID@/$CID/; s/@CS@/$CS/" "${queued[@]}"
forged "$BR" "other-$CID" "$CS"
forged "$BR" "$CID" $((CS + 1))
forged "$BR" "$CID" "$CS" # right, but not from the callee's port
spray
# the spray must be over before the callee answers, or it tested nothing
if grep -q ' sip in  udp .* SIP/2.0 200 ' "$WORK/pbxd.log"; then
	problem "the callee answered before the $sent forged responses were all sent (a machine too slow for this test)"
else
	pass "$sent forged responses sent while the callee rings"
fi

wait "$a1"
sides "forged responses" $? a1 f1
for f in $(m_list a1 in '^SIP/2.0 [2-6]' INVITE); do last=$(start_line "$f"); done
[ "${last:-}" = "SIP/2.0 200 OK" ] && pass "the caller got 200 OK" ||
	problem "the caller's last final answer: ${last:-none}, expected 200 OK"
want=$((before + sent))
all_in() { [ "$(bad)" -ge "$want" ]; }
wait_for 5 all_in
got=$(bad)
[ "$got" = "$want" ] && pass "sip_bad went from $before to $got: $sent forged responses dropped" ||
	problem "sip_bad went from $before to $got, expected $want ($sent forged responses)"
# the first to reach the transaction is logged (the line is rate-limited:
# the others are only counted; which comes first depends on the worker
# their Call-ID lands on; test_txn_match checks each reason)
re='to a transaction of ours dropped: its (Call-ID|CSeq number|source port or transport) does not match'
grep -qE "$re" "$WORK/pbxd.log" &&
	pass "logged: $(grep -m1 -oE "$re" "$WORK/pbxd.log")" ||
	problem "no log line: a response at the real branch dropped"
finish
