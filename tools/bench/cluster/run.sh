#!/usr/bin/env bash
# Cluster benchmark (issue 12, "Figures"): pbxd's replication and
# cross-node calls on loopback, with a single pbxd and Kamailio 5.6
# (dmq + dmq_usrloc, two instances) measured in the same run.
#
# usage: tools/bench/cluster/run.sh [--mode reg|sync|partition|calls|all]
#          [--steps "1500 3000 4500 5000"] [--step-seconds 20] [--repeat 3]
#          [--users 10000] [--only "single cluster kamailio"]
#          [--sync-bindings 100000] [--sync-rate 2000] [--sync-nodes 3]
#          [--partition-seconds 30] [--partition-rate 1500]
#          [--call-steps "250 500 1000 1500 2000 2500"] [--call-seconds 60]
#          [--call-ms 1000] [--port 27000]
#
# reg: registrations (sipp, register.xml of tools/bench/register: REGISTER,
#   401, REGISTER with credentials, 200) spread over the servers of a
#   set-up, one sipp per server, each with its own slice of --users users.
#   Set-ups: `single` (one pbxd, the same 3 sipps aimed at it), `cluster`
#   (3 pbxd replicating to each other), `kamailio` (2 Kamailio with
#   dmq_usrloc, 2 sipps). At each rate of --steps every set-up still in the
#   race runs --repeat times (their runs alternate), each run on freshly
#   started servers for --step-seconds. A run is clean when every
#   registration succeeded, sipp retransmitted nothing and kept 95% of the
#   rate; a set-up leaves the race at the first rate where a run was not
#   clean. Per run: reg/s, CPU per registration (utime+stime of all the
#   set-up's server processes, from the start of the load until every
#   server holds every binding), the time the servers took to agree after
#   the load ended, and for the cluster the replication lag p50/p99 of each
#   node (`pbxctl cluster --json`, lag_ms), the events replicated, and CPU
#   per replicated event ((cluster CPU - single CPU at the same rate) /
#   replicated events, from the medians).
# sync: --sync-bindings users register once each on node 1 of a running
#   cluster of --sync-nodes nodes; once the nodes agree, a fresh node (empty
#   data directory, id sync-nodes+1) joins: the time from its start until
#   its locations digest equals node 1's.
# partition: 3 nodes; sipp registers on nodes 1 and 2 at --partition-rate
#   for 5 s + --partition-seconds + 15 s; node 3 is stopped (SIGSTOP) after
#   5 s for --partition-seconds, then resumed (SIGCONT): the time until it
#   holds every event nodes 1 and 2 had at SIGCONT (catch-up, the load still
#   running), and the time after the load until all digests are equal.
# calls: calls/s, sipp UAC -> node 1's external profile -> `bridge
#   user/100000`, the sipp UAS registered as 100000 on node 2 (cross) or on
#   the same node (single, a pbxd of its own); --call-steps of
#   --call-seconds each, runs alternating, each set-up stops at its first
#   unclean step, then --repeat runs at its highest clean rate (medians).
#   A probe call checks that the B leg's INVITE really comes from node 2
#   (its Via); if it does not, the cross-node figures are not measured and
#   the script says so.
#
# environment: BUILD (build directory with bin/pbxd and bin/pbxctl; default
# ./build, `make` at the repo root if pbxd is missing), WORKERS (pbxd
# workers per node, default 0: one per core), DATA_ROOT (where the nodes'
# data directories go, default the work directory under /tmp, on disk;
# /dev/shm/x for tmpfs), KEEP=1 keeps the work directory. Results also go
# to /tmp/bench-cluster-results.txt.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)

MODE=all STEPS="1500 3000 4500 5000" STEP_S=20 REPEAT=3 USERS=10000
ONLY="single cluster kamailio" SYNC_N=100000 SYNC_RATE=2000 SYNC_NODES=3
PART_S=30 PART_RATE=1500 CALL_STEPS="250 500 1000 1500 2000 2500" CALL_S=60 CALL_MS=1000
PORT=27000
usage() { sed -n '6,12p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-1}"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--mode) MODE=${2:-} ;;
	--steps) STEPS=${2:-} ;;
	--step-seconds) STEP_S=${2:-} ;;
	--repeat) REPEAT=${2:-} ;;
	--users) USERS=${2:-} ;;
	--only) ONLY=${2:-} ;;
	--sync-bindings) SYNC_N=${2:-} ;;
	--sync-rate) SYNC_RATE=${2:-} ;;
	--sync-nodes) SYNC_NODES=${2:-} ;;
	--partition-seconds) PART_S=${2:-} ;;
	--partition-rate) PART_RATE=${2:-} ;;
	--call-steps) CALL_STEPS=${2:-} ;;
	--call-seconds) CALL_S=${2:-} ;;
	--call-ms) CALL_MS=${2:-} ;;
	--port) PORT=${2:-} ;;
	-h | --help) usage 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; usage ;;
	esac
	[ $# -ge 2 ] || { echo "run.sh: $1 needs a value" >&2; usage; }
	shift 2
done
case "$MODE" in reg | sync | partition | calls | all) ;; *) echo "run.sh: --mode reg|sync|partition|calls|all" >&2; exit 1 ;; esac
for v in "$STEP_S" "$REPEAT" "$USERS" "$SYNC_N" "$SYNC_RATE" "$SYNC_NODES" "$PART_S" "$PART_RATE" \
	"$CALL_S" "$PORT" $STEPS $CALL_STEPS; do
	[[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -gt 0 ] || { echo "run.sh: not a positive number: $v" >&2; exit 1; }
done
[[ "$CALL_MS" =~ ^[0-9]+$ ]] || { echo "run.sh: --call-ms: not a number: $CALL_MS" >&2; exit 1; }
for s in $ONLY; do
	case "$s" in single | cluster | kamailio) ;; *) echo "run.sh: --only takes single, cluster, kamailio" >&2; exit 1 ;; esac
