#!/usr/bin/env bash
# SIP benchmark: OPTIONS round trips per second with sipp (UAC over UDP)
# against pbxd, and the same load against Kamailio answering OPTIONS
# statelessly (kamailio-options.cfg), in the same run, on loopback. Both
# servers stay up and their runs alternate (pbxd, Kamailio, pbxd, ...), so
# that other work on the machine weighs on both alike; the load average
# before and after is printed.
#
# usage: tools/bench/sip/run.sh [SECONDS] [RATE...]
#   SECONDS  length of each run (default 10)
#   RATE     offered OPTIONS/s, one step each (default 5000 10000 15000 20000)
# environment: BUILD (default build; built with `make build` if pbxd is
# missing), RUNS (default 3, the median is shown), WORKERS (pbxd workers,
# default 2), KAM_CHILDREN (Kamailio UDP children, default 2), PORT (first
# of 8 loopback ports, default 15060), NO_KAMAILIO=1, NO_CODEC=1.
#
# For each server and rate: round trips/s completed (successful calls over
# the run's wall time), failed calls, sipp retransmissions (answers lost
# under load), the server's CPU per round trip (utime+stime of all its
# threads and processes from /proc, before and after, over the successful
# calls; one round trip is one request in and one response out), and
# sipp's response times p50/p99 (sipp measures in whole milliseconds).
# The summary: the highest completed rate of a step (medians) with no
# failed call, and with no failed call and no retransmission either.
set -uo pipefail
cd "$(dirname "$0")/../../.."
ROOT=$(pwd)
SECS=${1:-10}
shift || true
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(5000 10000 15000 20000)
RUNS=${RUNS:-3}
BUILD=${BUILD:-build}
WORKERS=${WORKERS:-2}
KAM_CHILDREN=${KAM_CHILDREN:-2}
PORT=${PORT:-15060}
PBX_SIP=$PORT KAM_SIP=$((PORT + 1)) UAC=$((PORT + 2))
ADMIN=tcp://127.0.0.1:$((PORT + 3)) CLUSTER=tcp://127.0.0.1:$((PORT + 4))
HERE=tools/bench/sip
TMP=$(mktemp -d /tmp/bench-sip.XXXXXX)
STARTED=()
cleanup() {
	local p
	for p in "${STARTED[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${STARTED[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
die() { echo "run.sh: $*" >&2; exit 1; }

command -v sipp >/dev/null || die "sipp is not installed (Debian package sip-tester)"
if [ ! -x "$BUILD/bin/pbxd" ]; then
	make -s build BUILD="$BUILD" >/dev/null || die "build failed"
fi
if [ "${NO_KAMAILIO:-0}" != 1 ] && ! dpkg -s kamailio >/dev/null 2>&1; then
	echo "installing Debian package kamailio" >&2
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y kamailio >/dev/null 2>&1 ||
			{ apt-get update >/dev/null 2>&1 && apt-get install -y kamailio >/dev/null 2>&1; }
	else
		sudo apt-get install -y kamailio >/dev/null 2>&1
	fi
	dpkg -s kamailio >/dev/null 2>&1 || die "cannot install kamailio (NO_KAMAILIO=1 to skip it)"
fi
for p in $(seq "$PORT" $((PORT + 7))); do
	ss -Hantu 2>/dev/null | awk '{print $5}' | grep -q ":$p\$" &&
		die "port $p is in use (PORT=N to move the 8 ports)"
done

TICK=$(getconf CLK_TCK)
# cpu_ticks PID...: utime+stime of these processes (all their threads)
cpu_ticks() {
	local p t=0 v
	for p in "$@"; do
		v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}')
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
median() { sort -g | awk '{a[NR] = $1} END {print (NR ? a[int((NR + 1) / 2)] : "-")}'; }
# stat CSV COLUMN: last value of COLUMN in sipp's statistics file
stat() {
	awk -F';' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
		{ v = $k } END { print v + 0 }' "$1"
}
# pct FILE P: the P-th percentile of sipp's response times (ms)
pct() {
	tail -n +2 "$1" | cut -d';' -f2 | sort -n |
		awk -v p="$2" '{a[NR] = $1} END { if (!NR) { print "-"; exit }
			i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print a[i] }'
}

