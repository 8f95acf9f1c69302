# Helpers for the registrar end-to-end tests, on top of tests/sipp/lib.sh
# (start_pbxd, run_sipp, sipp_stat, header, problem, finish; that file sources
# tests/e2e/lib.sh: WORK, PIDS, fail, pass, wait_for). A script gets the build
# directory and the source directory as its two arguments.
source "$(dirname "${BASH_SOURCE[0]}")/../sipp/lib.sh"
RHERE=$SRC/tests/registrar
command -v jq >/dev/null || { echo "skipped: jq is not installed"; exit 77; }

ctl() { "$BIN/pbxctl" -s "$ADMIN" "$@"; }

# make_conf FILE [SED-EXPR...]: a copy of conf/pbx.yaml with users
# 1000..1099 (password 1234) and the edits given, e.g.
# 's/min_expires: 60/min_expires: 1/'.
make_conf() {
	local f=$1 e args=(-e 's/^      to: 1019$/      to: 1099/')
	shift
	for e in "$@"; do args+=(-e "$e"); done
	sed "${args[@]}" "$SRC/conf/pbx.yaml" >"$f"
	grep -q '^      to: 1099$' "$f" || fail "make_conf: the range edit did not apply to $SRC/conf/pbx.yaml"
}

# next_second: wait for the wall clock's next second. sipp answers every
# challenge with nc=00000001, and pbxd up to 3990709 made one nonce per
# second: two challenges of the same AOR in one second looked like a replay
# (reg_nonce.sh tests that alone), so the other tests register an AOR again
# in a later second.
next_second() {
	local s
	s=$(date +%s)
	while [ "$(date +%s)" = "$s" ]; do sleep 0.02; done
}

# reg_xml FILE EXPECT [HEADER...]: a sipp scenario for one registration of
# user ${TO:-1000}: REGISTER without credentials, 401 expected, the same with
# sipp's [authentication] (-au/-ap), then EXPECT. The headers (Contact,
# Expires...) go in both requests; CSeq ${CSEQ:-1} then +1. [transport]
# follows sipp's -t.
reg_xml() {
	local f=$1 code=$2 h hs="" c=${CSEQ:-1} to=${TO:-1000}
	shift 2
	for h in "$@"; do hs+="      $h"$'\n'; done
	_reg_req() {
		echo '  <send retrans="500"><![CDATA['
		echo
		echo '      REGISTER sip:127.0.0.1 SIP/2.0'
		echo '      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport'
		echo "      From: <sip:$to@127.0.0.1>;tag=[pid]-[call_number]"
		echo "      To: <sip:$to@127.0.0.1>"
		echo '      Call-ID: [call_id]'
		echo "      CSeq: $1 REGISTER"
		printf '%s' "$hs"
		[ "$2" = auth ] && echo '      [authentication]'
		echo '      Max-Forwards: 70'
		echo '      User-Agent: sipp-registrar-test'
		echo '      Content-Length: 0'
		echo
		echo '  ]]></send>'
	}
	{
		echo '<?xml version="1.0" encoding="ISO-8859-1" ?>'
		echo '<!DOCTYPE scenario SYSTEM "sipp.dtd">'
		echo "<scenario name=\"REGISTER $to, expect $code\">"
		_reg_req "$c" noauth
		echo '  <recv response="401" auth="true"/>'
		_reg_req "$((c + 1))" auth
		echo "  <recv response=\"$code\"/>"
		echo '</scenario>'
	} >"$f"
}

# reg NAME EXPECT PORT [HEADER...]: write NAME.xml with reg_xml and run it
# once from local PORT with -au ${AU:-$TO} -ap ${AP:-1234}, every message in
# $WORK/NAME.msg; extra sipp arguments in SIPP_ARGS (e.g. "-t t1").
# Returns sipp's status.
reg() {
	local n=$1 code=$2 port=$3 to=${TO:-1000}
	shift 3
	reg_xml "$WORK/$n.xml" "$code" "$@"
	RECV_TIMEOUT=${RECV_TIMEOUT:-3000} run_sipp "$n" "$WORK/$n.xml" -p "$port" -m 1 \
		-au "${AU:-$to}" -ap "${AP:-1234}" -trace_msg -message_file "$WORK/$n.msg" \
		${SIPP_ARGS:-}
}

# recv_msg NAME [K]: the K-th message sipp received in run NAME (from
# NAME.msg; default: the last) into $WORK/NAME.rK; prints that file's name.
recv_msg() {
	local k=${2:-0}
	awk -v k="$k" '
	     /message received/ { n++; buf = ""; on = 1; skip = 1; next }
	     /^-----------------/ { if (on && n == k) { printf "%s", buf; done = 1; exit } on = 0; next }
	     on && skip && /^\r?$/ { next }
	     on { skip = 0; buf = buf $0 "\n" }
	     END { if (!done && on && (k == 0 || n == k)) printf "%s", buf
	           else if (!done && k == 0) printf "%s", buf }' "$WORK/$1.msg" >"$WORK/$1.r$k"
	echo "$WORK/$1.r$k"
}
last_msg() { recv_msg "$1" 0; }

# contacts NAME: the Contact values of the last response of run NAME, one a
# line (a header with several values is split on commas outside <>).
contacts() {
	header "$(last_msg "$1")" contact | awk '{
		n = 0; cur = ""
		for (i = 1; i <= length($0); i++) {
			ch = substr($0, i, 1)
			if (ch == "<") n++
			if (ch == ">") n--
			if (ch == "," && n == 0) { print cur; cur = ""; continue }
			cur = cur ch
		}
		sub(/^[ \t]+/, "", cur); print cur }' | sed 's/^[ \t]*//'
}