done
[ "$USERS" -ge 3 ] && [ "$USERS" -le 100000 ] || { echo "run.sh: --users: 3 to 100000" >&2; exit 1; }
[ "$SYNC_N" -le 100000 ] || { echo "run.sh: --sync-bindings: at most 100000 (users 100000..199999)" >&2; exit 1; }
[ "$SYNC_NODES" -le 3 ] || { echo "run.sh: --sync-nodes: 1 to 3" >&2; exit 1; }
[ "$PORT" -le 65000 ] || { echo "run.sh: --port: at most 65000" >&2; exit 1; }
read -r -a STEP_LIST <<<"$STEPS"
read -r -a CALL_LIST <<<"$CALL_STEPS"

BUILD=${BUILD:-$ROOT/build}
WORKERS=${WORKERS:-0}
WORK=$(mktemp -d /tmp/bench-cluster.XXXXXX)
DATA_ROOT=${DATA_ROOT:-$WORK/data}
RESULTS=$WORK/results.txt
HZ=$(getconf CLK_TCK)
REG_XML=$ROOT/tools/bench/register/register.xml
UAC_XML=$ROOT/tools/bench/calls/uac.xml
UAS_XML=$ROOT/tools/bench/calls/uas.xml
# users 100000.. (the first --users for reg and partition, SYNC_N for sync)
NUSERS=$((USERS > SYNC_N ? USERS : SYNC_N))
SECRET=bench-cluster-secret-0123456789
declare -A NPID KPID
SIPP_PIDS=() UAS_PID=

