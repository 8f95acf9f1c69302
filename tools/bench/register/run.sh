#!/usr/bin/env bash
# REGISTER benchmark: pbxd against Kamailio as an in-memory registrar, both
# with digest authentication, driven by sipp from 10,000 distinct users.
#
#   tools/bench/register/run.sh [SECONDS] [RATE...]
#
# Each registration is two transactions (REGISTER, 401, REGISTER with
# credentials, 200). For each server the rate steps up (default 1000 2000
# 4000 6000 8000 9000 10000 12000 registrations/s), SECONDS each (default
# 20); a step passes when every registration succeeded, sipp retransmitted
# nothing and kept at least 95% of the rate. The highest passing rate is run
# 3 more times; if one of these fails, the previous step's rate is tried the
# same way. The medians of the 3 runs at the final rate are reported: registrations/s, server CPU per
# registration (utime+stime from /proc/PID/stat over the run: pbxd is one
# process with threads, Kamailio the sum of its processes), p50/p99 of the
# registration time (sipp's response time 1, first REGISTER to the 200, from
# -trace_rtt, 1 ms resolution), and pbxd/Kamailio ratios.
#
# Environment: BUILD (build directory with bin/pbxd; default ./build, then
# /tmp/build-reg), KEEP=1 keeps the work directory, ONLY=pbxd|kamailio runs
# one server, PBX_DATA=DIR pbxd's data directory (default: in the work
# directory under /tmp).
set -u
STEP_S=${1:-20}
shift 2>/dev/null
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(1000 2000 4000 6000 8000 9000 10000 12000)
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
[ -x "$BUILD/bin/pbxd" ] || (cd "$ROOT" && make -s build >/dev/null) ||
	{ echo "register bench: the build failed" >&2; exit 1; }
PBXD_BIN=$BUILD/bin/pbxd
WORK=$(mktemp -d /tmp/bench-register.XXXXXX)
PIDS=()
HZ=$(getconf CLK_TCK)

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ "${KEEP:-0}" = 1 ] && echo "work directory kept: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "$*" | tee -a "$WORK/results.txt"; }

# -- packages: sipp (sip-tester), kamailio; installed with apt-get if missing
need_pkg() {
	command -v "$1" >/dev/null && return 0
	local sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	echo "installing $2 with apt-get"
	$sudo apt-get install -y "$2" >"$WORK/apt-$2.log" 2>&1 ||
		{ $sudo apt-get update >/dev/null 2>&1 && $sudo apt-get install -y "$2" >>"$WORK/apt-$2.log" 2>&1; } ||
		die "cannot install $2 (see $WORK/apt-$2.log)"
}
need_pkg sipp sip-tester
[ "${ONLY:-}" = pbxd ] || need_pkg kamailio kamailio
[ -x "$PBXD_BIN" ] || die "no $PBXD_BIN: build first (cmake --build ...) or set BUILD"

# -- ports: a block of 10 free-looking ports
B=$((26000 + ($$ % 300) * 10))
PBX_SIP=$B KAM_SIP=$((B + 3)) SIPP_PORT=$((B + 5))
ADMIN=tcp://127.0.0.1:$((B + 1)) CLUSTER=tcp://127.0.0.1:$((B + 2))

# pbxd's data directory (LMDB, synchronous commits): in /tmp, on disk here;
# PBX_DATA=/dev/shm/... puts it on tmpfs to see the cost of the fsyncs
PBX_DATA=${PBX_DATA:-$WORK/pbxd-data}

# -- 10,000 users, one CSV line each with its [authentication] keyword
{
	echo SEQUENTIAL
	for ((u = 100000; u <= 109999; u++)); do
		echo "$u;[authentication username=$u password=pw-$u]"
	done
} >"$WORK/users.csv"

cat >"$WORK/pbx.yaml" <<YAML
# the benchmark's pbxd: 10,000 users 100000..109999, password pw-<id>
node: { name: bench, id: 1, data_dir: $PBX_DATA, workers: 0 }
log: { level: warn }
admin: { listen: "$ADMIN" }
cluster: { listen: "$CLUSTER" }
sip: { listen: [ "127.0.0.1:$PBX_SIP" ] }
directory:
  domain: 127.0.0.1
  ranges: [ { from: 100000, to: 109999, password: "pw-{id}" } ]
