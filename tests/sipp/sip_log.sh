#!/usr/bin/env bash
# What a SIP peer sends reaches the log escaped, and the full trace shows no
# credentials: with `pbxctl trace on --full`, a REGISTER whose User-Agent
# holds ESC (a terminal's clear-screen) and a bare CR, and whose
# Authorization carries a response and a cnonce. Every line of pbxd's log
# must be a log line (time, level, node...), no ESC or CR may be in it, the
# escapes must be, and the Digest response and cnonce must not.
source "$(dirname "$0")/lib.sh"
ctl() { "$BIN/pbxctl" -s "$ADMIN" "$@"; }

start_pbxd
ctl trace on --full >/dev/null || fail "pbxctl trace on --full"
mark=log$RANDOM$RANDOM
RESP=feedc0de$RANDOM$RANDOM
CN=cn0nce$RANDOM$RANDOM
CALLID=$mark@127.0.0.1 sip_req "$WORK/reg.req" REGISTER "sip:127.0.0.1" \
	"$(printf 'User-Agent: evil\033[2J\rforged')" \
	"Contact: <sip:1000@127.0.0.1:$LP>" \
	"Authorization: Digest username=\"1000\", realm=\"127.0.0.1\", nonce=\"n$mark\", uri=\"sip:127.0.0.1\", response=\"$RESP\", algorithm=MD5, cnonce=\"$CN\", qop=auth, nc=00000001"
grep -q $'\033' "$WORK/reg.req" || fail "the request has no ESC"
send_udp reg "$WORK/reg.req" || true
wait_for 5 grep -q "$mark" "$WORK/pbxd.log" || fail "the REGISTER is not in the trace"
ctl trace off >/dev/null

in_line=$(grep "sip in .*$mark" "$WORK/pbxd.log" | head -1)
[ -n "$in_line" ] || fail "no 'sip in' line with the Call-ID"
if grep -q $'\033' "$WORK/pbxd.log" || grep -q $'\r' "$WORK/pbxd.log"; then
	problem "ESC or CR raw in the log: $(grep -n $'\033\|\r' "$WORK/pbxd.log" | head -2 | cat -v)"
fi
bad=$(grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z (ERROR|WARN |INFO |DEBUG) [^ ]+ (main|io|store|w[0-9]+) [^ ]+ ' "$WORK/pbxd.log" | head -3)
[ -z "$bad" ] || problem "lines of the log that are not log lines: $(cat -v <<<"$bad")"
grep -qF 'User-Agent: evil\x1b[2J\rforged\r\n' <<<"$in_line" ||
	problem "the User-Agent is not escaped in the trace line: $(cut -c1-600 <<<"$in_line" | cat -v)"
pass "the trace line is one line, ESC and CR escaped"

grep -q "$RESP\|$CN" "$WORK/pbxd.log" && problem "the Digest response or cnonce is in the log"
grep -qF 'Authorization: Digest username="1000", realm="127.0.0.1", nonce="***", uri="sip:127.0.0.1", response="***", algorithm=MD5, cnonce="***", qop=auth, nc=00000001\r\n' <<<"$in_line" ||
	problem "Authorization not masked as expected: $(grep -o 'Authorization:[^\\]*' <<<"$in_line")"
pass "the full trace masks the credentials"
finish
