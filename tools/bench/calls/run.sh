#!/usr/bin/env bash
# Calls benchmark: sipp UAC -> proxy -> sipp UAS on loopback, with pbxd as a
# B2BUA (its `external` profile, no authentication, a dialplan that bridges
# every number to the UAS) and Kamailio 5.6 as a stateful proxy (tm + rr +
# dialog, kamailio.cfg), in the same invocation, their runs alternating.
#
# usage: tools/bench/calls/run.sh [--only pbxd|kamailio] [--mode cps|concurrent|all]
#          [--steps "500 1000 ..."] [--step-seconds 60] [--repeat 3]
#          [--target 30000] [--call-ms 1000] [--ramp-rate 500] [--hold 30]
#          [--port 16060]
#
# --mode all (the default) runs cps, then concurrent.
# cps: calls per second stepped up (--steps), each step sustained for
#   --step-seconds, short calls (--call-ms between ACK and BYE). A step is
#   clean when every call succeeded (no failed call at the UAC or the UAS,
#   every ACK reached the UAS) and sipp created the calls at 95% of the rate
#   or better; sipp's retransmissions are counted and shown, not held against
#   the step. For each proxy the stepping stops at its first unclean step;
#   the highest clean rate then runs --repeat more times and the medians are
#   reported: calls/s, the proxy's CPU per call (utime+stime from /proc over
#   the run, all threads of pbxd, all processes of Kamailio, over the
#   successful calls), retransmissions, call setup time p50/p99 (INVITE to
#   200).
# concurrent: --target long calls opened at --ramp-rate per second, all held
#   for at least --hold seconds once the last one is up (the call length is
#   the ramp's duration plus --hold), then hung up by the UAC at the ramp's
#   rate, on freshly started servers. Reported: calls established and held,
#   failures, the proxy's memory before the ramp and at the plateau (Pss
#   summed over its processes, from /proc/PID/smaps_rollup; for pbxd, one
#   process, the same delta as VmRSS) and the delta per call, and its CPU
#   while the calls are only held.
#
# environment: BUILD (default build; `make` at the repo root if pbxd is
# missing), WORKERS (pbxd workers, default 2), KAM_CHILDREN (default 2),
# KAM_SHM (Kamailio shared memory MB, default 512), KEEP=1 keeps the work
# directory, PBX_DATA=DIR pbxd's data directory (default: a fresh one in the
# work directory each time pbxd starts; a given one is used as is). Results
# also go to /tmp/bench-calls-results.txt.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)

