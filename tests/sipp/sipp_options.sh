#!/usr/bin/env bash
# OPTIONS to the PBX itself with sipp, over UDP and over TCP: every call gets
# a 200 with Allow (listing OPTIONS), Accept and Supported. Then where the
# answers go (RFC 3261 section 18.2.2, RFC 3581 rport), and the SIP trace
# switched on and off with pbxctl.
source "$(dirname "$0")/lib.sh"
start_pbxd

# -- sipp, UDP then TCP: a few hundred calls each
run_sipp udp "$HERE/options.xml" -p "$LP" -m 300 -r 300 -l 100 -buff_size 1048576
rc=$?
ok=$(sipp_stat udp "SuccessfulCall(C)")
[ "$rc" = 0 ] && [ "$ok" = 300 ] || problem "sipp OPTIONS over UDP: exit $rc, $ok of 300 calls passed (see $WORK/udp.err.log)"
[ "$rc" = 0 ] && pass "UDP: 300 OPTIONS, 300 x 200 with Allow, Accept, Supported"

run_sipp tcp "$HERE/options.xml" -t t1 -p "$((LP + 1))" -m 300 -r 300 -l 100
rc=$?
ok=$(sipp_stat tcp "SuccessfulCall(C)")
[ "$rc" = 0 ] && [ "$ok" = 300 ] || problem "sipp OPTIONS over TCP: exit $rc, $ok of 300 calls passed (see $WORK/tcp.err.log)"
[ "$rc" = 0 ] && pass "TCP: 300 OPTIONS, 300 x 200 with Allow, Accept, Supported"

# -- where the answer goes. S sends, V is the port named in the Via.
S=$((LP + 2)) V=$((LP + 3))
# top_via FILE: the first Via value of the response in FILE
top_via() { header "$1" via | head -1 | cut -d, -f1; }

# rport (RFC 3581): to the source port, with rport=SOURCE and received
VIAPORT=$V sip_req "$WORK/rport.req" OPTIONS "sip:$PBX"
"$UDPSEND" -b "$S" -l "$V" -o "$WORK/rport" "$PBX" "$WORK/rport.req" >"$WORK/rport.out"
port=$(awk 'NR == 1 { print $2 }' "$WORK/rport.out")
via=$(top_via "$WORK/rport.1" 2>/dev/null)
if [ "$port" != "$S" ]; then
	problem "rport: Via 127.0.0.1:$V;rport sent from port $S: answer came to port '${port:-none}', expected $S"
elif ! grep -qE ";rport=$S(;|$)" <<<"$via" || ! grep -qE ";received=127\.0\.0\.1(;|$)" <<<"$via"; then
	problem "rport: top Via of the answer is '$via', expected ;rport=$S and ;received=127.0.0.1"
else
	pass "rport: answer to the source port, Via: $via"
fi

# no rport, sent-by port V: to port V (not to the source port)
NORPORT=1 VIAPORT=$V sip_req "$WORK/norport.req" OPTIONS "sip:$PBX"
"$UDPSEND" -b "$S" -l "$V" -o "$WORK/norport" "$PBX" "$WORK/norport.req" >"$WORK/norport.out"
port=$(awk 'NR == 1 { print $2 }' "$WORK/norport.out")
if [ "$port" != "$V" ]; then
	problem "no rport: Via 127.0.0.1:$V sent from port $S: answer came to port '${port:-none}', expected $V (RFC 3261 18.2.2)"
else
	pass "no rport: answer to the Via's sent-by port"
fi

# no rport, sent-by a name that is not the source address: received added,
# answer to that address at the sent-by port
NORPORT=1 VIAHOST=client.invalid VIAPORT=$V sip_req "$WORK/recv.req" OPTIONS "sip:$PBX"
"$UDPSEND" -b "$S" -l "$V" -o "$WORK/recv" "$PBX" "$WORK/recv.req" >"$WORK/recv.out"
port=$(awk 'NR == 1 { print $2 }' "$WORK/recv.out")
via=$(top_via "$WORK/recv.1" 2>/dev/null)
if [ "$port" != "$V" ]; then
	problem "received: Via client.invalid:$V (no rport) sent from port $S: answer came to port '${port:-none}', expected $V"
elif ! grep -qE ";received=127\.0\.0\.1(;|$)" <<<"$via"; then
	problem "received: top Via of the answer is '$via', expected ;received=127.0.0.1"
