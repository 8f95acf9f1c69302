#!/usr/bin/env bash
# pbxd and pbxctl on the command line: version, bad config refused with the
# file, line and field, bad flags, log level at run time, clean stop.
source "$(dirname "$0")/lib.sh"
B=$(port_base)
A=tcp://127.0.0.1:$((B + 21))

"$BIN/pbxd" --version | grep -qE '^pbxd [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"
pass "--version"

printf 'node:\n  name: x\n  workers: many\n' >"$WORK/bad.yaml"
out=$("$BIN/pbxd" -c "$WORK/bad.yaml" 2>&1)
[ $? = 2 ] || fail "bad config must exit 2"
grep -q "bad.yaml:3:.*node.workers" <<<"$out" || fail "error does not name file, line, field: $out"
pass "bad config refused: $out"

out=$("$BIN/pbxd" -c "$SRC/conf/pbx.yaml" --workers lots 2>&1)
[ $? = 2 ] && grep -q -- "--workers" <<<"$out" || fail "bad flag: $out"
out=$("$BIN/pbxd" -c "$SRC/conf/pbx.yaml" --sip 10.9.8.7:5060 --data "$WORK/x" 2>&1)
[ $? != 0 ] && grep -q "demo password 1234" <<<"$out" || fail "demo password on a network address must be refused: $out"
pass "demo password refused on a non-loopback --sip address"
out=$("$BIN/pbxd" -c "$SRC/conf/pbx.yaml" --workers lots 2>&1)
[ $? = 2 ] && grep -q -- "--workers" <<<"$out" || fail "bad flag: $out"
pass "bad flag refused"

"$BIN/pbxd" -c "$SRC/conf/pbx.yaml" --data "$WORK/d" --admin "$A" \
	--cluster-listen "tcp://127.0.0.1:$((B + 22))" --workers 3 \
	--sip "127.0.0.1:$((B + 23))" \
	>"$WORK/pbxd.log" 2>&1 &
PID=$!
PIDS+=($PID)
wait_for 10 "$BIN/pbxctl" -s "$A" status || fail "no admin socket"
out=$("$BIN/pbxctl" -s "$A" status)
grep -q "^node  *pbx1 (id 1)" <<<"$out" || fail "status table: $out"
[ "$("$BIN/pbxctl" -s "$A" --json status | grep -o '"index":' | wc -l)" = 3 ] || fail "3 workers"
[ -d "$WORK/d" ] || fail "data dir not created"
pass "status table and JSON"

"$BIN/pbxctl" -s "$A" log-level debug | grep -q "log level debug" || fail "set level"
"$BIN/pbxctl" -s "$A" --json log-level | grep -q '"level":"debug"' || fail "get level"
"$BIN/pbxctl" -s "$A" log-level loud >/dev/null 2>&1
[ $? = 1 ] || fail "unknown level must fail with exit 1"
pass "log level at run time"

# every log line: time, level, node, worker, actor, text
bad=$(grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z (ERROR|WARN |INFO |DEBUG) pbx1 (main|io|w[0-9]+) [^ ]+ ' "$WORK/pbxd.log" | head -3)
[ -z "$bad" ] || fail "log lines not in the format: $bad"
pass "log format"

kill -INT "$PID"
wait "$PID" || fail "SIGINT exit code $?"
pass "SIGINT: exit 0"
