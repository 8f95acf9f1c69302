#!/usr/bin/env bash
# pbxd raises its soft RLIMIT_NOFILE to the hard limit at start and logs it,
# before the TCP transport derives its connection limit from it: started
# with a soft limit of 512, it logs the raise and the TCP line counts with
# the hard limit.
source "$(dirname "$0")/lib.sh"
B=$(port_base)
B=$((B + 40))
A=tcp://127.0.0.1:$B
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -gt 512 ] || fail "hard RLIMIT_NOFILE $hard: no room above 512 to test"
(
	ulimit -Sn 512 || exit 1
	exec "$BIN/pbxd" -c "$SRC/conf/pbx.yaml" --listen external=none --data "$WORK/d" --admin "$A" \
		--cluster-listen "tcp://127.0.0.1:$((B + 1))" --sip "127.0.0.1:$((B + 2))"
) >"$WORK/pbxd.log" 2>&1 &
PID=$!
PIDS+=($PID)
wait_for 20 "$BIN/pbxctl" -s "$A" status || fail "no admin socket"
[ "$(awk '/^Max open files/ { print $4 }' "/proc/$PID/limits")" = "$hard" ] ||
	fail "soft limit of the running pbxd: $(grep '^Max open files' "/proc/$PID/limits")"
grep -q "limits: RLIMIT_NOFILE raised from 512 to $hard (the hard limit)" "$WORK/pbxd.log" ||
	fail "no log line of the raise to $hard"
grep -q "tcp: up to [0-9]* connections (RLIMIT_NOFILE $hard," "$WORK/pbxd.log" ||
	fail "the TCP limit is not derived from the raised limit"
pass "soft RLIMIT_NOFILE 512 raised to the hard limit $hard, logged, used by TCP"
kill -TERM "$PID"
wait "$PID" || fail "exit code $?"
