# Helpers for end-to-end tests: started processes are killed on exit, waits
# are bounded, and a failing check prints what it saw.
set -u
BUILD=${1:?build dir}
SRC=${2:?source dir}
BIN=$BUILD/bin
WORK=$(mktemp -d /tmp/pbx-e2e.XXXXXX)
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	for f in "$WORK"/*.log; do
		[ -f "$f" ] && { echo "--- $f" >&2; tail -30 "$f" >&2; }
	done
	exit 1
}

pass() { echo "ok: $*"; }

# wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds.
wait_for() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# A free TCP port base: tests running in parallel use different bases.
port_base() {
	echo $((20000 + ($$ % 200) * 50))
}