registrar: { realm: 127.0.0.1, default_expires: 3600, min_expires: 60, max_expires: 7200, max_bindings: 10 }
YAML

# cpu_ticks PID...: utime+stime (fields 14 and 15 of /proc/PID/stat, all
# threads of the process) summed over the processes
cpu_ticks() {
	local p t=0 s
	for p in "$@"; do
		s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		s=${s##*) }
		set -- $s
		t=$((t + ${12} + ${13}))
	done
	echo "$t"
}

SERVER_PIDS=()
start_pbxd() {
	"$PBXD_BIN" -c "$WORK/pbx.yaml" >"$WORK/pbxd.log" 2>&1 &
	SRV_PID=$!
	PIDS+=("$SRV_PID")
	local i
	for ((i = 0; i < 50; i++)); do
		grep -q "started" "$WORK/pbxd.log" 2>/dev/null && break
		kill -0 "$SRV_PID" 2>/dev/null || die "pbxd exited: $(tail -3 "$WORK/pbxd.log")"
		sleep 0.1
	done
	# log level warn: the start line may not be there; give it a moment
	sleep 0.5
	kill -0 "$SRV_PID" 2>/dev/null || die "pbxd exited: $(tail -3 "$WORK/pbxd.log")"
	SERVER_PIDS=("$SRV_PID")
	TARGET=127.0.0.1:$PBX_SIP
}
stop_pbxd() {
	kill -TERM "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
}
start_kamailio() {
	mkdir -p "$WORK/kam"
	kamailio -f "$HERE/kamailio-registrar.cfg" -P "$WORK/kam/kamailio.pid" \
		-x tlsf -X tlsf -m 256 -M 16 -l "udp:127.0.0.1:$KAM_SIP" -E \
		-w "$WORK/kam" -Y "$WORK/kam" >"$WORK/kamailio.log" 2>&1 ||
		die "kamailio did not start: $(tail -5 "$WORK/kamailio.log")"
	local i
	for ((i = 0; i < 50; i++)); do
		[ -s "$WORK/kam/kamailio.pid" ] && break
		sleep 0.1
	done
	SRV_PID=$(cat "$WORK/kam/kamailio.pid") || die "no kamailio pid file"
	PIDS+=("$SRV_PID")
	sleep 1
	mapfile -t kids < <(ps -o pid= --ppid "$SRV_PID" | tr -d ' ')
	SERVER_PIDS=("$SRV_PID" "${kids[@]}")
	TARGET=127.0.0.1:$KAM_SIP
}
stop_kamailio() {
	kill -TERM "$SRV_PID" 2>/dev/null
	local i
	for ((i = 0; i < 50; i++)); do
		kill -0 "$SRV_PID" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$SRV_PID" 2>/dev/null
}

# stat_col FILE COLUMN: the last value of COLUMN in a sipp statistics file
stat_col() {
	awk -F';' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
		{ v = $k } END { print v + 0 }' "$1"
}

# run_load NAME RATE SECONDS: one sipp run against $TARGET; sets R_* and
# returns 0 when the step passed
run_load() {
	local name=$1 rate=$2 secs=$3 d=$WORK/$1 calls=$(($2 * $3)) t0 t1 c0 c1
	mkdir -p "$d"
	c0=$(cpu_ticks "${SERVER_PIDS[@]}")
	t0=$(date +%s.%N)
	(
		cd "$d" || exit 1
		exec timeout -k 5 $((secs * 3 + 30)) sipp "$TARGET" -sf "$HERE/register.xml" \
			-inf "$WORK/users.csv" -i 127.0.0.1 -p "$SIPP_PORT" \
			-m "$calls" -r "$rate" -rp 1000 -l $((rate * 10)) \
			-buff_size 4194304 -nostdin \
			-trace_stat -stf "$d/stat.csv" -fd 1 \
			-trace_rtt -rtt_freq 1000 \
			-trace_err -error_file "$d/err.log" \
			-recv_timeout 5000 -timeout $((secs * 3 + 20)) -timeout_error
	) >"$d/sipp.out" 2>&1 &
	local sp=$!
	wait "$sp"
	local rc=$?
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "${SERVER_PIDS[@]}")
	R_OK=$(stat_col "$d/stat.csv" "SuccessfulCall(C)")
	R_FAIL=$(stat_col "$d/stat.csv" "FailedCall(C)")
	R_RETR=$(stat_col "$d/stat.csv" "Retransmissions(C)")
	R_ELAPSED=$(echo "$t1 - $t0" | bc -l)
	R_RATE=$(echo "$R_OK / $R_ELAPSED" | bc -l)
	R_CPU_US=$(echo "($c1 - $c0) * 1000000 / $HZ / ($R_OK + ($R_OK == 0))" | bc -l)
	R_SRV_CPU=$(echo "($c1 - $c0) / $HZ / $R_ELAPSED * 100" | bc -l)
	# registration time percentiles (ms) from the rtt file
	cat "$d"/register_*_rtt.csv 2>/dev/null | awk -F';' 'NR > 1 && $3 == 1 { print $2 }' |
		sort -n >"$d/rtt.sorted"
	local n
	n=$(wc -l <"$d/rtt.sorted")
	if [ "$n" -gt 0 ]; then
		R_P50=$(awk -v n="$n" 'NR == int((n * 50 + 99) / 100) { print; exit }' "$d/rtt.sorted")
		R_P99=$(awk -v n="$n" 'NR == int((n * 99 + 99) / 100) { print; exit }' "$d/rtt.sorted")
	else
		R_P50=nan R_P99=nan
	fi
	R_PASS=0
	[ "$rc" = 0 ] && [ "$R_OK" = "$calls" ] && [ "$R_FAIL" = 0 ] && [ "$R_RETR" = 0 ] &&
		[ "$(echo "$R_RATE >= 0.95 * $rate" | bc -l)" = 1 ] && R_PASS=1
	printf '  %-10s rate %6d: %7d ok %5d failed %5d retrans  %8.0f reg/s  %6.1f us CPU/reg (server %5.1f%% CPU)  p50 %s ms p99 %s ms  %s\n' \
		"$name" "$rate" "$R_OK" "$R_FAIL" "$R_RETR" "$R_RATE" "$R_CPU_US" "$R_SRV_CPU" "$R_P50" "$R_P99" \
		"$([ $R_PASS = 1 ] && echo pass || echo "FAIL (sipp exit $rc)")" | tee -a "$WORK/results.txt"
	[ "$R_PASS" = 1 ]
}

