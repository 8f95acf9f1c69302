#!/usr/bin/env bash
# A start/stop cycle with actors, timers and links alive: exit 0, and under
# the sanitizer build LeakSanitizer finds nothing (it fails the exit code).
source "$(dirname "$0")/lib.sh"
B=$(port_base)
A=tcp://127.0.0.1:$((B + 31))
"$BIN/pbxd" -c "$SRC/conf/pbx.yaml" --listen external=none --data "$WORK/d" --admin "$A" \
	--cluster-listen "tcp://127.0.0.1:$((B + 32))" \
	--peer "tcp://127.0.0.1:$((B + 33))" --sip "127.0.0.1:$((B + 34))" \
	>"$WORK/pbxd.log" 2>&1 &
PID=$!
PIDS+=($PID)
wait_for 20 "$BIN/pbxctl" -s "$A" status || fail "no admin socket"
"$BIN/pbxctl" -s "$A" ping nobody >/dev/null 2>&1
kill -TERM "$PID"
wait "$PID"
rc=$?
[ $rc = 0 ] || fail "exit code $rc"
grep -q "ERROR: LeakSanitizer\|runtime error" "$WORK/pbxd.log" && fail "sanitizer report"
pass "start/stop clean"
