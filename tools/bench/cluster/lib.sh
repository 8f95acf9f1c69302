# Helpers of tools/bench/cluster/run.sh, sourced by it (not run on their
# own): /proc and sipp's files, the users' CSV slices, pbxd nodes and their
# `pbxctl cluster --json`, the two Kamailio instances with dmq_usrloc, and
# the registration load. They use run.sh's settings (WORK, PORT, HZ, PBXD,
# PBXCTL, DATA_ROOT, NUSERS, SECRET, WORKERS, HAVE_CLUSTER, REG_XML...).

# -- /proc and sipp's files
# cpu_ticks PID...: utime+stime (all threads) summed over the processes
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
# stat_col FILE COLUMN: the last value of COLUMN in a sipp statistics file
stat_col() {
	awk -F';' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
		k { v = $k } END { print v + 0 }' "$1" 2>/dev/null || echo 0
}
# count_col FILE SUFFIX: the last value of the -trace_counts column ending in SUFFIX
count_col() {
	awk -F';' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if (substr($i, length($i) - length(c) + 1) == c) k = i; next }
		k { v = $k } END { print v + 0 }' "$1" 2>/dev/null || echo 0
}
# pct P FILE...: the P-th percentile of sipp's response time 1 (ms) in rtt files
pct() {
	local p=$1
	shift
	cat "$@" 2>/dev/null | awk -F';' 'NR > 1 && $3 == 1 { print $2 }' | sort -n |
		awk -v p="$p" '{a[NR] = $1} END { if (!NR) { print "-"; exit }
			i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; printf "%.0f\n", a[i] }'
}
median() {
	grep -v '^-*$' | sort -g | awk '{a[NR] = $1} END { if (!NR) print "-"; else if (NR % 2) print a[(NR + 1) / 2];
		else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
first_error() {
	cat "$@" 2>/dev/null | grep -v '^ *$' | grep -v 'events occurred' | head -3 | tr -s ' \t\r\n' ' ' | cut -c1-200
}

# -- users: one CSV per slice, with the whole [authentication] keyword
# (sipp 3.6.1 does not expand [field0] inside it); slice K of N of the
# first COUNT users
user_csv() {
	local k=$1 n=$2 count=$3 f=$WORK/users-$1-of-$2-$3.csv
	if [ ! -s "$f" ]; then
		local from=$((100000 + count * k / n)) to=$((100000 + count * (k + 1) / n - 1))
		{
			echo SEQUENTIAL
			seq "$from" "$to" | awk '{ printf "%s;[authentication username=%s password=pw-%s]\n", $1, $1, $1 }'
		} >"$f"
	fi
	echo "$f"
}

# -- pbxd nodes
# node_conf I PEERS...: node I's YAML (peers: node numbers)
node_conf() {
	local i=$1 p peers=
	shift
	for p in "$@"; do peers="$peers${peers:+, }\"$(clu_url "$p")\""; done
	cat >"$WORK/n$i.yaml" <<YAML
# node $i of the cluster benchmark: users 100000..$((100000 + NUSERS - 1)),
# password pw-<id>; the external profile bridges every number to the
# registered user of that number (bridge user/N)
node: { name: n$i, id: $i, data_dir: "$DATA_ROOT/n$i", workers: $WORKERS }
log: { level: warn }
admin: { listen: "$(adm_url "$i")" }
cluster: { listen: "$(clu_url "$i")", peers: [ $peers ], secret: "$SECRET" }
sip: { listen: [ "127.0.0.1:$(sip_port "$i")" ] }
directory:
  domain: 127.0.0.1
  ranges: [ { from: 100000, to: $((100000 + NUSERS - 1)), password: "pw-{id}" } ]
registrar: { realm: 127.0.0.1, default_expires: 3600, min_expires: 60, max_expires: 7200, max_bindings: 10, secret: "$SECRET" }
profiles:
  - { name: internal, auth: true, context: default }
  - { name: external, auth: false, context: bench, listen: [ "127.0.0.1:$(ext_port "$i")" ], acl: [ 127.0.0.0/8 ] }
calls: { timeout: 60, session_expires: 86400, max_calls: 0 }
dialplan:
  - context: default
    extensions: [ { name: none, actions: [ "hangup" ] } ]
  - context: bench
    extensions:
      - name: to-user
        conditions: [ { field: destination_number, expression: '^(.*)\$' } ]
        actions: [ "bridge user/\$1" ]
YAML
}
ctl() {
	local i=$1
	shift
	timeout 10 "$PBXCTL" -s "$(adm_url "$i")" -t 5000 "$@"
}
# cluster_json I: `pbxctl cluster --json` of node I (empty when it fails)
cluster_json() { ctl "$1" --json cluster 2>/dev/null | jq -c . 2>/dev/null; }
# start_node I PEERS...: node I on a fresh data directory, up when pbxctl answers
start_node() {
	local i=$1 k
	node_conf "$@"
	rm -rf "$DATA_ROOT/n$i"
	mkdir -p "$DATA_ROOT"
	"$PBXD" -c "$WORK/n$i.yaml" >>"$WORK/n$i.log" 2>&1 &
	NPID[$i]=$!
	for ((k = 0; k < 100; k++)); do
		ctl "$i" status >/dev/null 2>&1 && return 0
		kill -0 "${NPID[$i]}" 2>/dev/null || break
		sleep 0.1
	done
	log "  node $i did not start: $(tail -3 "$WORK/n$i.log" | tr '\n' ' ')"
	return 1
}
stop_node() {
	local p=${NPID[$1]:-}
	[ -n "$p" ] || return 0
	kill -CONT "$p" 2>/dev/null
	kill -TERM "$p" 2>/dev/null
	local k
	for ((k = 0; k < 100; k++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	unset "NPID[$1]"
}
stop_nodes() { local i; for i in "${!NPID[@]}"; do stop_node "$i"; done; }
# start_cluster I...: nodes I... each naming all the others as peers; waits
# (at most 20 s) until each sees every other one up in `pbxctl cluster`
start_cluster() {
	local i j peers n=$# k
	for i in "$@"; do
		peers=()
		for j in "$@"; do [ "$j" = "$i" ] || peers+=("$j"); done
		start_node "$i" "${peers[@]}" || return 1
	done
	[ "$HAVE_CLUSTER" = 1 ] || { sleep 2; return 0; }
	for ((k = 0; k < 200; k++)); do
		local ok=1
		for i in "$@"; do
			[ "$(cluster_json "$i" | jq '[.peers[]? | select(.state == "up")] | length')" = $((n - 1)) ] || { ok=0; break; }
		done
		[ "$ok" = 1 ] && return 0
		sleep 0.1
	done
	log "  the links did not all come up within 20 s"
	return 1
}
# digests I...: "DIGEST BINDINGS" per node, one line each ("- -" when it did not answer)
digests() {
	local i j
	for i in "$@"; do
		j=$(cluster_json "$i")
		[ -n "$j" ] && jq -r '"\(.digest) \(.bindings)"' <<<"$j" || echo "- -"
	done
}
# converge EXPECTED I...: wait (at most 60 s) until the nodes' digests are
# equal and they hold EXPECTED bindings; prints the seconds it took, or
# "never"
converge() {
	local want=$1 t0 k
	shift
	t0=$(date +%s.%N)
	for ((k = 0; k < 600; k++)); do
		if [ "$(digests "$@" | sort -u | wc -l)" = 1 ] && [ "$(digests "$1" | cut -d' ' -f2)" = "$want" ]; then
			awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f\n", b - a }'
			return 0
		fi
		sleep 0.1
	done
	echo never
	return 1
}

# -- Kamailio with dmq_usrloc, instance J of 2
start_kam() {
	local j=$1 o=$((3 - $1)) d=$WORK/kam$1 k
	mkdir -p "$d"
	rm -f "$d/kamailio.pid"
	kamailio -f "$HERE/kamailio-dmq.cfg" -P "$d/kamailio.pid" -Y "$d" -w "$d" -E \
		-l "udp:127.0.0.1:$(kam_port "$j")" -l "udp:127.0.0.1:$(dmq_port "$j")" \
		-x tlsf -X tlsf -m 256 -M 16 \
		-A "DMQ_ADDR=\"sip:127.0.0.1:$(dmq_port "$j")\"" -A "DMQ_PEER=\"sip:127.0.0.1:$(dmq_port "$o")\"" \
		-A "DMQ_PORT=$(dmq_port "$j")" -A "CTL_SOCK=\"unix:$d/kamailio_ctl\"" >>"$WORK/kam$j.log" 2>&1 || return 1
	for ((k = 0; k < 50; k++)); do
		[ -s "$d/kamailio.pid" ] && break
		sleep 0.1
	done
	KPID[$j]=$(cat "$d/kamailio.pid" 2>/dev/null)
	[ -n "${KPID[$j]}" ]
}
stop_kam() {
	local p=${KPID[$1]:-} k
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2>/dev/null
	for ((k = 0; k < 50; k++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$p" 2>/dev/null
	unset "KPID[$1]"
}
kam_rpc() { kamcmd -s "unix:$WORK/kam$1/kamailio_ctl" "${@:2}" 2>/dev/null; }
kam_contacts() { kam_rpc "$1" stats.get_statistics location_contacts | awk -F' = ' '{ print $2 + 0; exit }'; }
kam_pids() { local j; for j in "${!KPID[@]}"; do echo "${KPID[$j]}" $(ps -o pid= --ppid "${KPID[$j]}"); done; }
# start_kams: both instances, up when each lists the other as an active dmq node
start_kams() {
	start_kam 1 && start_kam 2 || return 1
	local k
	for ((k = 0; k < 100; k++)); do
		[ "$(kam_rpc 1 dmq.list_nodes | grep -c 'status: active')" = 2 ] &&
			[ "$(kam_rpc 2 dmq.list_nodes | grep -c 'status: active')" = 2 ] && return 0
		sleep 0.2
	done
	log "  the Kamailio instances did not see each other (dmq.list_nodes)"
	return 1
}
kam_converge() {
	local want=$1 t0 k
	t0=$(date +%s.%N)
	for ((k = 0; k < 600; k++)); do
		if [ "$(kam_contacts 1)" = "$want" ] && [ "$(kam_contacts 2)" = "$want" ]; then
			awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f\n", b - a }'
			return 0
		fi
		sleep 0.1
	done
	echo never
	return 1
}

# -- registration load: sipps in parallel
# reg_load DIR RATE SECS COUNT TARGET...: one sipp per target, slice k of
# the first COUNT users, RATE split over them, in the background; sets
# SIPP_PIDS and REG_CALLS (registrations asked) and REG_USERS (distinct users)
reg_load() {
	local d=$1 rate=$2 secs=$3 count=$4 n k r calls
	shift 4
	n=$#
	SIPP_PIDS=() REG_CALLS=0 REG_USERS=0
	mkdir -p "$d"
	for ((k = 0; k < n; k++)); do
		local tgt=${*:$((k + 1)):1}
		r=$((rate / n + (k < rate % n)))
		calls=$((r * secs))
		REG_CALLS=$((REG_CALLS + calls))
		local slice=$((count * (k + 1) / n - count * k / n))
		REG_USERS=$((REG_USERS + (calls < slice ? calls : slice)))
		mkdir -p "$d/s$k"
		(cd "$d/s$k" && exec timeout -k 5 $((secs * 3 + 30)) sipp "$tgt" -sf "$REG_XML" \
			-inf "$(user_csv "$k" "$n" "$count")" -i 127.0.0.1 -p $((SIPP_BASE + k)) \
			-m "$calls" -r "$r" -rp 1000 -l $((r * 10 + 10)) -buff_size 4194304 -nostdin -skip_rlimit \
			-trace_stat -stf stat.csv -fd 1 -trace_rtt -rtt_freq 100 \
			-trace_err -error_file err.log -recv_timeout 5000 -timeout $((secs * 3 + 20)) \
			-timeout_error >sipp.out 2>&1) &
		SIPP_PIDS+=($!)
	done
}
# reg_wait DIR RATE: waits for the sipps; sets R_OK R_FAIL R_RETR R_RC
# R_ELAPSED (from $T0) R_RATE R_P50 R_P99 R_CLEAN R_WHY
reg_wait() {
	local d=$1 rate=$2 p rc k
	R_RC=0
	for p in "${SIPP_PIDS[@]}"; do
		wait "$p"
		rc=$?
		[ "$rc" = 0 ] || R_RC=$rc
	done
	SIPP_PIDS=()
	T1=$(date +%s.%N)
	R_OK=0 R_FAIL=0 R_RETR=0
	for k in "$d"/s*/stat.csv; do
		R_OK=$((R_OK + $(stat_col "$k" "SuccessfulCall(C)")))
		R_FAIL=$((R_FAIL + $(stat_col "$k" "FailedCall(C)")))
		R_RETR=$((R_RETR + $(stat_col "$k" "Retransmissions(C)")))
	done
	R_ELAPSED=$(awk -v a="$T0" -v b="$T1" 'BEGIN { print b - a }')
	R_RATE=$(awk -v n="$R_OK" -v e="$R_ELAPSED" 'BEGIN { printf "%.0f", n / e }')
	R_P50=$(pct 50 "$d"/s*/*_rtt.csv)
	R_P99=$(pct 99 "$d"/s*/*_rtt.csv)
	R_WHY=
	[ "$R_RC" = 0 ] || R_WHY="sipp exit $R_RC"
	[ "$R_OK" = "$REG_CALLS" ] || R_WHY="${R_WHY:+$R_WHY, }$((REG_CALLS - R_OK)) not registered"
	[ "$R_FAIL" = 0 ] || R_WHY="${R_WHY:+$R_WHY, }$R_FAIL failed"
	[ "$R_RETR" = 0 ] || R_WHY="${R_WHY:+$R_WHY, }$R_RETR retransmissions"
	[ "$R_RATE" -ge $((rate * 95 / 100)) ] || R_WHY="${R_WHY:+$R_WHY, }only $R_RATE/s"
	R_CLEAN=0
	[ -z "$R_WHY" ] && R_CLEAN=1
}

