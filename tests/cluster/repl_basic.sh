#!/usr/bin/env bash
# Replication between three nodes: a registration on node 1 and one on node
# 2 show on every node with the node that holds their flow (pbxctl
# registrations, NODE), and every node's locations digest is the same
# (pbxctl cluster --json). Also: what pbxctl cluster shows of the peers.
source "$(dirname "$0")/repl_lib.sh"

make_conf "$CONF"
start_node 1 2 3
start_node 2 1 3
start_node 3 1 2
for i in 1 2 3; do
	wait_for 30 links_up "$i" 2 || fail "node $i does not see its two peers up: $(nctl "$i" cluster)"
done
pass "three nodes, every link up"

# register.xml as the README runs it, 1000 on node 1, 1001 on node 2
PBX=127.0.0.1:$(sip_of 1) run_sipp r1000 "$SRC/tools/sipp/register.xml" -s 1000 -au 1000 -ap 1234 -m 1 -p "$(lport 1)" ||
	fail "REGISTER 1000 on node 1: sipp exit $? ($(cat "$WORK/r1000.err.log" 2>/dev/null | head -3))"
PBX=127.0.0.1:$(sip_of 2) run_sipp r1001 "$SRC/tools/sipp/register.xml" -s 1001 -au 1001 -ap 1234 -m 1 -p "$(lport 2)" ||
	fail "REGISTER 1001 on node 2: sipp exit $?"
pass "1000 registered on node 1, 1001 on node 2"

# node_of I USER: the NODE column of USER's binding on node I
node_of() { nctl "$1" registrations --user "$2" --json | jq -r '.registrations[0].node // empty'; }
both_on() { [ "$(node_of "$1" 1000)" = 1 ] && [ "$(node_of "$1" 1001)" = 2 ]; }
for i in 1 2 3; do
	wait_for 20 both_on "$i" ||
		problem "node $i: 1000 on node '$(node_of "$i" 1000)', 1001 on node '$(node_of "$i" 1001)' (want 1 and 2)"
done
# the table form has the NODE column too
nctl 3 registrations | awk 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "NODE") ok = 1 } END { exit !ok }' ||
	problem "pbxctl registrations has no NODE column: $(nctl 3 registrations | head -1)"
pass "every node lists 1000 (node 1) and 1001 (node 2)"

wait_for 20 same_digest 1 2 3 || problem "digests differ: $(for i in 1 2 3; do digest "$i"; done | tr '\n' ' ')"
[ "$(nctl 1 cluster --json | jq .bindings)" = 2 ] || problem "node 1's digest covers $(nctl 1 cluster --json | jq .bindings) bindings, want 2"
pass "digests equal on the three nodes: $(digest 1)"

# what node 1 says of its peers: both up, their names, versions and
# incarnations, and per origin what they hold without lag once converged
c=$(nctl 1 cluster --json)
jq -e '.node == 1 and .name == "n1" and (.peers | length) == 2 and
	all(.peers[]; .state == "up" and .incarnation > 0 and (.version | length) > 0)' <<<"$c" >/dev/null ||
	problem "pbxctl cluster on node 1: $c"
caught_up() {
	nctl 1 cluster --json | jq -e '[.peers[].origins[] | select(.origin == 1)] |
		length == 2 and all(.lag_events == 0 and .seq >= 1)' >/dev/null
}
wait_for 20 caught_up || problem "peers do not hold node 1's events: $(nctl 1 cluster --json | jq -c .peers)"
show_lag 1 2 3
stop_nodes
finish