median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }

# bench SERVER: step the rate, then 3 runs at the highest passing one; sets
# M_<SERVER>_{RATE,REGS,CPU,P50,P99}
bench() {
	local s=$1 r best=0 i regs=() cpu=() p50=() p99=()
	log "== $s: steps of ${STEP_S} s"
	"start_$s"
	local idx=-1 j=0
	for r in "${RATES[@]}"; do
		if run_load "$s-$r" "$r" "$STEP_S"; then
			eval "STEP_${s}_${r}=\"$R_CPU_US $R_P99\""
			best=$r idx=$j
			j=$((j + 1))
		else
			break
		fi
		sleep 2
	done
	if [ "$best" = 0 ]; then
		log "  $s: no rate passed"
		"stop_$s"
		eval "M_${s}_RATE=0 M_${s}_REGS=0 M_${s}_CPU=nan M_${s}_P50=nan M_${s}_P99=nan"
		return
	fi
	# sustained: 3 more runs at that rate must all pass too, or the rate
	# steps down (to the previous passing step) and is tried again
	local passed=("${RATES[@]:0:$((idx + 1))}") k=$idx bad
	while :; do
		best=${passed[$k]}
		log "  $s: 3 runs at $best/s"
		regs=() cpu=() p50=() p99=() bad=0
		for i in 1 2 3; do
			sleep 2
			run_load "$s-$best-run$i" "$best" "$STEP_S" || bad=1
			regs+=("$R_RATE") cpu+=("$R_CPU_US") p50+=("$R_P50") p99+=("$R_P99")
		done
		[ "$bad" = 0 ] && { log "  $s: $best/s sustained (3 clean runs)"; break; }
		if [ "$k" = 0 ]; then
			log "  $s: not even $best/s is clean 3 times in a row; medians below are at $best/s"
			best="$best(not clean)"
			break
		fi
		k=$((k - 1))
	done
	[ "$s" = pbxd ] && log "  pbxd data directory: $(du -sh "$PBX_DATA" | cut -f1) ($PBX_DATA)"
	"stop_$s"
	eval "M_${s}_RATE=\"$best\" M_${s}_REGS=$(median3 "${regs[@]}") M_${s}_CPU=$(median3 "${cpu[@]}")"
	eval "M_${s}_P50=$(median3 "${p50[@]}") M_${s}_P99=$(median3 "${p99[@]}")"
}

