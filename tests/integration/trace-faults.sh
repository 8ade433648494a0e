#!/bin/bash
# The disk fails the trace mid-shutdown: a file size limit (RLIMIT_FSIZE,
# SIGXFSZ ignored) and a full filesystem (a small tmpfs, when this user
# may mount one).  Each time the lost records are reported in the log,
# the exit code is 75, and what the trace holds still verifies: no record
# glued onto a fragment, the chain never past what is on disk, and the
# tail anchor names the last record that made it.

# The tmpfs lives in a mount namespace of this test's own, where nothing
# else can unmount it and from which it vanishes when the test ends.
if [ -z "${GS_TRACE_FAULTS_NS:-}" ] && unshare -m true 2>/dev/null; then
	GS_TRACE_FAULTS_NS=1 exec unshare -m --propagation private \
		bash "$0" "$@"
fi
. "$(dirname "$0")/example-common.sh"

# start_logged: start gs-example with SIGXFSZ ignored and its log through
# a pipe (a size limit must not cut the log too); waits for READY.
start_logged() {
	local before
	before=$(count_records "$TRACE" '.event=="READY"')
	rm -f "$T/err.fifo"
	mkfifo "$T/err.fifo"
	cat "$T/err.fifo" >>"$T/example.log" &
	CAT_PID=$!
	(trap '' XFSZ; exec "$EXAMPLE" -c "$T/example.ini" 2>"$T/err.fifo") &
	EX_PID=$!
	PIDS+=("$EX_PID")
	if ! wait_until 10 ready_after_in "$before"; then
		fail "gs-example did not become ready"
		cat "$T/example.log"
		finish
	fi
}
ready_after_in() {
	[ "$(count_records "$TRACE" '.event=="READY"')" -gt "$1" ]
}

# stop_and_check WHAT: SIGTERM, exit 75, the loss logged, the trace
# verifies up to the anchor.
stop_and_check() {
	kill -TERM "$EX_PID"
	wait_exit "$EX_PID" 20
	wait "$CAT_PID"
	eq "$1: exit code" "$RC" 75
	grep -q "trace: record SIGTERM not written" "$T/example.log" &&
		pass "$1: the lost record is logged" ||
		{ fail "$1: loss not logged"; cat "$T/example.log"; }
	anchor=$(grep -o 'trace anchor: .*' "$T/example.log" | tail -1)
	"$GS_TRACE" verify --anchor "${anchor##* hash }" "$TRACE" >"$T/out"
	eq "$1: the trace verifies" "$?" 0
	grep -q "torn lines, 0 errors" "$T/out" && ! grep -q " 0 torn lines" "$T/out" &&
		pass "$1: the fragment is a torn line" || { fail "$1: torn"; cat "$T/out"; }
	eq "$1: last record on disk" "$(records "$TRACE" | tail -1 | jq -r .event)" READY
	: >"$T/example.log"
}

# 1. A file size limit reached while the shutdown is traced.
TRACE="$T/trace.jsonl"
example_conf ""
start_logged
size=$(stat -c %s "$TRACE")
prlimit --pid "$EX_PID" --fsize="$((size + 60)):" ||
	fail "prlimit could not lower the file size limit"
stop_and_check "RLIMIT_FSIZE"

# 2. A full filesystem.  The trace is padded with a torn line, the
# beginning of a START record as a crash mid-write leaves it, so that the
# SIGTERM record is the one that needs a new page.
FULL="$T/full"
mkdir "$FULL"
if [ -z "${GS_TRACE_FAULTS_NS:-}" ] ||
	! mount -t tmpfs -o size=256k tmpfs "$FULL" 2>/dev/null; then
	echo "skip: full filesystem (cannot mount a tmpfs here: needs root)"
	finish
fi
# is_tmpfs: the small tmpfs is still there (never fill anything else).
is_tmpfs() {
	mountpoint -q "$FULL" && [ "$(stat -f -c %T "$FULL")" = tmpfs ]
}
TRACE="$FULL/trace.jsonl"
cat >"$T/example.ini" <<INI
[trace]
path = $TRACE
fsync = true
INI
start_logged
kill -TERM "$EX_PID"
wait_exit "$EX_PID" 20
wait "$CAT_PID"
eq "full fs: first run exit" "$RC" 0
sr=$(head -2 "$TRACE" | wc -c)
f=$(stat -c %s "$TRACE")
k=$(( (f + sr + 400) / 4096 + 1 ))
pad=$(( 4096 * k - 150 - f - sr - 1 ))
run=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
frag="{\"seq\":0,\"run\":\"$run\",\"time\":\"2026-11-26T00:00:00.000000Z\",\"mono_ns\":1,\"pid\":1,\"event\":\"START\",\"from\":null,\"state\":\"RUNNING\",\"detail\":{\"version\":\"\",\"config\":\"/"
printf '%s' "$frag" >>"$TRACE"
head -c "$((pad - ${#frag}))" /dev/zero | tr '\0' x >>"$TRACE"
start_logged
size=$(stat -c %s "$TRACE")
room=$(( 4096 - size % 4096 ))
[ "$room" -gt 20 ] && [ "$room" -lt 300 ] && pass "room left in the page: $room" ||
	fail "padding missed the page end: $room bytes left"
if ! is_tmpfs; then
	fail "the tmpfs is gone"
	finish
fi
# Bounded by the tmpfs' size, whatever happens to the mount.
dd if=/dev/zero of="$FULL/fill" bs=4096 count=64 >/dev/null 2>&1
dd if=/dev/zero of="$FULL/fill2" bs=1 count=4096 >/dev/null 2>&1
[ "$(stat -f -c %a "$FULL")" -eq 0 ] && pass "the tmpfs is full" ||
	fail "the tmpfs is not full"
stop_and_check "full filesystem"
umount "$FULL"
finish
