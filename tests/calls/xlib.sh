# Helpers for the calls between nodes (call_cross*.sh): on top of lib.sh,
# a cluster of two or three pbxd on loopback, each with the call tests'
# configuration (calls_conf), its own data directory and CDR file, peers of
# each other. Node 1 is the one lib.sh starts (SIP $SIP, admin $ADMIN, CDR
# $CDR_FILE); node K (2, 3) has SIP ${NSIP[K]}, admin ${NADMIN[K]}, CDR
# $WORK/cdrK.jsonl, log $WORK/pbxdK.log, pid ${NPID[K]}.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Ports: lib.sh uses P..P+8 (node 1, caller, U1..U4).
declare -A NSIP NADMIN NCLUSTER NPID
NSIP[1]=$SIP NADMIN[1]=$ADMIN NCLUSTER[1]=$CLUSTER
NSIP[2]=$((P + 9)) NADMIN[2]=tcp://127.0.0.1:$((P + 10)) NCLUSTER[2]=tcp://127.0.0.1:$((P + 11))
NSIP[3]=$((P + 12)) NADMIN[3]=tcp://127.0.0.1:$((P + 13)) NCLUSTER[3]=tcp://127.0.0.1:$((P + 14))
U5=$((P + 15))      # more callees
U6=$((P + 16))
CALLER2=$((P + 17)) # a caller on another node


# ctl_n K ARGS...: pbxctl on node K
ctl_n() {
	local k=$1
	shift
	"$BIN/pbxctl" -s "${NADMIN[$k]}" "$@"
}

# at K CMD...: CMD with node K as the SIP server (register, uac)
at() {
	local k=$1
	shift
	PBX=127.0.0.1:${NSIP[$k]} "$@"
}

# peers_up K N: node K sees N peers up
peers_up() {
	[ "$(ctl_n "$1" status --json 2>/dev/null | jq '[.peers[]? | select(.state == "up")] | length')" = "$2" ]
}

# start_node K: node K (2 or 3) beside node 1, peer of every other node
start_node() {
	local k=$1 i peers=() ping
	ping=$WORK/ping$k.req
	for i in 1 2 3; do [ "$i" = "$k" ] || peers+=(--peer "${NCLUSTER[$i]}"); done
	calls_conf "$WORK/pbx$k.yaml"
	sed -i -e "s|cdr_file: .*|cdr_file: $WORK/cdr$k.jsonl|" "$WORK/pbx$k.yaml"
	"$BIN/pbxd" -c "$WORK/pbx$k.yaml" --node "n$k" --node-id "$k" --data "$WORK/data$k" \
		--admin "${NADMIN[$k]}" --cluster-listen "${NCLUSTER[$k]}" "${peers[@]}" \
		--sip "127.0.0.1:${NSIP[$k]}" --listen external=none --workers 2 \
		>>"$WORK/pbxd$k.log" 2>&1 &
	NPID[$k]=$!
	PIDS+=($!)
	sip_req "$ping" OPTIONS "sip:127.0.0.1:${NSIP[$k]}"
	for ((i = 0; i < 50; i++)); do
		kill -0 "${NPID[$k]}" 2>/dev/null || fail "pbxd n$k exited: $(tail -5 "$WORK/pbxd$k.log")"
		"$UDPSEND" -w 200 "127.0.0.1:${NSIP[$k]}" "$ping" >/dev/null 2>&1 && return 0
	done
	fail "pbxd n$k does not answer OPTIONS on udp 127.0.0.1:${NSIP[$k]}"
}

# start_cluster N: nodes 1..N (2 or 3), every link up
start_cluster() {
	local n=$1 k peers=()
	for ((k = 2; k <= n; k++)); do peers+=(--peer "${NCLUSTER[$k]}"); done
	calls_conf "$WORK/pbx.yaml"
	rm -f "$CDR_FILE"
	start_pbxd -c "$WORK/pbx.yaml" --listen "external=127.0.0.1:$EXT" --node n1 --node-id 1 "${peers[@]}"
	NPID[1]=$PBXD
	for ((k = 2; k <= n; k++)); do start_node "$k"; done
	for ((k = 1; k <= n; k++)); do
		wait_for 15 peers_up "$k" $((n - 1)) ||
			fail "node $k does not see its $((n - 1)) peers up: $(ctl_n "$k" status --json 2>&1 | head -c 600)"
	done
	pass "$n nodes up, linked"
}