# Both servers run for the whole benchmark (an idle one costs nothing) and
# their runs alternate, so that a busy moment on the machine hits both.
declare -A PID TARGET
start_pbxd() {
	"$BUILD/bin/pbxd" -c conf/pbx.yaml --sip "127.0.0.1:$PBX_SIP" \
		--data "$TMP/data" --admin "$ADMIN" --cluster-listen "$CLUSTER" \
		--workers "$WORKERS" --log-level warn >"$TMP/pbxd.log" 2>&1 &
	PID[pbxd]=$!
	TARGET[pbxd]=127.0.0.1:$PBX_SIP
}
start_kamailio() {
	kamailio -f "$HERE/kamailio-options.cfg" -P "$TMP/kamailio.pid" -Y "$TMP" \
		-w "$TMP" -E -DD -n "$KAM_CHILDREN" -l "udp:127.0.0.1:$KAM_SIP" \
		-x tlsf -X tlsf -m 256 -M 16 >"$TMP/kamailio.log" 2>&1 &
	PID[kamailio]=$!
	TARGET[kamailio]=127.0.0.1:$KAM_SIP
}
# server_pids NAME: the server's process and its children (Kamailio forks)
server_pids() { echo "${PID[$1]}" $(ps -o pid= --ppid "${PID[$1]}" 2>/dev/null); }
# wait_up NAME: a few OPTIONS until one is answered
wait_up() {
	local i
	for i in $(seq 50); do
		kill -0 "${PID[$1]}" 2>/dev/null || return 1
		timeout 5 sipp "${TARGET[$1]}" -sf "$HERE/options.xml" -i 127.0.0.1 \
			-p "$UAC" -nostdin -m 1 -recv_timeout 300 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# one NAME RATE RUN: a run; prints "completed/s failed retrans cpu_us p50 p99"
one() {
	local name=$1 rate=$2 run=$3 d=$TMP/$1-$2-$3 c0 c1 t0 t1 ok
	mkdir -p "$d"
	c0=$(cpu_ticks $(server_pids "$name"))
	t0=$(date +%s.%N)
	(cd "$d" && timeout -k 5 $((SECS * 3 + 30)) sipp "${TARGET[$name]}" \
		-sf "$ROOT/$HERE/options.xml" -i 127.0.0.1 -p "$UAC" -nostdin \
		-r "$rate" -m $((rate * SECS)) -l $((rate * 2 + 100)) \
		-buff_size 4194304 -max_non_invite_retrans 3 -recv_timeout 5000 \
		-trace_stat -stf stat.csv -fd 1 -trace_rtt -rtt_freq 1000 \
		>sipp.out 2>&1)
	t1=$(date +%s.%N)
	c1=$(cpu_ticks $(server_pids "$name"))
	ok=$(stat "$d/stat.csv" "SuccessfulCall(C)")
	awk -v ok="$ok" -v t0="$t0" -v t1="$t1" -v c="$((c1 - c0))" -v tick="$TICK" \
		-v f="$(stat "$d/stat.csv" "FailedCall(C)")" \
		-v r="$(stat "$d/stat.csv" "Retransmissions(C)")" \
		-v p50="$(pct "$d"/*_rtt.csv 50)" -v p99="$(pct "$d"/*_rtt.csv 99)" \
		'BEGIN { printf "%.0f %d %d %.2f %s %s\n", ok / (t1 - t0), f, r,
			ok ? c / tick * 1e6 / ok : 0, p50, p99 }'
}

# table NAME: medians per rate of the runs in $TMP/NAME-RATE, and the summary
table() {
	local name=$1 rate col best=0 clean=0 done_ f r
	printf '\n%s\n' "$2"
	printf '  %8s %11s %7s %8s %14s %8s %8s\n' "offered" "completed/s" "failed" \
		"retrans" "cpu us/rtrip" "p50 ms" "p99 ms"
	for rate in "${RATES[@]}"; do
		for col in 1 2 3 4 5 6; do
			cut -d' ' -f"$col" "$TMP/$name-$rate" | median
		done | xargs printf '  %8s %11s %7s %8s %14s %8s %8s\n' "$rate"
		read -r done_ f r <<<"$(for col in 1 2 3; do
			cut -d' ' -f"$col" "$TMP/$name-$rate" | median; done | xargs)"
		[ "$f" = 0 ] && [ "$done_" -gt "$best" ] && best=$done_
		[ "$f" = 0 ] && [ "$r" = 0 ] && [ "$done_" -gt "$clean" ] && clean=$done_
	done
	echo "  best rate without failed calls: $best round trips/s"
	echo "  best rate without failed calls or retransmissions: $clean round trips/s"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load: sipp $(sipp -v 2>/dev/null | grep -o 'v[0-9.]*' | head -1) UAC, OPTIONS over UDP on loopback," \
	"$SECS s per run, median of $RUNS runs; pbxd $WORKERS workers," \
	"Kamailio $KAM_CHILDREN children (tlsf)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

SERVERS=(pbxd)
start_pbxd
STARTED+=("${PID[pbxd]}")
wait_up pbxd || { tail "$TMP/pbxd.log"; die "pbxd does not answer OPTIONS on ${TARGET[pbxd]}"; }
if [ "${NO_KAMAILIO:-0}" != 1 ]; then
	start_kamailio
	STARTED+=("${PID[kamailio]}")
	wait_up kamailio || { tail "$TMP/kamailio.log"; die "kamailio does not answer OPTIONS on ${TARGET[kamailio]}"; }
	SERVERS+=(kamailio)
fi
for rate in "${RATES[@]}"; do
	for i in $(seq "$RUNS"); do
		for s in "${SERVERS[@]}"; do
			one "$s" "$rate" "$i" >>"$TMP/$s-$rate"
		done
	done
	echo "  $rate/s done" >&2
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
table pbxd "pbxd ($("$BUILD/bin/pbxd" --version 2>/dev/null))"
[ "${NO_KAMAILIO:-0}" != 1 ] && table kamailio "$(kamailio -v 2>/dev/null | head -1)"

if [ "${NO_CODEC:-0}" != 1 ] && [ -f tools/bench/sip-codec/run.sh ]; then
	printf '\nSIP codec (tools/bench/sip-codec/run.sh)\n'
	bash tools/bench/sip-codec/run.sh || echo "  (the codec benchmark failed)"
fi
