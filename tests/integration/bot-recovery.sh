#!/bin/bash
# A run killed with SIGKILL leaves its orders resting; the next start
# cancels them (RECOVERY traced) before placing a new grid, so never more
# than the configured grid rests at once.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf
# Without the user stream: CANCELLING lists first, and the slow listing is
# what the kill below interrupts (from the book, the cancels go at once).
sed -i 's/^\[exchange\]$/[exchange]\nuser_stream = off/' "$T/bot.ini"
bot_running 8
kill -KILL "$BOT_PID"
wait_exit "$BOT_PID" 10
eq "orphans left by the killed run" "$(bot_orders)" 8
bot_running 8
check "RECOVERY traced" has_record "$T/trace.jsonl" RECOVERY RUNNING RUNNING
eq "recovery found the orphans" "$(last_detail "$T/trace.jsonl" RECOVERY orders_found)" 8
eq "recovery left none" "$(last_detail "$T/trace.jsonl" RECOVERY orders_remaining)" 0
eq "never more than the grid" "$(bot_orders)" 8

# Killed in the middle of CANCELLING on a slow exchange: some orders may
# be cancelled, some not; the next start finishes the job.
faults "latency_ms=1500"
kill -TERM "$BOT_PID"
wait_until 10 has_record "$T/trace.jsonl" SIGTERM RUNNING CANCELLING ||
	fail "CANCELLING not entered"
kill -KILL "$BOT_PID"
wait_exit "$BOT_PID" 10
faults "latency_ms=0"
[ "$(bot_orders)" -ge 1 ] && pass "orders left by the run killed while cancelling ($(bot_orders))" ||
	fail "nothing left to recover"
bot_running 8
eq "second recovery left none" "$(last_detail "$T/trace.jsonl" RECOVERY orders_remaining)" 0
eq "never more than the grid, again" "$(bot_orders)" 8
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
check "trace verifies (the killed runs included)" verify_trace "$T/trace.jsonl"
grep -q "2 crashed" "$T/verify.out" && pass "both killed runs are reported as crashed" ||
	{ fail "crashes not reported"; cat "$T/verify.out"; }
finish
