#!/usr/bin/env bash
# The admin socket off this machine needs admin.token: pbxd refuses a
# non-loopback admin URL without one (flag or file, exit 2, one line); with
# one, pbxctl without it or with another is refused (exit 1, nothing done),
# with it (--token, --token-file, PBX_ADMIN_TOKEN) it works. An ipc://
# admin socket is a file only its owner may use (0600). Refusals are logged
# at most once a second, with the count of those left out.
source "$(dirname "$0")/lib.sh"
B=$(port_base)
B=$((B + 30))
TOKEN=s3cret-token-0123456789

run_pbxd() { # CONF EXTRA...: start pbxd in the background, log in $WORK/pbxd.log
	local conf=$1
	shift
	"$BIN/pbxd" -c "$conf" --listen external=none --data "$WORK/d" \
		--cluster-listen "tcp://127.0.0.1:$((B + 1))" --sip "127.0.0.1:$((B + 2))" \
		"$@" >"$WORK/pbxd.log" 2>&1 &
	PID=$!
	PIDS+=($PID)
}
stop_pbxd() {
	kill -INT "$PID"
	wait "$PID" || fail "pbxd exit code $?"
}

# -- refused without a token: the flag, then the file (with its line)
for url in "tcp://0.0.0.0:$B" "tcp://[::]:$B" "tcp://*:$B" "tcp://192.0.2.1:$B"; do
	out=$(timeout 20 "$BIN/pbxd" -c "$SRC/conf/pbx.yaml" --admin "$url" --data "$WORK/x" 2>&1)
	rc=$?
	[ $rc = 2 ] && [ "$(wc -l <<<"$out")" = 1 ] && grep -qF -- "--admin $url is reachable from the network and admin.token is not set" <<<"$out" ||
		fail "--admin $url without a token: exit $rc: $out"
	[ ! -e "$WORK/x" ] || fail "--admin $url: started before refusing"
done
pass "non-loopback --admin refused without admin.token: $out"

sed "s|^  listen: tcp://127.0.0.1:7000|  listen: tcp://0.0.0.0:$B|" "$SRC/conf/pbx.yaml" >"$WORK/open.yaml"
line=$(grep -n "^  listen: tcp://0.0.0.0:$B" "$WORK/open.yaml" | cut -d: -f1)
[ -n "$line" ] || fail "conf/pbx.yaml has no admin listen line to change"
out=$(timeout 20 "$BIN/pbxd" -c "$WORK/open.yaml" --data "$WORK/x" 2>&1)
[ $? = 2 ] && grep -q "open.yaml:$line:.*admin.listen: tcp://0.0.0.0:$B is reachable" <<<"$out" ||
	fail "admin.listen on 0.0.0.0 in the file without a token: $out"
pass "non-loopback admin.listen in the file refused with its line: $out"

# -- a token that is too short
sed "s|^  listen: tcp://127.0.0.1:7000|&\n  token: short|" "$SRC/conf/pbx.yaml" >"$WORK/short.yaml"
out=$("$BIN/pbxd" -c "$WORK/short.yaml" --data "$WORK/x" 2>&1)
[ $? = 2 ] && grep -q "admin.token: expected 16 to 256 characters" <<<"$out" || fail "short token: $out"
pass "a short admin.token is refused"

# -- with a token: on every address, and pbxctl must send it
sed "s|^  listen: tcp://127.0.0.1:7000|  listen: tcp://0.0.0.0:$B\n  token: $TOKEN|" \
	"$SRC/conf/pbx.yaml" >"$WORK/token.yaml"
run_pbxd "$WORK/token.yaml"
A=tcp://127.0.0.1:$B
wait_for 10 "$BIN/pbxctl" -s "$A" --token "$TOKEN" status || fail "no admin socket with the token"
for args in "" "--token wrong-token-0123456789" "--token ${TOKEN}x" "--token ${TOKEN%?}"; do
	# shellcheck disable=SC2086
	out=$("$BIN/pbxctl" -s "$A" $args log-level debug 2>&1)
	rc=$?
	[ $rc = 1 ] && grep -q "admin token missing or wrong" <<<"$out" ||
		fail "pbxctl ${args:-without a token}: exit $rc: $out"
done
out=$("$BIN/pbxctl" -s "$A" --token "$TOKEN" log-level) || fail "log-level with the token: $out"
grep -q "log level info" <<<"$out" || fail "a refused request changed the log level: $out"
grep -q "admin: request refused: admin token missing or wrong" "$WORK/pbxd.log" || fail "no log line for a refusal"
pass "pbxctl without the token or with another: refused, nothing done"

# -- a flood of refusals: at most one log line a second, each counting the
# lines left out since the previous one, so lines + counts = refusals
for i in $(seq 30); do
	"$BIN/pbxctl" -s "$A" --token "wrong-token-$i-0123456789" status >/dev/null 2>&1
	[ $? = 1 ] || fail "bad token $i not refused"
done
sleep 1.2 # so the next refusal is logged, with the count of the flood
"$BIN/pbxctl" -s "$A" status >/dev/null 2>&1
[ $? = 1 ] || fail "request without a token not refused"
lines=$(grep -c "admin: request refused" "$WORK/pbxd.log")
left=$(grep -o "([0-9]* more refused since the last line, not logged)" "$WORK/pbxd.log" |
	awk '{ sub(/^\(/, ""); n += $1 } END { print n + 0 }')
[ "$lines" -lt 35 ] || fail "35 refusals logged $lines lines: no rate limit"
[ $((lines + ${left:-0})) = 35 ] || fail "35 refusals: $lines lines + ${left:-0} left out"
pass "35 refusals: $lines log lines, $left counted as left out"

out=$("$BIN/pbxctl" -s "$A" --token "$TOKEN" status) && grep -q "^node  *pbx1" <<<"$out" ||
	fail "status with --token: $out"
printf '%s\n' "$TOKEN" >"$WORK/token"
out=$("$BIN/pbxctl" -s "$A" --token-file "$WORK/token" status) && grep -q "^node  *pbx1" <<<"$out" ||
	fail "status with --token-file: $out"
out=$(PBX_ADMIN_TOKEN=$TOKEN "$BIN/pbxctl" -s "$A" status) && grep -q "^node  *pbx1" <<<"$out" ||
	fail "status with PBX_ADMIN_TOKEN: $out"
out=$(PBX_ADMIN_TOKEN=wrong "$BIN/pbxctl" -s "$A" --token "$TOKEN" status) ||
	fail "--token must win over the environment: $out"
pass "pbxctl with the token (--token, --token-file, PBX_ADMIN_TOKEN): served"
stop_pbxd

# -- ipc://: local without a token, a socket file only its owner may use
run_pbxd "$SRC/conf/pbx.yaml" --admin "ipc://$WORK/admin.sock"
wait_for 10 "$BIN/pbxctl" -s "ipc://$WORK/admin.sock" status || fail "no ipc admin socket"
mode=$(stat -c %a "$WORK/admin.sock")
[ "$mode" = 600 ] || fail "ipc admin socket mode $mode, expected 600"
pass "ipc:// admin socket without a token, mode $mode"
stop_pbxd
