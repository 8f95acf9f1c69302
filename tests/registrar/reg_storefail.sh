#!/usr/bin/env bash
# A commit that fails loses nothing silently: the location record of
# 1003@127.0.0.1 is made unreadable (tests/lmdb_put, pbxd stopped), so the
# commit holding 1003's next registration fails. The REGISTER is answered
# 500 Storage Unavailable (no Contact: nothing was stored), and sent again
# it is not taken for a retransmission of an accepted request (500 again,
# not 200); another user registers as usual afterwards.
source "$(dirname "$0")/lib.sh"
PUT=$BUILD/tests/lmdb_put
make_conf "$WORK/pbx.yaml"
start_pbxd -c "$WORK/pbx.yaml"
TO=1002 reg first 200 "$LP" "Contact: <sip:1002@127.0.0.1:$LP>" "Expires: 600"
check_reg $? first "1002 registers" || finish
stop_pbxd
"$PUT" "$WORK/data" locations 1003@127.0.0.1 'not a protobuf record' ||
	fail "lmdb_put could not plant the record"
start_pbxd -c "$WORK/pbx.yaml"

for try in 1 2; do
	next_second
	TO=1003 reg "bad$try" 500 "$((LP + 1))" "Contact: <sip:1003@127.0.0.1:$((LP + 1))>" "Expires: 600"
	if check_reg $? "bad$try" "1003, try $try, with its record unreadable"; then
		m=$(last_msg "bad$try")
		if ! head -1 "$m" | grep -q '500 Storage Unavailable'; then
			problem "try $try: $(head -1 "$m"), expected 500 Storage Unavailable"
		elif [ -n "$(header "$m" contact)" ]; then
			problem "try $try: the 500 lists Contact $(header "$m" contact) (nothing was stored)"
		else
			pass "try $try: $(head -1 "$m" | tr -d '\r')"
		fi
	fi
done
grep -q "store commit failed: REGISTER for 1003@127.0.0.1 answered 500" "$WORK/pbxd.log" ||
	problem "no log line for the failed commit"
next_second
TO=1004 reg other 200 "$((LP + 2))" "Contact: <sip:1004@127.0.0.1:$((LP + 2))>" "Expires: 600"
check_reg $? other "1004 afterwards" && [ "$(nbindings 1004)" = 1 ] &&
	pass "another user registers afterwards" ||
	problem "1004 after the failed commits: $(bindings 1004)"
finish
