#!/bin/bash
# A run killed with SIGKILL leaves its orders resting; the next start
# cancels them (RECOVERY traced) before placing a new grid, so never more
# than the configured grid rests at once.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf
bot_running 8
kill -KILL "$BOT_PID"
wait_exit "$BOT_PID" 10
eq "orphans left by the killed run" "$(bot_orders)" 8
bot_running 8
check "RECOVERY traced" has_record "$T/trace.jsonl" RECOVERY RUNNING RUNNING
eq "recovery found the orphans" "$(last_detail "$T/trace.jsonl" RECOVERY orders_found)" 8
eq "recovery left none" "$(last_detail "$T/trace.jsonl" RECOVERY orders_remaining)" 0
eq "never more than the grid" "$(bot_orders)" 8
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
check "trace verifies (the crashed run included)" verify_trace "$T/trace.jsonl"
grep -q "1 crashed" "$T/verify.out" && pass "the killed run is reported as crashed" ||
	{ fail "crash not reported"; cat "$T/verify.out"; }
finish
