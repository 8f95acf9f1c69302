#!/usr/bin/env bash
# The README's "Running pbxd", "SIP and registrations" and "Calls", run as
# written: the sh blocks are read from README.md itself, so the test and the
# README cannot drift apart. Adapted only by paths (build/bin/, conf/ and
# tools/ point into the build and source trees; ./data and ./data2 land in a
# scratch directory) and by the call id of "pbxctl hangup ID". The pbxd
# lines start in the background; every other command must exit 0 and show
# what the README says it does. A live call for "Calls" is set up by the test
# (1001 registered from a sipp UAS, a sipp UAC calling it through the
# external profile). The ports are the README's (7000, 7001, 7100, 7101,
# 5060, 5062, 5070, 5080, 5082), sipp on 5070-5074, 5101-5104, 5212-5219.
source "$(dirname "$0")/lib.sh"
cd "$WORK" || fail "cd $WORK"
command -v jq >/dev/null || fail "jq is not installed"
command -v sipp >/dev/null || fail "sipp is not installed"

section() { # the first sh block under "## $1"
	awk -v h="## $1" '$0 == h { on = 1; next }
	on && /^## / { exit }
	on && /^```sh$/ { code = 1; next }
	on && code && /^```$/ { exit }
	on && code { print }' "$SRC/README.md"
}
# one command a line: join the continuation lines, drop the comments
commands() { sed -e ':a' -e '/\\$/N; s/\\\n//; ta' <<<"$1" | sed -e 's/[[:space:]]*#.*$//' -e 's/[[:space:]]*$//' -e '/^$/d'; }
adapt() {
	sed -e "s|build/bin/|$BIN/|g" -e "s|conf/pbx.yaml|$SRC/conf/pbx.yaml|g" \
		-e "s|tools/sipp/|$SRC/tools/sipp/|g" <<<"$1"
}
blocks=0
run_section() { # SECTION: each command through handle
	local b c
	b=$(section "$1")
	[ -n "$b" ] || fail "no sh block under \"## $1\" in README.md"
	blocks=$((blocks + 1))
	while IFS= read -r c; do
		handle "$(adapt "$c")" </dev/null
	done <<<"$(commands "$b")"
}

n=0 seen=()
handle() {
	local c=$1 out rc
	seen+=("$c")
	case "$c" in
	*"pbxd --version")
		out=$(eval "$c" 2>&1) || fail "README \"$c\": exit $?: $out"
		grep -qE '^pbxd [0-9]' <<<"$out" || fail "README \"$c\": $out"
		pass "README: $out"
		;;
	*"/pbxd -c "*)
		n=$((n + 1))
		eval "$c >>\"$WORK/node$n.log\" 2>&1 &"
		PIDS+=($!)
		;;
	"sipp "*)
		out=$(timeout 30 bash -c "$c" 2>&1) || fail "README \"$c\": exit $?: $(tail -5 <<<"$out")"
		pass "README: sipp registers 1000"
		;;
	*"pbxctl registrations --user 1000")
		out=$(eval "$c") || fail "README \"$c\": $out"
		grep -q "1000@127.0.0.1" <<<"$out" && grep -q "sip:1000@127.0.0.1:5070" <<<"$out" ||
			fail "README \"$c\": no binding of 1000 at port 5070: $out"
		pass "README: registrations shows 1000's binding"
		;;
	*"pbxctl trace on --full")
		out=$(eval "$c") || fail "README \"$c\": $out"
		;;
	*"pbxctl sip-ping sip:127.0.0.1:5080")
		out=$(eval "$c") || fail "README \"$c\": $out"
		grep -q "200" <<<"$out" || fail "README \"$c\": no 200: $out"
		grep -q 'OPTIONS sip:127.0.0.1:5080 SIP/2.0\\r\\n.*CSeq' "$WORK/node1.log" ||
			fail "README trace on --full: the OPTIONS is not in the log in full"
		pass "README: sip-ping answered ($out), the full trace logged it"
		;;
	*"pbxctl unregister 1000@127.0.0.1")
		out=$(eval "$c") || fail "README \"$c\": $out"
		out=$("$BIN/pbxctl" registrations --user 1000) || fail "registrations after unregister: $out"
		grep -q "sip:1000@" <<<"$out" && fail "README \"$c\": the binding is still there: $out"
		pass "README: unregister removed 1000's binding"
		;;
	*"pbxctl calls")
		live_call
		out=$(eval "$c") || fail "README \"$c\": $out"
		grep -qF "$CALL" <<<"$out" || fail "README \"$c\": the live call $CALL is not listed: $out"
		pass "README: calls lists the live call"
		;;
	*"pbxctl hangup ID USER_BUSY")
		c=${c/ ID / $CALL }
		out=$(eval "$c") || fail "README \"$c\": $out"
		gone() { ! "$BIN/pbxctl" calls | grep -qF "$CALL"; }
		wait_for 10 gone || fail "README \"$c\": the call is still listed"
		pass "README: hangup ended the call"
		;;
	*"pbxctl cdr --last 20 --json")
		has_cdr() { out=$(eval "$c") && jq -e --arg id "$CALL" '[.. | objects | select(.call == $id)] | length > 0' <<<"$out"; }
		wait_for 10 has_cdr || fail "README \"$c\": no record of call $CALL: $out"
		cause=$(jq -r --arg id "$CALL" '[.. | objects | select(.call == $id)][0].cause' <<<"$out")
		[ "$cause" = 17 ] || fail "README \"$c\": cause $cause, expected 17 (USER_BUSY)"
		pass "README: cdr --json has the call with cause 17 (USER_BUSY)"
		;;
	*) fail "README command this test does not know: $c" ;;
	esac
}