cleanup() {
	local p
	for p in "${SIPP_PIDS[@]}" "$UAS_PID" "${NPID[@]}"; do
		[ -n "$p" ] && kill -CONT "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null
	done
	for p in "${KPID[@]}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${SIPP_PIDS[@]}" "$UAS_PID" "${NPID[@]}" "${KPID[@]}"; do
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
	case "$DATA_ROOT" in "$WORK"/*) ;; *) [ "${KEEP:-0}" = 1 ] || rm -rf "$DATA_ROOT" ;; esac
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "$*" | tee -a "$RESULTS"; }
progress() { echo "    $*" >&2; }

# -- what the benchmark needs: sipp, Kamailio, jq (Debian packages), pbxd
need_pkg() {
	dpkg -s "$1" >/dev/null 2>&1 && return 0
	local sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	echo "installing Debian package $1" >&2
	$sudo apt-get install -y "$1" >"$WORK/apt-$1.log" 2>&1 ||
		{ $sudo apt-get update >/dev/null 2>&1 && $sudo apt-get install -y "$1" >>"$WORK/apt-$1.log" 2>&1; } ||
		die "cannot install $1 (see $WORK/apt-$1.log)"
}
need_pkg sip-tester
need_pkg jq
[[ " $ONLY " == *" kamailio "* ]] && { [ "$MODE" = reg ] || [ "$MODE" = all ]; } && need_pkg kamailio
if [ ! -x "$BUILD/bin/pbxd" ]; then
	echo "building pbxd (make)" >&2
	(cd "$ROOT" && make -s BUILD="$BUILD" >"$WORK/build.log" 2>&1) ||
		die "the build failed (see $WORK/build.log)"
fi
PBXD=$BUILD/bin/pbxd PBXCTL=$BUILD/bin/pbxctl
[ -x "$PBXCTL" ] || die "no $PBXCTL"

# -- ports: node i (1..5) SIP PORT+10i, admin +1, cluster +2, external +3;
# Kamailio j (1..2) SIP PORT+60+10(j-1), DMQ +1; sipp PORT+100+k; the
# calls' UAC and UAS PORT+120.. The script refuses ports in use.
sip_port() { echo $((PORT + 10 * $1)); }
adm_url() { echo "tcp://127.0.0.1:$((PORT + 10 * $1 + 1))"; }
clu_url() { echo "tcp://127.0.0.1:$((PORT + 10 * $1 + 2))"; }
ext_port() { echo $((PORT + 10 * $1 + 3)); }
kam_port() { echo $((PORT + 60 + 10 * ($1 - 1))); }
dmq_port() { echo $((PORT + 61 + 10 * ($1 - 1))); }
SIPP_BASE=$((PORT + 100)) UAC_PORT=$((PORT + 120)) UAS_PORT=$((PORT + 121))
in_use=$(ss -Hantu 2>/dev/null | awk '{print $5}' | sed 's/.*://' | sort -u)
for p in $(seq $((PORT + 10)) $((PORT + 130))); do
	grep -qx "$p" <<<"$in_use" && die "port $p is in use (--port N uses N+10..N+130)"
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# -- the helpers: /proc, sipp files, users, nodes, Kamailio, registration load
source "$HERE/lib.sh"

# -- mode reg: one run of a set-up at a rate
# reg_run SETUP RATE LABEL: prints its line; appends to $WORK/reg-SETUP-RATE:
# "reg/s cpu_us/reg conv_s lag_p50 lag_p99 repl_events events/reg clean"
reg_run() {
	local s=$1 rate=$2 label=$3 d=$WORK/reg-$1-$2-$3 targets=() pids=() nodes=() i
	case "$s" in
	single)
		start_node 1 || return 1
		nodes=(1)
		targets=("127.0.0.1:$(sip_port 1)" "127.0.0.1:$(sip_port 1)" "127.0.0.1:$(sip_port 1)")
		;;
	cluster)
		start_cluster 1 2 3 || { stop_nodes; return 1; }
		nodes=(1 2 3)
		targets=("127.0.0.1:$(sip_port 1)" "127.0.0.1:$(sip_port 2)" "127.0.0.1:$(sip_port 3)")
		;;
	kamailio)
		start_kams || { stop_kam 1; stop_kam 2; return 1; }
		targets=("127.0.0.1:$(kam_port 1)" "127.0.0.1:$(kam_port 2)")
		;;
	esac
	if [ "$s" = kamailio ]; then mapfile -t pids < <(kam_pids | tr ' ' '\n' | grep .); else
		for i in "${nodes[@]}"; do pids+=("${NPID[$i]}"); done
	fi
	local c0 c1 conv idle
	# what the servers cost doing nothing (heartbeats, timers), over 2 s:
	# CPU per registration at low rates includes it
	c0=$(cpu_ticks "${pids[@]}")
	sleep 2
	c1=$(cpu_ticks "${pids[@]}")
	idle=$(awk -v c=$((c1 - c0)) -v hz="$HZ" 'BEGIN { printf "%.1f", c / hz / 2 * 100 }')
	c0=$(cpu_ticks "${pids[@]}")
	T0=$(date +%s.%N)
	reg_load "$d" "$rate" "$STEP_S" "$USERS" "${targets[@]}"
	reg_wait "$d" "$rate"
	# the servers' work is done when every one of them holds every binding
	if [ "$s" = kamailio ]; then
		conv=$(kam_converge "$REG_USERS")
	elif [ "$HAVE_CLUSTER" = 1 ]; then
		conv=$(converge "$REG_USERS" "${nodes[@]}")
	else
		conv=-
	fi
	c1=$(cpu_ticks "${pids[@]}")
	local cpu_us el lag50=- lag99=- repl=- epr=- lagcount=- j
	el=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
	cpu_us=$(awk -v c=$((c1 - c0)) -v hz="$HZ" -v n="$R_OK" 'BEGIN { printf "%.1f", n ? c / hz * 1e6 / n : 0 }')
	local cpu_pct
	cpu_pct=$(awk -v c=$((c1 - c0)) -v hz="$HZ" -v el="$el" 'BEGIN { printf "%.0f", c / hz / el * 100 }')
	if [ "$s" = cluster ] && [ "$HAVE_CLUSTER" = 1 ]; then
		# per node: its lag histogram (the live pushes it applied), the
		# events it holds of the other origins (replicated to it) and of its own
		local p50s=() p99s=() own=0
		repl=0 lagcount=0
		for i in "${nodes[@]}"; do
			j=$(cluster_json "$i")
			p50s+=("$(jq -r '.lag_ms.p50 // "-"' <<<"$j")")
			p99s+=("$(jq -r '.lag_ms.p99 // "-"' <<<"$j")")
			lagcount=$((lagcount + $(jq -r '.lag_ms.count // 0' <<<"$j")))
			# remote_events (applied from peers) when pbxctl gives it, else
			# the seqs held of the other origins (the same on fresh nodes)
			repl=$((repl + $(jq -r '.remote_events // ([.node as $n | .origins[]? | select(.origin != $n) | .seq] | add) // 0' <<<"$j")))
			own=$((own + $(jq -r '[.node as $n | .origins[]? | select(.origin == $n) | .seq] | add // 0' <<<"$j")))
		done
		lag50="${p50s[*]}" lag99="${p99s[*]}"
		epr=$(awk -v e="$own" -v n="$R_OK" 'BEGIN { printf "%.2f", n ? e / n : 0 }')
	fi
	for i in "${nodes[@]}"; do kill -0 "${NPID[$i]}" 2>/dev/null || R_WHY="${R_WHY:+$R_WHY, }node $i is gone"; done
	[ "$conv" = never ] && R_WHY="${R_WHY:+$R_WHY, }servers never agreed"
	[ -n "$R_WHY" ] && R_CLEAN=0
	printf '  %-8s %-5s %5d/s: %7d/%d ok, %d failed, %d retrans, %6d reg/s, %6.1f us CPU/reg (%3d%% of a core, idle %s%%), p50 %s p99 %s ms, agreed %s s after%s: %s\n' \
		"$s" "$label" "$rate" "$R_OK" "$REG_CALLS" "$R_FAIL" "$R_RETR" "$R_RATE" "$cpu_us" "$cpu_pct" "$idle" "$R_P50" "$R_P99" "$conv" \
		"$([ "$s" = cluster ] && echo ", lag p50 [$lag50] p99 [$lag99] ms over $lagcount events, $repl events replicated, $epr events/reg")" \
		"$([ "$R_CLEAN" = 1 ] && echo clean || echo "NOT CLEAN ($R_WHY)")" | tee -a "$RESULTS"
	[ "$R_CLEAN" = 1 ] || { local e; e=$(first_error "$d"/s*/err.log); [ -n "$e" ] && log "           first error: $e"; }
	local maxp50 maxp99
	maxp50=$(tr ' ' '\n' <<<"$lag50" | sort -g | tail -1)
	maxp99=$(tr ' ' '\n' <<<"$lag99" | sort -g | tail -1)
	echo "$R_RATE $cpu_us $conv $maxp50 $maxp99 $repl $epr $R_OK $R_CLEAN" >>"$WORK/reg-$s-$rate"
	if [ "$s" = kamailio ]; then stop_kam 1; stop_kam 2; else stop_nodes; fi
	[ "$R_CLEAN" = 1 ]
}

