#!/usr/bin/env bash
# What a SIP peer sends reaches the log escaped, and the full trace shows no
# credentials. With `pbxctl trace on --full`: a REGISTER whose User-Agent
# holds ESC (a terminal's clear-screen) and a bare CR (malformed: 400, but
# traced), then 1000 registers with MD5 digest credentials. Every line of
# pbxd's log must be a log line (time, level, node...), no ESC or CR may be
# in it, the escapes must be, and the Digest response and cnonce must not.
source "$(dirname "$0")/lib.sh"
ctl() { "$BIN/pbxctl" -s "$ADMIN" "$@"; }

start_pbxd
ctl trace on --full >/dev/null || fail "pbxctl trace on --full"
mark=log$RANDOM$RANDOM
md5() { printf '%s' "$1" | md5sum | cut -d' ' -f1; }

# control bytes in a header: a malformed request (400), traced all the same
CALLID=cr$mark@127.0.0.1 sip_req "$WORK/reg0.req" REGISTER "sip:127.0.0.1" \
	"$(printf 'User-Agent: evil\033[2J\rforged')" "Contact: <sip:1000@127.0.0.1:$LP>"
grep -q $'\033' "$WORK/reg0.req" || fail "the request has no ESC"
send_udp reg0 "$WORK/reg0.req" || true
# the challenge, then the REGISTER with MD5 digest credentials
CALLID=$mark@127.0.0.1 CSEQ=1 TOURI=sip:1000@127.0.0.1 sip_req "$WORK/reg1.req" REGISTER "sip:127.0.0.1" \
	"User-Agent: sip-log-test" "Contact: <sip:1000@127.0.0.1:$LP>" "Expires: 600"
send_udp reg1 "$WORK/reg1.req" || fail "no answer to the REGISTER"
nonce=$(header "$WORK/reg1.1" www-authenticate | grep -i 'algorithm=MD5' | grep -o 'nonce="[^"]*"' | cut -d'"' -f2)
[ -n "$nonce" ] || fail "no MD5 challenge: $(head -1 "$WORK/reg1.1")"
CN=cn0nce$RANDOM$RANDOM
RESP=$(md5 "$(md5 1000:127.0.0.1:1234):$nonce:00000001:$CN:auth:$(md5 REGISTER:sip:127.0.0.1)")
CALLID=$mark@127.0.0.1 CSEQ=2 TOURI=sip:1000@127.0.0.1 sip_req "$WORK/reg2.req" REGISTER "sip:127.0.0.1" \
	"User-Agent: sip-log-test" "Contact: <sip:1000@127.0.0.1:$LP>" "Expires: 600" \
	"Authorization: Digest username=\"1000\", realm=\"127.0.0.1\", nonce=\"$nonce\", uri=\"sip:127.0.0.1\", response=\"$RESP\", algorithm=MD5, cnonce=\"$CN\", qop=auth, nc=00000001"
send_udp reg2 "$WORK/reg2.req" || fail "no answer to the REGISTER with credentials"
[ "$(status "$WORK/reg2.1")" = 200 ] || problem "the REGISTER with credentials: $(head -1 "$WORK/reg2.1")"
wait_for 5 grep -q "sip in .*$mark.*CSeq: 2 REGISTER" "$WORK/pbxd.log" || fail "the REGISTER is not in the trace"
ctl trace off >/dev/null

in_line=$(grep "sip in .*$mark.*CSeq: 2 REGISTER" "$WORK/pbxd.log" | head -1)
if grep -q $'\033' "$WORK/pbxd.log" || grep -q $'\r' "$WORK/pbxd.log"; then
	problem "ESC or CR raw in the log: $(grep -n $'\033\|\r' "$WORK/pbxd.log" | head -2 | cat -v)"
fi
bad=$(grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z (ERROR|WARN |INFO |DEBUG) [^ ]+ (main|io|store|w[0-9]+) [^ ]+ ' "$WORK/pbxd.log" | head -3)
[ -z "$bad" ] || problem "lines of the log that are not log lines: $(cat -v <<<"$bad")"
grep "sip in .*cr$mark" "$WORK/pbxd.log" | grep -qF 'User-Agent: evil\x1b[2J\rforged\r\n' ||
	problem "the User-Agent is not escaped in the trace: $(grep "cr$mark" "$WORK/pbxd.log" | cut -c1-400 | cat -v)"
pass "the trace line is one line, ESC and CR escaped"

grep -q "$RESP\|$CN" "$WORK/pbxd.log" && problem "the Digest response or cnonce is in the log"
grep -qF 'Authorization: Digest username="1000", realm="127.0.0.1", nonce="***", uri="sip:127.0.0.1", response="***", algorithm=MD5, cnonce="***", qop=auth, nc=00000001\r\n' <<<"$in_line" ||
	problem "Authorization not masked as expected: $(grep -o 'Authorization:[^\\]*' <<<"$in_line")"
pass "the full trace masks the credentials"
finish
