# Helpers for the replication tests: up to four pbxd nodes on loopback, on
# top of tests/registrar/lib.sh (make_conf, run_sipp, sipp_stat, problem,
# finish, wait_for). A script gets the build directory and the source
# directory as its two arguments.
#
# Ports from the test's base P (P..P+19, tests/sipp/lib.sh): node I (1-4)
# has SIP on P+I-1, admin on P+3+I, the cluster link on P+7+I; sipp's
# local ports are P+12..P+19.
source "$(dirname "${BASH_SOURCE[0]}")/../registrar/lib.sh"
CONF=$WORK/pbx.yaml
declare -A NPID=()

sip_of() { echo $((P + $1 - 1)); }
adm_of() { echo "tcp://127.0.0.1:$((P + 3 + $1))"; }
cl_of() { echo "tcp://127.0.0.1:$((P + 7 + $1))"; }
lport() { echo $((P + 11 + $1)); } # 1..8

# nctl I ARGS...: pbxctl against node I
nctl() {
	local i=$1
	shift
	"$BIN/pbxctl" -s "$(adm_of "$i")" "$@"
}

# start_node I PEER...: pbxd as node nI (id I) with the configuration in
# $CONF, data in $WORK/dataI, log in $WORK/nI.log, dialling the peers' nodes
# given; waits until its admin socket answers.
start_node() {
	local i=$1 j args=()
	shift
	for j in "$@"; do args+=(--peer "$(cl_of "$j")"); done
	"$BIN/pbxd" -c "$CONF" --node "n$i" --node-id "$i" --data "$WORK/data$i" \
		--admin "$(adm_of "$i")" --cluster-listen "$(cl_of "$i")" \
		--sip "127.0.0.1:$(sip_of "$i")" --listen external=none --workers 2 \
		"${args[@]}" >>"$WORK/n$i.log" 2>&1 &
	NPID[$i]=$!
	PIDS+=($!)
	wait_for 20 nctl "$i" status || fail "node $i does not answer on $(adm_of "$i")"
}

# stop_nodes: SIGTERM every node still running; each must exit 0
stop_nodes() {
	local i k rc
	for i in "${!NPID[@]}"; do
		kill -TERM "${NPID[$i]}" 2>/dev/null || continue
		for ((k = 0; k < 100; k++)); do
			kill -0 "${NPID[$i]}" 2>/dev/null || break
			sleep 0.1
		done
		wait "${NPID[$i]}"
		rc=$?
		[ "$rc" = 0 ] || problem "node $i did not stop cleanly on SIGTERM: status $rc"
	done
}

# links_up I N: node I sees N peers up
links_up() {
	[ "$(nctl "$1" cluster --json | jq '[.peers[] | select(.state == "up")] | length')" = "$2" ]
}

# digest I: node I's locations digest
digest() { nctl "$1" cluster --json | jq -r .digest; }

# same_digest I...: every node named has the digest of the first, and that
# digest covers at least one binding
same_digest() {
	local d1 d i
	d1=$(digest "$1") || return 1
	[ -n "$d1" ] && [ "$d1" != null ] || return 1
	for i in "$@"; do
		d=$(digest "$i") || return 1
		[ "$d" = "$d1" ] || return 1
	done
}

# users_csv FILE FIRST LAST: a sipp -inf file of users FIRST..LAST
users_csv() {
	{
		echo SEQUENTIAL
		for u in $(seq "$2" "$3"); do echo "$u;[authentication username=$u password=1234]"; done
	} >"$1"
}

# load NAME NODE FIRST LAST CALLS RATE: registrations of users FIRST..LAST
# (round robin) on node NODE, CALLS of them at RATE a second, from local
# port lport(K) with K=${LPK:-1}; every message in $WORK/NAME.msg. Returns
# sipp's status.
load() {
	local n=$1 i=$2
	users_csv "$WORK/$n.csv" "$3" "$4"
	PBX=127.0.0.1:$(sip_of "$i") RECV_TIMEOUT=3000 run_sipp "$n" "$RHERE/reg_inf.xml" \
		-p "$(lport "${LPK:-1}")" -m "$5" -r "$6" -rp 1000 -inf "$WORK/$n.csv" \
		-key expires 3600 -trace_msg -message_file "$WORK/$n.msg"
}

# acked NAME: the users whose REGISTER got a 200 in sipp run NAME, one a
# line (from sipp's message trace: what was acknowledged)
acked() {
	tr -d '\r' <"$WORK/$1.msg" | awk '
		/message received/ { on = 1; first = 1; ok = 0; next }
		/message sent/ { on = 0; next }
		on && first && /^$/ { next }
		on && first { first = 0; ok = ($0 ~ /^SIP\/2\.0 200 /); next }
		on && ok && tolower($0) ~ /^to:/ {
			if (match($0, /sip:[0-9]+@/)) print substr($0, RSTART + 4, RLENGTH - 5)
			ok = 0 }' | sort -u
}

# aors I: the users with a binding on node I, one a line
aors() { nctl "$1" registrations --json | jq -r '.registrations[].aor' | sed 's/@.*//' | sort -u; }

# has_all I FILE: node I has a binding of every user listed in FILE
has_all() {
	local missing
	missing=$(comm -23 "$2" <(aors "$1")) || return 1
	[ -z "$missing" ]
}

# no_duplicates I: node I has each (aor, contact) once
no_duplicates() {
	[ "$(nctl "$1" registrations --json | jq '[.registrations[] | [.aor, .contact]] | (length == (unique | length))')" = true ]
}

# log_count I: events in node I's log; origin_sum I: the sum of its origins'
# held seqs (equal when every event is there once and nothing was pruned)
log_count() { nctl "$1" status --json | jq .events; }
origin_sum() { nctl "$1" cluster --json | jq '[.origins[].seq] | add // 0'; }

# show_lag I...: print each node's replication lag, as pbxctl cluster says
show_lag() {
	local i
	for i in "$@"; do
		nctl "$i" cluster --json | jq -r '"lag on \(.name): p50 \(.lag_ms.p50) ms, p99 \(.lag_ms.p99) ms over \(.lag_ms.count) live events; \(.remote_events) applied from peers, \(.remote_skipped) skipped"'
	done
	nctl "$1" cluster
}
