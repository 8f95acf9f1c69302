#!/usr/bin/env bash
# SIP over streams and IPv6: TCP framing (pipelined and split messages),
# RFC 5626 CRLF keep-alive, a garbage stream closed, TLS with a certificate
# from the config, UDP on [::1].
source "$(dirname "$0")/lib.sh"
B=$(port_base)
A=tcp://127.0.0.1:$((B + 51))
SIP=$((B + 52)) TLS=$((B + 53)) V6=$((B + 54))

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" \
	-out "$WORK/cert.pem" -days 2 -subj "/CN=127.0.0.1" >/dev/null 2>&1 ||
	fail "openssl could not make a certificate"
cat >"$WORK/pbx.yaml" <<YAML
node: { name: streams, data_dir: $WORK/data }
admin: { listen: $A }
cluster: { listen: tcp://127.0.0.1:$((B + 55)) }
sip:
  listen: [ "127.0.0.1:$SIP", "[::1]:$V6" ]
  tls: { listen: "127.0.0.1:$TLS", cert: $WORK/cert.pem, key: $WORK/key.pem }
YAML
"$BIN/pbxd" -c "$WORK/pbx.yaml" >"$WORK/pbxd.log" 2>&1 &
PIDS+=($!)
wait_for 10 "$BIN/pbxctl" -s "$A" status || fail "pbxd did not start"
grep -q "listening on 127.0.0.1:$TLS (tls)" "$WORK/pbxd.log" || fail "no TLS listener"

options() { # options CALLID TRANSPORT
	printf 'OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/%s 127.0.0.1:9;branch=z9hG4bK-%s;rport\r\nMax-Forwards: 70\r\nTo: <sip:127.0.0.1>\r\nFrom: <sip:t@127.0.0.1>;tag=x\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' "$2" "$1" "$1"
}

# two messages in one write, then one split over three writes
exec 3<>"/dev/tcp/127.0.0.1/$SIP" || fail "tcp connect"
{ options pipe-a TCP; options pipe-b TCP; } >&3
options split-c TCP >"$WORK/split" # a file: $(...) would eat the final CRLF
head -c 30 "$WORK/split" >&3; sleep 0.1
tail -c +31 "$WORK/split" | head -c 60 >&3; sleep 0.1
tail -c +91 "$WORK/split" >&3
out=$(timeout 2 cat <&3)
exec 3>&-
[ "$(grep -c '^SIP/2.0 200 OK' <<<"$out")" = 3 ] || fail "pipelined/split: $out"
for c in pipe-a pipe-b split-c; do grep -q "Call-ID: $c" <<<"$out" || fail "no answer for $c"; done
pass "TCP framing: two pipelined messages and one split message answered"

exec 3<>"/dev/tcp/127.0.0.1/$SIP" || fail "tcp connect"
printf '\r\n\r\n' >&3
pong=$(timeout 1 head -c 2 <&3 | od -An -c | tr -d ' ')
exec 3>&-
[ "$pong" = '\r\n' ] || fail "CRLF keep-alive: expected a CRLF pong, got '$pong'"
pass "RFC 5626 CRLF ping answered with CRLF"

exec 3<>"/dev/tcp/127.0.0.1/$SIP" || fail "tcp connect"
printf 'GARBAGE / HTTP/1.1\r\nHost: x\r\n\r\nmore garbage without end' >&3
start=$(date +%s%N)
timeout 3 cat <&3 >/dev/null
ms=$((($(date +%s%N) - start) / 1000000))
exec 3>&-
[ $ms -lt 2500 ] || fail "a garbage stream was not closed"
grep -q "unframeable stream" "$WORK/pbxd.log" || fail "closing not logged"
pass "garbage stream closed after $ms ms"

out=$( (options tls-1 TLS; sleep 1) | timeout 5 openssl s_client -connect "127.0.0.1:$TLS" -quiet 2>/dev/null)
grep -q '^SIP/2.0 200 OK' <<<"$out" || fail "OPTIONS over TLS: $out"
grep -q 'Via: SIP/2.0/TLS .*received=127.0.0.1' <<<"$out" || fail "TLS Via: $out"
pass "OPTIONS over TLS"

out=$("$BIN/pbxctl" -s "$A" sip-ping "sip:[::1]:$V6") || fail "IPv6: $out"
grep -q "^200 OK" <<<"$out" || fail "IPv6 ping: $out"
pass "UDP over IPv6 [::1]: $out"
