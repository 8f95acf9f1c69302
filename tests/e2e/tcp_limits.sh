#!/usr/bin/env bash
# The limits of SIP over TCP and TLS (sip.tcp), each against a pbxd of its own
# with misbehaving clients (tcpload): a client that never reads is closed and
# pbxd's memory stays bounded; a message trickled byte by byte is closed at
# its deadline (TCP and TLS); connections beyond what RLIMIT_NOFILE leaves
# are refused while UDP and the admin socket still answer; out of
# descriptors, accepts pause (one log line, no spinning) and resume; the
# buffer budget closes the largest consumers; one source (an IPv4 address,
# an IPv6 /64) gets max_per_source connections.
source "$(dirname "$0")/lib.sh"
B=$(port_base)
LOAD=$BUILD/tests/tcpload
UDPSEND=$BUILD/tests/udpsend
A=tcp://127.0.0.1:$((B + 31))
SIP=$((B + 32)) TLS=$((B + 33)) V6=$((B + 34))
MB=$((1024 * 1024))

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" \
	-out "$WORK/cert.pem" -days 2 -subj "/CN=127.0.0.1" >/dev/null 2>&1 ||
	fail "openssl could not make a certificate"

# start NAME NOFILE TCP_SETTINGS: a pbxd with its log in $WORK/NAME.log
start() {
	local name=$1 nofile=$2 tcp=$3
	cat >"$WORK/$name.yaml" <<YAML
node: { name: $name, data_dir: $WORK/data-$name, workers: 2 }
admin: { listen: $A }
cluster: { listen: tcp://127.0.0.1:$((B + 35)) }
sip:
  listen: [ "127.0.0.1:$SIP", "[::1]:$V6" ]
  tls: { listen: "127.0.0.1:$TLS", cert: $WORK/cert.pem, key: $WORK/key.pem }
  tcp: { $tcp }
YAML
	(ulimit -n "$nofile" && exec "$BIN/pbxd" -c "$WORK/$name.yaml") \
		>"$WORK/$name.log" 2>&1 &
	PID=$!
	PIDS+=($PID)
	wait_for 10 "$BIN/pbxctl" -s "$A" status || fail "pbxd $name did not start"
}

stop() {
	kill "$PID"
	wait "$PID" 2>/dev/null
}

rss() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$PID/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }

options_udp() {
	printf 'OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-%s;rport\r\nMax-Forwards: 70\r\nTo: <sip:127.0.0.1>\r\nFrom: <sip:t@127.0.0.1>;tag=x\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' "$1" "$1" |
		"$UDPSEND" -w 3000 "127.0.0.1:$SIP" | grep -q " SIP/2.0 200 OK"
}

# hold_start NAME ARGS...: tcpload hold in the background, its output in
# $WORK/NAME.out; waits until it holds its connections.
hold_start() {
	local name=$1
	shift
	"$LOAD" hold "$@" >"$WORK/$name.out" 2>&1 &
	HOLD=$!
	PIDS+=($HOLD)
	wait_for 60 grep -q holding "$WORK/$name.out" ||
		fail "tcpload hold $*: $(cat "$WORK/$name.out")"
}

# --- 1. a client that never reads ------------------------------------------
start wq 1024 "write_queue: 262144"
before=$(rss)
out=$("$LOAD" flood 127.0.0.1 "$SIP" $((64 * MB)))
after=$(rss)
grep -q "^closed after" <<<"$out" || fail "a peer that never reads: $out"
grep -q "peer does not read" "$WORK/wq.log" || fail "the close was not logged"
[ $((after - before)) -lt $((32 * MB)) ] ||
	fail "RSS grew by $(((after - before) / 1024)) KB ($before -> $after)"
options_udp wq-after || fail "no answer over UDP after the flood"
pass "a client that never reads: $out, RSS $((before / 1024)) -> $((after / 1024)) KB"
stop

# --- 2. the per-message deadline, TCP and TLS -------------------------------
start deadline 1024 "message_timeout: 2"
out=$("$LOAD" trickle 127.0.0.1 "$SIP" 100)
grep -q "^closed after" <<<"$out" || fail "a trickled message: $out"
grep -q "tcp 127.0.0.1:[0-9]*: message not complete 2 s after" \
	"$WORK/deadline.log" || fail "the deadline was not logged"
out=$("$LOAD" trickle 127.0.0.1 "$TLS" 100 tls)
grep -q "^closed after" <<<"$out" || fail "a trickled TLS record: $out"
grep -q "tls 127.0.0.1:[0-9]*: message not complete 2 s after" \
	"$WORK/deadline.log" || fail "the TLS deadline was not logged"
