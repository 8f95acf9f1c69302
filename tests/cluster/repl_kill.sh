#!/usr/bin/env bash
# kill -9 a node during a REGISTER load spread over three nodes, restart it:
# every registration sipp saw acknowledged (a 200 in its message trace) is
# on every node, once; the digests are equal; and every node's log holds
# each event once (its event count is the sum of its per-origin cursors).
source "$(dirname "$0")/repl_lib.sh"

make_conf "$CONF"
start_node 1 2 3
start_node 2 1 3
start_node 3 1 2
for i in 1 2 3; do
	wait_for 30 links_up "$i" 2 || fail "node $i does not see its two peers up"
done

# 33 users a node, each registered again and again (refreshes), 40 a second
# a node while node 3 is killed and restarted
LPK=1 load l1 1 1000 1032 1200 40 &
s1=$!
LPK=2 load l2 2 1033 1065 1200 40 &
s2=$!
LPK=3 load l3 3 1066 1098 1200 40 &
s3=$!
ok_count() { nctl "$1" status --json | jq .registers_ok; }
more_than() { [ "$(ok_count "$1")" -ge "$2" ]; }
wait_for 30 more_than 3 100 || fail "node 3 does not take registrations: $(ok_count 3)"
kill -9 "${NPID[3]}"
wait "${NPID[3]}" 2>/dev/null
unset 'NPID[3]'
pass "node 3 killed (kill -9) during the load"
# the others go on serving meanwhile
base=$(ok_count 1)
wait_for 30 more_than 1 $((base + 100)) || problem "node 1 stopped serving after node 3 died"
start_node 3 1 2
pass "node 3 restarted on its data"
wait "$s1"
r1=$?
wait "$s2"
r2=$?
wait "$s3"
echo "sipp: node 1 exit $r1 ($(sipp_stat l1 "SuccessfulCall(C)") ok), node 2 exit $r2 ($(sipp_stat l2 "SuccessfulCall(C)") ok), node 3 ($(sipp_stat l3 "SuccessfulCall(C)") ok, $(sipp_stat l3 "FailedCall(C)") failed)"
[ "$r1" = 0 ] && [ "$r2" = 0 ] || problem "the loads on the nodes that stayed up failed: $r1 $r2"
{ acked l1; acked l2; acked l3; } | sort -u >"$WORK/acked"
n=$(wc -l <"$WORK/acked")
[ "$n" -ge 66 ] || problem "only $n users acknowledged"
echo "$n users acknowledged over the three nodes"

for i in 1 2 3; do
	wait_for 60 has_all "$i" "$WORK/acked" ||
		problem "node $i lacks acknowledged registrations: $(comm -23 "$WORK/acked" <(aors "$i") | head -5 | tr '\n' ' ')"
	no_duplicates "$i" || problem "node $i has a binding twice"
done
pass "every acknowledged registration on every node, once"
wait_for 60 same_digest 1 2 3 || problem "digests differ: $(for i in 1 2 3; do digest "$i"; done | tr '\n' ' ')"
pass "digests equal: $(digest 1), $(nctl 1 cluster --json | jq .bindings) bindings"
once() { [ "$(log_count "$1")" = "$(origin_sum "$1")" ]; }
for i in 1 2 3; do
	wait_for 20 once "$i" ||
		problem "node $i: $(log_count "$i") events in the log, its origins' cursors sum to $(origin_sum "$i")"
done
pass "no event applied twice: $(log_count 1) events on each node"
show_lag 1 2 3
stop_nodes
finish
