# Helpers for the SIP end-to-end tests (sourced by the scripts here, after
# tests/e2e/lib.sh: WORK, PIDS, fail, pass, wait_for). A script gets the build
# directory and the source directory as its two arguments.
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"
HERE=$SRC/tests/sipp
UDPSEND=$BUILD/tests/udpsend
[ -x "$UDPSEND" ] || fail "no $UDPSEND: build the tree first"
cd "$WORK" || fail "cd $WORK" # whatever sipp writes stays in WORK

# A base port P with P..P+19 unused on UDP and TCP. Tests run in parallel:
# the start depends on the pid, and busy ranges are skipped. 30000-32759:
# above tests/e2e's range (20000-29999), below the ephemeral ports (32768).
sip_port_base() {
	local b=$((30000 + ($$ % 138) * 20)) i
	command -v ss >/dev/null || { echo "$b"; return; }
	for ((i = 0; i < 50; i++)); do
		if ss -Hantu | awk -v lo="$b" -v hi="$((b + 19))" '
			{ n = split($5, a, ":"); p = a[n] + 0
			  if (p >= lo && p <= hi) free = 0 }
			BEGIN { free = 1 } END { exit !free }'; then
			echo "$b"
			return
		fi
		b=$((b + 20))
		[ "$b" -gt 32740 ] && b=30000
	done
	echo "$b"
}

P=$(sip_port_base)
SIP=$((P + 0))     # pbxd SIP, UDP and TCP
ADMIN=tcp://127.0.0.1:$((P + 1))
CLUSTER=tcp://127.0.0.1:$((P + 2))
LP=$((P + 3))      # first local port for the clients; P+3..P+19 are ours
PBX=127.0.0.1:$SIP

# sip_req FILE METHOD REQUEST-URI [HEADER...]: write a request with CRLF line
# ends: Via (UDP, from 127.0.0.1:$LP, with rport unless NORPORT=1), From,
# To, Call-ID, CSeq, Max-Forwards (MF, default 70), the extra headers, then
# Content-Length and the body in $BODY (none by default). Variables override:
# VER (version in the request line), VIAPROTO, VIAHOST, VIAPORT, CALLID,
# BRANCH, FROMTAG, TOURI, CSEQ.
sip_req() {
	local f=$1 m=$2 ruri=$3 h rp=";rport"
	shift 3
	[ "${NORPORT:-0}" = 1 ] && rp=""
	local id=${CALLID:-$RANDOM$RANDOM-$$@127.0.0.1}
	local br=${BRANCH:-z9hG4bK-$RANDOM$RANDOM$RANDOM}
	local body=${BODY:-}
	{
		printf '%s %s %s\r\n' "$m" "$ruri" "${VER:-SIP/2.0}"
		printf 'Via: SIP/2.0/%s %s:%s;branch=%s%s\r\n' "${VIAPROTO:-UDP}" \
			"${VIAHOST:-127.0.0.1}" "${VIAPORT:-$LP}" "$br" "$rp"
		printf 'From: <sip:tester@127.0.0.1>;tag=%s\r\n' "${FROMTAG:-ft$RANDOM}"
		printf 'To: <%s>\r\n' "${TOURI:-sip:$PBX}"
		printf 'Call-ID: %s\r\n' "$id"
		printf 'CSeq: %s %s\r\n' "${CSEQ:-1}" "$m"
		printf 'Max-Forwards: %s\r\n' "${MF:-70}"
		for h in "$@"; do printf '%s\r\n' "$h"; done
		printf 'Content-Length: %d\r\n\r\n%s' "${#body}" "$body"
	} >"$f"
}

# status FILE: the status code of the response in FILE
status() { head -c 64 "$1" | head -1 | awk '{print $2}'; }
# reason FILE: the reason phrase of the response in FILE
reason() { head -1 "$1" | tr -d '\r' | cut -d' ' -f3-; }
# header FILE NAME: the values of header NAME (case-insensitive), one a line
header() {
	tr -d '\r' <"$1" | sed '/^$/q' | awk -v n="$2" '
		BEGIN { n = tolower(n) }
		{ i = index($0, ":"); if (!i) next
		  k = tolower($0); sub(/[ \t]*:.*/, "", k)
		  if (k == n) { v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v } }'
}

# send_udp NAME REQUEST-FILE [udpsend options]: send from port $LP; the
# first reply lands in $WORK/NAME.1 (the others in NAME.2 ...); the summary
# lines in $WORK/NAME.out. Returns udpsend's status (1: no reply).
send_udp() {
	local n=$1 f=$2
	shift 2
	"$UDPSEND" -b "$LP" -o "$WORK/$n" "$@" "$PBX" "$f" >"$WORK/$n.out"
}

