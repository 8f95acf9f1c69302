#!/usr/bin/env bash
# Finer RFC points of the registrar. RFC 3261 section 10.3 step 7: a Contact
# is matched to the existing bindings with the URI comparison rules of
# section 19.1.4 (host and scheme without case, parameters such as
# transport without case), so the same contact written with another case
# refreshes its binding instead of adding one. RFC 5626 section 6: a
# REGISTER with +sip.instance and reg-id and "Supported: outbound" is
# answered with "Require: outbound".
source "$(dirname "$0")/lib.sh"
make_conf "$WORK/pbx.yaml"
start_pbxd -c "$WORK/pbx.yaml"

# -- the same contact, host and transport in another case: one binding
TO=1040 reg case1 200 "$LP" "Contact: <sip:1040@phone.example.com:5071;transport=udp>" "Expires: 600"
check_reg $? case1 "1040 lower case"
next_second
TO=1040 reg case2 200 "$LP" "Contact: <sip:1040@PHONE.Example.COM:5071;transport=UDP>" "Expires: 600"
if check_reg $? case2 "1040 upper case"; then
	n=$(nbindings 1040)
	[ "$n" = 1 ] && pass "the same contact in another case refreshes its binding" ||
		problem "Contact <sip:1040@PHONE.Example.COM:5071;transport=UDP> after <sip:1040@phone.example.com:5071;transport=udp>: $n bindings, expected 1 (RFC 3261 10.3 step 7, 19.1.4): $(bindings 1040 | jq -c '[.[].contact]')"
fi

# -- RFC 5626: Require: outbound in the 200
inst='"<urn:uuid:00000000-0000-1000-8000-00a0c91e6bf7>"'
TO=1041 reg ob 200 "$((LP + 1))" "Contact: <sip:1041@127.0.0.1:$((LP + 1));ob>;+sip.instance=$inst;reg-id=1" "Supported: outbound, path" "Expires: 600"
if check_reg $? ob "outbound registration"; then
	req=$(header "$(last_msg ob)" require)
	grep -qiw outbound <<<"$req" && pass "RFC 5626: Require: $req" ||
		problem "RFC 5626 section 6: REGISTER with +sip.instance, reg-id=1 and Supported: outbound: the 200 has no 'Require: outbound' (Require: '${req}')"
fi
finish
