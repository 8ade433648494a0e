#!/bin/bash
# When the exchange cannot confirm the cancels, the bot never claims a clean
# exit: requests that are never answered, or the exchange gone at shutdown,
# end in exit 75 within total_timeout_ms, with the trace naming what may
# still rest.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf
sed -i 's/^cancel_timeout_ms = .*/cancel_timeout_ms = 2500/; s/^request_timeout_ms = .*/request_timeout_ms = 500/' "$T/bot.ini"
bot_running 8
faults "hang_rate=100"
stop_timed "$BOT_PID" 30
ms=$MS
eq "unanswered requests: exit code" "$RC" 75
[ "$ms" -lt 15000 ] && pass "within total_timeout_ms ($ms ms)" || fail "took $ms ms"
check "CANCELLING timed out or failed" \
	jq -se 'any(.[]; .from=="CANCELLING" and .state=="CLOSING" and (.event=="PHASE_TIMEOUT" or .event=="PHASE_FAILED"))' "$T/trace.jsonl" >/dev/null
eq "the exit names the phase" "$(last_detail "$T/trace.jsonl" EXIT 'degraded | join(",")')" CANCELLING
faults "hang_rate=0"
eq "the orders really are still there" "$(bot_orders)" 8

# The next start cleans up what the degraded shutdown could not.
bot_running 8
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "after recovery: exit code" "$RC" 0
eq "after recovery: orders left" "$(bot_orders)" 0

# Every cancel refused until the deadline: the orders still resting are
# named in the trace, and the exit is 75, never 0.
bot_running 8
faults "cancel_reject_rate=100"
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "cancels refused: exit code" "$RC" 75
eq "cancels refused: remaining" "$(phase_figure CANCELLING orders_remaining)" 8
eq "cancels refused: the remaining orders named" "$(phase_figure CANCELLING 'remaining_ids | length')" 8
faults "cancel_reject_rate=0"
bot_running 8
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "cleaned up at the next start" "$(bot_orders)" 0

# The exchange is gone when the shutdown starts.
bot_running 8
kill -KILL "$SIM_PID"
wait_exit "$SIM_PID" 10
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exchange down: exit code" "$RC" 75
eq "exchange down: remaining is unknown" "$(phase_figure CANCELLING orders_remaining)" null
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
