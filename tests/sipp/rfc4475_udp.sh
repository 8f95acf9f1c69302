#!/usr/bin/env bash
# RFC 4475 conformance on the wire: every torture vector of
# tests/sip/rfc4475/ goes to a running pbxd as one UDP datagram, byte for
# byte, and the answer is checked against MANIFEST.tsv's reply column:
#   drop        nothing comes back within 1 s
#   not-400     some answer whose code is not 400
#   NNN|MMM     one of these codes (400|not-400: any answer)
# The well-formed requests (parser "accept") are also sent over TCP, to a
# fresh pbxd.
# pbxd must still be running at the end.
#
# Most vectors have a Via without rport naming another host, so the answer
# goes (RFC 3261 18.2.2) to the source address at the Via's port: 5060 for
# most, 5061 for TLS, 5050 for one. To take those answers without clashing
# with anything on this machine, the test runs in its own network namespace
# (unshare -rn) when it can; otherwise it binds those ports on the shared
# loopback, and is skipped (exit 77) if one is busy.
if [ -z "${RFC4475_NETNS:-}" ] && command -v unshare >/dev/null &&
	command -v ip >/dev/null && unshare -rn true 2>/dev/null; then
	exec unshare -rn env RFC4475_NETNS=1 bash "$0" "$@"
fi
if [ "${RFC4475_NETNS:-}" = 1 ]; then
	ip link set lo up || { echo "FAIL: cannot bring lo up in the namespace" >&2; exit 1; }
fi
source "$(dirname "$0")/lib.sh"
VEC=$SRC/tests/sip/rfc4475
[ -f "$VEC/MANIFEST.tsv" ] || fail "no $VEC/MANIFEST.tsv"
VIA_PORTS=(5060 5061 5050)
LISTEN=()
for p in "${VIA_PORTS[@]}"; do LISTEN+=(-l "$p"); done
# the Via ports must be ours before pbxd starts
"$UDPSEND" "${LISTEN[@]}" -w 0 127.0.0.1:9 /dev/null >/dev/null 2>&1
if [ $? = 2 ]; then
	echo "skipped: UDP ports ${VIA_PORTS[*]} are busy and no network namespace is available"
	exit 77
fi
start_pbxd

# ok EXPECTED CODE: does answer CODE ("" when none came) meet EXPECTED?
ok() {
	local want=$1 got=$2 w
	IFS='|' read -ra alts <<<"$want"
	for w in "${alts[@]}"; do
		case $w in
		drop) [ -z "$got" ] && return 0 ;;
		not-400) [ -n "$got" ] && [ "$got" != 400 ] && return 0 ;;
		*) [ "$got" = "$w" ] && return 0 ;;
		esac
	done
	return 1
}

# tcp_ok FILE KIND PARSER: is the vector meaningful over TCP? Only the
# well-formed requests with a Content-Length (a stream cannot be framed
# without: RFC 3261 20.14), and not dblreq.dat, which is about the octets
# after the message in a datagram (on a stream they are the next message).
tcp_ok() {
	[ "$2" = request ] && [ "$3" = accept ] && [ "$1" != dblreq.dat ] &&
		grep -aqiE '^(content-length|l)[ ]*:' "$VEC/$1"
}

# pass udp|tcp: every vector (over TCP, see tcp_ok)
total=0
pass_() {
	local mode=$1 file section kind parser reply note f name got line where extra id br
	local opt=("${LISTEN[@]}") tag=$1
	[ "$mode" = tcp ] && opt=(-t)
	while IFS=$'\t' read -r file section kind parser reply note; do
		case $file in '#'* | '') continue ;; esac
		f=$VEC/$file
		[ -f "$f" ] || { problem "$file: listed in MANIFEST.tsv but missing"; continue; }
		[ "$mode" = tcp ] && ! tcp_ok "$file" "$kind" "$parser" && continue
		total=$((total + 1))
		name=${file%.dat}.$mode
		# answers count when they carry the vector's Call-ID: pbxd may
		# still be repeating its final answer to an earlier INVITE
		# (timer G: nothing here sends the ACK) to the same Via port.
		# A vector without Call-ID (insuf.dat) has its top Via's branch
		# (unique among the vectors) to tell its answer from those:
		# taking any answer made this test fail 3 runs in 5
		id=$(tr -d '\r' <"$f" | sed '/^$/q' | awk '
			tolower($0) ~ /^(call-id|i)[ \t]*:/ { sub(/^[^:]*:[ \t]*/, ""); print; exit }')
		br=
		[ -z "$id" ] && br=$(tr -d '\r' <"$f" | sed '/^$/q' | awk '
			tolower($0) ~ /^(via|v)[ \t]*:/ {
				if (match($0, /branch=[^;, \t]+/)) print substr($0, RSTART, RLENGTH)
				exit }')
		[ -z "$id" ] && [ -z "$br" ] &&
			problem "$file: neither Call-ID nor Via branch to match its answer by"
		"$UDPSEND" "${opt[@]}" ${id:+-m "$id"} ${br:+-m "$br"} -w 1000 -s 150 -o "$WORK/$name" \
			"$PBX" "$f" >"$WORK/$name.out" 2>"$WORK/$name.err"
		# an INVITE gets 100 Trying first (RFC 3261 §17.2.1): the
		# final answer is the one that counts
		sed -i '/ SIP\/2\.0 100 /d' "$WORK/$name.out"
		got=$(awk 'NR == 1 { print $5 }' "$WORK/$name.out")
		line=$(head -1 "$WORK/$name.out" | cut -d' ' -f4-)
		where=$(awk -v m="$mode" 'NR == 1 { print m " to port " $2 }' "$WORK/$name.out")
		extra=$(($(wc -l <"$WORK/$name.out") - 1))
		if ok "$reply" "$got"; then
			printf 'ok   %-16s %-8s %-16s %s (%s)\n' "$file" "$section" "$reply" \
				"${line:-(nothing)}" "${where:-$mode}"
		else
			problem "$file ($section, $note): sent over $mode, expected $reply, got ${line:-nothing} $where $(grep -v '^ignored' "$WORK/$name.err")"
		fi
		[ "$extra" -gt 0 ] && [ "$kind" = request ] &&
			problem "$file: $((extra + 1)) answers over $mode: $(tr '\n' ';' <"$WORK/$name.out")"
		kill -0 "${PBXD:-$$}" 2>/dev/null || fail "pbxd died on $file ($mode)"
	done <"$VEC/MANIFEST.tsv"
}

pass_ udp
# A fresh pbxd for TCP: the same bytes again within 32 s would be
# retransmissions of the UDP transactions (RFC 3261 17.2.3 matches on the
# branch, sent-by and method), answered on their first flow.
stop_pbxd
start_pbxd
pass_ tcp
[ "$total" -ge 65 ] || problem "only $total vectors sent"
echo "$total vectors sent (UDP: all of MANIFEST.tsv, TCP: the well-formed requests)"
finish
