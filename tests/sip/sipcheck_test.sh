#!/usr/bin/env bash
# sipcheck on a few RFC 4475 vectors: output lines and exit status.
# Usage: sipcheck_test.sh SIPCHECK VECTOR_DIR
set -u
sipcheck=$1
dir=$2
fail=0

expect() { # expect WHAT GOT WANT
	if [[ "$2" != "$3" ]]; then
		echo "FAIL $1: got [$2], want [$3]"
		fail=1
	fi
}

cd "$dir" || exit 1
out=$("$sipcheck" wsinv.dat noreason.dat esc02.dat)
expect "accepted status" "$?" 0
expect "accepted output" "$out" "wsinv.dat: accept request INVITE
noreason.dat: accept response 100
esc02.dat: accept request RE%47IST%45R"

out=$("$sipcheck" wsinv.dat bigcode.dat mcl01.dat)
expect "rejected status" "$?" 1
expect "rejected output" "$out" "wsinv.dat: accept request INVITE
bigcode.dat: reject Bad status code
mcl01.dat: reject Multiple Content-Length"

"$sipcheck" >/dev/null 2>&1
expect "usage status" "$?" 2
"$sipcheck" does-not-exist.dat >/dev/null 2>&1
expect "missing file status" "$?" 2

[[ $fail == 0 ]] && echo "sipcheck: all checks passed"
exit $fail