log "REGISTER benchmark, $(date -u '+%F %T') UTC"
log "cores: $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
log "sipp: $(sipp -v 2>&1 | grep -o 'SIPp v[0-9.]*' | head -1), kamailio: $(kamailio -v 2>&1 | head -1 | awk '{print $3}'), pbxd: $("$PBXD_BIN" --version 2>&1 | head -1)"
log "10,000 users, ${STEP_S} s per step, rates: ${RATES[*]}"
log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine shares the cores)"
servers=(pbxd kamailio)
[ -n "${ONLY:-}" ] && servers=("$ONLY")
for s in "${servers[@]}"; do bench "$s"; done

log ""
log "== results (median of 3 runs at the highest clean rate)"
fmt='%-10s %12s %12s %14s %9s %9s\n'
printf "$fmt" server "final rate" "reg/s" "CPU us/reg" "p50 ms" "p99 ms" | tee -a "$WORK/results.txt"
for s in "${servers[@]}"; do
	eval "printf \"\$fmt\" $s \"\$M_${s}_RATE\" \"\$(printf %.0f \$M_${s}_REGS)\" \"\$(printf %.1f \$M_${s}_CPU)\" \"\$M_${s}_P50\" \"\$M_${s}_P99\"" |
		tee -a "$WORK/results.txt"
done
if [ ${#servers[@]} = 2 ]; then
	ratio() { echo "$1 $2" | awk '{ if ($2 + 0 == 0) print "n/a"; else printf "%.2f\n", $1 / $2 }'; }
	printf "$fmt" "pbxd/kam" "$(ratio "$M_pbxd_RATE" "$M_kamailio_RATE")" "$(ratio "$M_pbxd_REGS" "$M_kamailio_REGS")" \
		"$(ratio "$M_pbxd_CPU" "$M_kamailio_CPU")" "$(ratio "$M_pbxd_P50" "$M_kamailio_P50")" \
		"$(ratio "$M_pbxd_P99" "$M_kamailio_P99")" | tee -a "$WORK/results.txt"
	log "(CPU per registration falls as the rate rises, and latency grows near a"
	log " server's or sipp's limit: when the final rates differ, compare the step"
	log " lines at the same rate too, below)"
	log ""
	log "== at the same rate (the step lines above: rates both passed cleanly)"
	sfmt='%-8s %16s %16s %9s %12s %12s\n'
	printf "$sfmt" rate "pbxd us/reg" "kamailio us/reg" "ratio" "pbxd p99" "kam p99" |
		tee -a "$WORK/results.txt"
	for r in "${RATES[@]}"; do
		eval "a=\${STEP_pbxd_${r}:-} b=\${STEP_kamailio_${r}:-}"
		[ -n "$a" ] && [ -n "$b" ] || continue
		set -- $a $b
		printf "$sfmt" "$r" "$(printf %.1f "$1")" "$(printf %.1f "$3")" \
			"$(ratio "$1" "$3")" "$2 ms" "$4 ms" | tee -a "$WORK/results.txt"
	done
fi
log "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
cp "$WORK/results.txt" "/tmp/bench-register-results.txt"
log "(also in /tmp/bench-register-results.txt)"
