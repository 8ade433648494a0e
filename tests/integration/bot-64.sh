#!/bin/bash
# As many symbols as the config allows (64), with names long enough that
# the exchangeInfo symbols=[...] list passes 1 KiB: the daemon starts,
# places every grid and shuts down cleanly; nothing is cut on the way.
# With both channels the combined-stream path of 128 such streams passes
# the 2 KiB request line of libwebsockets' client: that is refused at
# start (78, naming the file), never cut.
. "$(dirname "$0")/bot-common.sh"

syms=$(for i in $(seq 0 63); do printf 'QX%02dLONGUSDT\n' "$i"; done | paste -sd, -)
sim_start "symbols = $syms"
bot_conf "$(printf '[streams]\nchannels = trade')"
sed -i "s/^symbols = .*/symbols = ${syms//,/, }/; s/^orders_per_symbol = .*/orders_per_symbol = 2/" "$T/bot.ini"
eq "64 symbols configured" "$(grep '^symbols' "$T/bot.ini" | tr ',' '\n' | wc -l)" 64

sed 's/^channels = .*/channels = trade, bookTicker/' "$T/bot.ini" >"$T/both.ini"
"$BOT" -c "$T/both.ini" --check-config >"$T/out" 2>&1
eq "both channels: --check-config exit code" "$?" 78
grep -q "$T/both.ini:2: symbols: 64 symbols with 2 channel(s) make a market-data path longer than" "$T/out" &&
	pass "both channels: the message says why" || { fail "both channels: message"; cat "$T/out"; }
"$BOT" -c "$T/both.ini" >"$T/out" 2>&1
eq "both channels: start exit code" "$?" 78
eq "both channels: nothing was asked of the exchange" "$(state '.requests | length')" 0
bot_running 128
eq "every symbol has its grid" "$(state '.by_symbol | length')" 64
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
eq "orders found" "$(phase_figure CANCELLING orders_found)" 128
eq "state path" "$(state_path "$T/trace.jsonl")" "RUNNING>CANCELLING>CLOSING>JOINING>EXIT"
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
