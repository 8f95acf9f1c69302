#!/usr/bin/env bash
# Durability: 20 users register (sipp, -inf CSV with one line per user and
# its [authentication] keyword), pbxd is killed with SIGKILL and started
# again on the same data directory: pbxctl lists the 20 bindings (same
# contacts, expiry still counting down), pbxctl unregister works on a
# restored binding, and a restored AOR accepts a new registration.
source "$(dirname "$0")/lib.sh"
make_conf "$WORK/pbx.yaml"
start_pbxd -c "$WORK/pbx.yaml"

{
	echo SEQUENTIAL
	for u in $(seq 1000 1019); do echo "$u;[authentication username=$u password=1234]"; done
} >"$WORK/users.csv"
RECV_TIMEOUT=3000 run_sipp twenty "$RHERE/reg_inf.xml" -p "$LP" -m 20 -r 20 -rp 100 \
	-inf "$WORK/users.csv" -key expires 3600
rc=$? ok=$(sipp_stat twenty "SuccessfulCall(C)")
[ "$rc" = 0 ] && [ "$ok" = 20 ] && pass "20 users registered" ||
	problem "20 registrations: sipp exit $rc, $ok succeeded (see $WORK/twenty.err.log)"
before=$(ctl registrations --json | jq -c '[.registrations[] | {aor, contact}] | sort_by(.aor)')
[ "$(jq length <<<"$before")" = 20 ] || problem "before the kill: pbxctl lists $(jq length <<<"$before") bindings, expected 20"

kill -9 "$PBXD"
wait "$PBXD" 2>/dev/null
start_pbxd -c "$WORK/pbx.yaml"
all=$(ctl registrations --json)
after=$(jq -c '[.registrations[] | {aor, contact}] | sort_by(.aor)' <<<"$all")
if [ "$after" = "$before" ] && [ "$(jq length <<<"$after")" = 20 ]; then
	pass "after kill -9 and restart: the same 20 bindings"
else
	problem "after kill -9 and restart: expected $before, got $after"
fi
jq -e '[.registrations[].expires_in] | all(. > 3500 and . <= 3600)' <<<"$all" >/dev/null ||
	problem "restored expiries are not ~3600 s: $(jq -c '[.registrations[].expires_in]' <<<"$all")"

out=$(ctl unregister 1007@127.0.0.1 2>&1) || problem "pbxctl unregister 1007 after the restart: $out"
[ "$(nbindings 1007)" = 0 ] && [ "$(ctl registrations --json | jq '.registrations | length')" = 19 ] &&
	pass "pbxctl unregister after the restart: $out, 19 left" ||
	problem "pbxctl unregister after the restart: 1007 has $(bindings 1007), $(ctl registrations --json | jq '.registrations | length') in all"

# a restored AOR takes a new registration: two bindings now
next_second
TO=1008 reg again 200 "$((LP + 1))" "Contact: <sip:1008@127.0.0.1:$((LP + 1))>" "Expires: 600"
if check_reg $? again "1008 registers again after the restart"; then
	c=$(contacts again)
	[ "$(wc -l <<<"$c")" = 2 ] && pass "restored AOR 1008: the 200 lists the restored and the new contact" ||
		problem "restored AOR 1008: the 200 lists: $c"
fi

# and the removal survives another kill -9
kill -9 "$PBXD"
wait "$PBXD" 2>/dev/null
start_pbxd -c "$WORK/pbx.yaml"
n=$(ctl registrations --json | jq '.registrations | length')
[ "$n" = 20 ] && [ "$(nbindings 1007)" = 0 ] && pass "second kill -9: 20 bindings (19 + 1 new), 1007 still removed" ||
	problem "second kill -9: $n bindings, 1007: $(bindings 1007)"
finish