# start_pbxd [ARGS...]: start pbxd on $SIP (UDP and TCP), log in
# $WORK/pbxd.log, and wait until it answers an OPTIONS over UDP.
# SIP_TARGET=HOST:PORT in the environment: test that server instead (another
# SIP server, to compare); what needs pbxd's admin socket is then skipped.
start_pbxd() {
	local i
	if [ -n "${SIP_TARGET:-}" ]; then
		PBX=$SIP_TARGET
		SIP=${PBX##*:}
		PBXD=
		: >"$WORK/pbxd.log"
		return 0
	fi
	"$BIN/pbxd" -c "$SRC/conf/pbx.yaml" --sip "$PBX" --listen external=none --data "$WORK/data" \
		--admin "$ADMIN" --cluster-listen "$CLUSTER" --workers 2 "$@" \
		>>"$WORK/pbxd.log" 2>&1 &
	PBXD=$!
	PIDS+=($PBXD)
	sip_req "$WORK/ping.req" OPTIONS "sip:$PBX"
	for ((i = 0; i < 50; i++)); do
		kill -0 "$PBXD" 2>/dev/null || fail "pbxd exited (status: $(wait "$PBXD"; echo $?))"
		"$UDPSEND" -w 200 "$PBX" "$WORK/ping.req" >/dev/null 2>&1 && return 0
	done
	fail "pbxd does not answer OPTIONS on udp $PBX"
}

# term_pbxd TENTHS: SIGTERM, SIGKILL if pbxd is still there after TENTHS
# tenths of a second; returns pbxd's exit status, and PBXD is cleared
term_pbxd() {
	local i rc
	kill -TERM "$PBXD" 2>/dev/null
	for ((i = 0; i < $1; i++)); do
		kill -0 "$PBXD" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$PBXD" 2>/dev/null
	wait "$PBXD" 2>/dev/null
	rc=$?
	PBXD=
	return $rc
}

# stop_pbxd: SIGTERM, and SIGKILL if it is still there after 5 s
stop_pbxd() {
	[ -n "$PBXD" ] || return 0
	term_pbxd 50
	return 0
}

# run_sipp NAME SCENARIO [SIPP-ARGS...]: run sipp against pbxd (bounded in
# time; RECV_TIMEOUT ms for any answer, default 5000); its screen, errors
# and statistics go to $WORK/NAME.*. Returns
# sipp's exit status (0: every call succeeded).
run_sipp() {
	local n=$1 sf=$2
	shift 2
	command -v sipp >/dev/null || fail "sipp is not installed (Debian package sip-tester)"
	timeout -k 5 60 sipp "$PBX" -sf "$sf" -i 127.0.0.1 -nostdin \
		-trace_err -error_file "$WORK/$n.err.log" \
		-trace_screen -screen_file "$WORK/$n.screen" \
		-trace_stat -stf "$WORK/$n.csv" -fd 1 \
		-recv_timeout "${RECV_TIMEOUT:-5000}" -timeout 50 -timeout_error "$@" \
		>"$WORK/$n.stdout" 2>&1
}

# sipp_stat NAME COLUMN: the last value of COLUMN, e.g.
# "SuccessfulCall(C)", in sipp's statistics file for run NAME.
sipp_stat() {
	awk -F';' -v c="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
		{ v = $k } END { print v + 0 }' "$WORK/$1.csv"
}

# Checks that do not stop the script: every problem is listed, and
# finish fails the test if there was one.
PROBLEMS=0
problem() {
	echo "PROBLEM: $*" >&2
	PROBLEMS=$((PROBLEMS + 1))
}
finish() {
	local rc
	# pbxd must stop cleanly on SIGTERM: status 0, and under the
	# sanitizers (make asan) no leak or error report at exit
	if [ -n "${PBXD:-}" ] && kill -0 "$PBXD" 2>/dev/null; then
		term_pbxd 100
		rc=$?
		[ "$rc" = 0 ] || problem "pbxd did not stop cleanly on SIGTERM: status $rc ($(grep -E 'Sanitizer|ERROR|runtime error' "$WORK/pbxd.log" | head -3 | tr '\n' ' '))"
	fi
	if [ "$PROBLEMS" != 0 ]; then
		fail "$PROBLEMS problem(s), listed above"
	fi
	echo "all passed"
}