# bindings USER: pbxctl registrations --user USER --json, as one JSON array
bindings() { ctl registrations --user "$1" --json | jq -c '.registrations'; }
# nbindings USER: how many bindings USER has according to pbxctl
nbindings() { bindings "$1" | jq 'length'; }

# check_reg NAME WHAT: fail softly (problem) unless sipp run NAME passed
check_reg() {
	local rc=$1 n=$2 what=$3
	if [ "$rc" != 0 ]; then
		problem "$what: sipp exit $rc; last answer: $(head -1 "$(last_msg "$n")" 2>/dev/null) (messages in $WORK/$n.msg)"
		return 1
	fi
	return 0
}

# -- digest by hand (openssl), for requests sipp cannot make ------------------

md5() { printf '%s' "$1" | openssl md5 -r | cut -d' ' -f1; }
# nonce_of FILE [HEADER]: the nonce of the MD5 challenge in the response in
# FILE (HEADER: WWW-Authenticate, or Proxy-Authenticate)
nonce_of() {
	header "$1" "${2:-WWW-Authenticate}" | grep -m1 'algorithm=MD5' |
		sed -E 's/.*nonce="([^"]*)".*/\1/'
}
# digest USER PASSWORD METHOD URI NONCE [NC]: the value of an Authorization
# header answering NONCE for METHOD on URI (MD5, qop=auth, cnonce 5eed; NC
# default 00000001; NC "none": an RFC 2069 answer without qop)
digest() {
	local u=$1 pw=$2 m=$3 uri=$4 n=$5 nc=${6:-00000001} ha1 ha2
	ha1=$(md5 "$u:127.0.0.1:$pw")
	ha2=$(md5 "$m:$uri")
	if [ "$nc" = none ]; then
		echo "Digest username=\"$u\", realm=\"127.0.0.1\", nonce=\"$n\", uri=\"$uri\", response=\"$(md5 "$ha1:$n:$ha2")\", algorithm=MD5"
	else
		echo "Digest username=\"$u\", realm=\"127.0.0.1\", nonce=\"$n\", uri=\"$uri\", response=\"$(md5 "$ha1:$n:$nc:5eed:auth:$ha2")\", algorithm=MD5, cnonce=\"5eed\", nc=$nc, qop=auth"
	fi
}
# codes NAME: the status codes of the replies udpsend run NAME got, one a line
codes() { awk '{print $5}' "$WORK/$1.out"; }

# -- two nodes (reg_cluster_*.sh) ---------------------------------------------

# Node 1 listens on $SIP, $ADMIN, $CLUSTER (as start_pbxd), node 2 on $SIP2,
# $ADMIN2, $CLUSTER2; the clients keep $LP and P+7..P+19.
SIP2=$((P + 4))
ADMIN2=tcp://127.0.0.1:$((P + 5))
CLUSTER2=tcp://127.0.0.1:$((P + 6))
PBX2=127.0.0.1:$SIP2

# cluster_conf FILE [SED-EXPR...]: make_conf with registrar.secret and
# cluster.secret set (the same on both nodes).
cluster_conf() {
	local f=$1
	shift
	make_conf "$f" 's/^  # secret: "change-me"$/  secret: "regauth-test-nonce-key"/' \
		's/^  # secret: "a long random string, the same on every node"$/  secret: "regauth-test-cluster-key-0123456789"/' "$@"
	[ "$(grep -c '^  secret: "regauth-test' "$f")" = 2 ] || fail "cluster_conf: the secrets did not apply to $SRC/conf/pbx.yaml"
}

# start_node N CONF [ARGS...]: node N (1 or 2), named nN with id N, peer of
# the other, log in $WORK/nN.log, data in $WORK/dataN; PBXDn is its pid.
# Waits until it answers an OPTIONS.
start_node() {
	local n=$1 conf=$2 sip=$SIP admin=$ADMIN cl=$CLUSTER i
	shift 2
	[ "$n" = 2 ] && sip=$SIP2 admin=$ADMIN2 cl=$CLUSTER2
	"$BIN/pbxd" -c "$conf" --node "n$n" --node-id "$n" --sip "127.0.0.1:$sip" \
		--listen external=none --data "$WORK/data$n" --admin "$admin" \
		--cluster-listen "$cl" --peer "$CLUSTER" --peer "$CLUSTER2" --workers 2 "$@" \
		>>"$WORK/n$n.log" 2>&1 &
	PIDS+=($!)
	eval "PBXD$n=$!"
	sip_req "$WORK/ping$n.req" OPTIONS "sip:127.0.0.1:$sip"
	for ((i = 0; i < 50; i++)); do
		kill -0 "$(eval echo "\$PBXD$n")" 2>/dev/null || fail "node $n exited"
		"$UDPSEND" -w 200 "127.0.0.1:$sip" "$WORK/ping$n.req" >/dev/null 2>&1 && return 0
	done
	fail "node $n does not answer OPTIONS on udp 127.0.0.1:$sip"
}

# link_up ADMIN: that node sees its peer up
link_up() { "$BIN/pbxctl" -s "$1" --json status | grep -q '"state":"up"'; }

# finish_nodes: stop both nodes (SIGTERM: each must exit 0), then finish
finish_nodes() {
	local n
	for n in 1 2; do
		PBXD=$(eval echo "\${PBXD$n:-}")
		[ -n "$PBXD" ] && kill -0 "$PBXD" 2>/dev/null || continue
		term_pbxd 100 || problem "node $n did not stop cleanly on SIGTERM"
	done
	PBXD=
	finish
}
