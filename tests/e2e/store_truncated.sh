#!/usr/bin/env bash
# A data.mdb that is truncated, emptied or not LMDB at all: pbxd refuses to
# start on it with a line naming the file (it used to die of SIGBUS on the
# truncated one), and starts again once the file is whole.
source "$(dirname "$0")/lib.sh"
B=$(port_base)
A=tcp://127.0.0.1:$((B + 40))
PS=$(getconf PAGESIZE)
D=$WORK/d
M=$D/data.mdb

start() { # start pbxd on $D in the background; PID
	"$BIN/pbxd" -c "$SRC/conf/pbx.yaml" --listen external=none --data "$D" --admin "$A" \
		--cluster-listen "tcp://127.0.0.1:$((B + 41))" --sip "127.0.0.1:$((B + 42))" \
		>"$WORK/pbxd.log" 2>&1 &
	PID=$!
	PIDS+=($PID)
}
# refused WHAT: pbxd must exit by itself, not by a signal, naming data.mdb
refused() {
	local rc
	start
	for ((i = 0; i < 100; i++)); do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$PID" 2>/dev/null && fail "$1: pbxd still runs on it"
	wait "$PID"
	rc=$?
	[ $rc -lt 128 ] && [ $rc != 0 ] || fail "$1: pbxd exit status $rc (signal $((rc - 128))?)"
	grep -qF "$M" "$WORK/pbxd.log" || fail "$1: no log line names $M: $(tail -3 "$WORK/pbxd.log")"
	pass "$1: refused, exit $rc: $(grep -F "$M" "$WORK/pbxd.log" | head -1 | cut -d' ' -f6-)"
}

start
wait_for 20 "$BIN/pbxctl" -s "$A" status || fail "no admin socket"
kill -TERM "$PID"
wait "$PID" || fail "first stop: exit $?"
cp "$M" "$WORK/whole.mdb"
size=$(stat -c %s "$M")
[ "$size" -gt $((2 * PS)) ] || fail "data.mdb has only $size bytes"

# the two meta pages stay, the pages they point to are gone
truncate -s $((2 * PS)) "$M"
refused "truncated to its meta pages ($size -> $((2 * PS)) bytes)"
grep -q "is truncated: $((2 * PS)) bytes, its pages need" "$WORK/pbxd.log" ||
	fail "the message does not say truncated: $(tail -2 "$WORK/pbxd.log")"

truncate -s $((size - PS)) "$M"
refused "one page short"

: >"$M"
refused "emptied"
grep -q "is empty" "$WORK/pbxd.log" || fail "the message does not say empty"

head -c "$size" /dev/urandom >"$M"
refused "not LMDB"

cp "$WORK/whole.mdb" "$M"
start
wait_for 20 "$BIN/pbxctl" -s "$A" status || fail "no admin socket on the whole file again"
kill -TERM "$PID"
wait "$PID" || fail "stop on the whole file: exit $?"
pass "the whole file again: started and stopped"
