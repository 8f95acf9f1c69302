#!/usr/bin/env bash
# Binding expiry by pbxd's timer: with min_expires 1 (a copy of pbx.yaml),
# a REGISTER with Expires: 2 is listed by pbxctl, then after about 3 s no
# longer, pbxd logs "binding expired", and a later query lists nothing. A
# refresh before the expiry keeps the binding.
source "$(dirname "$0")/lib.sh"
make_conf "$WORK/pbx.yaml" 's/min_expires: 60/min_expires: 1/'
start_pbxd -c "$WORK/pbx.yaml"

TO=1000 reg short 200 "$LP" "Contact: <sip:1000@127.0.0.1:$LP>" "Expires: 2"
if check_reg $? short "Expires: 2"; then
	c=$(contacts short)
	grep -qE "^<sip:1000@127\.0\.0\.1:$LP>;expires=2$" <<<"$c" || problem "Expires: 2: the 200 lists: $c"
	b=$(bindings 1000)
	[ "$(jq length <<<"$b")" = 1 ] && pass "Expires: 2: listed by pbxctl: $(jq -c '.[0] | {contact, expires_in}' <<<"$b")" ||
		problem "Expires: 2: pbxctl shows $b"
fi
# a second AOR refreshed before it expires: still there afterwards
TO=1001 reg keep 200 "$((LP + 1))" "Contact: <sip:1001@127.0.0.1:$((LP + 1))>" "Expires: 3"
check_reg $? keep "1001 with Expires: 3"
sleep 1.2
TO=1001 reg keep2 200 "$((LP + 1))" "Contact: <sip:1001@127.0.0.1:$((LP + 1))>" "Expires: 60"
check_reg $? keep2 "1001 refreshed with Expires: 60"

no_bindings() { [ "$(nbindings "$1")" = 0 ]; }
if wait_for 5 no_bindings 1000; then
	pass "the binding of 1000 is gone after its 2 s"
else
	problem "Expires: 2: still listed after 5 s: $(bindings 1000)"
fi
wait_for 2 grep -q "binding expired: 1000@127.0.0.1 -> sip:1000@127.0.0.1:$LP" "$WORK/pbxd.log" &&
	pass "pbxd logged: $(grep -o 'binding expired: 1000@.*' "$WORK/pbxd.log")" ||
	problem "no 'binding expired' line for 1000 in pbxd's log"
[ "$(nbindings 1001)" = 1 ] && pass "1001, refreshed with Expires: 60, is still there" ||
	problem "1001 was refreshed but pbxctl shows $(bindings 1001)"
grep -q "binding expired: 1001@" "$WORK/pbxd.log" && problem "1001 expired although it was refreshed"

# a query now lists nothing for 1000
next_second
TO=1000 reg q 200 "$((LP + 2))"
if check_reg $? q "query after the expiry"; then
	c=$(contacts q)
	[ -z "$c" ] && pass "query after the expiry: no Contact in the 200" || problem "query after the expiry lists $c"
fi
finish
