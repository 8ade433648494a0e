#!/bin/bash
# Ctrl+C (SIGINT) with more symbols and the per-order baseline mode: the
# same outcome, 0 orders left and 1000 closes; and a second run against
# the same exchange chains onto the same trace.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf "[streams]
channels = bookTicker"
sed -i 's/^symbols = .*/symbols = BTCUSDT, ETHUSDT, BNBUSDT/' "$T/bot.ini"
bot_running 12
kill -INT "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code after SIGINT" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
check "closes were 1000" all_closes_1000
grep -q "Received shutdown signal (SIGINT). Initiating graceful shutdown..." "$T/bot.log" &&
	pass "log names SIGINT" || fail "SIGINT line missing"

sed -i 's/^\[shutdown\]$/[shutdown]\ncancel_mode = per_order_sequential/' "$T/bot.ini"
bot_running 12
d0=$(state '.requests["DELETE /api/v3/order"] // 0')
a0=$(state '.requests["DELETE /api/v3/openOrders"] // 0')
kill -INT "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code, sequential mode" "$RC" 0
eq "bot orders left, sequential mode" "$(bot_orders)" 0
eq "mode traced" "$(phase_figure CANCELLING mode)" per_order_sequential
# One DELETE per order the listing showed (a fill may have taken one).
d1=$(($(state '.requests["DELETE /api/v3/order"] // 0') - d0))
eq "one DELETE per order found" "$d1" "$(phase_figure CANCELLING orders_found)"
eq "no cancel of a whole symbol" "$(state '.requests["DELETE /api/v3/openOrders"] // 0')" "$a0"
cancels_accounted
eq "runs in the trace" "$(count_records "$T/trace.jsonl" '.event=="START"')" 2
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
