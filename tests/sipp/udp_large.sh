#!/usr/bin/env bash
# Large requests over UDP (RFC 3261 18.1.1 allows datagrams larger than the
# MTU): an OPTIONS of about 9,000 and one of about 60,000 bytes (a long
# Call-ID, long headers) each get their answer, as one datagram, with the
# Call-ID echoed whole; an INVITE of about 9,000 bytes gets its 407. A
# request whose answer cannot fit a datagram is not answered, and pbxd says
# why in one log line.
source "$(dirname "$0")/lib.sh"
start_pbxd --log-level info

# big FILE METHOD SIZE IDLEN: a request of about SIZE bytes, its Call-ID
# IDLEN bytes long and the rest in X- headers of 1,000 bytes each (the
# answer echoes the Call-ID, not the X- headers)
big() {
	local f=$1 m=$2 size=$3 idlen=$4 id h=() i
	id=$(head -c "$idlen" /dev/zero | tr '\0' 'c')@big$RANDOM
	for ((i = 0; i < (size - idlen + 1009) / 1010; i++)); do
		h+=("X-Filler-$i: $(head -c 1000 /dev/zero | tr '\0' 'x')")
	done
	CALLID=$id sip_req "$f" "$m" "sip:1001@127.0.0.1:$SIP" "${h[@]}"
	echo "$id" >"$f.id"
}

# answered NAME FILE CODE: FILE sent as one datagram gets CODE, with the
# request's Call-ID echoed whole
answered() {
	local name=$1 f=$2 want=$3 got id
	id=$(cat "$f.id")
	# an INVITE gets 100 Trying first: the final answer counts
	send_udp "$name" "$f" -w 3000 -n 2 -m "$id"
	got=$(awk '$5 != 100 { print $5; exit }' "$WORK/$name.out")
	if [ "$got" = "$want" ]; then
		pass "$name: $(wc -c <"$f") bytes answered $got"
	else
		problem "$name: $(wc -c <"$f") bytes, expected $want, got ${got:-nothing} $(tr '\n' ' ' <"$WORK/$name.out")"
	fi
}

# an 8,000-byte Call-ID makes an answer of more than 8 KiB
big "$WORK/o9k.req" OPTIONS 9000 8000
big "$WORK/o60k.req" OPTIONS 60000 8000
big "$WORK/i9k.req" INVITE 9000 1000
[ "$(wc -c <"$WORK/o9k.req")" -ge 9000 ] || problem "o9k.req is too small"
[ "$(wc -c <"$WORK/o60k.req")" -ge 60000 ] || problem "o60k.req is too small"
answered options-9k "$WORK/o9k.req" 200
answered options-60k "$WORK/o60k.req" 200
answered invite-9k "$WORK/i9k.req" 407

# A request that fits a datagram (65,450 bytes, nearly all Call-ID) but
# whose answer does not: the answer echoes the Call-ID and adds headers of
# its own. No answer can be sent; the log names why.
export BRANCH=z9hG4bK-huge FROMTAG=huge
CALLID=x sip_req "$WORK/huge.req" OPTIONS "sip:1001@127.0.0.1:$SIP"
id=$(head -c $((65450 - $(wc -c <"$WORK/huge.req"))) /dev/zero | tr '\0' 'c')
CALLID=x$id sip_req "$WORK/huge.req" OPTIONS "sip:1001@127.0.0.1:$SIP"
unset BRANCH FROMTAG
[ "$(wc -c <"$WORK/huge.req")" = 65450 ] || problem "huge.req: $(wc -c <"$WORK/huge.req") bytes, not 65450"
# (the 407 to the INVITE above may still be repeated to the same port)
send_udp huge "$WORK/huge.req" -w 1000 -m "Call-ID: xccc"
[ -s "$WORK/huge.out" ] && problem "huge: answered: $(cat "$WORK/huge.out")"
re='cannot send "SIP/2.0 200 OK" \(6[0-9]{4} bytes\) to udp 127\.0\.0\.1:[0-9]+.*: Message too long'
if wait_for 5 grep -qE "$re" "$WORK/pbxd.log"; then
	pass "huge: $(grep -m1 -oE "$re.*" "$WORK/pbxd.log")"
else
	problem "huge: no log line saying why its answer was not sent: $(grep -E 'WARN|ERROR' "$WORK/pbxd.log" | tail -3)"
fi
# and pbxd still answers
send_udp after "$WORK/ping.req" -w 2000
[ "$(status "$WORK/after.1" 2>/dev/null)" = 200 ] || problem "no answer to OPTIONS afterwards"
finish
