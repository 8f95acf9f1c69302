#!/usr/bin/env bash
# Bindings of one address of record (RFC 3261 section 10.3, RFC 5626), with
# sipp against a real pbxd: two contacts, one removed with ;expires=0, the
# other with Expires: 0, all removed with "Contact: *" and Expires: 0; two
# devices (two sipp UACs on different ports) make two bindings and the 200
# lists both; a device with +sip.instance and reg-id registering again from a
# new port replaces its own binding; the source address of a REGISTER whose
# Contact names another address (NAT) is recorded; pbxctl unregister.
source "$(dirname "$0")/lib.sh"
make_conf "$WORK/pbx.yaml"
start_pbxd -c "$WORK/pbx.yaml"

has() { grep -qF "$2" <<<"$1"; }

# -- two contacts in one REGISTER, then remove them one by one
A="sip:1010@127.0.0.1:5071" B="sip:1010@127.0.0.1:5072" C="sip:1010@127.0.0.1:5073"
TO=1010 reg two 200 "$LP" "Contact: <$A>, <$B>" "Expires: 600"
if check_reg $? two "two contacts"; then
	c=$(contacts two)
	[ "$(wc -l <<<"$c")" = 2 ] && has "$c" "<$A>;expires=600" && has "$c" "<$B>;expires=600" &&
		pass "two contacts in one REGISTER: 200 lists both" ||
		problem "two contacts: the 200 lists: $c"
fi
[ "$(nbindings 1010)" = 2 ] || problem "two contacts: pbxctl shows $(bindings 1010)"
next_second
TO=1010 CSEQ=3 reg rm1 200 "$LP" "Contact: <$A>;expires=0" "Expires: 600"
if check_reg $? rm1 "Contact ;expires=0"; then
	c=$(contacts rm1)
	[ "$(wc -l <<<"$c")" = 1 ] && has "$c" "<$B>;expires=" &&
		pass "Contact <A>;expires=0: A removed, the 200 lists $c" ||
		problem "Contact <A>;expires=0: the 200 lists: $c (expected B only)"
fi
[ "$(bindings 1010 | jq -r '.[].contact')" = "$B" ] || problem "after ;expires=0: pbxctl shows $(bindings 1010)"
next_second
TO=1010 CSEQ=5 reg rm2 200 "$LP" "Contact: <$B>" "Expires: 0"
if check_reg $? rm2 "Expires: 0"; then
	c=$(contacts rm2)
	[ -z "$c" ] && pass "Contact <B> with Expires: 0: removed, the 200 has no Contact" ||
		problem "Expires: 0: the 200 still lists: $c"
fi
[ "$(nbindings 1010)" = 0 ] || problem "after Expires: 0: pbxctl shows $(bindings 1010)"

# -- three contacts, then Contact: * with Expires: 0
next_second
TO=1010 CSEQ=7 reg three 200 "$LP" "Contact: <$A>" "Contact: <$B>;expires=300" "Contact: <$C>" "Expires: 900"
if check_reg $? three "three contacts"; then
	c=$(contacts three)
	[ "$(wc -l <<<"$c")" = 3 ] && has "$c" "<$A>;expires=900" && has "$c" "<$B>;expires=300" &&
		pass "three contacts, Contact ;expires overrides Expires" || problem "three contacts: the 200 lists $c"
fi
next_second
TO=1010 CSEQ=9 reg star 200 "$LP" "Contact: *" "Expires: 0"
if check_reg $? star "Contact: * with Expires: 0"; then
	c=$(contacts star)
	[ -z "$c" ] && [ "$(nbindings 1010)" = 0 ] && pass "Contact: * with Expires: 0 removes all three" ||
		problem "Contact: *: the 200 lists '$c', pbxctl shows $(bindings 1010)"
fi
# "Contact: *" without Expires: 0 is a bad request (RFC 3261 10.3 step 6)
next_second
TO=1010 CSEQ=11 reg starbad 400 "$LP" "Contact: *" "Expires: 60"
check_reg $? starbad "Contact: * with Expires: 60 -> 400" && pass "Contact: * with Expires: 60: 400"
grep -q "unregistered: 1010@127.0.0.1 -> $A" "$WORK/pbxd.log" || problem "no 'unregistered' line for $A in pbxd's log"

