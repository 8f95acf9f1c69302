#!/usr/bin/env bash
# Retransmitted requests are absorbed by the server transaction (RFC 3261
# section 17.2.2): the same OPTIONS twice (same branch, Call-ID, CSeq) gets
# the same 200 twice, not a second transaction; sipp's own retransmissions,
# when it "loses" answers, get answers; a new branch is a new transaction.
source "$(dirname "$0")/lib.sh"
start_pbxd

# -- sipp: each call sends its OPTIONS twice, both 200s carry the same To tag
run_sipp retrans "$HERE/retrans.xml" -nr -p "$LP" -m 50 -r 100 -l 50
rc=$?
ok=$(sipp_stat retrans "SuccessfulCall(C)")
[ "$rc" = 0 ] && [ "$ok" = 50 ] || problem "sipp, OPTIONS sent twice with the same branch: exit $rc, $ok of 50 calls with two 200s with the same To tag (see $WORK/retrans.err.log)"
[ "$rc" = 0 ] && pass "sipp: 50 requests sent twice, each answered twice with the same To tag"

# -- byte for byte: three copies of a request, 0.3 s apart: three identical 200s
sip_req "$WORK/dup.req" OPTIONS "sip:$PBX"
send_udp dup "$WORK/dup.req" -c 3 -i 300 -n 3 -w 1500
n=$(wc -l <"$WORK/dup.out")
if [ "$n" != 3 ]; then
	problem "the same OPTIONS sent 3 times (same branch): $n answers, expected 3: $(cat "$WORK/dup.out")"
elif [ "$(status "$WORK/dup.1")" != 200 ]; then
	problem "the same OPTIONS sent 3 times: first answer $(head -1 "$WORK/dup.1")"
elif ! cmp -s "$WORK/dup.1" "$WORK/dup.2" || ! cmp -s "$WORK/dup.1" "$WORK/dup.3"; then
	problem "the same OPTIONS sent 3 times: the answers differ: $(diff "$WORK/dup.1" "$WORK/dup.2" | tr '\r\n' '  ') / $(diff "$WORK/dup.1" "$WORK/dup.3" | tr '\r\n' '  ')"
else
	pass "3 copies of a request: 3 identical 200s ($(header "$WORK/dup.1" to))"
fi

# -- the same Call-ID, a new branch and CSeq: a new transaction, answered
id=$(header "$WORK/dup.req" call-id)
CALLID=$id CSEQ=2 sip_req "$WORK/next.req" OPTIONS "sip:$PBX"
send_udp next "$WORK/next.req"
if [ "$(status "$WORK/next.1" 2>/dev/null)" != 200 ]; then
	problem "a new OPTIONS (new branch, CSeq 2) in the same Call-ID: $(cat "$WORK/next.out"), expected 200"
elif [ "$(header "$WORK/next.1" cseq)" != "2 OPTIONS" ]; then
	problem "a new OPTIONS with CSeq 2: the answer has CSeq '$(header "$WORK/next.1" cseq)' (the old transaction's answer?)"
else
	pass "a new branch and CSeq in the same Call-ID: a new transaction"
fi

# -- sipp loses 25% of the 200s and retransmits (timer E: 50 ms, at most
# T2 = 200 ms apart, up to 30 times): all calls end well
RECV_TIMEOUT=15000 run_sipp lost "$HERE/lost.xml" -p "$((LP + 1))" \
	-m 200 -r 200 -l 200 -T2 200 -max_non_invite_retrans 30
rc=$?
ok=$(sipp_stat lost "SuccessfulCall(C)")
re=$(sipp_stat lost "Retransmissions(C)")
if [ "$rc" != 0 ] || [ "$ok" != 200 ]; then
	problem "sipp with 25% of the 200s lost: exit $rc, $ok of 200 calls passed, $re retransmissions (see $WORK/lost.err.log)"
elif [ "$re" = 0 ]; then
	problem "sipp with 25% of the 200s lost: no retransmission happened, nothing tested"
else
	pass "sipp lost 25% of the 200s: $re retransmissions, all 200 calls answered"
fi
finish