reg_mode() {
	local rate s rep setups=() bad
	declare -A ACTIVE
	log ""
	log "== reg: ${STEP_S} s per run, $REPEAT runs per set-up and rate, $USERS users; rates ${STEP_LIST[*]}"
	log "   single: 1 pbxd, 3 sipps; cluster: 3 pbxd, a sipp on each; kamailio: 2 instances (dmq_usrloc), a sipp on each"
	for s in single cluster kamailio; do
		[[ " $ONLY " == *" $s "* ]] || continue
		if [ "$s" = cluster ] && [ "$HAVE_CLUSTER" = 0 ]; then
			log "   cluster: NOT MEASURED, this pbxctl has no \`cluster\` command (replication not in this build)"
			continue
		fi
		setups+=("$s")
		ACTIVE[$s]=1
		BEST[$s]=0
	done
	for rate in "${STEP_LIST[@]}"; do
		for s in "${setups[@]}"; do [ "${ACTIVE[$s]}" = 1 ] && STEPBAD[$s]=0; done
		for ((rep = 1; rep <= REPEAT; rep++)); do
			for s in "${setups[@]}"; do
				[ "${ACTIVE[$s]}" = 1 ] || continue
				progress "$s: $rate reg/s for $STEP_S s, run $rep of $REPEAT"
				reg_run "$s" "$rate" "run$rep" || STEPBAD[$s]=1
				sleep 2
			done
		done
		for s in "${setups[@]}"; do
			[ "${ACTIVE[$s]}" = 1 ] || continue
			if [ "${STEPBAD[$s]}" = 0 ]; then BEST[$s]=$rate; else ACTIVE[$s]=0; fi
		done
	done
	REG_SETUPS=("${setups[@]}")
}
declare -A BEST STEPBAD
REG_SETUPS=()

