#!/usr/bin/env bash
# The README's "A cluster on one machine", run as written: the sh block of
# that section is read from README.md itself, so the test and the README
# cannot drift apart. Adapted only by paths: build/bin/ and conf/ point into
# the build and source trees, and the commands run in a scratch directory
# (so ./data and ./data2 land there). The pbxd lines start in the
# background as shown; pbxctl status is repeated until it shows pbx2 up (the
# link takes a moment), then pbxctl ping must get its 3 replies. The ports
# are the README's (7000, 7001, 7100, 7101, 5060, 5062, 5080, 5082).
source "$(dirname "$0")/lib.sh"
cd "$WORK" || fail "cd $WORK"

block=$(awk '/^## A cluster on one machine/ { on = 1; next }
	on && /^## / { exit }
	on && /^```sh$/ { code = 1; next }
	on && code && /^```$/ { exit }
	on && code { print }' "$SRC/README.md")
[ -n "$block" ] || fail "no sh block under \"A cluster on one machine\" in README.md"
# one command a line: join the continuation lines, drop the comments
cmds=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' <<<"$block" | sed -e 's/[[:space:]]*#.*$//' -e 's/[[:space:]]*$//')
adapt() { sed -e "s|build/bin/|$BIN/|g" -e "s|conf/pbx.yaml|$SRC/conf/pbx.yaml|g" <<<"$1"; }

status_out= ping_out= cluster_out= n=0
while IFS= read -r c; do
	[ -n "${c// /}" ] || continue
	c=$(adapt "$c")
	case "$c" in
	*"&")
		n=$((n + 1))
		eval "${c%&} >>\"$WORK/node$n.log\" 2>&1 &"
		PIDS+=($!)
		;;
	*"pbxctl status"*)
		peer_up() { status_out=$(eval "$c") && grep -qE '^ *pbx2 .* up' <<<"$status_out"; }
		wait_for 20 peer_up || fail "README \"$c\": no pbx2 up: $(eval "$c" 2>&1)"
		status_out=$(eval "$c") || fail "README \"$c\" failed"
		;;
	*"pbxctl ping"*)
		ping_out=$(eval "$c") || fail "README \"$c\": $ping_out"
		;;
	*"pbxctl cluster"*)
		cluster_out=$(eval "$c") || fail "README \"$c\": $cluster_out"
		;;
	*) fail "README command this test does not know: $c" ;;
	esac
done <<<"$cmds"

[ "$n" = 2 ] || fail "README starts $n pbxd, expected 2"
for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || fail "a README pbxd exited: see the logs"; done
grep -q "node  *pbx1 (id 1)" <<<"$status_out" || fail "status is not pbx1's: $status_out"
pass "README: two nodes start, pbxctl status shows pbx2 up"
[ "$(grep -c 'reply from pbx2 (node 2)' <<<"$ping_out")" = 3 ] || fail "README ping: $ping_out"
pass "README: pbxctl ping pbx2 -n 3 gets 3 replies"
grep -q "demo secret" "$WORK/node1.log" || fail "the demo secret is not logged"
grep -qE '^node pbx1 \(1\): .* digest [0-9a-f]{64}$' <<<"$cluster_out" &&
	grep -qE '^pbx2 \(2\) +up ' <<<"$cluster_out" || fail "README cluster: $cluster_out"
pass "README: pbxctl cluster shows the digest and pbx2 up"

kill -TERM "${PIDS[@]}"
for p in "${PIDS[@]}"; do wait "$p" || fail "a README pbxd did not stop cleanly"; done
pass "both stop cleanly"
