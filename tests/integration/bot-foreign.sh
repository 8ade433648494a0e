#!/bin/bash
# Orders that are not the bot's (another clientOrderId prefix) on the same
# account are never touched: where a symbol holds one, the bot cancels its
# own orders there one by one instead of cancelling the whole symbol.
. "$(dirname "$0")/bot-common.sh"

sim_start
admin "seed?symbol=BTCUSDT&clientOrderId=manual-1&side=BUY&price=50.00&quantity=1" >/dev/null
admin "seed?symbol=BNBUSDT&clientOrderId=otherbot-7&side=SELL&price=900.00&quantity=1" >/dev/null
admin "seed?symbol=BTCUSDT&clientOrderId=gsbx-1&side=BUY&price=51.00&quantity=1" >/dev/null
bot_conf
bot_running 8
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
eq "the person's order untouched" "$(state '.by_prefix.manual')" 1
eq "the other bot's order untouched" "$(state '.by_prefix.otherbot')" 1
eq "a look-alike prefix untouched" "$(state '.by_prefix.gsbx')" 1
eq "foreign orders reported" "$(phase_figure CANCELLING foreign_untouched)" 3
# BTCUSDT holds foreign orders: the bot's there go one by one; ETHUSDT
# is all the bot's: one cancel (a whole symbol, or its last order alone
# when fills left one).  Every order found is accounted for.
n_one=$(state '.requests["DELETE /api/v3/order"] // 0')
n_all=$(state '.requests["DELETE /api/v3/openOrders"] // 0')
check "BTCUSDT never cancelled as a whole ($n_all whole-symbol cancels)" test "$n_all" -le 1
check "the bot's BTCUSDT orders cancelled one by one ($n_one)" \
	test "$n_one" -ge 1 -a "$n_one" -le $((4 + 1 - n_all))
cancels_accounted
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
