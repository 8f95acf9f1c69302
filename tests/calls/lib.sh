# Helpers for the call tests (B2BUA end to end): pbxd with two profiles, a
# dialplan and a CDR file; sipp callers (UAC) and callees (UAS) on loopback.
# On top of tests/registrar/lib.sh (reg, ctl, recv_msg), itself on
# tests/sipp/lib.sh (ports, start_pbxd, run_sipp, header, problem, finish)
# and tests/e2e/lib.sh (WORK, PIDS, fail, pass, wait_for). A script gets the
# build directory and the source directory as its two arguments.
source "$(dirname "${BASH_SOURCE[0]}")/../registrar/lib.sh"
CHERE=$SRC/tests/calls

# Ports: tests/sipp/lib.sh gives P..P+19 (SIP P, admin P+1, cluster P+2).
EXT=$((P + 3))     # the external profile's SIP port
CALLER=$((P + 4))  # the caller's sipp
U1=$((P + 5))      # callees' sipp, each registered from its port
U2=$((P + 6))
U3=$((P + 7))
U4=$((P + 8))
CDR_FILE=$WORK/cdr.jsonl

# calls_conf FILE [ACL]: pbxd's configuration for the call tests: users
# 1000..1019 (password 1234, caller id "Extension {id}" / {id}); the
# internal profile (digest auth, context default) on sip.listen, the
# external one (no auth, context public) on 127.0.0.1:$EXT with the ACL
# given (default 127.0.0.0/8); the CDR file $CDR_FILE. The dialplan, in
# context default:
#   1000-1019   bridge user/N                    (local)
#   1050        bridge user/1050: not in the directory (404)
#   81000-81019 bridge [call_timeout=2]user/N    (per-target timeout)
#   91000-91019 bridge {call_timeout=2}user/N    (timeout for all targets)
#   anything else: no extension (404)
# and in context public: 1000-1019 bridge user/N; 71000-71019 bridge
# sip:N@localhost:$U1 (a host name, looked up).
calls_conf() {
	local f=$1 acl=${2:-127.0.0.0/8}
	cat >"$f" <<EOF
node:
  name: calls
  id: 1
  data_dir: $WORK/data
  workers: 2
log:
  level: info
admin:
  listen: $ADMIN
cluster:
  listen: $CLUSTER
sip:
  listen:
    - 127.0.0.1:$SIP
directory:
  domain: 127.0.0.1
  ranges:
    - from: 1000
      to: 1019
      password: "1234"
      display_name: "Extension {id}"
      number: "{id}"
      context: default
registrar:
  realm: 127.0.0.1
  min_expires: 60
profiles:
  - name: internal
    auth: true
    context: default
  - name: external
    auth: false
    context: public
    listen:
      - 127.0.0.1:$EXT
    acl:
      - $acl
calls:
  timeout: 60
  cdr_file: $CDR_FILE
dialplan:
  - context: default
    extensions:
      - name: local
        conditions:
          - field: destination_number
            expression: '^(10[01][0-9])\$'
        actions:
          - "bridge user/\$1"
      - name: ghost
        conditions:
          - field: destination_number
            expression: '^(1050)\$'
        actions:
          - "bridge user/\$1"
      - name: short_leg_timeout
        conditions:
          - field: destination_number
            expression: '^8(10[01][0-9])\$'
        actions:
          - "bridge [call_timeout=2]user/\$1"
      - name: short_timeout
        conditions:
          - field: destination_number
            expression: '^9(10[01][0-9])\$'
        actions:
          - "bridge {call_timeout=2}user/\$1"
  - context: public
    extensions:
      - name: by_name
        conditions:
          - field: destination_number
            expression: '^7(10[01][0-9])\$'
        actions:
          - "bridge sip:\$1@localhost:$U1"
      - name: inbound
        conditions:
          - field: destination_number
            expression: '^(10[01][0-9])\$'
        actions:
          - "bridge user/\$1"
EOF
}

