#!/bin/bash
# A stop requested during start-up is honoured at once: against an
# exchange answering in 2 s, a SIGTERM 1 s into start-up ends the process
# within one request timeout (the start-up requests are abandoned), with
# the exit code of a clean shutdown and nothing placed.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf
sed -i 's/^request_timeout_ms = .*/request_timeout_ms = 4000/' "$T/bot.ini"
faults "latency_ms=2000"

started() { has_record "$T/trace.jsonl" START; }
bot_start
wait_until 10 started || fail "no START record"
sleep 1   # the signal lands in the middle of the start-up requests
stop_timed "$BOT_PID" 30
eq "exit code" "$RC" 0
[ "$MS" -lt 4000 ] && pass "ended within one request timeout ($MS ms)" ||
	fail "took $MS ms (request_timeout_ms = 4000)"
grep -q "start-up interrupted" "$T/bot.log" && pass "log says start-up was interrupted" ||
	{ fail "no interruption logged"; cat "$T/bot.log"; }
eq "nothing placed" "$(state '.requests["POST /api/v3/order"] // 0')" 0
eq "state path" "$(state_path "$T/trace.jsonl")" "RUNNING>CANCELLING>CLOSING>JOINING>EXIT"
check "trace verifies" verify_trace "$T/trace.jsonl"

# After a crash: a run killed with 8 orders resting leaves its unsettled
# snapshot; the next start is stopped while its first check (before the
# recovery) waits on a slow exchange.  Exit 0 must mean none of the bot's
# orders rests: the shutdown cancels what the crashed run left, and says
# so in the trace.
faults "latency_ms=0"
bot_running 8
kill -KILL "$BOT_PID"
wait_exit "$BOT_PID" 10
eq "after a crash: orphans" "$(bot_orders)" 8
eq "after a crash: the snapshot is not settled" "$(jq .settled "$T/state/open-orders.json")" false
faults "latency_ms=1500"
# The run's START record is on disk before its first request, and every
# request takes 1.5 s from then: three checks (time, symbols,
# credentials) stand between the signal and the recovery's listing.
starts() { count_records "$T/trace.jsonl" '.event=="START"'; }
t0=$(starts)
started_again() { [ "$(starts)" -gt "$t0" ]; }
bot_start
wait_until 20 started_again || fail "after a crash: no START record"
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
faults "latency_ms=0"
eq "after a crash: exit code" "$RC" 0
eq "after a crash: bot orders left" "$(bot_orders)" 0
grep -q "start-up interrupted" "$T/bot.log" && pass "after a crash: start-up was interrupted" ||
	fail "after a crash: start-up was not interrupted"
eq "after a crash: CANCELLING knew the earlier run" \
	"$(phase_figure CANCELLING earlier_run_unsettled)" true
eq "after a crash: CANCELLING found the orphans" "$(phase_figure CANCELLING orders_found)" 8
eq "after a crash: none remaining" "$(phase_figure CANCELLING orders_remaining)" 0
eq "after a crash: the snapshot is settled" "$(jq .settled "$T/state/open-orders.json")" true

# The exchange answers too late for the cancels: the exit code says the
# orphans were not confirmed cancelled (75), never 0.
bot_running 8
kill -KILL "$BOT_PID"
wait_exit "$BOT_PID" 10
faults "latency_ms=5000"
t0=$(starts)
sed -i 's/^cancel_timeout_ms = .*/cancel_timeout_ms = 1500/' "$T/bot.ini"
bot_start
wait_until 20 started_again || fail "unreachable: no START record"
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
faults "latency_ms=0"
eq "cancels not confirmed: exit code" "$RC" 75
eq "cancels not confirmed: the orphans rest" "$(bot_orders)" 8
eq "cancels not confirmed: the snapshot is still not settled" \
	"$(jq .settled "$T/state/open-orders.json")" false
sed -i 's/^cancel_timeout_ms = .*/cancel_timeout_ms = 8000/' "$T/bot.ini"
bot_running 8
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "the next start recovers them: exit code" "$RC" 0
eq "the next start recovers them: bot orders left" "$(bot_orders)" 0
check "trace verifies, the crashes included" verify_trace "$T/trace.jsonl"

finish
