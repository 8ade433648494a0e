#!/bin/bash
# Warm connections: the connections the cancels need are opened at
# start-up and kept, so a shutdown opens none.  The simulator counts the
# HTTP connections clients open; the count is the same before the SIGTERM
# and after the exit, the orders are all cancelled (one DELETE per symbol,
# at once) and the trace says how many connections the pool kept.
. "$(dirname "$0")/bot-common.sh"

syms="S00USDT, S01USDT, S02USDT, S03USDT, S04USDT, S05USDT, S06USDT, S07USDT"
sim_start "symbols = $syms"
bot_conf
sed -i -e "s/^symbols = .*/symbols = $syms/" \
	-e 's/^orders_per_symbol = .*/orders_per_symbol = 2/' "$T/bot.ini"
bot_running 16
wait_until 10 grep -q "connection pool: 8 of 8 connections warm" "$T/bot.log" &&
	pass "the pool opened a connection per symbol" || { fail "no warm pool"; cat "$T/bot.log"; }
before=$(state .http_connections)
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
eq "connections opened during the shutdown" "$(( $(state .http_connections) - before ))" 0
eq "the pool was warm at the signal" "$(phase_figure CANCELLING pool_warm)" 8
eq "one cancel per symbol" "$(state '.requests["DELETE /api/v3/openOrders"] // 0')" 8
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
