#!/usr/bin/env bash
# A long-ish run with a small retention keeps the event log bounded: two
# nodes, 20 users registered again and again on node 1 for half a minute;
# the events each node holds (pbxctl status) stay far below what node 1
# wrote, sampled all along.
source "$(dirname "$0")/repl_lib.sh"

make_conf "$CONF" 's/^  retention: 3600$/  retention: 2/' 's/^  prune_interval: 60$/  prune_interval: 1/'
start_node 1 2
start_node 2 1
wait_for 30 links_up 1 1 && wait_for 30 links_up 2 1 || fail "the two nodes do not see each other"
LPK=1 load long 1 1000 1019 3000 100 &
s=$!
: >"$WORK/samples"
while kill -0 "$s" 2>/dev/null; do
	echo "$(log_count 1) $(log_count 2)" >>"$WORK/samples"
	sleep 1
done
wait "$s" || problem "the load failed: sipp exit $?"
written=$(nctl 1 cluster --json | jq '.origins[] | select(.origin == 1) | .seq')
echo "node 1 wrote $written events; held (node 1, node 2) each second: $(tr '\n' ',' <"$WORK/samples")"
[ "$written" -ge 2000 ] || problem "only $written events written"
# after the first 5 s (a retention plus the first prune runs)
max=$(tail -n +6 "$WORK/samples" | tr ' ' '\n' | sort -n | tail -1)
if [ -n "$max" ] && [ "$max" -lt $((written / 3)) ]; then
	pass "log bounded: at most $max events held while $written were written"
else
	problem "the log was not bounded: up to $max events held of $written"
fi
wait_for 30 same_digest 1 2 || problem "digests differ"
show_lag 1 2
stop_nodes
finish
