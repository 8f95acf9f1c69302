#!/usr/bin/env bash
# One AOR, eight devices on eight source ports, pbxd with 2 workers. Each
# worker has its own socket on the SIP address (SO_REUSEPORT), and the
# kernel spreads sources over them, so these REGISTERs are read on both
# workers (all eight on one has a chance of 2 in 256). An AOR has one
# registration actor wherever its REGISTERs are read: every 200 lists the
# bindings so far, and pbxctl shows all eight, each with its source. Then
# each device refreshes, in reverse order: every 200 lists all eight (an
# actor of its own per worker would know only what it had when it started
# from the store, and miss what the other added since).
source "$(dirname "$0")/lib.sh"
make_conf "$WORK/pbx.yaml"
start_pbxd -c "$WORK/pbx.yaml"

for i in 0 1 2 3 4 5 6 7; do
	p=$((LP + i))
	TO=1020 reg "dev$i" 200 "$p" "Contact: <sip:1020@127.0.0.1:$p>" "Expires: 600"
	check_reg $? "dev$i" "device $i" || continue
	n=$(contacts "dev$i" | grep -c expires=)
	[ "$n" = $((i + 1)) ] ||
		problem "device $i (port $p): its 200 lists $n bindings, expected $((i + 1)): $(contacts "dev$i" | tr '\n' ' ')"
done
for i in 7 6 5 4 3 2 1 0; do
	p=$((LP + i))
	TO=1020 CSEQ=3 reg "ref$i" 200 "$p" "Contact: <sip:1020@127.0.0.1:$p>" "Expires: 900"
	check_reg $? "ref$i" "device $i refreshing" || continue
	n=$(contacts "ref$i" | grep -c expires=)
	[ "$n" = 8 ] ||
		problem "device $i (port $p) refreshing: its 200 lists $n bindings, expected 8: $(contacts "ref$i" | tr '\n' ' ')"
done
b=$(bindings 1020)
want=$(for i in 0 1 2 3 4 5 6 7; do echo "127.0.0.1:$((LP + i))/udp"; done | sort | tr '\n' ' ')
got=$(jq -r '.[].source' <<<"$b" | sort | tr '\n' ' ')
[ "$got" = "$want" ] && pass "eight devices, one AOR: pbxctl shows $got" ||
	problem "eight devices: pbxctl shows sources '$got', expected '$want'"
finish
