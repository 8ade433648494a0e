#!/bin/bash
# The exchange misbehaves during the shutdown and the bot still leaves
# nothing behind: 30 % of cancels answer 5xx (outcome unknown: some were
# executed, some not), a burst of 429 with Retry-After, a 418 ban, cancels
# rejected.  Each case: exit 0, 0 orders left, the trace says how.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf
sed -i 's/^cancel_retries.*//; s/^\[shutdown\]$/[shutdown]\ncancel_retries = 20/' "$T/bot.ini"

run_case() {   # NAME FAULTS
	bot_running 8
	faults "$2"
	kill -TERM "$BOT_PID"
	wait_exit "$BOT_PID" 30
	eq "$1: exit code" "$RC" 0
	eq "$1: bot orders left" "$(bot_orders)" 0
	eq "$1: remaining in the trace" "$(phase_figure CANCELLING orders_remaining)" 0
	faults "error_5xx_rate=0&rate_limit_count=0&ban_count=0&cancel_reject_rate=0"
}

run_case "30% 5xx" "error_5xx_rate=30"
run_case "429 burst" "rate_limit_count=3&retry_after_s=1"
rounds=$(phase_figure CANCELLING rounds)
[ "$rounds" -ge 2 ] && pass "429: retried after Retry-After ($rounds rounds)" ||
	fail "429: no retry ($rounds rounds)"
ms=$(phase_figure CANCELLING elapsed_ms)
[ "$ms" -ge 1000 ] && pass "429: Retry-After honoured ($ms ms)" || fail "429: waited only $ms ms"
run_case "418 ban" "ban_count=1&retry_after_s=1"
run_case "429 without Retry-After" "rate_limit_count=1&retry_after_s=0"
run_case "cancels rejected" "cancel_reject_rate=50"
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
