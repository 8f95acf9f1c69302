#!/usr/bin/env bash
# A fresh fourth node (empty data directory) joins a running cluster and
# converges. With a small retention the origin's superseded events are
# pruned first, so the new node receives fewer events than the origin ever
# wrote (log compaction) and still gets every live binding.
source "$(dirname "$0")/repl_lib.sh"

make_conf "$CONF" 's/^  retention: 3600$/  retention: 2/' 's/^  prune_interval: 60$/  prune_interval: 1/'
grep -q '^  retention: 2$' "$CONF" || fail "the retention edit did not apply"
start_node 1 2 3
start_node 2 1 3
start_node 3 1 2
for i in 1 2 3; do
	wait_for 30 links_up "$i" 2 || fail "node $i does not see its two peers up"
done
# 20 users registered 10 times each on node 1: 200 events, 20 live
LPK=1 load refresh 1 1000 1019 200 50 || fail "registrations on node 1: sipp exit $?"
written=$(nctl 1 cluster --json | jq '.origins[] | select(.origin == 1) | .seq')
[ "$written" -ge 200 ] || fail "origin 1 wrote $written events, want at least 200"
compacted() { [ "$(log_count "$1")" -lt "$written" ]; }
for i in 1 2 3; do
	wait_for 30 compacted "$i" || problem "node $i still holds $(log_count "$i") of $written events"
done
pass "retention pruned the superseded events: node 1 holds $(log_count 1) of the $written it wrote"
wait_for 30 same_digest 1 2 3 || problem "digests differ before the join"

start_node 4 1 2 3
wait_for 30 links_up 4 3 || problem "node 4 does not see its three peers up"
wait_for 60 same_digest 1 2 3 4 || problem "node 4 did not converge: $(digest 4) vs $(digest 1)"
[ "$(aors 4 | wc -l)" = 20 ] || problem "node 4 has $(aors 4 | wc -l) users, want 20"
got=$(nctl 4 cluster --json | jq .remote_events)
if [ "$got" -lt "$written" ] && [ "$got" -ge 20 ]; then
	pass "node 4 joined and converged with $got events, fewer than the $written origin 1 wrote"
else
	problem "node 4 applied $got events from its peers; origin 1 wrote $written"
fi
show_lag 1 4
stop_nodes
finish
