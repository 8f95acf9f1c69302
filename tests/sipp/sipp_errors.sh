#!/usr/bin/env bash
# Requests the PBX must refuse, each with the code and the headers RFC 3261
# asks for: 501 and 405 with Allow, 505, 416, 420 with Unsupported, 415 with
# Accept, 483 (and 200 for an OPTIONS to the PBX itself with Max-Forwards 0)
# through sipp; malformed requests (400 whose reason phrase names the
# problem) and a merged request (482) sent byte for byte with udpsend.
source "$(dirname "$0")/lib.sh"
start_pbxd

# case NAME CODE "REQUEST-LINE" "CSEQ-METHOD" "EXTRA HEADERS" "BODY" [HDR=REGEX...]
# A one-call sipp scenario: the request (the usual headers, then the extra
# ones, separated by '|'), then the expected response, each HDR=REGEX (an
# extended regex on that header's value, the first one of that name; msg=
# for the whole message) checked on it.
n=0
case_() {
	local name=$1 code=$2 rline=$3 cmeth=$4 extra=$5 body=$6 chk h re
	local sf=$WORK/$name.xml lp=$((LP + n % 16)) i=0
	shift 6
	n=$((n + 1))
	{
		cat <<-EOF
			<?xml version="1.0" encoding="ISO-8859-1" ?>
			<!DOCTYPE scenario SYSTEM "sipp.dtd">
			<scenario name="$name">
			<send>
			<![CDATA[

			$rline
			Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
			From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]-$name
			To: <sip:[remote_ip]:[remote_port]>
			Call-ID: [call_id]
			CSeq: 1 $cmeth
			Contact: <sip:sipp@[local_ip]:[local_port]>
		EOF
		grep -q '^Max-Forwards' <<<"${extra//|/$'\n'}" || echo "Max-Forwards: 70"
		[ -n "$extra" ] && tr '|' '\n' <<<"$extra"
		echo "Content-Length: [len]"
		echo
		[ -n "$body" ] && echo "$body"
		echo "]]>"
		echo "</send>"
		echo "<recv response=\"$code\">"
		echo "<action>"
		for chk in "$@"; do
			h=${chk%%=*} re=${chk#*=}
			i=$((i + 1))
			if [ "$h" = msg ]; then
				echo "<ereg regexp=\"$re\" search_in=\"msg\" check_it=\"true\" assign_to=\"v$i\"/>"
			else
				echo "<ereg regexp=\"$re\" search_in=\"hdr\" header=\"$h:\" check_it=\"true\" assign_to=\"v$i\"/>"
			fi
		done
		[ "$i" -gt 0 ] && echo "<log message=\"$name:$(for ((k = 1; k <= i; k++)); do printf ' [$v%d]' "$k"; done)\"/>"
		echo "</action>"
		echo "</recv>"
		echo "</scenario>"
	} >"$sf"
	if RECV_TIMEOUT=2000 run_sipp "$name" "$sf" -p "$lp" -m 1 -trace_logs \
		-log_file "$WORK/$name.values"; then
		pass "$name: $code${*:+, }$*"
	else
		local got
		got=$(grep -ao "received '[^']*" "$WORK/$name.err.log" 2>/dev/null | head -1 | sed "s/received '//")
		[ -z "$got" ] && got=$(tr '\n' ' ' <"$WORK/$name.err.log" 2>/dev/null | head -c 600)
		problem "$name: sent '$rline' ($extra), expected $code $*; got: ${got:-nothing}"
	fi
}

R="sip:127.0.0.1:$SIP"
case_ unknown-method 501 "FOO $R SIP/2.0" FOO "" "" "Allow=OPTIONS"
case_ subscribe 405 "SUBSCRIBE $R SIP/2.0" SUBSCRIBE "Event: presence|Expires: 60" "" "Allow=OPTIONS"
case_ publish 405 "PUBLISH $R SIP/2.0" PUBLISH "Event: presence|Expires: 60" "" "Allow=OPTIONS"
case_ version 505 "OPTIONS $R SIP/7.0" OPTIONS "" ""
case_ scheme 416 "OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0" OPTIONS "" ""
# Unsupported may be one header with a list or one header per option
U="Unsupported[ ]*:[ A-Za-z0-9,._-]*"
case_ require 420 "OPTIONS $R SIP/2.0" OPTIONS "Require: ext-one-x, ext-two-y" "" \
	"msg=${U}ext-one-x" "msg=${U}ext-two-y"
case_ proxy-require 420 "OPTIONS $R SIP/2.0" OPTIONS \
	"Require: ext-three-z|Proxy-Require: ext-four-w" "" \
	"msg=${U}ext-three-z" "msg=${U}ext-four-w"
case_ content-type 415 "OPTIONS $R SIP/2.0" OPTIONS \
	"Content-Type: application/x-nobody-knows" "opaque content" "Accept=[a-z]+/[a-z]"
case_ max-forwards-self 200 "OPTIONS $R SIP/2.0" OPTIONS "Max-Forwards: 0" "" "Allow=OPTIONS"
case_ max-forwards 483 "INVITE sip:1002@127.0.0.1:$SIP SIP/2.0" INVITE "Max-Forwards: 0" ""

# -- malformed: 400, and the reason phrase names the problem
# bad NAME REGEX FILE: FILE sent as one datagram must get a 400 whose reason
# phrase matches REGEX (case-insensitive)
bad() {
	local name=$1 re=$2 f=$3
	send_udp "$name" "$f"
	local code why got
	code=$(status "$WORK/$name.1" 2>/dev/null)
	why=$(reason "$WORK/$name.1" 2>/dev/null)
	if [ "$code" != 400 ]; then
		got=$(cut -d' ' -f4- "$WORK/$name.out" | head -1)
		problem "$name: expected 400 with a reason about /$re/, got: ${got:-nothing}"
	elif ! grep -qiE -- "$re" <<<"$why"; then
		problem "$name: 400 with reason '$why', expected it to name the problem (/$re/)"
	else
		pass "$name: 400 $why"
	fi
}
req=$WORK/ok.req
sip_req "$req" OPTIONS "$R"
# without one header line: drop_line FILE NAME (case-insensitive name)
drop_line() { grep -aviE "^$2[ ]*:" "$req" >"$1"; }
# with one header line replaced
set_line() { sed -E "s/^$2[ ]*:.*\r\$/$3\r/I" "$req" >"$1"; }

drop_line "$WORK/m1.req" Call-ID && bad missing-call-id 'call-id' "$WORK/m1.req"
drop_line "$WORK/m2.req" From && bad missing-from 'from' "$WORK/m2.req"
drop_line "$WORK/m3.req" To && bad missing-to '(^|[^a-z])to([^a-z]|$)' "$WORK/m3.req"
drop_line "$WORK/m4.req" CSeq && bad missing-cseq 'cseq' "$WORK/m4.req"
set_line "$WORK/m5.req" CSeq 'CSeq: abc OPTIONS' && bad bad-cseq 'cseq' "$WORK/m5.req"
set_line "$WORK/m6.req" CSeq 'CSeq: 1 INVITE' && bad cseq-method 'cseq|method' "$WORK/m6.req"
set_line "$WORK/m7.req" Content-Length 'Content-Length: abc' && bad bad-content-length 'content-length' "$WORK/m7.req"
set_line "$WORK/m8.req" Content-Length 'Content-Length: -5' && bad negative-content-length 'content-length' "$WORK/m8.req"
set_line "$WORK/m9.req" Content-Length 'Content-Length: 50' && printf 'ten bytes!' >>"$WORK/m9.req" &&
	bad short-body 'content-length|body|truncat|incomplete' "$WORK/m9.req"
set_line "$WORK/m10.req" Max-Forwards 'Max-Forwards: many' && bad bad-max-forwards 'max-forwards' "$WORK/m10.req"
sed -E 's/^(Call-ID: .*)\r$/\1\r\nCall-ID: second@x\r/' "$req" >"$WORK/m11.req" &&
	bad two-call-ids 'call-id' "$WORK/m11.req"
sed -E 's/^(Content-Length: .*)\r$/\1\r\nContent-Length: 0\r/' "$req" >"$WORK/m12.req" &&
	bad two-content-lengths 'content-length' "$WORK/m12.req"
# an unclosed IPv6 bracket in the Request-URI is malformed (400), not an
# unsupported scheme (416)
sip_req "$WORK/u1.req" OPTIONS "sip:1001@[2001:db8::10:5070" &&
	bad unclosed-bracket 'request-uri.*bracket' "$WORK/u1.req"
sip_req "$WORK/u2.req" INVITE "sip:1001@[2001:db8::10:5070" &&
	bad unclosed-bracket-invite 'request-uri.*bracket' "$WORK/u2.req"

# -- a merged request (RFC 3261 8.2.2.2): same From tag, Call-ID and CSeq as
# an earlier request, another branch, no To tag: 482. The PBX answers
# OPTIONS and digest challenges statelessly; an authenticated REGISTER has
# no transaction either: its registration actor remembers the request, a
# retransmission gets the 200 again, unchanged, and the same request by
# another branch is merged.
md5() { printf '%s' "$1" | openssl md5 -r | cut -d' ' -f1; }
MCID=merge$RANDOM@x MTAG=mt$RANDOM
CALLID=$MCID FROMTAG=$MTAG BRANCH=z9hG4bK-m0-$RANDOM TOURI=sip:1000@127.0.0.1 \
	sip_req "$WORK/mg0.req" REGISTER "$R" "Contact: <sip:1000@127.0.0.1:$LP>"
send_udp mg0 "$WORK/mg0.req"
nonce=$(header "$WORK/mg0.1" WWW-Authenticate | grep -m1 'algorithm=MD5' |
	sed -E 's/.*nonce="([^"]*)".*/\1/')
resp=$(md5 "$(md5 1000:127.0.0.1:1234):$nonce:00000001:c0ffee:auth:$(md5 "REGISTER:$R")")
auth="Authorization: Digest username=\"1000\", realm=\"127.0.0.1\", nonce=\"$nonce\", uri=\"$R\", response=\"$resp\", algorithm=MD5, cnonce=\"c0ffee\", nc=00000001, qop=auth"
CALLID=$MCID FROMTAG=$MTAG BRANCH=z9hG4bK-m1-$RANDOM TOURI=sip:1000@127.0.0.1 CSEQ=2 \
	sip_req "$WORK/mg1.req" REGISTER "$R" "Contact: <sip:1000@127.0.0.1:$LP>" "$auth"
sed -E 's/branch=z9hG4bK-m1-/branch=z9hG4bK-m2-/' "$WORK/mg1.req" >"$WORK/mg2.req"
send_udp mg1 "$WORK/mg1.req"
send_udp mg2 "$WORK/mg2.req"
got=$(status "$WORK/mg2.1" 2>/dev/null)
if [ "$(status "$WORK/mg1.1" 2>/dev/null)" != 200 ] || [ "$got" != 482 ]; then
	problem "merged request: an authenticated REGISTER, then the same (Call-ID, From tag, CSeq 2) with another branch: answers '$(cut -d' ' -f4- "$WORK/mg1.out")' then '$(cut -d' ' -f4- "$WORK/mg2.out")', expected 200 then 482"
else
	pass "merged request: 482 $(reason "$WORK/mg2.1")"
fi
# -- the accepted REGISTER again, byte for byte (its 200 was lost): the
# same 200 with the binding, and nothing stored anew
events() { "$BIN/pbxctl" -s "$ADMIN" --json status | jq .events; }
[ -n "$PBXD" ] && ev0=$(events)
send_udp mg3 "$WORK/mg1.req"
if [ "$(status "$WORK/mg3.1" 2>/dev/null)" != 200 ] ||
	! header "$WORK/mg3.1" contact | grep -q "sip:1000@127.0.0.1:$LP"; then
	problem "retransmitted REGISTER after its 200: answers '$(cut -d' ' -f4- "$WORK/mg3.out")', expected 200 with Contact <sip:1000@127.0.0.1:$LP>"
elif [ -n "$PBXD" ] && [ "$(events)" != "$ev0" ]; then
	problem "retransmitted REGISTER after its 200: $ev0 events stored before, $(events) after (a retransmission changes nothing)"
else
	pass "retransmitted REGISTER after its 200: 200 again, nothing stored"
fi
finish
