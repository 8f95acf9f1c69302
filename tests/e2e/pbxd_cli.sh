#!/usr/bin/env bash
# pbxd and pbxctl on the command line: version, bad config refused with the
# file, line and field, bad flags, log level at run time, calls/cdr/hangup on
# an idle node, the CDR file created, clean stop.
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
# every listener counts, after every override: a profile's --listen too,
# and a profile's address in the file; refused before anything starts
for l in "--listen internal=0.0.0.0:$((B + 24))" "--listen external=0.0.0.0:$((B + 25))" \
	"--listen external=[::]:$((B + 25))"; do
	out=$(timeout 20 "$BIN/pbxd" -c "$SRC/conf/pbx.yaml" $l --data "$WORK/exposed" 2>&1)
	rc=$?
	[ $rc = 2 ] && grep -q "demo password 1234" <<<"$out" || fail "$l with the demo password: exit $rc: $out"
	[ "$(wc -l <<<"$out")" = 1 ] || fail "$l: more than one line: $out"
	[ ! -e "$WORK/exposed" ] || fail "$l: the data directory was created before the refusal"
done
sed 's|^      - 127.0.0.1:5080|      - 0.0.0.0:5080|' "$SRC/conf/pbx.yaml" >"$WORK/open.yaml"
grep -q "^      - 0.0.0.0:5080" "$WORK/open.yaml" || fail "conf/pbx.yaml has no external 127.0.0.1:5080 line to open"
out=$(timeout 20 "$BIN/pbxd" -c "$WORK/open.yaml" --data "$WORK/exposed" 2>&1)
rc=$?
line=$(grep -n "^      - 0.0.0.0:5080" "$WORK/open.yaml" | cut -d: -f1)
[ $rc = 2 ] && grep -q "open.yaml:$line:[0-9]*: profiles\[1\].listen\[0\]: the demo password 1234 .*(0.0.0.0:5080)" <<<"$out" ||
	fail "external profile on 0.0.0.0 in the file, with its line: $out"
out=$("$BIN/pbxd" -c "$SRC/conf/pbx.yaml" --listen nosuch=127.0.0.1:5090 --data "$WORK/exposed" 2>&1)
[ $? = 2 ] && grep -q "no profile named nosuch" <<<"$out" || fail "--listen of an unknown profile: $out"
pass "demo password refused on a non-loopback --listen PROFILE=ADDR (internal, external) and a profile of the file"
out=$("$BIN/pbxd" -c "$SRC/conf/pbx.yaml" --workers lots 2>&1)
[ $? = 2 ] && grep -q -- "--workers" <<<"$out" || fail "bad flag: $out"
pass "bad flag refused"

# the shipped configuration with calls.cdr_file set (when it still has the
# commented example line to turn on)
sed "s|^  # cdr_file: .*|  cdr_file: $WORK/cdr.jsonl|" "$SRC/conf/pbx.yaml" >"$WORK/pbx.yaml"
grep -q "^  cdr_file: $WORK/cdr.jsonl" "$WORK/pbx.yaml" && CDR=$WORK/cdr.jsonl || CDR=
"$BIN/pbxd" -c "$WORK/pbx.yaml" --listen external=none --data "$WORK/d" --admin "$A" \
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

# valid JSON, checked by python3 when there is one: json_ok PYTHON-EXPR
json_ok() {
	command -v python3 >/dev/null || return 0
	python3 -c "import json,sys; d=json.load(sys.stdin); assert $1, d"
}
out=$("$BIN/pbxctl" -s "$A" calls) || fail "calls: exit $?"
grep -qE "^ID +CALLER +DESTINATION +STATE +DURATION +NODE" <<<"$out" &&
	grep -q "^0 active calls" <<<"$out" || fail "calls table: $out"
out=$("$BIN/pbxctl" -s "$A" calls --json) || fail "calls --json: exit $?"
grep -q '"calls":\[\]' <<<"$out" && json_ok 'd["calls"] == [] and d["now_ms"] > 0' <<<"$out" ||
	fail "calls JSON: $out"
pass "calls on an idle node: empty table, empty JSON list"

out=$("$BIN/pbxctl" -s "$A" cdr) || fail "cdr: exit $?"
grep -qE "^START \(UTC\) +CALLER +DESTINATION +CALLEE +DURATION +BILLSEC +CAUSE +SIP" <<<"$out" &&
	grep -q "^0 records" <<<"$out" || fail "cdr table: $out"
out=$("$BIN/pbxctl" -s "$A" cdr --last 5 --json) || fail "cdr --json: exit $?"
grep -q '"records":\[\]' <<<"$out" && json_ok 'd["records"] == []' <<<"$out" || fail "cdr JSON: $out"
"$BIN/pbxctl" -s "$A" cdr --last zero >/dev/null 2>&1
[ $? = 2 ] || fail "cdr --last zero must be a usage error"
pass "cdr on a fresh data directory: empty"

"$BIN/pbxctl" -s "$A" hangup nosuch >"$WORK/out" 2>&1
[ $? = 1 ] && grep -q "no such call" "$WORK/out" || fail "hangup nosuch: $(cat "$WORK/out")"
"$BIN/pbxctl" -s "$A" hangup nosuch CALL_REJECTED --json >"$WORK/out" 2>&1
[ $? = 1 ] && grep -q '"message":"no such call"' "$WORK/out" || fail "hangup --json: $(cat "$WORK/out")"
"$BIN/pbxctl" -s "$A" hangup nosuch LOUDLY >/dev/null 2>&1
[ $? = 2 ] || fail "an unknown cause must be a usage error"
# every name q850/ knows, not only a few
"$BIN/pbxctl" -s "$A" hangup nosuch switch_congestion >"$WORK/out" 2>&1
[ $? = 1 ] && grep -q "no such call" "$WORK/out" || fail "hangup with SWITCH_CONGESTION: $(cat "$WORK/out")"
pass "hangup of an unknown call: exit 1"

if [ -n "$CDR" ]; then
	[ -f "$CDR" ] && [ ! -s "$CDR" ] || fail "calls.cdr_file $CDR not created empty"
	pass "calls.cdr_file created"
else
	echo "note: conf/pbx.yaml has no '  # cdr_file:' line to turn on; CDR file not checked"
fi

# every log line: time, level, node, worker, actor, text
bad=$(grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z (ERROR|WARN |INFO |DEBUG) pbx1 (main|io|w[0-9]+) [^ ]+ ' "$WORK/pbxd.log" | head -3)
[ -z "$bad" ] || fail "log lines not in the format: $bad"
pass "log format"

kill -INT "$PID"
wait "$PID" || fail "SIGINT exit code $?"
pass "SIGINT: exit 0"
