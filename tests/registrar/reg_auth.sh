#!/usr/bin/env bash
# REGISTER with digest authentication (RFC 3261 section 10.3, RFC 7616), with
# sipp against a real pbxd: 401 with two challenges (MD5 then SHA-256,
# qop=auth) then 200 listing the contact with its expiry; a wrong password
# (403); a user registering another user's AOR (403); Expires below the
# minimum (423 with Min-Expires); a query without Contact (200 listing the
# bindings); a CSeq not above the binding's for the same Call-ID (500); and
# a registration over TCP.
source "$(dirname "$0")/lib.sh"
make_conf "$WORK/pbx.yaml"
start_pbxd -c "$WORK/pbx.yaml"

# -- 401 then 200, the contact listed with its expiry
TO=1000 reg ok 200 "$LP" "Contact: <sip:1000@127.0.0.1:$LP>" "Expires: 120"
if check_reg $? ok "1000 registers with the right password"; then
	# the challenge: the first 401 received
	mapfile -t ch < <(header "$(recv_msg ok 1)" www-authenticate)
	if [ "${#ch[@]}" != 2 ] || ! grep -q 'algorithm=MD5' <<<"${ch[0]}" ||
		! grep -q 'algorithm=SHA-256' <<<"${ch[1]}" ||
		! grep -q 'qop="auth"' <<<"${ch[0]}" ||
		! grep -q 'realm="127.0.0.1"' <<<"${ch[0]}"; then
		problem "401: expected two WWW-Authenticate (MD5 then SHA-256, qop=\"auth\", realm 127.0.0.1), got: ${ch[*]}"
	else
		pass "401 with WWW-Authenticate MD5 then SHA-256, qop=auth"
	fi
	c=$(contacts ok)
	if [ "$(wc -l <<<"$c")" != 1 ] || ! grep -qE "^<sip:1000@127\.0\.0\.1:$LP>;expires=(119|120)$" <<<"$c"; then
		problem "200: expected one Contact <sip:1000@127.0.0.1:$LP>;expires=120, got: $c"
	else
		pass "200 OK lists $c"
	fi
	b=$(bindings 1000)
	[ "$(jq length <<<"$b")" = 1 ] && [ "$(jq -r '.[0].contact' <<<"$b")" = "sip:1000@127.0.0.1:$LP" ] &&
		[ "$(jq -r '.[0].aor' <<<"$b")" = 1000@127.0.0.1 ] &&
		[ "$(jq -r '.[0].user_agent' <<<"$b")" = sipp-registrar-test ] &&
		[ "$(jq -r '.[0].expires_in' <<<"$b")" -ge 110 ] ||
		problem "pbxctl registrations --user 1000: expected the contact, UA and ~120 s, got $b"
fi

# -- wrong password: 403, nothing stored
TO=1001 AP=wrong reg badpw 403 "$((LP + 1))" "Contact: <sip:1001@127.0.0.1:$((LP + 1))>"
check_reg $? badpw "wrong password -> 403" && pass "wrong password: 403"
[ "$(nbindings 1001)" = 0 ] || problem "wrong password: 1001 has bindings: $(bindings 1001)"

# -- 1000's credentials for 1001's AOR: 403
TO=1001 AU=1000 reg other 403 "$((LP + 2))" "Contact: <sip:1001@127.0.0.1:$((LP + 2))>"
check_reg $? other "1000 registering 1001 -> 403" && pass "another user's AOR: 403 ($(head -1 "$(last_msg other)"))"
[ "$(nbindings 1001)" = 0 ] || problem "another user's AOR: 1001 has bindings: $(bindings 1001)"

# -- Expires: 30 is below min_expires 60: 423 with Min-Expires: 60
TO=1002 reg short 423 "$((LP + 3))" "Contact: <sip:1002@127.0.0.1:$((LP + 3))>" "Expires: 30"
if check_reg $? short "Expires: 30 -> 423"; then
	me=$(header "$(last_msg short)" min-expires)
	[ "$me" = 60 ] && pass "Expires: 30: 423 with Min-Expires: 60" ||
		problem "423 without Min-Expires: 60 (got '$me')"
fi
# ;expires=30 in the Contact, too
next_second
TO=1002 reg shortc 423 "$((LP + 3))" "Contact: <sip:1002@127.0.0.1:$((LP + 3))>;expires=30"
check_reg $? shortc "Contact ;expires=30 -> 423" && pass "Contact ;expires=30: 423"
[ "$(nbindings 1002)" = 0 ] || problem "423: 1002 has bindings: $(bindings 1002)"

# -- a query (no Contact): 200 listing the bindings, nothing changed
next_second
TO=1000 reg query 200 "$((LP + 4))"
if check_reg $? query "REGISTER without Contact -> 200"; then
	c=$(contacts query)
	grep -qE "^<sip:1000@127\.0\.0\.1:$LP>;expires=[0-9]+$" <<<"$c" && [ "$(wc -l <<<"$c")" = 1 ] &&
		pass "query: 200 lists $c" || problem "query: expected the one binding of 1000 in the 200, got: $c"
fi
[ "$(nbindings 1000)" = 1 ] || problem "query changed the bindings: $(bindings 1000)"

# -- CSeq ordering: same Call-ID, CSeq 2 registered, then CSeq 2 again: 500
RECV_TIMEOUT=3000 run_sipp cseq "$RHERE/cseq.xml" -p "$((LP + 5))" -m 1 -au 1003 -ap 1234 \
	-trace_msg -message_file "$WORK/cseq.msg"
if check_reg $? cseq "same Call-ID, CSeq not higher -> 500"; then
	l=$(head -1 "$(last_msg cseq)" | tr -d '\r')
	[ "$l" = "SIP/2.0 500 Out Of Order CSeq" ] && pass "CSeq out of order: $l" ||
		problem "CSeq out of order: got '$l', expected 500 Out Of Order CSeq"
fi
b=$(bindings 1003)
[ "$(jq length <<<"$b")" = 1 ] || problem "after the 500, 1003 should keep its binding: $b"

# -- over TCP
TO=1004 SIPP_ARGS="-t t1" reg tcp 200 "$((LP + 6))" "Contact: <sip:1004@127.0.0.1:$((LP + 6));transport=tcp>"
if check_reg $? tcp "REGISTER over TCP"; then
	b=$(bindings 1004)
	src=$(jq -r '.[0].source' <<<"$b")
	if grep -qE '^127\.0\.0\.1:[0-9]+/tcp$' <<<"$src" &&
		[ "$(jq -r '.[0].contact' <<<"$b")" = "sip:1004@127.0.0.1:$((LP + 6));transport=tcp" ]; then
		pass "TCP: 401, 200, binding from $src"
	else
		problem "TCP: expected a binding with a /tcp source, got $b"
	fi
fi

s=$(ctl status --json)
[ "$(jq .registers_refused <<<"$s")" -ge 4 ] && [ "$(jq .registers_challenged <<<"$s")" -ge 7 ] ||
	problem "status counters look wrong: $s"
finish