# A live call through pbx1: 1001 registered from port 5072 where a sipp UAS
# then answers; a sipp UAC calls 1001 on the external profile (127.0.0.1 is
# in its acl) and stays in the call for a minute.
live_call() { # [UAS-PORT UAC-PORT]: a new pair of ports for each call
	local uas=${1:-5072} uac=${2:-5074}
	timeout 30 sipp -sf "$SRC/tools/sipp/register.xml" -s 1001 -au 1001 -ap 1234 -m 1 \
		-p "$uas" 127.0.0.1:5060 >"$WORK/reg1001.log" 2>&1 || fail "register 1001 for the call"
	sipp -sn uas -p "$uas" -m 1 127.0.0.1:5060 >"$WORK/uas$uas.log" 2>&1 &
	PIDS+=($!)
	sipp -sn uac -s 1001 -d 60000 -m 1 -p "$uac" 127.0.0.1:5080 >"$WORK/uac$uac.log" 2>&1 &
	PIDS+=($!)
	cid() { CALL=$("$BIN/pbxctl" --json calls | jq -r '[.. | objects | select(.id? and .state? == "answered")][0].id // empty') && [ -n "$CALL" ]; }
	wait_for 20 cid || fail "no answered call: $("$BIN/pbxctl" calls 2>&1)"
}

run_section "Running pbxd"
[ "$n" = 2 ] || fail "README \"Running pbxd\" starts $n pbxd, expected 2"
peer_up() { "$BIN/pbxctl" status | grep -qE '^ *pbx2 .* up'; }
wait_for 20 peer_up || fail "README: pbx2 not up on pbx1: $("$BIN/pbxctl" status 2>&1)"
pbx2_admin() { "$BIN/pbxctl" -s tcp://127.0.0.1:7001 status | grep -q "node  *pbx2 (id 2)"; }
wait_for 20 pbx2_admin || fail "README: pbx2's admin socket: $("$BIN/pbxctl" -s tcp://127.0.0.1:7001 status 2>&1)"
pass "README: both pbxd lines start, side by side, and link"

run_section "SIP and registrations"
run_section "Calls"
[ "${#seen[@]}" -ge 11 ] || fail "ran ${#seen[@]} README commands, expected 11"

# "Operating it: pbxctl": each command of the table, in the form the table
# gives (placeholders filled in), once without its [optional] parts and once
# with them, as table and with --json; each must exit 0. The bindings a
# command removes and the calls it ends are made anew before it.
table=$(awk '/^## Operating it: pbxctl/ { on = 1; next }
	on && /^## / { exit }
	on && /^\| `/ { sub(/^\| `/, ""); sub(/` \|.*$/, ""); gsub(/\\\|/, "|"); print }' "$SRC/README.md")
[ "$(wc -l <<<"$table")" -ge 10 ] || fail "the pbxctl table of README.md has $(wc -l <<<"$table") commands: $table"
fill() { # a template's words with placeholders filled in
	local w out=()
	for w in $1; do
		case "$w" in
		NODE) w=pbx2 ;; N) w=3 ;; LEVEL) w=info ;; URI) w=sip:127.0.0.1:5080 ;;
		U) w=1000 ;; AOR) w=1000@127.0.0.1 ;; CONTACT) w=$CONTACT ;;
		ID) w=$CALL ;; CAUSE) w=USER_BUSY ;;
		*"|"*) w=${w%%|*} ;;
		esac
		out+=("$w")
	done
	echo "${out[*]}"
}
REGPORT=5100 uasp=5200 k=0 # ports clear of the README's
while IFS= read -r t; do
	bare=$(sed -e 's/ *\[[^]]*\]//g' <<<"$t")
	full=$(tr -d '[]' <<<"$t")
	for v in "$bare" "$full"; do
		for json in "" --json; do
			case "$v" in
			unregister*)
				REGPORT=$((REGPORT + 1))
				timeout 30 sipp -sf "$SRC/tools/sipp/register.xml" -s 1000 -au 1000 -ap 1234 -m 1 \
					-p "$REGPORT" 127.0.0.1:5060 >"$WORK/reg.log" 2>&1 || fail "register 1000 from $REGPORT"
				CONTACT=$("$BIN/pbxctl" --json registrations --user 1000 |
					jq -r --arg p ":$REGPORT" '.registrations[].contact | select(contains($p))')
				[ -n "$CONTACT" ] || fail "no binding of 1000 from port $REGPORT"
				;;
			hangup*)
				uasp=$((uasp + 2))
				live_call "$((uasp + 10))" "$((uasp + 11))"
				;;
			esac
			c=$(fill "$v")
			out=$("$BIN/pbxctl" -s tcp://127.0.0.1:7000 $json $c 2>&1) ||
				fail "README table: pbxctl $json $c: exit $?: $out"
			if [ -n "$json" ]; then jq -e . <<<"$out" >/dev/null || fail "pbxctl --json $c: not JSON: $out"; fi
			case "$v" in
			unregister*) grep -qE '(removed 1 binding|"removed":1)' <<<"$out" || fail "pbxctl $json $c: $out" ;;
			esac
			k=$((k + 1))
		done
	done
done <<<"$table"
pass "README table: $k pbxctl commands (with and without their options, table and --json) exit 0"

for p in "${PIDS[@]:0:2}"; do kill -0 "$p" 2>/dev/null || fail "a README pbxd exited: see the logs"; done
kill -TERM "${PIDS[@]:0:2}"
for p in "${PIDS[@]:0:2}"; do wait "$p" || fail "a README pbxd did not stop cleanly"; done
pass "${#seen[@]} README commands ran; both nodes stop cleanly"