ONLY= MODE=all STEPS="500 1000 1500 2000 2500 3000 4000" STEP_S=60 REPEAT=3
TARGET=30000 CALL_MS=1000 RAMP_RATE=500 HOLD_S=30 PORT=16060
usage() { sed -n '8,11p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-1}"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--only) ONLY=${2:-} ;;
	--mode) MODE=${2:-} ;;
	--steps) STEPS=${2:-} ;;
	--step-seconds) STEP_S=${2:-} ;;
	--repeat) REPEAT=${2:-} ;;
	--target) TARGET=${2:-} ;;
	--call-ms) CALL_MS=${2:-} ;;
	--ramp-rate) RAMP_RATE=${2:-} ;;
	--hold) HOLD_S=${2:-} ;;
	--port) PORT=${2:-} ;;
	-h | --help) usage 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; usage ;;
	esac
	[ $# -ge 2 ] || { echo "run.sh: $1 needs a value" >&2; usage; }
	shift 2
done
case "$MODE" in cps | concurrent | all) ;; *) echo "run.sh: --mode cps|concurrent|all" >&2; exit 1 ;; esac
case "$ONLY" in "" | pbxd | kamailio) ;; *) echo "run.sh: --only pbxd|kamailio" >&2; exit 1 ;; esac
for v in "$STEP_S" "$REPEAT" "$TARGET" "$RAMP_RATE" "$HOLD_S" "$PORT" $STEPS; do
	[[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -gt 0 ] || { echo "run.sh: not a positive number: $v" >&2; exit 1; }
done
[[ "$CALL_MS" =~ ^[0-9]+$ ]] || { echo "run.sh: --call-ms: not a number: $CALL_MS" >&2; exit 1; }
read -r -a STEP_LIST <<<"$STEPS"
[ ${#STEP_LIST[@]} -gt 0 ] || { echo "run.sh: no --steps" >&2; exit 1; }

BUILD=${BUILD:-$ROOT/build}
WORKERS=${WORKERS:-2}
KAM_CHILDREN=${KAM_CHILDREN:-2}
KAM_SHM=${KAM_SHM:-512}
PBX_INT=$PORT PBX_EXT=$((PORT + 1)) KAM_SIP=$((PORT + 2))
ADMIN=tcp://127.0.0.1:$((PORT + 5)) CLUSTER=tcp://127.0.0.1:$((PORT + 6))
# each server has its own UAS and UAC ports: a server still ending the
# calls of an overloaded run (BYE retransmissions) must not reach the sipp
# of the other server's next run
declare -A UAS_PORT=([pbxd]=$((PORT + 3)) [kamailio]=$((PORT + 7)))
declare -A UAC_PORT=([pbxd]=$((PORT + 4)) [kamailio]=$((PORT + 8)))
WORK=$(mktemp -d /tmp/bench-calls.XXXXXX)
RESULTS=$WORK/results.txt
# pbxd's data directory (LMDB): in the work directory, on disk;
# PBX_DATA=/dev/shm/... puts it on tmpfs to see what its writes cost
PBX_DATA=${PBX_DATA:-$WORK/pbxd-data}
HZ=$(getconf CLK_TCK)
declare -A PID TARGET_ADDR SKIP DEAD
UAS_PID= UAC_PID=

cleanup() {
	local p
	for p in "$UAC_PID" "$UAS_PID" "${PID[pbxd]:-}"; do
		[ -n "$p" ] && kill -TERM "$p" 2>/dev/null
	done
	[ -s "$WORK/kam/kamailio.pid" ] && kill -TERM "$(cat "$WORK/kam/kamailio.pid")" 2>/dev/null
	sleep 0.5
	for p in "$UAC_PID" "$UAS_PID" "${PID[pbxd]:-}"; do
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "$*" | tee -a "$RESULTS"; }
progress() { echo "    $*" >&2; }

# -- what the benchmark needs: sipp, Kamailio (Debian packages), pbxd
need_pkg() {
	dpkg -s "$1" >/dev/null 2>&1 && return 0
	local sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	echo "installing Debian package $1" >&2
	$sudo apt-get install -y "$1" >"$WORK/apt-$1.log" 2>&1 ||
		{ $sudo apt-get update >/dev/null 2>&1 && $sudo apt-get install -y "$1" >>"$WORK/apt-$1.log" 2>&1; } ||
		die "cannot install $1 (see $WORK/apt-$1.log)"
}
SERVERS=(pbxd kamailio)
[ -n "$ONLY" ] && SERVERS=("$ONLY")
need_pkg sip-tester
[ "$ONLY" != pbxd ] && need_pkg kamailio
if [ "$ONLY" != kamailio ] && [ ! -x "$BUILD/bin/pbxd" ]; then
	echo "building pbxd (make)" >&2
	(cd "$ROOT" && make -s BUILD="$BUILD" >"$WORK/build.log" 2>&1) ||
		die "the build failed (see $WORK/build.log)"
fi
for p in $(seq "$PORT" $((PORT + 6))); do
	ss -Hantu 2>/dev/null | awk '{print $5}' | grep -q ":$p\$" &&
		die "port $p is in use (--port N moves the 7 ports N..N+6)"
done
# sipp keeps one UDP socket in -t u1 mode and needs no descriptor per call
# without media, but it warns when -l exceeds the open files limit (a warning
# only: -skip_rlimit below silences it); raise the soft limit anyway
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# -- measurements from /proc
# server_pids NAME: the server's processes (Kamailio: the main one and its children)
server_pids() {
	local p=${PID[$1]:-}
	[ -n "$p" ] || return 0
	echo "$p" $(ps -o pid= --ppid "$p" 2>/dev/null)
}
# cpu_split PID...: "UTIME STIME" (all threads, in ticks) summed over the processes
cpu_split() {
	local p u=0 k=0 s
	for p in "$@"; do
		s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		s=${s##*) }
		set -- $s
		u=$((u + ${12})) k=$((k + ${13}))
	done
	echo "$u $k"
}
# cpu_ticks PID...: utime+stime
cpu_ticks() { cpu_split "$@" | awk '{ print $1 + $2 }'; }
# mem_kb PID...: "PSS_SUM RSS_SUM" in kB. Pss shares each shared page among
# the processes that map it, so its sum counts Kamailio's shared memory once;
# summed VmRSS would count it once per process.
# A third number, Pss_File: file-backed pages (binaries, libraries, and
# pbxd's store, an LMDB file mapped into memory, which grows with the call
# records written); Pss minus it is the memory the calls themselves hold.
mem_kb() {
	local p pss=0 rss=0 file=0 v
	for p in "$@"; do
		v=$(awk '/^Pss:/ { print $2; exit }' "/proc/$p/smaps_rollup" 2>/dev/null)
		pss=$((pss + ${v:-0}))
		v=$(awk '/^Pss_File:/ { print $2; exit }' "/proc/$p/smaps_rollup" 2>/dev/null)
		file=$((file + ${v:-0}))
		v=$(awk '/^VmRSS:/ { print $2; exit }' "/proc/$p/status" 2>/dev/null)
		rss=$((rss + ${v:-0}))
	done
	echo "$pss $rss $file"
}
# stat_col FILE COLUMN: the last value of COLUMN in a sipp statistics file
stat_col() {
	awk -F';' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
		k { v = $k } END { print v + 0 }' "$1" 2>/dev/null || echo 0
}
# count_col FILE SUFFIX: the last value of the -trace_counts column whose
# name ends with SUFFIX (e.g. _ACK_Sent)
count_col() {
	awk -F';' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if (substr($i, length($i) - length(c) + 1) == c) k = i; next }
		k { v = $k } END { print v + 0 }' "$1" 2>/dev/null || echo 0
}
# created_at FILE N: seconds (interpolated between sipp's 1 s rows) at which
# the UAC had sent its Nth INVITE, from the -trace_counts file
created_at() {
	awk -F';' -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /_INVITE_Sent$/) k = i; next }
		{ split($2, e, ":"); t = e[1] * 3600 + e[2] * 60 + e[3] + e[4] / 1e6; c = $k
		  if (c >= n) { if (c > pc) t = pt + (t - pt) * (n - pc) / (c - pc); printf "%.3f\n", t; found = 1; exit }
		  pt = t; pc = c }
		END { if (!found) print 0 }' "$1" 2>/dev/null
}
# pct FILE P: the P-th percentile of sipp's response times (ms) in a rtt file
pct() {
	tail -q -n +2 "$@" 2>/dev/null | cut -d';' -f2 | sort -n |
		awk -v p="$PCT" '{a[NR] = $1} END { if (!NR) { print "-"; exit }
			i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; printf "%.0f\n", a[i] }'
}
median() {
	sort -g | awk '{a[NR] = $1} END { if (!NR) print "-"; else if (NR % 2) print a[(NR + 1) / 2];
		else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# -- the servers
write_pbxd_conf() {
	cat >"$WORK/pbx.yaml" <<YAML
# the calls benchmark's pbxd: every number dialled on the external profile
# is bridged to the sipp UAS. The longest session timer (RFC 4028): the sipp
# UAS cannot answer a refresh, and none may come during a long hold. No
# limit on concurrent calls (calls.max_calls is 2000 by default): the
# concurrent mode holds --target calls, 30000 by default.
node: {name: bench, data_dir: $PBX_DATA, workers: $WORKERS}
sip: {listen: [127.0.0.1:$PBX_INT]}
admin: {listen: $ADMIN}
cluster: {listen: $CLUSTER}
profiles:
  - {name: internal, auth: true, context: default}
  - {name: external, auth: false, context: bench, listen: [127.0.0.1:$PBX_EXT], acl: [127.0.0.0/8]}
calls: {timeout: 60, session_expires: 86400, max_calls: 0}
dialplan:
  - context: default
    extensions: [{name: none, actions: ["hangup"]}]
  - context: bench
    extensions:
      - name: to-uas
        conditions: [{field: destination_number, expression: '^(.*)\$'}]
        actions: ["bridge sip:\$1@127.0.0.1:${UAS_PORT[pbxd]}"]
log: {level: warn}
YAML
}
start_pbxd() {
	# a fresh data directory when it is ours; one given in PBX_DATA is used as is
	case "$PBX_DATA" in "$WORK"/*) rm -rf "$PBX_DATA" ;; esac
	"$BUILD/bin/pbxd" -c "$WORK/pbx.yaml" >>"$WORK/pbxd.log" 2>&1 &
	PID[pbxd]=$!
	TARGET_ADDR[pbxd]=127.0.0.1:$PBX_EXT
	sleep 0.5
	kill -0 "${PID[pbxd]}" 2>/dev/null
}
stop_pbxd() {
	[ -n "${PID[pbxd]:-}" ] || return 0
	kill -TERM "${PID[pbxd]}" 2>/dev/null
	wait "${PID[pbxd]}" 2>/dev/null
	PID[pbxd]=
}
start_kamailio() {
	mkdir -p "$WORK/kam"
	rm -f "$WORK/kam/kamailio.pid"
	kamailio -f "$HERE/kamailio.cfg" -P "$WORK/kam/kamailio.pid" -Y "$WORK/kam" \
		-w "$WORK/kam" -E -n "$KAM_CHILDREN" -l "udp:127.0.0.1:$KAM_SIP" \
		-x tlsf -X tlsf -m "$KAM_SHM" -M 16 \
		-A "UAS_URI=\"sip:127.0.0.1:${UAS_PORT[kamailio]}\"" \
		-A "CTL_SOCK=\"unix:$WORK/kam/kamailio_ctl\"" >>"$WORK/kamailio.log" 2>&1 || return 1
	local i
	for ((i = 0; i < 50; i++)); do
		[ -s "$WORK/kam/kamailio.pid" ] && break
		sleep 0.1
	done
	PID[kamailio]=$(cat "$WORK/kam/kamailio.pid" 2>/dev/null) || return 1
	TARGET_ADDR[kamailio]=127.0.0.1:$KAM_SIP
	sleep 0.5
	kill -0 "${PID[kamailio]}" 2>/dev/null
}
stop_kamailio() {
	[ -n "${PID[kamailio]:-}" ] || return 0
	kill -TERM "${PID[kamailio]}" 2>/dev/null
	local i
	for ((i = 0; i < 50; i++)); do
		kill -0 "${PID[kamailio]}" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "${PID[kamailio]}" 2>/dev/null
	PID[kamailio]=
}
kam_rpc() { kamcmd -s "unix:$WORK/kam/kamailio_ctl" "$@" 2>/dev/null; }
# kam_stat NAME: one of Kamailio's statistics, by its name without the group (active_dialogs)
kam_stat() { kam_rpc stats.get_statistics "$1" | awk -F' = ' '{ print $2 + 0; exit }'; }

# -- the sipp ends
# start_uas DIR NAME: the UAS of server NAME for one run, in DIR
start_uas() {
	(cd "$1" && exec sipp -sf "$HERE/uas.xml" -i 127.0.0.1 -p "${UAS_PORT[$2]}" -t u1 \
		-nostdin -skip_rlimit -buff_size 4194304 -trace_stat -stf uas_stat.csv -fd 1 \
		-trace_counts -trace_err -error_file uas_err.log >uas.out 2>&1) &
	UAS_PID=$!
	sleep 0.3
}
# stop_uas: let the UAS finish its calls (SIGUSR1: no new calls, exit when
# the current ones have ended, after their 4 s time-wait), then stop it
stop_uas() {
	[ -n "$UAS_PID" ] || return 0
	kill -USR1 "$UAS_PID" 2>/dev/null
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$UAS_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -TERM "$UAS_PID" 2>/dev/null
	wait "$UAS_PID" 2>/dev/null
	UAS_PID=
}
# uac DIR NAME RATE CALLS PAUSE_MS LIMIT TIMEOUT: start the UAC in the background
uac() {
	local d=$1 name=$2
	(cd "$d" && exec timeout -k 5 $(($7 + 15)) sipp "${TARGET_ADDR[$name]}" -sf "$HERE/uac.xml" \
		-s 1000 -i 127.0.0.1 -p "${UAC_PORT[$name]}" -t u1 -nostdin -skip_rlimit \
		-r "$3" -rp 1000 -m "$4" -d "$5" -l "$6" -buff_size 4194304 \
		-recv_timeout 10000 -timeout "$7" -timeout_error \
		-trace_stat -stf stat.csv -fd 1 -trace_counts -trace_rtt -rtt_freq 100 \
		-trace_err -error_file err.log >sipp.out 2>&1) &
	UAC_PID=$!
}
# first_error DIR: the first failure sipp logged, on one line
first_error() {
	cat "$1/err.log" "$1/uas_err.log" 2>/dev/null | grep -v '^ *$' | grep -v 'events occurred' |
		head -3 | tr -s ' \t\r\n' ' ' | cut -c1-200
}

# probe NAME: one call through the server, a few tries while it starts
probe() {
	local d=$WORK/probe-$1 i
	mkdir -p "$d"
	for ((i = 0; i < 10; i++)); do
		kill -0 "${PID[$1]}" 2>/dev/null || return 1
		start_uas "$d" "$1"
		uac "$d" "$1" 1 1 0 10 15
		wait "$UAC_PID" 2>/dev/null
		local rc=$?
		UAC_PID=
		stop_uas
		[ "$rc" = 0 ] && [ "$(stat_col "$d/stat.csv" "SuccessfulCall(C)")" = 1 ] && return 0
		sleep 0.5
	done
	return 1
}
# bring_up NAME: start the server and check that one call goes through;
# a server that does not is skipped (with the reason) rather than stopping
# the whole benchmark
bring_up() {
	local s=$1 why
	if ! "start_$s"; then
		why=$(tail -3 "$WORK/$s.log" | tr '\n' ' ')
		SKIP[$s]="did not start: $why"
		return 1
	fi
	if ! probe "$s"; then
		why=$(first_error "$WORK/probe-$s")
		[ -n "$why" ] || why=$(tail -2 "$WORK/$s.log" | tr '\n' ' ')
		SKIP[$s]="a test call failed: ${why:-no answer}"
		"stop_$s"
		return 1
	fi
	return 0
}

# -- cps: one run
# cps_run NAME RATE LABEL: a run of STEP_S seconds at RATE calls/s; prints
# its line, appends "cps ok failed retrans cpu_us cpu_pct p50 p99 clean" to
# $WORK/res-NAME-LABEL, returns 0 when clean
# settle: wait (at most 60 s) until no server uses more than 5% of a core:
# a server still ending an overloaded run's calls must not load the next run
settle() {
	local i x c0 c1 busy
	for ((i = 0; i < 60; i++)); do
		busy=
		for x in "${UP[@]}"; do
			c0=$(cpu_ticks $(server_pids "$x"))
			sleep 0.5
			c1=$(cpu_ticks $(server_pids "$x"))
			[ $((c1 - c0)) -gt $((HZ / 40)) ] && busy=$x
		done
		[ -z "$busy" ] && return 0
		[ "$i" = 0 ] && progress "waiting for $busy to finish the last run's calls"
	done
}

cps_run() {
	local s=$1 rate=$2 label=$3 d=$WORK/$1-$3-$2 calls=$(($2 * STEP_S)) c0 c1 t0 t1 rc
	local pause_s=$(((CALL_MS + 999) / 1000))
	settle
	mkdir -p "$d"
	start_uas "$d" "$s"
	local s0 k0 k1
	read -r c0 k0 <<<"$(cpu_split $(server_pids "$s"))"
	s0=$(cpu_ticks "$UAS_PID")
	t0=$(date +%s.%N)
	uac "$d" "$s" "$rate" "$calls" "$CALL_MS" $((rate * (pause_s + 15) + 1000)) \
		$((STEP_S * 2 + pause_s + 60))
	# sipp's own CPU, sampled each second (the last sample before it exits):
	# a load generator near 100% of a core is the limit, not the proxy
	local start=$SECONDS next=10 uac_ticks=0 v
	while kill -0 "$UAC_PID" 2>/dev/null; do
		sleep 1
		v=$(cpu_ticks $(pgrep -P "$UAC_PID" -x sipp))
		[ "$v" -gt 0 ] && uac_ticks=$v
		if [ $((SECONDS - start)) -ge "$next" ]; then
			next=$((next + 10))
			progress "$s $rate/s: $((SECONDS - start)) s, $(count_col "$(ls "$d"/uac_*_counts.csv 2>/dev/null | head -1)" _INVITE_Sent) calls made," \
				"$(stat_col "$d/stat.csv" "SuccessfulCall(C)") ok, $(stat_col "$d/stat.csv" "FailedCall(C)") failed"
		fi
	done
	wait "$UAC_PID"
	rc=$?
	UAC_PID=
	t1=$(date +%s.%N)
	read -r c1 k1 <<<"$(cpu_split $(server_pids "$s"))"
	c0=$((c0 + k0)) c1=$((c1 + k1))
	local uas_ticks=$(($(cpu_ticks "$UAS_PID") - s0))
	stop_uas
	local ok fail retr uok ufail uretr acks made at
	ok=$(stat_col "$d/stat.csv" "SuccessfulCall(C)")
	fail=$(stat_col "$d/stat.csv" "FailedCall(C)")
	retr=$(stat_col "$d/stat.csv" "Retransmissions(C)")
	uok=$(stat_col "$d/uas_stat.csv" "SuccessfulCall(C)")
	ufail=$(stat_col "$d/uas_stat.csv" "FailedCall(C)")
	uretr=$(stat_col "$d/uas_stat.csv" "Retransmissions(C)")
	acks=$(count_col "$(ls "$d"/uas_*_counts.csv 2>/dev/null | head -1)" _ACK_Recv)
	at=$(created_at "$(ls "$d"/uac_*_counts.csv 2>/dev/null | head -1)" "$calls")
	local p50 p99
	p50=$(PCT=50 pct "$d"/uac_*_rtt.csv)
	p99=$(PCT=99 pct "$d"/uac_*_rtt.csv)
	# calls/s as sipp made them: over the time it took to send the INVITEs
	made=$(awk -v n="$calls" -v t="$at" -v r="$rate" 'BEGIN { printf "%.0f", (t > 0 ? n / (t + 1 / r) : 0) }')
	local el cpu_us cpu_pct uac_pct uas_pct sys_pct
	el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
	read -r cpu_us cpu_pct uac_pct uas_pct sys_pct <<<"$(awk -v c=$((c1 - c0)) -v k=$((k1 - k0)) -v hz="$HZ" \
		-v ok="$ok" -v el="$el" -v uc="$uac_ticks" -v sc="$uas_ticks" 'BEGIN { printf "%.1f %.0f %.0f %.0f %.0f\n",
		ok ? c / hz * 1e6 / ok : 0, c / hz / el * 100, uc / hz / el * 100, sc / hz / el * 100, c ? k * 100 / c : 0 }')"
	local verdict=clean why=
	[ "$rc" = 0 ] || why="sipp exit $rc"
	[ "$fail" = 0 ] && [ "$ufail" = 0 ] || why="${why:+$why, }failed calls"
	[ "$ok" = "$calls" ] || why="${why:+$why, }$((calls - ok)) calls missing"
	[ "$made" -ge $((rate * 95 / 100)) ] || why="${why:+$why, }sipp made only $made/s"
	[ "$acks" -ge "$uok" ] || why="${why:+$why, }$((uok - acks)) ACKs never reached the UAS"
	[ -n "$why" ] && verdict="NOT CLEAN ($why)"
	printf '  %-8s %-6s %5d/s: %7d/%d ok, failed %d+%d, retrans %d+%d, %5d calls/s made, %6.1f us CPU/call (%3d%% of a core, %d%% in the kernel), setup p50 %s p99 %s ms, sipp CPU uac %d%% uas %d%%: %s\n' \
		"$s" "$label" "$rate" "$ok" "$calls" "$fail" "$ufail" "$retr" "$uretr" "$made" "$cpu_us" "$cpu_pct" "$sys_pct" \
		"$p50" "$p99" "$uac_pct" "$uas_pct" "$verdict" | tee -a "$RESULTS"
	[ "$verdict" = clean ] || { local e; e=$(first_error "$d"); [ -n "$e" ] && log "           first error: $e"; }
	if ! kill -0 "${PID[$s]}" 2>/dev/null; then
		log "           $s is gone: $(tail -3 "$WORK/$s.log" | tr '\n' ' ')"
		DEAD[$s]=1
	fi
	echo "$made $ok $((fail + ufail)) $((retr + uretr)) $cpu_us $cpu_pct $p50 $p99 $([ "$verdict" = clean ] && echo 1 || echo 0)" >>"$WORK/res-$s-$label"
	[ "$verdict" = clean ]
}

cps_mode() {
	local s rate i any
	declare -A ACTIVE BEST
	log ""
	log "== cps: steps of ${STEP_S} s at ${STEP_LIST[*]} calls/s, calls of ${CALL_MS} ms; (failed UAC+UAS, retrans UAC+UAS)"
	for s in "${UP[@]}"; do ACTIVE[$s]=1 BEST[$s]=0; done
	for rate in "${STEP_LIST[@]}"; do
		any=0
		for s in "${UP[@]}"; do
			[ "${ACTIVE[$s]}" = 1 ] && [ -z "${DEAD[$s]:-}" ] || continue
			any=1
			progress "$s: $rate calls/s for ${STEP_S} s"
			if cps_run "$s" "$rate" step; then
				BEST[$s]=$rate
			else
				ACTIVE[$s]=0
			fi
			sleep 3
		done
		[ "$any" = 1 ] || break
	done
	for s in "${UP[@]}"; do
		[ "${BEST[$s]}" -gt 0 ] || log "  $s: no step was clean"
	done
	for ((i = 1; i <= REPEAT; i++)); do
		for s in "${UP[@]}"; do
			[ "${BEST[$s]}" -gt 0 ] && [ -z "${DEAD[$s]:-}" ] || continue
			progress "$s: run $i of $REPEAT at ${BEST[$s]} calls/s"
			cps_run "$s" "${BEST[$s]}" "run$i"
			sleep 3
		done
	done
	for s in "${UP[@]}"; do
		CPS_BEST[$s]=${BEST[$s]}
		CPS_CLEAN[$s]=0
		[ "${BEST[$s]}" -gt 0 ] || continue
		for ((i = 1; i <= REPEAT; i++)); do
			cat "$WORK/res-$s-run$i" 2>/dev/null
		done >"$WORK/res-$s-runs"
		CPS_CLEAN[$s]=$(awk '$9 == 1' "$WORK/res-$s-runs" | wc -l)
	done
}

# -- concurrent: one run per server, on a fresh server
conc_run() {
	local s=$1 d=$WORK/$1-concurrent
	local ramp_s=$(((TARGET + RAMP_RATE - 1) / RAMP_RATE))
	local pause_ms=$(((ramp_s + HOLD_S) * 1000))
	mkdir -p "$d"
	progress "$s: $TARGET calls at $RAMP_RATE/s, each held $((ramp_s + HOLD_S)) s"
	sleep 2
	local m0 m1 m2 shm0 shm1 dlg=-
	m0=$(mem_kb $(server_pids "$s"))
	[ "$s" = kamailio ] && shm0=$(kam_stat real_used_size)
	start_uas "$d" "$s"
	uac "$d" "$s" "$RAMP_RATE" "$TARGET" "$pause_ms" $((TARGET + 1000)) $((ramp_s * 3 + HOLD_S + 120))
	local start=$SECONDS next=10 up fail plateau=0 held=0 ok c0 c1 cpu_pct=-
	while kill -0 "$UAC_PID" 2>/dev/null; do
		sleep 1
		up=$(count_col "$(ls "$d"/uac_*_counts.csv 2>/dev/null | head -1)" _ACK_Sent)
		fail=$(stat_col "$d/stat.csv" "FailedCall(C)")
		if [ $((SECONDS - start)) -ge "$next" ]; then
			next=$((next + 10))
			progress "$s: $((SECONDS - start)) s, $up calls up, $fail failed"
		fi
		# the plateau: every call set up (or failed), 3 s to settle, then
		# the memory, and the CPU over 5 s of calls only held
		if [ "$plateau" = 0 ] && { [ $((up + fail)) -ge "$TARGET" ] ||
			[ $((SECONDS - start)) -ge $((ramp_s * 2 + 30)) ]; }; then
			plateau=1
			sleep 3
			m1=$(mem_kb $(server_pids "$s"))
			held=$(($(count_col "$(ls "$d"/uac_*_counts.csv | head -1)" _ACK_Sent) - $(stat_col "$d/stat.csv" "FailedCall(C)")))
			if [ "$s" = kamailio ]; then
				shm1=$(kam_stat real_used_size)
				dlg=$(kam_stat active_dialogs)
			fi
			if [ $((SECONDS - start + 6)) -lt $((ramp_s + HOLD_S)) ]; then
				c0=$(cpu_ticks $(server_pids "$s"))
				sleep 5
				c1=$(cpu_ticks $(server_pids "$s"))
				cpu_pct=$(awk -v c=$((c1 - c0)) -v hz="$HZ" 'BEGIN { printf "%.1f", c / hz / 5 * 100 }')
			fi
			# what pbxd itself counts (pbxctl calls), after the CPU window:
			# listing tens of thousands of calls is work of its own
			[ "$s" = pbxd ] && dlg=$(timeout 20 "$BUILD/bin/pbxctl" -s "$ADMIN" -t 10000 --json calls 2>/dev/null |
				grep -o '"id":' | wc -l)
			progress "$s: plateau: $held calls held; hanging up from $((ramp_s + HOLD_S)) s"
		fi
	done
	wait "$UAC_PID"
	local rc=$?
	UAC_PID=
	stop_uas
	sleep 6 # Kamailio keeps finished transactions 5 s (tm wait timer)
	m2=$(mem_kb $(server_pids "$s"))
	ok=$(stat_col "$d/stat.csv" "SuccessfulCall(C)")
	fail=$(( $(stat_col "$d/stat.csv" "FailedCall(C)") + $(stat_col "$d/uas_stat.csv" "FailedCall(C)") ))
	[ "$plateau" = 1 ] || { m1=$m2 held=0; }
	local pss0 pss1 pss2 rss0 rss1 file0 file1
	read -r pss0 rss0 file0 <<<"$m0"
	read -r pss1 rss1 file1 <<<"$m1"
	read -r pss2 _ <<<"$m2"
	local per per_shm=- per_anon
	per=$(awk -v a="$pss0" -v b="$pss1" -v n="$held" 'BEGIN { printf "%.0f", n ? (b - a) * 1024 / n : 0 }')
	per_anon=$(awk -v a="$((pss0 - file0))" -v b="$((pss1 - file1))" -v n="$held" 'BEGIN { printf "%.0f", n ? (b - a) * 1024 / n : 0 }')
	[ "$s" = kamailio ] && per_shm=$(awk -v a="$shm0" -v b="$shm1" -v n="$held" 'BEGIN { printf "%.0f", n ? (b - a) / n : 0 }')
	local verdict=clean why=
	[ "$rc" = 0 ] || why="sipp exit $rc"
	[ "$fail" = 0 ] || why="${why:+$why, }failed calls"
	[ "$held" = "$TARGET" ] || why="${why:+$why, }$((TARGET - held)) calls not held"
	[ "$ok" = "$TARGET" ] || why="${why:+$why, }$((TARGET - ok)) calls did not end well"
	kill -0 "${PID[$s]}" 2>/dev/null || why="${why:+$why, }$s is gone: $(tail -3 "$WORK/$s.log" | tr '\n' ' ')"
	[ -n "$why" ] && verdict="NOT CLEAN ($why)"
	mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
	printf '  %-8s %d calls: %d held at the plateau, %d ended ok, %d failed; Pss %s MB before, %s MB at the plateau (%s B/call; without file-backed pages %s B/call, file-backed +%s MB), %s MB after; VmRSS %s -> %s MB%s; CPU while held %s%% of a core: %s\n' \
		"$s" "$TARGET" "$held" "$ok" "$fail" "$(mb "$pss0")" "$(mb "$pss1")" "$per" \
		"$per_anon" "$(mb $((file1 - file0)))" \
		"$(mb "$pss2")" "$(mb "$rss0")" "$(mb "$rss1")" \
		"$([ "$s" = kamailio ] && echo "; shm used +$per_shm B/call, $dlg dialogs active at the plateau" ||
			echo "; $dlg calls listed by pbxctl at the plateau")" \
		"$cpu_pct" "$verdict" | tee -a "$RESULTS"
	[ "$verdict" = clean ] || { local e; e=$(first_error "$d"); [ -n "$e" ] && log "           first error: $e"; }
	CONC[$s]="$held $ok $fail $pss0 $pss1 $per $cpu_pct $per_anon"
}

conc_mode() {
	local s
	log ""
	log "== concurrent: $TARGET calls opened at $RAMP_RATE/s, held $HOLD_S s after the last one is up"
	for s in "${UP[@]}"; do
		# a fresh server: memory that earlier runs freed would be reused
		"stop_$s"
		sleep 1
		if ! bring_up "$s"; then
			log "  $s: ${SKIP[$s]}"
			continue
		fi
		conc_run "$s"
	done
}

# -- the run
: >"$RESULTS"
log "calls benchmark, $(date -u '+%F %T') UTC"
log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
log "sipp $(sipp -v 2>&1 | grep -o 'v[0-9.]*' | head -1) UAC -> proxy -> sipp UAS, UDP on loopback; pbxd: $WORKERS workers; Kamailio: $KAM_CHILDREN children, tlsf, tm + rr + dialog"
for s in "${SERVERS[@]}"; do
	case $s in
	pbxd) log "pbxd: $("$BUILD/bin/pbxd" --version 2>&1 | head -1) ($BUILD/bin/pbxd)" ;;
	kamailio) log "kamailio: $(kamailio -v 2>/dev/null | head -1 | awk '{print $2, $3}')" ;;
	esac
done
log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (sipp and anything else running share the cores with the proxy)"

write_pbxd_conf
UP=()
for s in "${SERVERS[@]}"; do
	if bring_up "$s"; then
		UP+=("$s")
	else
		log "SKIPPED $s: ${SKIP[$s]}"
	fi
done
[ ${#UP[@]} -gt 0 ] || die "no server to measure"
# what the servers cost doing nothing: figures per call at low rates include it
declare -A IDLE0
for s in "${UP[@]}"; do IDLE0[$s]=$(cpu_ticks $(server_pids "$s")); done
sleep 5
for s in "${UP[@]}"; do
	log "$s idle: $(awk -v c=$(($(cpu_ticks $(server_pids "$s")) - IDLE0[$s])) -v hz="$HZ" \
		'BEGIN { printf "%.1f", c / hz / 5 * 100 }')% of a core over 5 s; $(server_pids "$s" | wc -w) processes," \
		"$(mem_kb $(server_pids "$s") | awk '{ printf "Pss %.1f MB, VmRSS %.1f MB (summed)", $1 / 1024, $2 / 1024 }')"
done
declare -A CPS_BEST CPS_CLEAN CONC
[ "$MODE" = concurrent ] || cps_mode
[ "$MODE" = cps ] || conc_mode
log "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -d "$PBX_DATA" ] && log "pbxd data directory: $(du -sh "$PBX_DATA" | cut -f1) ($PBX_DATA)"

# -- summary
log ""
log "== summary"
if [ "$MODE" != concurrent ]; then
	log "calls per second: the highest clean step, then the medians of $REPEAT runs at that rate"
	fmt='  %-9s %10s %7s %8s %7s %8s %12s %6s %10s %10s\n'
	printf "$fmt" proxy "clean rate" "clean" "calls/s" failed retrans "CPU us/call" "CPU %" "setup p50" "setup p99" | tee -a "$RESULTS"
	for s in "${UP[@]}"; do
		if [ "${CPS_BEST[$s]:-0}" = 0 ]; then
			printf "$fmt" "$s" none - - - - - - - - | tee -a "$RESULTS"
			continue
		fi
		cols=()
		for c in 1 3 4 5 6 7 8; do cols+=("$(cut -d' ' -f$c "$WORK/res-$s-runs" | median)"); done
		printf "$fmt" "$s" "${CPS_BEST[$s]}/s" "${CPS_CLEAN[$s]}/$REPEAT" "${cols[0]}" "${cols[1]}" "${cols[2]}" \
			"${cols[3]}" "${cols[4]}" "${cols[5]} ms" "${cols[6]} ms" | tee -a "$RESULTS"
	done
fi
if [ "$MODE" != cps ]; then
	log "concurrent calls: $TARGET opened at $RAMP_RATE/s"
	fmt='  %-9s %8s %8s %7s %12s %12s %10s %14s %14s\n'
	printf "$fmt" proxy held "ended ok" failed "mem before" "at plateau" "B/call" "B/call (anon)" "CPU % (held)" | tee -a "$RESULTS"
	for s in "${UP[@]}"; do
		[ -n "${CONC[$s]:-}" ] || { printf "$fmt" "$s" - - - - - - - - | tee -a "$RESULTS"; continue; }
		read -r held ok fail pss0 pss1 per cpu anon <<<"${CONC[$s]}"
		printf "$fmt" "$s" "$held" "$ok" "$fail" "$((pss0 / 1024)) MB" "$((pss1 / 1024)) MB" "$per" "$anon" "$cpu" |
			tee -a "$RESULTS"
	done
fi
for s in "${SERVERS[@]}"; do
	[ -n "${SKIP[$s]:-}" ] && log "  $s was not measured: ${SKIP[$s]}"
done
cp "$RESULTS" /tmp/bench-calls-results.txt
log "(also in /tmp/bench-calls-results.txt)"
