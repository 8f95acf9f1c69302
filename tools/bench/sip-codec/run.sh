#!/usr/bin/env bash
# SIP codec throughput on one core: INVITE and REGISTER parses per second
# (eager parse + the headers a B2BUA reads) and 180 responses built per
# second; each figure is the median of RUNS runs of ITERATIONS operations.
# usage: tools/bench/sip-codec/run.sh [RUNS] [ITERATIONS]
set -euo pipefail
cd "$(dirname "$0")/../../.."
RUNS=${1:-7}
N=${2:-2000000}
BUILD=build-bench-sip-codec

# A Release build of just the codec and the benchmark, independent of the
# tree's build type.
cmake -S tools/bench/sip-codec -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >/dev/null

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "runs: $RUNS x $N operations, median reported, one core"
"$BUILD/bin/bench-sip-codec" -n "$N" -r "$RUNS" | awk '
	/_bytes/ { printf "%-16s %s bytes\n", $1, $2; next }
	{ printf "%-24s %12.0f /s  (%.0f ns each)\n", $1, $2, 1e9 / $2 }'

# Wall-clock figures move with the machine's load (shared hosts, steal
# time); instruction counts do not. With valgrind, count them too.
if command -v valgrind >/dev/null; then
	out=$(mktemp)
	for f in parse_invite parse_register build_reply; do
		valgrind --tool=callgrind --callgrind-out-file="$out" \
			--toggle-collect="$f*" "$BUILD/bin/bench-sip-codec" \
			-n 20000 -r 1 >/dev/null 2>&1
		# 20000 timed calls plus the warm-up call
		awk -v f="$f" '/^summary:/ {
			printf "%-24s %12.0f instructions each\n", f, $2 / 20001
			exit }' "$out"
	done
	rm -f "$out"
fi
