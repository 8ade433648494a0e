#!/bin/bash
# Warm connections: the connections the cancels need are opened at
# start-up and kept, so a shutdown opens none.  The orders are all
# cancelled (one DELETE per symbol, at once); CANCELLING's
# connections_opened (counted by libcurl) is 0, and exchange-sim accepts
# no connection between the signal and the exit.  Then again after the
# server closed every idle connection (as an idle timeout does): the pool
# sees the closes and replaces its connections at once, long before its
# next periodic check (30 s), so the shutdown still opens none.
. "$(dirname "$0")/bot-common.sh"

syms="S00USDT, S01USDT, S02USDT, S03USDT, S04USDT, S05USDT, S06USDT, S07USDT"
sim_start "symbols = $syms"
bot_conf
sed -i -e "s/^symbols = .*/symbols = $syms/" \
	-e 's/^orders_per_symbol = .*/orders_per_symbol = 2/' "$T/bot.ini"


# stop_and_check: SIGTERM, then the shutdown must have opened nothing.
stop_and_check() {
	local conns
	per_symbol_mark
	conns=$(state .http_connections)
	kill -TERM "$BOT_PID"
	wait_exit "$BOT_PID" 30
	eq "exit code" "$RC" 0
	eq "bot orders left" "$(bot_orders)" 0
	eq "the pool was warm at the signal" "$(phase_figure CANCELLING pool_warm)" 8
	eq "connections the cancels opened" "$(phase_figure CANCELLING connections_opened)" 0
	eq "connections exchange-sim accepted during the shutdown" \
		"$(state .http_connections)" "$conns"
	per_symbol_check
}

bot_running 16
wait_until 10 grep -q "connection pool: 8 of 8 connections warm" "$T/bot.log" &&
	pass "the pool opened a connection per symbol" || { fail "no warm pool"; cat "$T/bot.log"; }
stop_and_check
eq "no connection replaced" "$(phase_figure CANCELLING pool_replaced)" 0

# The server closes the idle connections; the pool must replace its own
# before the shutdown.
pool_after_close "connection pool: 8 of 8 connections warm" \
	"connection pool: 8 of 8 connections warm, [0-9]* replaced" 8
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