# -- two devices (two sipp UACs on two ports): two bindings, the 200 lists both
P1=$((LP + 1)) P2=$((LP + 2))
TO=1011 reg dev1 200 "$P1" "Contact: <sip:1011@127.0.0.1:$P1>" "Expires: 600"
check_reg $? dev1 "device 1"
next_second
TO=1011 reg dev2 200 "$P2" "Contact: <sip:1011@127.0.0.1:$P2>" "Expires: 600"
if check_reg $? dev2 "device 2"; then
	c=$(contacts dev2)
	[ "$(wc -l <<<"$c")" = 2 ] && has "$c" "<sip:1011@127.0.0.1:$P1>;expires=" &&
		has "$c" "<sip:1011@127.0.0.1:$P2>;expires=600" &&
		pass "two devices: the second 200 lists both: $(tr '\n' ' ' <<<"$c")" ||
		problem "two devices: the second 200 lists: $c"
fi
b=$(bindings 1011)
[ "$(jq length <<<"$b")" = 2 ] &&
	[ "$(jq -r '[.[].source] | sort | join(" ")' <<<"$b")" = "127.0.0.1:$P1/udp 127.0.0.1:$P2/udp" ] ||
	problem "two devices: pbxctl shows $b"

# -- RFC 5626: the same +sip.instance and reg-id from a new port replaces it
inst='"<urn:uuid:00000000-0000-1000-8000-00a0c91e6bf6>"'
P3=$((LP + 3)) P4=$((LP + 4))
TO=1012 reg inst1 200 "$P3" "Contact: <sip:1012@127.0.0.1:$P3;ob>;+sip.instance=$inst;reg-id=1" "Supported: outbound, path" "Expires: 600"
check_reg $? inst1 "instance, first port"
next_second
TO=1012 reg inst2 200 "$P4" "Contact: <sip:1012@127.0.0.1:$P4;ob>;+sip.instance=$inst;reg-id=1" "Supported: outbound, path" "Expires: 600"
if check_reg $? inst2 "instance, new port"; then
	c=$(contacts inst2)
	[ "$(wc -l <<<"$c")" = 1 ] && has "$c" "<sip:1012@127.0.0.1:$P4;ob>;expires=600" &&
		has "$c" "+sip.instance=$inst" && has "$c" "reg-id=1" &&
		pass "same instance/reg-id from port $P4: one binding: $c" ||
		problem "same instance/reg-id from a new port: the 200 lists: $c"
fi
b=$(bindings 1012)
[ "$(jq length <<<"$b")" = 1 ] && [ "$(jq -r '.[0].contact' <<<"$b")" = "sip:1012@127.0.0.1:$P4;ob" ] &&
	[ "$(jq -r '.[0].source' <<<"$b")" = "127.0.0.1:$P4/udp" ] ||
	problem "same instance/reg-id: pbxctl shows $b (expected one binding, port $P4)"
# another reg-id of the same instance is another flow: a second binding
next_second
TO=1012 reg inst3 200 "$P3" "Contact: <sip:1012@127.0.0.1:$P3;ob>;+sip.instance=$inst;reg-id=2" "Supported: outbound, path" "Expires: 600"
check_reg $? inst3 "instance, reg-id 2" && { [ "$(nbindings 1012)" = 2 ] && pass "reg-id 2: a second binding" ||
	problem "reg-id 2 of the same instance: pbxctl shows $(bindings 1012)"; }

# -- NAT: the Contact names 192.0.2.10:5999, the request comes from 127.0.0.1:P5
P5=$((LP + 5))
TO=1013 reg nat 200 "$P5" "Contact: <sip:1013@192.0.2.10:5999>" "Expires: 600"
if check_reg $? nat "NAT"; then
	b=$(bindings 1013)
	[ "$(jq -r '.[0].contact' <<<"$b")" = "sip:1013@192.0.2.10:5999" ] &&
		[ "$(jq -r '.[0].source' <<<"$b")" = "127.0.0.1:$P5/udp" ] &&
		pass "NAT: contact $(jq -r '.[0].contact' <<<"$b"), source $(jq -r '.[0].source' <<<"$b")" ||
		problem "NAT: expected contact sip:1013@192.0.2.10:5999 and source 127.0.0.1:$P5/udp, got $b"
fi

# -- pbxctl unregister AOR CONTACT, then AOR
out=$(ctl unregister 1011@127.0.0.1 "sip:1011@127.0.0.1:$P1" 2>&1) || problem "pbxctl unregister 1011 contact: $out"
b=$(bindings 1011)
[ "$(jq -r '.[].contact' <<<"$b")" = "sip:1011@127.0.0.1:$P2" ] && pass "pbxctl unregister AOR CONTACT: $out" ||
	problem "pbxctl unregister AOR CONTACT: now $b"
out=$(ctl unregister 1012@127.0.0.1 2>&1) || problem "pbxctl unregister 1012: $out"
[ "$(nbindings 1012)" = 0 ] && pass "pbxctl unregister AOR: $out" || problem "pbxctl unregister AOR: $(bindings 1012)"
finish
