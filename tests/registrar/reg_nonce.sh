#!/usr/bin/env bash
# Two challenges for the same AOR in the same second. A client that gets a
# fresh 401 starts again at nc=00000001 (RFC 7616 section 3.3; sipp always
# does): a second device of the same AOR, or the same device registering
# twice in one second (register, then unregister), must get 200. pbxd up to
# 3990709 made one nonce per second and took the second nc=00000001 for a
# replay (401 stale=true); per-challenge nonces since f2048e6.
source "$(dirname "$0")/lib.sh"
make_conf "$WORK/pbx.yaml"
start_pbxd -c "$WORK/pbx.yaml"
P1=$((LP + 1)) P2=$((LP + 2))

# two devices of 1030, started together at the beginning of a second
next_second
TO=1030 reg dev1 200 "$P1" "Contact: <sip:1030@127.0.0.1:$P1>" "Expires: 600" &
d1=$!
TO=1030 reg dev2 200 "$P2" "Contact: <sip:1030@127.0.0.1:$P2>" "Expires: 600" &
d2=$!
wait "$d1"; r1=$?
wait "$d2"; r2=$?
check_reg "$r1" dev1 "device 1 of 1030 (same second as device 2)" && pass "device 1: 200"
check_reg "$r2" dev2 "device 2 of 1030 (same second as device 1)" && pass "device 2: 200"
[ "$(nbindings 1030)" = 2 ] && pass "two devices in one second: two bindings" ||
	problem "two devices of 1030 registering in the same second: pbxctl shows $(bindings 1030)"

# one device: register, then unregister right away (new call, new 401)
next_second
TO=1031 reg on 200 "$P1" "Contact: <sip:1031@127.0.0.1:$P1>" "Expires: 600"
check_reg $? on "1031 registers"
TO=1031 reg off 200 "$P1" "Contact: <sip:1031@127.0.0.1:$P1>" "Expires: 0"
check_reg $? off "1031 unregisters in the same second (fresh 401, nc=00000001)" && pass "register then unregister in one second"
finish