else
	pass "received: Via: $via, answer to 127.0.0.1:$V"
fi

# the same with LWS, folded over lines, around the slashes of the
# sent-protocol (RFC 3261 25.1: SLASH = SWS "/" SWS), as in RFC 4475's
# wsinv.dat: to port V too
NORPORT=1 VIAPORT=$V sip_req "$WORK/lws.req" OPTIONS "sip:$PBX"
sed -i 's|^Via: SIP/2.0/UDP |Via: SIP  /   2.0\r\n /UDP\r\n    |' "$WORK/lws.req"
"$UDPSEND" -b "$S" -l "$V" -o "$WORK/lws" "$PBX" "$WORK/lws.req" >"$WORK/lws.out"
port=$(awk 'NR == 1 { print $2 }' "$WORK/lws.out")
if [ "$port" != "$V" ]; then
	problem "LWS in Via: '$(sed -n '/^Via/,/branch/p' "$WORK/lws.req" | tr -d '\r' | tr '\n' '|')' (folded, no rport) sent from port $S: answer came to port '${port:-none}', expected $V"
else
	pass "LWS in Via: answer to the sent-by port"
fi

# TCP: the answer on the same connection, whatever the Via says
VIAPROTO=TCP VIAPORT=$V sip_req "$WORK/tcp.req" OPTIONS "sip:$PBX"
"$UDPSEND" -t -o "$WORK/tcpans" "$PBX" "$WORK/tcp.req" >"$WORK/tcpans.out"
if [ "$(status "$WORK/tcpans.1" 2>/dev/null)" != 200 ]; then
	problem "TCP: OPTIONS on a connection: no 200 on that connection ($(cat "$WORK/tcpans.out"))"
else
	pass "TCP: answer on the same connection"
fi

# -- SIP trace: off by default, on with pbxctl, full messages with --full
ctl() { "$BIN/pbxctl" -s "$ADMIN" "$@"; }
traced() { grep -c "$1" "$WORK/pbxd.log"; }
mark=trace$RANDOM$RANDOM
CALLID=$mark-off1@x sip_req "$WORK/t0.req" OPTIONS "sip:$PBX"
send_udp t0 "$WORK/t0.req"
if [ -z "$PBXD" ]; then
	echo "skipped: the trace (no pbxd)"
elif out=$(ctl trace on 2>&1); then
	n0=$(grep -c OPTIONS "$WORK/pbxd.log")
	CALLID=$mark-on@x sip_req "$WORK/t1.req" OPTIONS "sip:$PBX"
	send_udp t1 "$WORK/t1.req"
	if ! wait_for 3 test "$(grep -c OPTIONS "$WORK/pbxd.log")" -gt "$n0"; then
		problem "trace on ('$out'): no line mentioning OPTIONS in pbxd's log after an OPTIONS"
	else
		pass "trace on: $(grep OPTIONS "$WORK/pbxd.log" | tail -1)"
	fi
	# --full: the whole message, so its Call-ID
	if out=$(ctl trace on --full 2>&1) || out=$(ctl trace --full on 2>&1); then
		CALLID=$mark-full@x sip_req "$WORK/t2.req" OPTIONS "sip:$PBX"
		send_udp t2 "$WORK/t2.req"
		wait_for 3 grep -q "$mark-full@x" "$WORK/pbxd.log" ||
			problem "trace on --full ('$out'): the Call-ID $mark-full@x is not in pbxd's log"
		wait_for 3 grep -q "$mark-full@x" "$WORK/pbxd.log" && pass "trace --full: whole messages"
	else
		problem "pbxctl trace on --full: $out"
	fi
	out=$(ctl trace off 2>&1) || problem "pbxctl trace off: $out"
	sleep 0.2
	n1=$(grep -c OPTIONS "$WORK/pbxd.log")
	CALLID=$mark-off2@x sip_req "$WORK/t3.req" OPTIONS "sip:$PBX"
	send_udp t3 "$WORK/t3.req"
	sleep 0.3
	[ "$(grep -c OPTIONS "$WORK/pbxd.log")" = "$n1" ] ||
		problem "trace off: the log still grows with OPTIONS lines"
	grep -q "$mark-off" "$WORK/pbxd.log" &&
		problem "a Call-ID sent while the trace was off is in the log"
	pass "trace off: nothing more logged"
else
	problem "pbxctl trace on: $out"
fi
finish
