#!/usr/bin/env bash
# Responses that name no transaction of pbxd's are dropped (RFC 3261
# 18.1.2: pbxd is no proxy), counted in pbxctl status's sip_bad and never
# routed anywhere. Among them the branches of the old format, which named
# an actor: z9hG4bK-pbx-1.0.8 was the SIP core of worker 0 itself, which
# then forwarded the response to itself forever (one core at 100%), as it
# did an ACK whose To tag named it. Afterwards pbxd still answers OPTIONS on both workers'
# sockets, sip_bad counts every forged response, and it stops cleanly.
source "$(dirname "$0")/lib.sh"
start_pbxd
command -v jq >/dev/null || fail "jq is not installed"
ctl() { "$BIN/pbxctl" -s "$ADMIN" "$@"; }
bad() { ctl --json status | jq -r '.sip_bad // 0'; }

# forged BRANCH: a 486 to pbxd naming BRANCH, from a port of its own, as
# one datagram
sent=0
forged() {
	printf 'SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 127.0.0.1:%s;branch=%s;rport=%s\r\nFrom: <sip:1000@127.0.0.1>;tag=f%s\r\nTo: <sip:1001@127.0.0.1>;tag=t%s\r\nCall-ID: forged-%s@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n' \
		"$SIP" "$1" "$SIP" "$RANDOM" "$RANDOM" "$RANDOM$RANDOM" >"$WORK/forged.txt"
	"$UDPSEND" -w 0 "$PBX" "$WORK/forged.txt" >/dev/null 2>&1
	[ $? = 2 ] && fail "udpsend cannot send to $PBX"
	sent=$((sent + 1))
}
rnd() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }

before=$(bad)
[[ "$before" =~ ^[0-9]+$ ]] || fail "pbxctl status --json has no sip_bad: $before"
# the looping branch of the issue, on both workers, a few times
for i in 1 2 3; do
	forged z9hG4bK-pbx-1.0.8
	forged z9hG4bK-pbx-1.1.8
done
# guesses at the old and the new format, a worker that does not exist,
# someone else's branch
for ((i = 64; i < 96; i++)); do
	forged "z9hG4bK-pbx-1.0.$(printf %x "$i")"
	forged "z9hG4bK-pbx-1.1.$(printf %x "$i")"
done
for i in 1 2 3 4 5; do
	forged "z9hG4bK-pbx-0-$(rnd)"
	forged "z9hG4bK-pbx-1-$(rnd)"
	forged "z9hG4bK-pbx-ff-$(rnd)"
	forged "z9hG4bKkdjuw$RANDOM"
done

# an ACK whose To tag names a SIP core (the tag of a dialog names its
# actor): it went round that core forever too
for w in 0 1; do
	CALLID=ack$w-$RANDOM@x TOURI="sip:1001@127.0.0.1>;tag=pbx1.$w.8.00000000<" \
		sip_req "$WORK/ack$w.req" ACK "sip:1001@127.0.0.1:$SIP"
	sed -i 's/<sip:1001@127.0.0.1>;tag=\(pbx1\.[01]\.8\.00000000\)<>/<sip:1001@127.0.0.1>;tag=\1/' "$WORK/ack$w.req"
	grep -q "^To: <sip:1001@127.0.0.1>;tag=pbx1.$w.8.00000000"$'\r'"\$" "$WORK/ack$w.req" ||
		fail "ack$w.req: $(grep ^To: "$WORK/ack$w.req")"
	"$UDPSEND" -w 0 "$PBX" "$WORK/ack$w.req" >/dev/null 2>&1
done

# both workers still answer: OPTIONS from 8 source ports (SO_REUSEPORT
# spreads them over the workers' sockets); each waits up to 5 s. And the
# workers handle only what comes in: a response going round in a loop shows
# as a count of messages handled that grows by itself
msgs() { ctl --json status | jq '[.workers[].messages] | add'; }
m1=$(msgs)
ok=0
for ((i = 0; i < 8; i++)); do
	"$UDPSEND" -b $((LP + i)) -w 5000 -o "$WORK/after$i" "$PBX" "$WORK/ping.req" >"$WORK/after$i.out" 2>&1
	[ "$(status "$WORK/after$i.1" 2>/dev/null)" = 200 ] && ok=$((ok + 1))
done
[ "$ok" = 8 ] && pass "OPTIONS from 8 ports answered after $sent forged responses" ||
	problem "only $ok of 8 OPTIONS answered after $sent forged responses"
m2=$(msgs)
[ $((m2 - m1)) -lt 1000 ] && pass "the workers handled $((m2 - m1)) messages for 8 OPTIONS" ||
	problem "the workers handled $((m2 - m1)) messages meanwhile: something goes round in a loop"

# every forged response counted as bad once (none lost on loopback, none
# counted twice by a hop between workers); wait until the last is in
want=$((before + sent))
all_in() { [ "$(bad)" -ge "$want" ]; }
wait_for 5 all_in
got=$(bad)
[ "$got" = "$want" ] && pass "sip_bad went from $before to $got: $sent forged responses dropped" ||
	problem "sip_bad went from $before to $got, expected $want ($sent forged responses)"
grep -qE 'response 486 from .* dropped: (not our branch|no such (worker|transaction))' "$WORK/pbxd.log" &&
	pass "logged: $(grep -m1 -oE 'response 486 from .* dropped: .*' "$WORK/pbxd.log")" ||
	problem "no log line about the dropped responses"
n=$(grep -c 'response 486 from' "$WORK/pbxd.log")
[ "$n" -le 10 ] && pass "$n log lines for $sent forged responses (rate-limited)" ||
	problem "$n log lines for $sent forged responses: not rate-limited"
finish
