#!/bin/bash
# Where the tail anchor goes, and the exit code when records were lost.
# - The anchor goes to syslog under [log] syslog_facility; when syslog
#   cannot take it, the log gets it as a warning (seen at level warn) if
#   [log] syslog is on, and as an info line if it is off.
# - A forced exit keeps its code (128+n) though a trace record was lost;
#   the EXIT summary counts the loss (trace_failures); the lost record's
#   fragment is a torn line and the gap it leaves is shown.

# A mount namespace of this test's own, with a /dev of its own in which
# the test plays the syslog daemon at /dev/log.
if [ -z "${GS_TRACE_ANCHOR_NS:-}" ] && unshare -m true 2>/dev/null; then
	GS_TRACE_ANCHOR_NS=1 exec unshare -m --propagation private \
		bash "$0" "$@"
fi
. "$(dirname "$0")/example-common.sh"

# private_dev: a tmpfs of this namespace's own on /dev, with the few
# device nodes a process needs made afresh (nothing of the real /dev is
# bound into it, nor into $T, so nothing there can be removed).
private_dev() {
	[ -n "${GS_TRACE_ANCHOR_NS:-}" ] || return 1
	# Only ever in a mount namespace apart from the caller's.
	[ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/$PPID/ns/mnt)" ] ||
		return 1
	mount -t tmpfs -o size=64k,mode=755 tmpfs /dev 2>/dev/null || return 1
	mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 &&
		mknod -m 666 /dev/random c 1 8 &&
		mknod -m 666 /dev/urandom c 1 9 || return 1
	ln -s /proc/self/fd /dev/fd
	return 0
}

# 1. The anchor under the configured facility (local3: 19 * 8 + notice 5).
if private_dev; then
	"$top_builddir/notify-listen" /dev/log "$T/syslog.out" &
	LISTEN=$!
	PIDS+=("$LISTEN")
	wait_until 5 test -S /dev/log || fail "no syslog socket"
	example_conf "[log]
syslog_facility = local3"
	example_start
	kill -TERM "$EX_PID"
	wait_exit "$EX_PID" 20
	eq "syslog run: exit" "$RC" 0
	wait_until 5 grep -q 'trace anchor: run' "$T/syslog.out" ||
		fail "no anchor in syslog"
	grep -q "^<157>gs-example\[$EX_PID\]: trace anchor: run [0-9a-f]\{32\} records 7 hash [0-9a-f]\{64\}$" \
		"$T/syslog.out" && pass "anchor sent as local3.notice" ||
		{ fail "anchor not as local3.notice"; cat "$T/syslog.out"; }
	kill -TERM "$LISTEN"
	wait "$LISTEN"
	rm -f /dev/log
	: >"$T/example.log"
elif [ -e /dev/log ]; then
	echo "skip: syslog facility and a missing /dev/log (needs a mount namespace)"
	SKIP_NOLOG=1
else
	echo "skip: syslog facility (needs a mount namespace to play syslog)"
fi

# 2. No syslog to take it: with [log] syslog on, a warning, seen at log
# level warn; with syslog off (the default), the anchor is an info line
# and the run ends without a warning.
if [ -z "${SKIP_NOLOG:-}" ]; then
	example_conf "[log]
level = warn
syslog = true
file = $T/file.log"
	example_start
	kill -TERM "$EX_PID"
	wait_exit "$EX_PID" 20
	eq "no syslog: exit" "$RC" 0
	last=$(records "$T/trace.jsonl" | tail -1 | jq -r .hash)
	grep -q "warn.*not sent to syslog (.*): trace anchor: run .* hash $last$" \
		"$T/file.log" && pass "anchor logged as a warning" ||
		{ fail "anchor lost at level warn"; cat "$T/file.log"; }

	: >"$T/example.log"
	example_conf ""
	example_start
	kill -TERM "$EX_PID"
	wait_exit "$EX_PID" 20
	eq "syslog off: exit" "$RC" 0
	last=$(records "$T/trace.jsonl" | tail -1 | jq -r .hash)
	grep -q " info: trace anchor: run [0-9a-f]\{32\} records [0-9]* hash $last$" \
		"$T/example.log" && pass "syslog off: the anchor is an info line" ||
		{ fail "syslog off: no anchor line"; cat "$T/example.log"; }
	if grep -q " warn: " "$T/example.log"; then
		fail "syslog off: the run ends with a warning"
		cat "$T/example.log"
	else
		pass "syslog off: no warning"
	fi
fi

# 3. A record lost, then a forced exit: 143 stays, the loss is counted.
# (duplicate_signal_ms = 0: the second SIGTERM forces at once.)
TRACE="$T/trace.jsonl"
example_conf "[shutdown]
duplicate_signal_ms = 0"
: >"$T/example.log"
before=$(count_records "$TRACE" '.event=="READY"')
rm -f "$T/err.fifo"
mkfifo "$T/err.fifo"
cat "$T/err.fifo" >>"$T/example.log" &
CAT_PID=$!
(trap '' XFSZ; NOLEAK exec "$EXAMPLE" -c "$T/example.ini" --cancel-ms 8000 \
	2>"$T/err.fifo") &
EX_PID=$!
PIDS+=("$EX_PID")
wait_until 10 ready_after "$before" || { fail "not ready"; finish; }
size=$(stat -c %s "$TRACE")
prlimit --pid "$EX_PID" --fsize="$((size + 60)):" ||
	fail "prlimit could not lower the file size limit"
kill -TERM "$EX_PID"
wait_until 10 grep -q "trace: record SIGTERM not written" "$T/example.log" ||
	fail "the lost record is not logged"
prlimit --pid "$EX_PID" --fsize=unlimited: ||
	fail "prlimit could not raise the file size limit"
kill -TERM "$EX_PID"
wait_exit "$EX_PID" 20
wait "$CAT_PID"
eq "forced exit with a lost record: exit code" "$RC" 143
eq "FORCE traced" "$(records "$TRACE" | tail -2 | head -1 | jq -r .event)" FORCE
eq "EXIT summary: code" "$(last_detail "$TRACE" EXIT exit_code)" 143
eq "EXIT summary: trace_failures" "$(last_detail "$TRACE" EXIT trace_failures)" 1
grep -q "exiting with code 143; trace_failures 1" "$T/example.log" &&
	pass "the log says both" || { fail "final log line"; cat "$T/example.log"; }
# The lost SIGTERM leaves a gap the verifier shows where FORCE follows;
# its fragment, just before, is a torn line and no error.
"$GS_TRACE" verify "$TRACE" >"$T/out"
eq "the trace shows the gap: exit" "$?" 1
n=$(wc -l <"$TRACE")
grep -q "^torn lines (writes cut short) at line $((n - 2))$" "$T/out" &&
	pass "the fragment is a torn line" || { fail "torn"; cat "$T/out"; }
grep -q "trace.jsonl:$((n - 1)): from CANCELLING, but the run is in RUNNING" \
	"$T/out" && pass "the gap is at FORCE" || { fail "gap"; cat "$T/out"; }
finish