# start_calls_pbxd [ACL]: calls_conf into $WORK/pbx.yaml and start pbxd on
# it; fails at once with pbxd's own words if it refuses the file.
start_calls_pbxd() {
	calls_conf "$WORK/pbx.yaml" "${1:-}"
	rm -f "$CDR_FILE"
	# tests/sipp/lib.sh turns the external profile off (--listen
	# external=none); these tests want it on its port
	start_pbxd -c "$WORK/pbx.yaml" --listen "external=127.0.0.1:$EXT"
}

# register USER PORT: USER registers <sip:USER@127.0.0.1:PORT> (600 s) from
# PORT; the callee's sipp UAS then answers on the same port.
register() {
	local u=$1 port=$2
	TO=$u reg "reg$u-$port" 200 "$port" "Contact: <sip:$u@127.0.0.1:$port>" "Expires: 600"
	check_reg $? "reg$u-$port" "$u registers from port $port" || fail "cannot register $u: nothing to call"
}

# scen NAME TEMPLATE [KEY=VALUE...]: tests/calls/TEMPLATE with every @KEY@
# replaced, written to $WORK/NAME.xml; prints that path.
scen() {
	local n=$1 t=$2 kv args=(-e "")
	shift 2
	for kv in "$@"; do args+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
	sed "${args[@]}" "$CHERE/$t" >"$WORK/$n.xml"
	! grep -qE '@[A-Z]+@' "$WORK/$n.xml" || fail "scen $n: placeholders left in $t: $(grep -oE '@[A-Z]+@' "$WORK/$n.xml" | sort -u | tr '\n' ' ')"
	echo "$WORK/$n.xml"
}

udp_bound() { ss -Hlun "sport = :$1" | grep -q .; }

