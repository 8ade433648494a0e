#!/bin/bash
# The exchange's clock steps by +10 s, then by -10 s, after start-up: every
# signed request with the old offset is refused with -1021.  The daemon
# re-measures the offset, sends again at once, and the shutdown still
# cancels everything: 0 orders left, exit 0, the re-sync in the trace.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf

resyncs() {
	records "$T/trace.jsonl" | jq -rs 'map(select(.from=="CANCELLING" and .state!="CANCELLING"))
		| last | .detail | (.clock_resyncs // 0) + (.clock_resyncs_running // 0)'
}

run_case() {   # NAME OFFSET
	faults "clock_offset_ms=0"
	bot_running 8
	faults "clock_offset_ms=$2"
	kill -TERM "$BOT_PID"
	wait_exit "$BOT_PID" 30
	eq "$1: exit code" "$RC" 0
	eq "$1: bot orders left" "$(bot_orders)" 0
	eq "$1: remaining in the trace" "$(phase_figure CANCELLING orders_remaining)" 0
	[ "$(resyncs)" -ge 1 ] && pass "$1: the re-sync is traced ($(resyncs))" ||
		fail "$1: no re-sync traced"
}

run_case "+10 s" 10000
run_case "-10 s" -10000

# Two steps in a row: the strategy's listing meets the first (+10 s) and
# re-syncs; the clock steps back at once (-10 s) and the shutdown's
# listing, well within a second of that re-sync, meets the second.  A
# -1021 to a request stamped with the newest offset re-measures however
# recent that offset is: not one listing fails.
resynced() { [ "$(grep -c "clock re-synced after -1021" "$T/bot.log")" -gt "$1" ]; }
faults "clock_offset_ms=0"
# The strategy lists only without the user stream (with it, the book).
sed -i 's/^\[exchange\]$/[exchange]\nuser_stream = off/' "$T/bot.ini"
bot_running 8
n=$(grep -c "clock re-synced after -1021" "$T/bot.log")
faults "clock_offset_ms=10000"
wait_until 20 resynced "$n" || fail "two steps: the first step was not met"
faults "clock_offset_ms=-10000"
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "two steps: exit code" "$RC" 0
eq "two steps: bot orders left" "$(bot_orders)" 0
eq "two steps: listings that failed while cancelling" \
	"$(phase_figure CANCELLING listings_failed)" 0
[ "$(phase_figure CANCELLING clock_resyncs)" -ge 1 ] &&
	pass "two steps: the shutdown re-measured the clock" ||
	fail "two steps: no re-sync while cancelling"
grep -q "clock re-synced after -1021" "$T/bot.log" && pass "the log says the clock was re-synced" ||
	fail "no re-sync logged"
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
