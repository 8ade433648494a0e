#!/bin/bash
# A slow disk during the shutdown: every fdatasync/fsync of the trace, or
# every write to it, takes 8 s from just before SIGTERM, or every fsync of
# the process does.  The deadline timer ends the process by
# total_timeout_ms (+ 200 ms for a loaded machine) with 70; the cancels are
# not held up by the trace, and the snapshot names the orders that rested.
. "$(dirname "$0")/bot-common.sh"
need_fault_shim

TOTAL=3000
# Many starts within a minute: the exchange's weight window is not what
# this measures.
sim_start "weight_limit_1m = 100000000"
bot_conf
sed -i 's/^request_timeout_ms = .*/request_timeout_ms = 1000/;
	s/^cancel_timeout_ms = .*/cancel_timeout_ms = 1500/;
	s/^close_timeout_ms = .*/close_timeout_ms = 500/;
	s/^join_timeout_ms = .*/join_timeout_ms = 500/;
	s/^total_timeout_ms = .*/total_timeout_ms = '$TOTAL'/' "$T/bot.ini"

# snapshot_orders [FILE]: the bot's orders a snapshot names.
snapshot_orders() {
	jq '[.orders[] | select(.clientOrderId | startswith("gsb-"))] | length' \
		"${1:-$T/state/open-orders.json}" 2>/dev/null || echo none
}

# The orders of the snapshot that is in place.
snapshot_state() {
	SNAP=$(snapshot_orders)
}

# run_case NAME WANT-ORDERS-LEFT FAULT-ENV...: arm, SIGTERM, assert.
run_case() {
	local name=$1 left=$2 what
	shift 2
	mapfile -t BOT_ENV < <(fault_env "$@")
	rm -f "$T/state/open-orders.json" "$T/state"/open-orders.json.?????? \
		"$T/fault.log"
	bot_running 8
	fault_arm
	stop_timed "$BOT_PID" 60
	fault_disarm
	eq "$name: exit code" "$RC" "${WANT_RC:-70}"
	# From the signal to the process's end, on a pidfd (stop_timed):
	# this shell's own scheduling on a loaded machine is not counted.
	[ "$MS" -le $((TOTAL + 200)) ] &&
		pass "$name: gone by total_timeout_ms + 200 ms ($MS ms, total $TOTAL)" ||
		fail "$name: took $MS ms (total_timeout_ms $TOTAL + 200)"
	what=$(cut -d' ' -f2 "$T/fault.log" 2>/dev/null | sort -u | tr '\n' ' ')
	[ -n "$what" ] && pass "$name: fault applied ($what)" || fail "$name: fault never applied"
	eq "$name: bot orders left" "$(bot_orders)" "$left"
	[ "${WANT_RC:-70}" != 70 ] || [ -n "${NO_WHY:-}" ] ||
		grep -q "deadline timer ends the process" "$T/bot.log" ||
		grep -q "did not finish within total_timeout_ms" "$T/bot.log" ||
		grep -q "DEADLINE" "$T/trace.jsonl" ||
		fail "$name: neither the timer nor DEADLINE said why"
	snapshot_state
	# Leave nothing for the next case.
	BOT_ENV=()
	if [ "$(bot_orders)" != 0 ]; then
		bot_running 8
		kill -TERM "$BOT_PID"; wait_exit "$BOT_PID" 30
	fi
}

# snap_true NAME: the snapshot in place names the 8 orders that rested;
# or none, when the force hook ran before the process ended itself (at
# the deadline, or a thread not joined) after a listing had confirmed
# them cancelled (run_case checked that none is left).
snap_true() {
	case "$SNAP" in
	8 | 0) pass "$1: the snapshot names what rests ($SNAP)" ;;
	*) fail "$1: the snapshot names $SNAP orders (want 8, or 0 once cancelled)" ;;
	esac
}

run_case "trace fdatasync stalled" 0 GS_FAULT_SYNC=stall:8000 GS_FAULT_SYNC_PATH=trace.jsonl
snap_true "trace fdatasync stalled"

run_case "trace write stalled" 0 GS_FAULT_WRITE=stall:8000 GS_FAULT_WRITE_PATH=trace.jsonl
snap_true "trace write stalled"

# Every fsync and fdatasync of the process.  The snapshot is put in place
# before it is made durable, and its fsync waits until the cancels are
# out, so the stalled disk holds back neither: the orders are cancelled
# and the snapshot in place names the 8 that rested, though the trace
# cannot finish and the deadline timer ends the process with 70.
run_case "every sync stalled" 0 GS_FAULT_SYNC=stall:8000
snap_true "every sync stalled"
# stderr is a regular file whose writes stall too: the deadline timer has
# its line written by a thread of its own and never waits on it, so the
# bound still holds (nothing can say why: trace and stderr both stall).
NO_WHY=1 run_case "trace and stderr file stalled" 0 GS_FAULT_SYNC=stall:8000 \
	GS_FAULT_SYNC_PATH=trace.jsonl GS_FAULT_WRITE=stall:12000 GS_FAULT_WRITE_FD=2

# The last run's phases that ended clean (PHASE_DONE), of 3.
phases_clean() {
	records "$T/trace.jsonl" | jq -rs '(last | .run) as $r |
		[.[] | select(.run == $r and .event == "PHASE_DONE")] | length'
}

# stderr (where the log goes) is a regular file whose every write stalls:
# only the log's own writer thread waits on it.  Every phase ends clean
# and in time, the exit is 0, and the exit does not wait for the writer.
WANT_RC=0 run_case "stderr file stalled" 0 GS_FAULT_WRITE=stall:8000 GS_FAULT_WRITE_FD=2
eq "stderr file stalled: every phase clean" "$(phases_clean)" 3

# The same with the log in a file of its own ([log] file).
printf '[log]\nfile = %s\n' "$T/daemon.log" >>"$T/bot.ini"
WANT_RC=0 run_case "log file stalled" 0 GS_FAULT_WRITE=stall:8000 GS_FAULT_WRITE_PATH=daemon.log
eq "log file stalled: every phase clean" "$(phases_clean)" 3
# A slow log disk (every write 30 ms), not a stuck one: nothing waits on
# it, and the writer still gets every line out before the process ends.
: >"$T/daemon.log"
WANT_RC=0 run_case "log file slow" 0 GS_FAULT_WRITE=stall:30 GS_FAULT_WRITE_PATH=daemon.log
grep -q "shutdown complete in [0-9]* ms, exit code 0" "$T/daemon.log" &&
	pass "log file slow: the last line is in the file" ||
	{ fail "log file slow: lines lost"; tail -3 "$T/daemon.log"; }
sed -i '/^\[log\]$/,$d' "$T/bot.ini"

# Only the snapshot's fsync stalls, the trace is healthy: the cancels and
# the close do not wait for it (it is made durable off the phase's path),
# the thread left waiting on it is named at JOINING and the exit is 75,
# within the bound, with the snapshot in place.
WANT_RC=75 run_case "snapshot fsync stalled" 0 GS_FAULT_SYNC=stall:8000 GS_FAULT_SYNC_PATH=open-orders
snap_true "snapshot fsync stalled"
eq "snapshot fsync stalled: CANCELLING was clean" \
	"$(records "$T/trace.jsonl" | jq -rs 'map(select(.from=="CANCELLING" and .state=="CLOSING")) | last | .event')" PHASE_DONE
finish