# has_binding K AOR PORT FLOW-NODE: node K's store has AOR's binding from
# PORT, whose flow is on FLOW-NODE
has_binding() {
	ctl_n "$1" registrations --json 2>/dev/null | jq -e --arg a "$2" --arg p ":$3" --argjson n "$4" \
		'[(.registrations // .)[]? | select((.aor | startswith($a + "@")) and (.contact | contains($p)) and .node == $n)] | length > 0' >/dev/null
}

# register_at K USER PORT [NODES...]: USER registers from PORT at node K;
# waits until every node of NODES (default: 1 2) holds the binding, flow
# on node K (replication)
register_at() {
	local k=$1 u=$2 port=$3 j nodes=("${@:4}")
	[ ${#nodes[@]} -gt 0 ] || nodes=(1 2)
	at "$k" register "$u" "$port"
	for j in "${nodes[@]}"; do
		wait_for 10 has_binding "$j" "$u" "$port" "$k" ||
			fail "node $j does not hold $u's binding from port $port (flow on node $k): $(ctl_n "$j" registrations --json 2>&1 | head -c 600)"
	done
	pass "$u registered at node $k from port $port, seen by nodes ${nodes[*]}"
}

# cdr_lines_at K CALL-ID: node K's CDR file lines for that call
cdr_lines_at() {
	local f=$WORK/cdr$1.jsonl
	[ "$1" = 1 ] && f=$CDR_FILE
	[ -f "$f" ] || return 0
	jq -c --arg c "$2" 'select(.sip_call_id == $c)' "$f" 2>/dev/null
}

# cdr_at K CALL-ID: node K's record of the call (pbxctl cdr), waiting 5 s
cdr_at() {
	local i r
	for ((i = 0; i < 50; i++)); do
		r=$(ctl_n "$1" cdr --json 2>/dev/null | jq -c --arg c "$2" \
			'(.records // .)[]? | select(.sip_call_id == $c)' 2>/dev/null | head -1)
		[ -n "$r" ] && { echo "$r"; return 0; }
		sleep 0.1
	done
	return 1
}

# check_cross_cdr WHAT A-NODE CALL-ID CALLEE-NODE CALLEE-PORT: the caller's
# node has the call's one CDR line, naming both nodes (node, callee_node)
# and the contact that answered; the other nodes have none
check_cross_cdr() {
	local what=$1 a=$2 cid=$3 b=$4 port=$5 r k n
	if ! r=$(cdr_at "$a" "$cid"); then
		problem "$what: node $a has no record of Call-ID $cid"
		return
	fi
	if [ "$(jq -r .node <<<"$r")" = "$a" ] && [ "$(jq -r .callee_node <<<"$r")" = "$b" ] &&
		grep -q ":$port" <<<"$(jq -r .callee <<<"$r")"; then
		pass "$what: CDR on node $a names node $a, callee_node $b, callee $(jq -r .callee <<<"$r")"
	else
		problem "$what: CDR on node $a should name node $a, callee_node $b and the contact on port $port: $r"
	fi
	n=$(cdr_lines_at "$a" "$cid" | grep -c .)
	[ "$n" = 1 ] && grep -q "\"callee_node\":$b" <<<"$(cdr_lines_at "$a" "$cid")" ||
		problem "$what: node $a's CDR file has $n lines for Call-ID $cid (expected 1, with callee_node $b)"
	for k in 1 2 3; do
		[ "$k" = "$a" ] && continue
		n=$(cdr_lines_at "$k" "$cid" | grep -c .)
		[ "$n" = 0 ] || problem "$what: node $k wrote $n CDR lines for a call of node $a"
	done
}

# final_is NAME CODE WHAT: the last final answer to run NAME's INVITE
final_is() {
	local f
	f=$(m_last "$1" in '^SIP/2.0 [2-6]' INVITE)
	[ -n "$f" ] && start_line "$f" | grep -q "^SIP/2.0 $2 " &&
		pass "$3: $(start_line "$f")" ||
		problem "$3: expected $2, got '$(start_line "$f" 2>/dev/null)'"
}
