#!/usr/bin/env bash
# Calls while the store's commits fail. The slot of pbxd's next event is
# taken behind its back (tests/lmdb_put, while it runs), so that every
# commit fails with MDB_KEYEXIST until the key is deleted again:
#  - a call up before the failure is served; its events that cannot be
#    committed are named in the log with the call's UUID and Call-ID;
#  - meanwhile a new INVITE gets 503 with Retry-After, and a log line;
#  - once the key is gone, the store's probe finds commits work again and
#    calls are served and recorded as before.
source "$(dirname "$0")/lib.sh"
PUT=$BUILD/tests/lmdb_put
start_calls_pbxd
register 1001 "$U1"

events() { ctl --json status | jq -r '.events // 0'; }
# the node's last sequence, once the store is quiet (the call events of
# the last call are committed lazily): every event is this node's
settled() {
	local a b
	for ((i = 0; i < 50; i++)); do
		a=$(events)
		sleep 0.2
		b=$(events)
		[ "$a" = "$b" ] && { echo "$a"; return 0; }
	done
	return 1
}

uas b1 "$(scen b1-uas uas_answer.xml RING=200 WAIT=10000)" "$U1" -s 1001
uac a1 "$(scen a1 uac_bye.xml ACKDELAY=0 TALK=300)"
sides "before the failure" $? a1 b1
check_cdr "before the failure" "$(call_id a1)" NORMAL_CLEARING 0 2 caller

last=$(settled) || fail "the store does not settle"
key=hex:00000001$(printf '%016x' $((last + 1)))
"$PUT" "$WORK/data" events "$key" 'the next event of node 1' || fail "lmdb_put could not take $key"

# a call while the commits fail: it is served, its events are lost and named
uas b2 "$(scen b2-uas uas_answer.xml RING=200 WAIT=10000)" "$U1" -s 1001
uac a2 "$(scen a2 uac_bye.xml ACKDELAY=0 TALK=300)"
sides "while commits fail" $? a2 b2
cid2=$(call_id a2)
wait_for 5 grep -q "store: commits fail (MDB_KEYEXIST" "$WORK/pbxd.log" ||
	fail "no log line for the failing store: $(grep 'store:' "$WORK/pbxd.log" | tail -3)"
if grep -q "store: commit failed (MDB_KEYEXIST.*): CallStarted of call [0-9a-f-]* (Call-ID $cid2, leg 0) lost" "$WORK/pbxd.log"; then
	pass "the lost events are named: $(grep -m1 "Call-ID $cid2" "$WORK/pbxd.log" | cut -d' ' -f6-)"
else
	problem "no log line names call $cid2 as lost: $(grep 'lost' "$WORK/pbxd.log" | head -3)"
fi

[ "$(ctl --json status | jq -r .store_failing)" = true ] && ctl status | grep -q "COMMITS FAIL" &&
	pass "pbxctl status: commits fail" || problem "pbxctl status does not say the commits fail: $(ctl status | grep storage)"

# a new call meanwhile: 503 with Retry-After, the callee sees nothing
uas b3 "$(scen b3-uas uas_answer.xml RING=200 WAIT=10000)" "$U1" -s 1001
uac a3 "$(scen a3 uac_fail.xml CODE=503)"
if [ $? != 0 ]; then
	problem "new call while commits fail: expected 503, $(why a3)"
else
	r=$(m_first a3 in '^SIP/2.0 503')
	ra=$(header "$r" retry-after)
	[ -n "$ra" ] && pass "new call while commits fail: $(start_line "$r"), Retry-After: $ra" ||
		problem "503 without Retry-After: $(start_line "$r")"
fi
uas_wait b3 2
[ -z "$(m_first b3 in '^INVITE ')" ] || problem "the callee was called while the store fails"
grep -q "INVITE $(call_id a3) refused 503: the store is failing" "$WORK/pbxd.log" ||
	problem "no log line for the refused INVITE"

# the key goes: the probe finds the store works, calls are served again
"$PUT" -d "$WORK/data" events "$key" || fail "lmdb_put could not delete $key"
wait_for 10 grep -q "store: commits work again" "$WORK/pbxd.log" || fail "the store does not recover"
[ "$(ctl --json status | jq -r .store_failing)" = false ] || problem "pbxctl status --json: store_failing after the recovery"
uas b4 "$(scen b4-uas uas_answer.xml RING=200 WAIT=10000)" "$U1" -s 1001
uac a4 "$(scen a4 uac_bye.xml ACKDELAY=0 TALK=300)"
sides "after the recovery" $? a4 b4
check_cdr "after the recovery" "$(call_id a4)" NORMAL_CLEARING 0 2 caller
finish
