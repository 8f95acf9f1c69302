#!/usr/bin/env bash
# A partition: node 3 stopped (SIGSTOP) while registrations go on on nodes 1
# and 2, which keep serving; node 3 resumed (SIGCONT) serves at once, and
# the three converge: every registration on every node, equal digests.
source "$(dirname "$0")/repl_lib.sh"

make_conf "$CONF"
start_node 1 2 3
start_node 2 1 3
start_node 3 1 2
for i in 1 2 3; do
	wait_for 30 links_up "$i" 2 || fail "node $i does not see its two peers up"
done
LPK=3 load before 3 1000 1009 10 20 || fail "registrations on node 3 before the partition: sipp exit $?"
kill -STOP "${NPID[3]}"
down3() { [ "$(nctl "$1" cluster --json | jq -r '.peers[] | select(.node == 3) | .state')" != up ]; }
wait_for 30 down3 1 && wait_for 30 down3 2 || problem "nodes 1 and 2 still see node 3 up"
pass "node 3 stopped: the others see its link down"
LPK=1 load side1 1 1010 1029 60 30 || problem "node 1 did not serve during the partition: sipp exit $?"
LPK=2 load side2 2 1030 1049 60 30 || problem "node 2 did not serve during the partition: sipp exit $?"
pass "nodes 1 and 2 served $(sipp_stat side1 "SuccessfulCall(C)") and $(sipp_stat side2 "SuccessfulCall(C)") registrations meanwhile"
kill -CONT "${NPID[3]}"
LPK=4 load after 3 1050 1059 10 20 || problem "node 3 did not serve right after the partition: sipp exit $?"
pass "node 3 resumed and served at once"
{ acked before; acked side1; acked side2; acked after; } | sort -u >"$WORK/acked"
[ "$(wc -l <"$WORK/acked")" = 60 ] || problem "$(wc -l <"$WORK/acked") users acknowledged, want 60"
for i in 1 2 3; do
	wait_for 60 has_all "$i" "$WORK/acked" ||
		problem "node $i lacks: $(comm -23 "$WORK/acked" <(aors "$i") | head -5 | tr '\n' ' ')"
done
wait_for 60 same_digest 1 2 3 || problem "digests differ after healing: $(for i in 1 2 3; do digest "$i"; done | tr '\n' ' ')"
pass "converged after the partition: $(digest 1)"
show_lag 1 2 3
stop_nodes
finish
