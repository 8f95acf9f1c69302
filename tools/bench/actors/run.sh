#!/usr/bin/env bash
# Actor messaging throughput: same-worker, cross-worker, cross-node (a real
# pbxd on loopback as the far node). Each figure is the median of RUNS runs.
# usage: tools/bench/actors/run.sh [RUNS] [MESSAGES]
set -euo pipefail
cd "$(dirname "$0")/../../.."
RUNS=${1:-5}
N=${2:-2000000}
make -s build >/dev/null
BIN=build/bin
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$TMP"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "messages per run: $N pings + $N pongs, window 1000, payload 32 B"

for mode in same cross; do
	for i in $(seq "$RUNS"); do
		"$BIN/bench-actors" "$mode" -n "$N" | awk '{print $2}'
		echo "  $mode run $i done" >&2
	done | median >"$TMP/$mode"
done

"$BIN/pbxd" -c conf/pbx.yaml --node far --node-id 2 --workers 1 \
	--data "$TMP/far" --admin tcp://127.0.0.1:7990 \
	--cluster-listen tcp://127.0.0.1:7991 --sip 127.0.0.1:7993 \
	--log-level warn 2>"$TMP/far.log" &
sleep 0.5
for i in $(seq "$RUNS"); do
	"$BIN/bench-actors" node -n "$((N / 4))" --listen tcp://127.0.0.1:7992 \
		--peer tcp://127.0.0.1:7991 2>>"$TMP/near.log" | awk '{print $2}'
	echo "  node run $i done" >&2
done | median >"$TMP/node"

for mode in churn live; do
	n=1000000
	[ "$mode" = live ] && n=500000
	for i in $(seq "$RUNS"); do
		"$BIN/bench-actors" "$mode" -n "$n" | awk '{print $2}'
	done | median >"$TMP/$mode"
done

printf '%-14s %14s %12s\n' "path" "messages/s" "target"
printf '%-14s %14s %12s\n' "same-worker" "$(cat "$TMP/same")" ">= 10000000"
printf '%-14s %14s %12s\n' "cross-worker" "$(cat "$TMP/cross")" ">= 2000000"
printf '%-14s %14s %12s\n' "cross-node" "$(cat "$TMP/node")" ">= 200000"
echo
echo "short-lived actors (spawn, timer, message, stop) on one worker: $(cat "$TMP/churn")/s"
echo "memory per idle actor holding a timer: $(cat "$TMP/live") bytes (500k actors)"