# uas NAME SCENARIO PORT [SIPP-ARGS...]: a sipp UAS in the background on
# PORT for one call, every message in $WORK/NAME.msg; returns once it
# listens. Its pid is in UAS_PID[NAME]; uas_wait NAME gets its status.
declare -A UAS_PID
uas() {
	local n=$1 sf=$2 port=$3
	shift 3
	(exec timeout -k 2 45 sipp -sf "$sf" -i 127.0.0.1 -p "$port" -nostdin -m 1 \
		-trace_err -error_file "$WORK/$n.err.log" \
		-trace_screen -screen_file "$WORK/$n.screen" \
		-trace_msg -message_file "$WORK/$n.msg" \
		-recv_timeout "${RECV_TIMEOUT:-8000}" -timeout 40 -timeout_error "$@" \
		>"$WORK/$n.stdout" 2>&1) &
	UAS_PID[$n]=$!
	PIDS+=($!)
	wait_for 5 udp_bound "$port" || fail "uas $n: sipp does not listen on $port: $(cat "$WORK/$n.stdout")"
}
# uas_wait NAME [SECONDS]: its status once it ends; after SECONDS (default
# 10) it is stopped and the status is 124 (a callee still waiting for a
# call that failed).
uas_wait() {
	local p=${UAS_PID[$1]} t=${2:-10} i rc
	for ((i = 0; i < t * 10; i++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$p" 2>/dev/null; then
		kill -TERM "$p" 2>/dev/null
		wait "$p"
		rc=124
	else
		wait "$p"
		rc=$?
	fi
	m_split "$1"
	return $rc
}

# sides WHAT UAC-STATUS UAC-NAME UAS-NAME...: report how the caller's and
# the callees' sipp ended; the callees get 10 s to finish (2 s when the
# caller failed: they may wait for a call that never comes).
sides() {
	local what=$1 ra=$2 a=$3 b t=10
	shift 3
	if [ "$ra" = 0 ]; then
		pass "$what: caller's scenario done"
	else
		problem "$what, caller: $(why "$a")"
		t=2
	fi
	for b in "$@"; do
		if uas_wait "$b" "$t"; then
			pass "$what: callee $b's scenario done"
		else
			problem "$what, callee $b: $(why "$b")"
		fi
	done
}

# uac NAME SCENARIO [SIPP-ARGS...]: one call from the caller's port
# ($CALLER) to pbxd (or PBX_TO=HOST:PORT), user ${AU:-1000}/${AP:-1234},
# the dialled number ${DIAL:-1001}; every message in $WORK/NAME.msg. sipp
# answers a challenge with the digest uri sip:HOST:PORT unless -auth_uri
# says otherwise, and pbxd wants the Request-URI there (RFC 2617
# 3.2.2.5): -auth_uri gives it.
# Returns sipp's status.
uac() {
	local n=$1 sf=$2 to=${PBX_TO:-$PBX} rc
	shift 2
	command -v sipp >/dev/null || fail "sipp is not installed (Debian package sip-tester)"
	timeout -k 5 60 sipp "$to" -sf "$sf" -i 127.0.0.1 -p "${UAC_PORT:-$CALLER}" -nostdin -m 1 \
		-s "${DIAL:-1001}" -key caller "${AU:-1000}" -au "${AU:-1000}" -ap "${AP:-1234}" \
		-auth_uri "${DIAL:-1001}@$to" \
		-cid_str "$n-%u-$$@%s" \
		-trace_err -error_file "$WORK/$n.err.log" \
		-trace_screen -screen_file "$WORK/$n.screen" \
		-trace_msg -message_file "$WORK/$n.msg" \
		-recv_timeout "${RECV_TIMEOUT:-8000}" -timeout 50 -timeout_error "$@" \
		>"$WORK/$n.stdout" 2>&1
	rc=$?
	m_split "$n"
	return $rc
}

# why NAME: one line on what went wrong in sipp run NAME: its last error
# and the last message it received.
why() {
	local e l
	e=$(grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}' "$WORK/$1.err.log" 2>/dev/null | tail -1 | cut -f3- | sed -E 's/^[0-9.]+: //' | cut -c1-240)
	[ -f "$WORK/$1.msg" ] && [ -d "$WORK/$1.d" ] || m_split "$1"
	l=$(m_last "$1" in)
	echo "sipp $1: ${e:-no error logged}; last received: $([ -n "$l" ] && start_line "$l" || echo nothing) (messages in $WORK/$1.msg)"
}

# -- sipp's message trace, one message a file --------------------------------

# m_split NAME: $WORK/NAME.msg into $WORK/NAME.d/NNN.in or NNN.out, the raw
# message as sent or received (CRLF kept).
m_split() {
	local d=$WORK/$1.d
	rm -rf "$d"
	mkdir -p "$d"
	[ -f "$WORK/$1.msg" ] || return 0
	awk -v d="$d" '
		/^-----------------------------------------------/ { if (f) close(f); f = ""; next }
		/^(UDP|TCP) message (sent|received)/ {
			n++; dir = ($3 == "sent") ? "out" : "in"
			f = sprintf("%s/%03d.%s", d, n, dir); skip = 1; pend = 0; next }
		f && skip && /^$/ { skip = 0; next }
		f {
			# sipp ends each message with one bare newline: hold an empty
			# line back until something follows it
			if (pend) { print "" > f; pend = 0 }
			if ($0 == "") { pend = 1; next }
			print > f }' "$WORK/$1.msg"
}

# m_list NAME DIR [REGEX [METHOD]]: the messages of run NAME in direction DIR
# (in or out) whose start line matches REGEX and whose CSeq method is METHOD,
# in order, one path a line.
m_list() {
	local n=$1 dir=$2 re=${3:-.} meth=${4:-} f
	[ -d "$WORK/$n.d" ] || m_split "$n"
	for f in "$WORK/$n.d"/*."$dir"; do
		[ -f "$f" ] || continue
		head -1 "$f" | tr -d '\r' | grep -qE "$re" || continue
		if [ -n "$meth" ]; then
			[ "$(header "$f" cseq | awk '{print $2}')" = "$meth" ] || continue
		fi
		echo "$f"
	done
}
# m_first NAME DIR REGEX [METHOD] / m_last NAME DIR [REGEX [METHOD]]: one of them
m_first() { m_list "$@" | head -1; }
m_last() { m_list "$@" | tail -1; }
# m_count NAME DIR REGEX [METHOD]
m_count() { m_list "$@" | grep -c .; }

# m_find NAME DIR START-REGEX REGEX: the first message of run NAME in DIR
# whose start line matches START-REGEX and one of whose lines (header or
# body, CR removed) matches REGEX, e.g. '^CSeq: 3143 ' or '^a=sendonly'
m_find() {
	local f
	for f in $(m_list "$1" "$2" "$3"); do
		tr -d '\r' <"$f" | grep -qE "$4" && { echo "$f"; return 0; }
	done
	return 1
}

# body FILE: the message body, bytes as they are
body() { awk 'b { print; next } /^\r?$/ { b = 1 }' "$1"; }
# start_line FILE
start_line() { head -1 "$1" | tr -d '\r'; }
# uri_of "NAME-ADDR": the URI inside <> (or the value up to ';')
uri_of() { sed -E 's/.*<([^>]*)>.*/\1/; t; s/;.*//' <<<"$1"; }
# tag_of "FROM-OR-TO-VALUE": the tag parameter after the URI
tag_of() { sed -E 's/.*>//' <<<"$1" | grep -oE ';[ ]*tag=[^;, ]+' | sed -E 's/.*tag=//'; }

# same_body WHAT SENT-FILE RECEIVED-FILE: a problem unless the bodies are
# identical (SDP passed through unchanged).
same_body() {
	local what=$1 s=$2 r=$3
	if [ -z "$s" ] || [ -z "$r" ]; then
		problem "$what: message missing (sent: ${s:-none}, received: ${r:-none})"
	elif [ -z "$(body "$s")" ]; then
		problem "$what: the sent message has no body ($s)"
	elif ! cmp -s <(body "$s") <(body "$r"); then
		problem "$what: the SDP changed on its way: $(diff <(body "$s" | tr -d '\r') <(body "$r" | tr -d '\r') | tr '\n' ' ')"
	else
		pass "$what: SDP arrived unchanged ($(body "$r" | grep '^o=' | tr -d '\r'))"
	fi
}

# legs_apart WHAT UAC-NAME UAS-NAME: the INVITE the caller sent and the one
# the callee got belong to two dialogs: Call-ID, From tag, CSeq and Contact
# all differ; the same for the 200 the callee sent and the one the caller got.
legs_apart() {
	local what=$1 a b a2 b2 h va vb
	a=$(m_last "$2" out '^INVITE ')
	b=$(m_first "$3" in '^INVITE ')
	[ -n "$a" ] && [ -n "$b" ] || { problem "$what: no INVITE to compare (caller: ${a:-none}, callee: ${b:-none})"; return; }
	for h in call-id cseq contact; do
		va=$(header "$a" "$h") vb=$(header "$b" "$h")
		[ "$va" != "$vb" ] || problem "$what: the callee's INVITE has the caller's $h ($vb): the legs must not share it"
	done
	va=$(tag_of "$(header "$a" from)") vb=$(tag_of "$(header "$b" from)")
	[ "$va" != "$vb" ] || problem "$what: the callee's INVITE has the caller's From tag ($vb)"
	a2=$(m_first "$3" out '^SIP/2.0 200' INVITE)
	b2=$(m_first "$2" in '^SIP/2.0 200' INVITE)
	if [ -n "$a2" ] && [ -n "$b2" ]; then
		va=$(tag_of "$(header "$a2" to)") vb=$(tag_of "$(header "$b2" to)")
		[ "$va" != "$vb" ] || problem "$what: the caller's 200 has the callee's To tag ($vb)"
		va=$(header "$a2" contact) vb=$(header "$b2" contact)
		[ "$va" != "$vb" ] || problem "$what: the caller's 200 has the callee's Contact ($vb)"
	fi
	pass "$what: Call-IDs $(header "$a" call-id) / $(header "$b" call-id)"
}

# reason_ok WHAT FILE: the BYE in FILE has Reason: Q.850;cause=16;
# text="NORMAL_CLEARING" (RFC 3326; spaces around ; allowed)
reason_ok() {
	local what=$1 f=$2 r
	[ -n "$f" ] || { problem "$what: no BYE received"; return; }
	r=$(header "$f" reason | tr -d ' ')
	if grep -qiE '^Q\.850;' <<<"$r" && grep -qE '(^|;)cause=16(;|$)' <<<"$r" &&
		grep -qE '(^|;)text="NORMAL_CLEARING"(;|$)' <<<"$r"; then
		pass "$what: Reason: $(header "$f" reason)"
	else
		problem "$what: expected Reason: Q.850;cause=16;text=\"NORMAL_CLEARING\", got '${r:-none}'"
	fi
}

# call_id NAME: the Call-ID of the first INVITE run NAME sent (the A leg's)
call_id() { header "$(m_first "$1" out '^INVITE ')" call-id; }

# -- call records ------------------------------------------------------------

# cdr CALL-ID: pbxctl's record of the call whose A leg has CALL-ID (compact
# JSON), waiting up to 5 s for it; empty if there is none.
cdr() {
	local i r
	for ((i = 0; i < 50; i++)); do
		r=$(ctl cdr --json 2>/dev/null | jq -c --arg c "$1" \
			'(.records // .)[]? | select(.sip_call_id == $c)' 2>/dev/null | head -1)
		[ -n "$r" ] && { echo "$r"; return 0; }
		sleep 0.1
	done
	return 1
}
# cdr_lines CALL-ID: the lines of $CDR_FILE for that call
cdr_lines() {
	[ -f "$CDR_FILE" ] || return 0
	jq -c --arg c "$1" 'select(.sip_call_id == $c)' "$CDR_FILE" 2>/dev/null
}

# check_cdr WHAT CALL-ID CAUSES MIN-BILLSEC MAX-BILLSEC [HANGUP-BY]: the
# call's record (pbxctl cdr and exactly one line in the CDR file) has
# cause_text one of CAUSES ("A|B"), billsec in [MIN, MAX] and, if given,
# hangup_by.
check_cdr() {
	local what=$1 cid=$2 causes=$3 lo=$4 hi=$5 by=${6:-} r n ct bs hb
	[ -n "$cid" ] || { problem "$what: no Call-ID to find the CDR by"; return; }
	if ! r=$(cdr "$cid"); then
		problem "$what: pbxctl cdr --json has no record with sip_call_id $cid: $(ctl cdr --json 2>&1 | head -c 600)"
	else
		ct=$(jq -r '.cause_text // empty' <<<"$r")
		bs=$(jq -r '.billsec // 0' <<<"$r")
		hb=$(jq -r '.hangup_by // empty' <<<"$r")
		grep -qxE "$causes" <<<"$ct" || problem "$what: CDR cause_text '$ct', expected $causes ($r)"
		[ "$bs" -ge "$lo" ] && [ "$bs" -le "$hi" ] || problem "$what: CDR billsec $bs, expected $lo..$hi ($r)"
		[ -z "$by" ] || [ "$hb" = "$by" ] || problem "$what: CDR hangup_by '$hb', expected $by ($r)"
		[ "$(jq -r '.cause // 0' <<<"$r")" != 0 ] || problem "$what: CDR without a Q.850 cause ($r)"
		pass "$what: CDR $ct, billsec $bs${hb:+, hangup by $hb}"
	fi
	n=$(cdr_lines "$cid" | grep -c .)
	[ "$n" = 1 ] || problem "$what: $CDR_FILE has $n lines for Call-ID $cid, expected 1 ($(wc -l <"$CDR_FILE" 2>/dev/null || echo no) lines in all)"
}