reg_summary() {
	[ ${#REG_SETUPS[@]} -gt 0 ] || return 0
	log ""
	log "== reg: medians of the $REPEAT runs at each rate (clean = runs without a failure or retransmission)"
	local fmt='  %-8s %6s %6s %8s %11s %9s %10s %10s %12s %10s\n' rate s f col
	printf "$fmt" setup rate clean "reg/s" "CPU us/reg" "agreed s" "lag p50" "lag p99" "repl events" "events/reg" | tee -a "$RESULTS"
	for rate in "${STEP_LIST[@]}"; do
		for s in "${REG_SETUPS[@]}"; do
			f=$WORK/reg-$s-$rate
			[ -s "$f" ] || continue
			col=()
			for c in 1 2 3 4 5 6 7; do col+=("$(cut -d' ' -f$c "$f" | median)"); done
			printf "$fmt" "$s" "$rate" "$(awk '$9 == 1' "$f" | wc -l)/$(wc -l <"$f")" "${col[0]}" "${col[1]}" \
				"${col[2]}" "${col[3]}" "${col[4]}" "${col[5]}" "${col[6]}" | tee -a "$RESULTS"
		done
		# cluster against single at this rate: CPU per registration and
		# CPU per replicated event (the difference over the events
		# replicated); ratios from the clean runs only (the CPU of a run that lost
		# registrations is no figure), when each side has one at this rate
		local a=$WORK/reg-single-$rate b=$WORK/reg-cluster-$rate k=$WORK/reg-kamailio-$rate
		cleanmed() { awk -v c="$2" '$9 == 1 { print $c }' "$1" 2>/dev/null | median; }
		ncl() { awk '$9 == 1' "$1" 2>/dev/null | wc -l; }
		if [ "$(ncl "$a")" -gt 0 ] && [ "$(ncl "$b")" -gt 0 ]; then
			local sc cc regs repl
			sc=$(cleanmed "$a" 2) cc=$(cleanmed "$b" 2) regs=$(cleanmed "$b" 8) repl=$(cleanmed "$b" 6)
			log "  $(awk -v s="$sc" -v c="$cc" -v n="$regs" -v r="$repl" -v rate="$rate" -v na="$(ncl "$a")" -v nb="$(ncl "$b")" 'BEGIN {
				printf "at %d/s (clean runs: %d single, %d cluster): cluster/single CPU per registration %.2f (%+.0f%%)", rate, na, nb, c / s, (c / s - 1) * 100
				if (r > 0) printf ", CPU per replicated event %.1f us ((%.1f - %.1f) us x %d regs / %d events)", (c - s) * n / r, c, s, n, r
				printf "\n" }')"
		fi
		if [ "$(ncl "$k")" -gt 0 ] && [ "$(ncl "$b")" -gt 0 ]; then
			log "  $(awk -v k="$(cleanmed "$k" 2)" -v c="$(cleanmed "$b" 2)" -v rate="$rate" -v nk="$(ncl "$k")" -v nb="$(ncl "$b")" \
				'BEGIN { printf "at %d/s (clean runs: %d cluster, %d kamailio): pbxd cluster (3 nodes) / Kamailio dmq (2 instances) CPU per registration %.2f\n", rate, nb, nk, c / k }')"
		fi
		if [ "$(ncl "$b")" -gt 0 ]; then
			log "  at $rate/s, cluster clean runs: replication lag p50 $(cleanmed "$b" 4) ms, p99 $(cleanmed "$b" 5) ms (medians of the highest node's)"
		fi
	done
	for s in "${REG_SETUPS[@]}"; do log "  $s: highest rate clean in all $REPEAT runs: ${BEST[$s]:-0}/s"; done
}

# -- mode sync: a fresh node joins a cluster holding SYNC_N bindings
sync_mode() {
	log ""
	local nodes=() i new=$((SYNC_NODES + 1))
	for ((i = 1; i <= SYNC_NODES; i++)); do nodes+=("$i"); done
	log "== sync: $SYNC_N users register once each on node 1 ($SYNC_NODES nodes running), then node $new joins empty"
	if [ "$HAVE_CLUSTER" = 0 ]; then
		log "  NOT MEASURED: this pbxctl has no \`cluster\` command (replication not in this build)"
		return
	fi
	start_cluster "${nodes[@]}" || { stop_nodes; return; }
	local d=$WORK/sync secs=$(((SYNC_N + SYNC_RATE - 1) / SYNC_RATE))
	progress "sync: $SYNC_N registrations on node 1 at $SYNC_RATE/s"
	T0=$(date +%s.%N)
	# one sipp, each user once: SYNC_N registrations at SYNC_RATE
	reg_load "$d" "$SYNC_RATE" "$secs" "$SYNC_N" "127.0.0.1:$(sip_port 1)"
	reg_wait "$d" "$SYNC_RATE"
	log "  load: $R_OK/$REG_CALLS registered, $R_FAIL failed, $R_RETR retransmissions, $R_RATE reg/s"
	local conv want
	want=$(digests 1 | cut -d' ' -f2)
	conv=$(converge "$want" "${nodes[@]}")
	log "  node 1 holds $want bindings; the $SYNC_NODES nodes agreed $conv s after the load"
	[ "$conv" = never ] && { log "  $(digests "${nodes[@]}" | tr '\n' ' ')"; stop_nodes; return; }
	local ref c1a c1b t0 t1 k j ans=- got=-
	ref=$(digests 1 | cut -d' ' -f1)
	local cpids=()
	for i in "${nodes[@]}"; do cpids+=("${NPID[$i]}"); done
	c1a=$(cpu_ticks "${cpids[@]}")
	t0=$(date +%s.%N)
	# node NEW names every running node (it learns all of them anyway)
	node_conf "$new" "${nodes[@]}"
	rm -rf "$DATA_ROOT/n$new"
	"$PBXD" -c "$WORK/n$new.yaml" >>"$WORK/n$new.log" 2>&1 &
	NPID[$new]=$!
	for ((k = 0; k < 300; k++)); do
		j=$(cluster_json "$new")
		if [ -n "$j" ]; then
			[ "$ans" = - ] && ans=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
			[ "$(jq -r .digest <<<"$j")" = "$ref" ] && {
				got=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
				break
			}
		fi
		kill -0 "${NPID[$new]}" 2>/dev/null || break
		# every 0.2 s: each answer is a digest over all the bindings
		sleep 0.2
	done
	t1=$(date +%s.%N)
	c1b=$(cpu_ticks "${cpids[@]}")
	local cnew
	cnew=$(cpu_ticks "${NPID[$new]}")
	log "  node $new: answered pbxctl $ans s after its start; digest equal to node 1's after $got s" \
		"($(digests "$new" | cut -d' ' -f2) bindings; goal < 5 s)"
	log "  CPU during the sync: node $new $(awk -v c="$cnew" -v hz="$HZ" 'BEGIN { printf "%.2f", c / hz }') s," \
		"the $SYNC_NODES others $(awk -v c=$((c1b - c1a)) -v hz="$HZ" 'BEGIN { printf "%.2f", c / hz }') s;" \
		"data directory of node 1: $(du -sh "$DATA_ROOT/n1" | cut -f1), of node $new: $(du -sh "$DATA_ROOT/n$new" | cut -f1)"
	SYNC_RESULT="$got s ($SYNC_N bindings, node $new joining $SYNC_NODES nodes)"
	stop_nodes
}
SYNC_RESULT=

# -- mode partition: node 3 stopped for PART_S under load, then resumed
part_mode() {
	log ""
	log "== partition: $PART_RATE reg/s on nodes 1 and 2 for $((PART_S + 20)) s; node 3 stopped (SIGSTOP) from 5 s for $PART_S s"
	if [ "$HAVE_CLUSTER" = 0 ]; then
		log "  NOT MEASURED: this pbxctl has no \`cluster\` command (replication not in this build)"
		return
	fi
	start_cluster 1 2 3 || { stop_nodes; return; }
	local d=$WORK/partition secs=$((PART_S + 20)) k j
	T0=$(date +%s.%N)
	reg_load "$d" "$PART_RATE" "$secs" "$USERS" "127.0.0.1:$(sip_port 1)" "127.0.0.1:$(sip_port 2)"
	sleep 5
	kill -STOP "${NPID[3]}"
	progress "partition: node 3 stopped for $PART_S s"
	sleep "$PART_S"
	# what nodes 1 and 2 hold of their own origins when node 3 comes back
	local want1 want2 t0 got=-
	want1=$(cluster_json 1 | jq -r '[.origins[]? | select(.origin == 1) | .seq] | max // 0')
	want2=$(cluster_json 2 | jq -r '[.origins[]? | select(.origin == 2) | .seq] | max // 0')
	local before
	before=$(jq -r '[.origins[]? | "\(.origin):\(.seq)"] | join(" ")' <<<"$(cluster_json 1)")
	kill -CONT "${NPID[3]}"
	t0=$(date +%s.%N)
	progress "partition: node 3 resumed"
	for ((k = 0; k < 1200; k++)); do
		j=$(cluster_json 3)
		if [ -n "$j" ] &&
			[ "$(jq -r '[.origins[]? | select(.origin == 1) | .seq] | max // 0' <<<"$j")" -ge "$want1" ] &&
			[ "$(jq -r '[.origins[]? | select(.origin == 2) | .seq] | max // 0' <<<"$j")" -ge "$want2" ]; then
			got=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
			break
		fi
		sleep 0.05
	done
	reg_wait "$d" "$PART_RATE"
	local conv
	conv=$(converge "$REG_USERS" 1 2 3)
	log "  load: $R_OK/$REG_CALLS registered, $R_FAIL failed, $R_RETR retransmissions, $R_RATE reg/s (nodes 1 and 2 kept serving: $([ "$R_OK" = "$REG_CALLS" ] && echo yes || echo NO))"
	log "  at SIGCONT node 1 held: $before (origin:seq)"
	log "  node 3 held every event nodes 1 and 2 had at SIGCONT after $got s (the load still running)"
	log "  after the load: the 3 digests equal after $conv s ($(digests 3 | cut -d' ' -f2) bindings on node 3)"
	j=$(cluster_json 3)
	log "  node 3 lag of live pushes: p50 $(jq -r '.lag_ms.p50' <<<"$j") p99 $(jq -r '.lag_ms.p99' <<<"$j") ms over $(jq -r '.lag_ms.count' <<<"$j") events"
	PART_RESULT="catch-up $got s after SIGCONT, digests equal $conv s after the load"
	stop_nodes
}
PART_RESULT=

# -- mode calls
# calls set-ups: cross = nodes 1 (UAC side) and 2 (UAS registered there);
# single = node 5 alone (UAC and UAS on it)
declare -A C_NODES=([cross]="1 2" [single]="5") C_UAS_NODE=([cross]=2 [single]=5) C_UAC_NODE=([cross]=1 [single]=5)
declare -A C_UAC_PORT=([cross]=$UAC_PORT [single]=$((UAC_PORT + 2))) C_UAS_PORT=([cross]=$UAS_PORT [single]=$((UAS_PORT + 2)))
# register_uas SETUP: user 100000 registers from the UAS's port on its node
# and the UAC's node sees the binding
register_uas() {
	local s=$1 d=$WORK/calls-$1-register k
	mkdir -p "$d"
	(cd "$d" && timeout 20 sipp "127.0.0.1:$(sip_port "${C_UAS_NODE[$s]}")" -sf "$REG_XML" \
		-inf "$(user_csv 0 1 1)" -i 127.0.0.1 -p "${C_UAS_PORT[$s]}" -m 1 -nostdin \
		-trace_stat -stf stat.csv -fd 1 >sipp.out 2>&1) || return 1
	for ((k = 0; k < 100; k++)); do
		ctl "${C_UAC_NODE[$s]}" --json registrations --user 100000 2>/dev/null | grep -q "${C_UAS_PORT[$s]}" && return 0
		sleep 0.1
	done
	return 1
}
start_uas() {
	(cd "$1" && exec sipp -sf "$UAS_XML" -i 127.0.0.1 -p "${C_UAS_PORT[$2]}" -t u1 \
		-nostdin -skip_rlimit -buff_size 4194304 -trace_stat -stf uas_stat.csv -fd 1 \
		-trace_counts -trace_err -error_file uas_err.log "${@:3}" >uas.out 2>&1) &
	UAS_PID=$!
	sleep 0.3
}
stop_uas() {
	local k
	for ((k = 0; k < 50; k++)); do
		[ "$(stat_col "$1/uas_stat.csv" "CurrentCall")" = 0 ] && break
		sleep 0.1
	done
	kill -TERM "$UAS_PID" 2>/dev/null
	wait "$UAS_PID" 2>/dev/null
	UAS_PID=
}
# uac DIR SETUP RATE CALLS TIMEOUT: the UAC, in the foreground
uac() {
	(cd "$1" && exec timeout -k 5 $(($5 + 15)) sipp "127.0.0.1:$(ext_port "${C_UAC_NODE[$2]}")" -sf "$UAC_XML" \
		-s 100000 -i 127.0.0.1 -p "${C_UAC_PORT[$2]}" -t u1 -nostdin -skip_rlimit \
		-r "$3" -rp 1000 -m "$4" -d "$CALL_MS" -l $(($3 * (CALL_MS / 1000 + 15) + 100)) -buff_size 4194304 \
		-recv_timeout 10000 -timeout "$5" -timeout_error \
		-trace_stat -stf stat.csv -fd 1 -trace_counts -trace_rtt -rtt_freq 100 \
		-trace_err -error_file err.log >sipp.out 2>&1)
}
# calls_up SETUP: its nodes, the UAS registered, a probe call; for cross,
# the B leg's INVITE must come from node 2 (its Via); sets C_SKIP[SETUP]
declare -A C_SKIP
calls_up() {
	local s=$1 d=$WORK/calls-$1-probe nodes
	read -r -a nodes <<<"${C_NODES[$s]}"
	if [ ${#nodes[@]} -gt 1 ]; then start_cluster "${nodes[@]}"; else start_node "${nodes[0]}"; fi ||
		{ C_SKIP[$s]="the nodes did not start"; return 1; }
	register_uas "$s" || { C_SKIP[$s]="user 100000 registered on node ${C_UAS_NODE[$s]} is not seen on node ${C_UAC_NODE[$s]}"; return 1; }
	mkdir -p "$d"
	start_uas "$d" "$s" -trace_msg -message_file msg.log
	uac "$d" "$s" 1 1 15
	local rc=$?
	stop_uas "$d"
	[ "$rc" = 0 ] && [ "$(stat_col "$d/stat.csv" "SuccessfulCall(C)")" = 1 ] ||
		{ C_SKIP[$s]="the probe call failed: $(first_error "$d"/err.log "$d"/uas_err.log)"; return 1; }
	local via want
	via=$(grep -m1 -i '^ *Via:' "$d/msg.log" | tr -d '\r')
	want="127.0.0.1:($(sip_port "${C_UAS_NODE[$s]}")|$(ext_port "${C_UAS_NODE[$s]}"))"
	grep -qE "$want" <<<"$via" ||
		{ C_SKIP[$s]="the B leg's INVITE did not come from node ${C_UAS_NODE[$s]} ($via): no cross-node calls in this build"; return 1; }
	return 0
}
# calls_run SETUP RATE LABEL: one run of CALL_S seconds; appends
# "calls/s cpu_us p50 p99 clean" to $WORK/calls-SETUP-LABEL (LABEL without
# its digits: run1..3 all go to calls-SETUP-run)
calls_run() {
	local s=$1 rate=$2 label=$3 d=$WORK/calls-$1-$3-$2 calls=$(($2 * CALL_S)) pids=() i c0 c1 t0 t1 rc
	for i in ${C_NODES[$s]}; do pids+=("${NPID[$i]}"); done
	mkdir -p "$d"
	start_uas "$d" "$s"
	c0=$(cpu_ticks "${pids[@]}")
	t0=$(date +%s.%N)
	uac "$d" "$s" "$rate" "$calls" $((CALL_S * 2 + CALL_MS / 1000 + 60))
	rc=$?
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "${pids[@]}")
	stop_uas "$d"
	local ok fail ufail retr uretr acks uok el p50 p99 cps cpu_us cpu_pct
	ok=$(stat_col "$d/stat.csv" "SuccessfulCall(C)")
	fail=$(stat_col "$d/stat.csv" "FailedCall(C)")
	retr=$(stat_col "$d/stat.csv" "Retransmissions(C)")
	uok=$(stat_col "$d/uas_stat.csv" "SuccessfulCall(C)")
	ufail=$(stat_col "$d/uas_stat.csv" "FailedCall(C)")
	uretr=$(stat_col "$d/uas_stat.csv" "Retransmissions(C)")
	acks=$(count_col "$(ls "$d"/uas_*_counts.csv 2>/dev/null | head -1)" _ACK_Recv)
	el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
	# calls/s: the successful calls over the run, less the last call's length
	cps=$(awk -v n="$ok" -v e="$el" -v l="$CALL_MS" 'BEGIN { e -= l / 1000; printf "%.0f", (e > 0 ? n / e : 0) }')
	cpu_us=$(awk -v c=$((c1 - c0)) -v hz="$HZ" -v n="$ok" 'BEGIN { printf "%.1f", n ? c / hz * 1e6 / n : 0 }')
	cpu_pct=$(awk -v c=$((c1 - c0)) -v hz="$HZ" -v e="$el" 'BEGIN { printf "%.0f", c / hz / e * 100 }')
	p50=$(pct 50 "$d"/uac_*_rtt.csv)
	p99=$(pct 99 "$d"/uac_*_rtt.csv)
	local why=
	[ "$rc" = 0 ] || why="sipp exit $rc"
	[ "$fail" = 0 ] && [ "$ufail" = 0 ] || why="${why:+$why, }failed calls"
	[ "$ok" = "$calls" ] || why="${why:+$why, }$((calls - ok)) calls missing"
	[ "$cps" -ge $((rate * 95 / 100)) ] || why="${why:+$why, }only $cps calls/s"
	[ "$acks" -ge "$uok" ] || why="${why:+$why, }$((uok - acks)) ACKs never reached the UAS"
	for i in ${C_NODES[$s]}; do kill -0 "${NPID[$i]}" 2>/dev/null || why="${why:+$why, }node $i is gone"; done
	printf '  %-6s %-5s %4d/s: %6d/%d ok, failed %d+%d, retrans %d+%d, %5d calls/s, %6.1f us CPU/call (%3d%% of a core, nodes %s), setup p50 %s p99 %s ms: %s\n' \
		"$s" "$label" "$rate" "$ok" "$calls" "$fail" "$ufail" "$retr" "$uretr" "$cps" "$cpu_us" "$cpu_pct" \
		"${C_NODES[$s]// /+}" "$p50" "$p99" "$([ -z "$why" ] && echo clean || echo "NOT CLEAN ($why)")" | tee -a "$RESULTS"
	[ -z "$why" ] || { local e; e=$(first_error "$d"/err.log "$d"/uas_err.log); [ -n "$e" ] && log "           first error: $e"; }
	# every run of the repeats in one file (calls-SETUP-run), each in its own directory
	echo "$cps $cpu_us $p50 $p99 $([ -z "$why" ] && echo 1 || echo 0)" >>"$WORK/calls-$s-${label%%[0-9]*}"
	[ -z "$why" ]
}
calls_mode() {
	local s rate i setups=()
	declare -A ACT
	log ""
	log "== calls: UAC -> node 1 external profile -> bridge user/100000 -> UAS registered on node 2 (cross) or on the same node (single)"
	log "   steps ${CALL_LIST[*]} calls/s of ${CALL_S} s, calls of ${CALL_MS} ms, then $REPEAT runs at the highest clean step"
	for s in single cross; do
		if calls_up "$s"; then
			setups+=("$s") ACT[$s]=1 CBEST[$s]=0
		else
			log "  $s: NOT MEASURED: ${C_SKIP[$s]}"
			for i in ${C_NODES[$s]}; do stop_node "$i"; done
		fi
	done
	for rate in "${CALL_LIST[@]}"; do
		for s in "${setups[@]}"; do
			[ "${ACT[$s]}" = 1 ] || continue
			progress "calls $s: $rate calls/s for $CALL_S s"
			if calls_run "$s" "$rate" step; then CBEST[$s]=$rate; else ACT[$s]=0; fi
			sleep 3
		done
	done
	for ((i = 1; i <= REPEAT; i++)); do
		for s in "${setups[@]}"; do
			[ "${CBEST[$s]}" -gt 0 ] || continue
			progress "calls $s: run $i of $REPEAT at ${CBEST[$s]} calls/s"
			calls_run "$s" "${CBEST[$s]}" "run$i"
			sleep 3
		done
	done
	CALL_SETUPS=("${setups[@]}")
	stop_nodes
}
declare -A CBEST
CALL_SETUPS=()
calls_summary() {
	[ "$MODE" = calls ] || [ "$MODE" = all ] || return 0
	log ""
	log "== calls: the highest clean step, medians of the $REPEAT runs at it"
	local fmt='  %-7s %10s %6s %8s %12s %10s %10s\n' s
	printf "$fmt" setup "clean rate" clean "calls/s" "CPU us/call" "setup p50" "setup p99" | tee -a "$RESULTS"
	for s in single cross; do
		if [ -n "${C_SKIP[$s]:-}" ]; then
			printf "$fmt" "$s" "not measured" - - - - - | tee -a "$RESULTS"
			continue
		fi
		local f=$WORK/calls-$s-run
		[ "${CBEST[$s]:-0}" -gt 0 ] && [ -s "$f" ] || { printf "$fmt" "$s" none - - - - - | tee -a "$RESULTS"; continue; }
		printf "$fmt" "$s" "${CBEST[$s]}/s" "$(awk '$5 == 1' "$f" | wc -l)/$(wc -l <"$f")" "$(cut -d' ' -f1 "$f" | median)" \
			"$(cut -d' ' -f2 "$f" | median)" "$(cut -d' ' -f3 "$f" | median) ms" "$(cut -d' ' -f4 "$f" | median) ms" | tee -a "$RESULTS"
	done
}

# -- the run
: >"$RESULTS"
log "cluster benchmark, $(date -u '+%F %T') UTC"
log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
log "sipp $(sipp -v 2>&1 | grep -o 'v[0-9.]*' | head -1); pbxd: $("$PBXD" --version 2>&1 | head -1) ($PBXD), $WORKERS workers per node (0: one per core)"
command -v kamailio >/dev/null && log "kamailio: $(kamailio -v 2>/dev/null | head -1 | awk '{print $2, $3}'), 2 children + 2 dmq workers per instance, tlsf"
log "data directories: $DATA_ROOT"
log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (sipp and anything else running share the cores with the servers)"
HAVE_CLUSTER=0
"$PBXCTL" --help 2>&1 | grep -qE '^ +cluster' && HAVE_CLUSTER=1
[ "$HAVE_CLUSTER" = 1 ] || log "NOTE: $PBXCTL has no \`cluster\` command: replication is not in this build; the cluster figures are not measured"
case "$MODE" in
reg) reg_mode ;;
sync) sync_mode ;;
partition) part_mode ;;
calls) calls_mode ;;
all) reg_mode; sync_mode; part_mode; calls_mode ;;
esac
log ""
log "== summary"
reg_summary
[ -n "$SYNC_RESULT" ] && log "  sync: a fresh node agreed with node 1 after $SYNC_RESULT"
[ -n "$PART_RESULT" ] && log "  partition of $PART_S s at $PART_RATE reg/s: $PART_RESULT"
calls_summary
log "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
cp "$RESULTS" /tmp/bench-cluster-results.txt
log "(also in /tmp/bench-cluster-results.txt)"