pass "a message trickled a byte every 100 ms is closed at its deadline (TCP and TLS)"
stop

# --- 3. connections limited by RLIMIT_NOFILE, with a reserve ----------------
start nofile 200 "fd_reserve: 64"
max=$(sed -n 's/.*tcp: up to \([0-9]*\) connections (RLIMIT_NOFILE 200,.*/\1/p' \
	"$WORK/nofile.log")
[ -n "$max" ] && [ "$max" -gt 0 ] || fail "no connection limit logged"
hold_start nofile 127.0.0.1 "$SIP" $((max + 10)) 3000
grep -qx "answered $max" "$WORK/nofile.out" ||
	fail "expected $max connections: $(cat "$WORK/nofile.out")"
grep -qx "next closed" "$WORK/nofile.out" || fail "$(cat "$WORK/nofile.out")"
grep -q "connection refused, $max connections is the limit" "$WORK/nofile.log" ||
	fail "the refusal was not logged"
options_udp nofile-full || fail "no answer over UDP at the limit"
"$BIN/pbxctl" -s "$A" status >/dev/null || fail "no admin status at the limit"
kill "$HOLD"
wait "$HOLD" 2>/dev/null
# the server counts a connection gone once its actor has stopped
wait_for 20 "$LOAD" probe 127.0.0.1 "$SIP" 3000 || fail "not accepting after the limit"
pass "$max connections under RLIMIT_NOFILE 200, then refused; UDP and admin answered"
stop

# --- 4. out of descriptors: accepts pause, no spinning -----------------------
start emfile 200 "max_connections: 100000"
grep -q "sip.tcp.max_connections 100000 is more than descriptors allow" \
	"$WORK/emfile.log" || fail "no warning about max_connections"
hold_start emfile 127.0.0.1 "$SIP" 400 3000
grep -qx "next silent" "$WORK/emfile.out" || fail "$(cat "$WORK/emfile.out")"
t0=$(cpu_ticks)
options_udp emfile-full || fail "no answer over UDP out of descriptors"
sleep 3
ticks=$(($(cpu_ticks) - t0))
# spinning on accept would use a core: about 300 ticks in these 3 s
[ "$ticks" -lt 150 ] || fail "pbxd used $ticks ticks of CPU in 3 s out of descriptors"
n=$(grep -c "accept: Too many open files, pausing accepts" "$WORK/emfile.log")
[ "$n" = 1 ] || fail "expected one line about pausing, got $n"
kill "$HOLD"
wait "$HOLD" 2>/dev/null
wait_for 20 "$LOAD" probe 127.0.0.1 "$SIP" 3000 || fail "not accepting again"
grep -q "accepting again after" "$WORK/emfile.log" || fail "resuming not logged"
"$BIN/pbxctl" -s "$A" status >/dev/null || fail "no admin status after"
pass "out of descriptors: accepts paused (one log line, $ticks CPU ticks in 3 s), UDP answered, accepting again once closed"
stop

# --- 5. the buffer budget ----------------------------------------------------
start budget 1024 "buffer_budget: 262144"
out=$("$LOAD" partial 127.0.0.1 "$SIP" 8 40000)
closed=$(awk '{ print $2 }' <<<"$out")
[ "$closed" -ge 1 ] || fail "nothing closed over the budget: $out"
grep -q "buffer budget exhausted" "$WORK/budget.log" || fail "the budget was not logged"
wait_for 20 "$LOAD" probe 127.0.0.1 "$SIP" 3000 || fail "a small client refused"
pass "8 connections with 40 KB each over a budget of 256 KB: $out"
stop

# --- 6. per source: an IPv4 address, an IPv6 /64 ------------------------------
start source 1024 "max_per_source: 3"
hold_start src1 127.0.0.1 "$SIP" 10 3000 127.0.0.1
grep -qx "answered 3" "$WORK/src1.out" || fail "127.0.0.1: $(cat "$WORK/src1.out")"
grep -qx "next closed" "$WORK/src1.out" || fail "127.0.0.1: $(cat "$WORK/src1.out")"
hold_start src2 127.0.0.1 "$SIP" 2 3000 127.0.0.2
grep -qx "answered 2" "$WORK/src2.out" || fail "127.0.0.2: $(cat "$WORK/src2.out")"
hold_start src6 ::1 "$V6" 10 3000 ::1
grep -qx "answered 3" "$WORK/src6.out" || fail "::1: $(cat "$WORK/src6.out")"
grep -q "connection refused, its source has 3 connections" "$WORK/source.log" ||
	fail "the refusal was not logged"
pass "3 connections per source: 127.0.0.1 and ::1 refused the 4th, 127.0.0.2 served"
stop
