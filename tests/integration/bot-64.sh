#!/bin/bash
# As many symbols as the config allows (64), with names long enough that
# the exchangeInfo symbols=[...] list passes 1 KiB and the combined-stream
# path of their 128 streams passes the 2 KiB request line of
# libwebsockets' client: the daemon puts what fits in the path and asks
# for the rest with one SUBSCRIBE, places every grid (so every symbol got
# its prices) and shuts down cleanly; nothing is cut on the way.
. "$(dirname "$0")/bot-common.sh"

syms=$(for i in $(seq 0 63); do printf 'QX%02dLONGUSDT\n' "$i"; done | paste -sd, -)
sim_start "symbols = $syms"
bot_conf ""
sed -i "s/^symbols = .*/symbols = ${syms//,/, }/; s/^orders_per_symbol = .*/orders_per_symbol = 2/" "$T/bot.ini"
eq "64 symbols configured" "$(grep '^symbols' "$T/bot.ini" | tr ',' '\n' | wc -l)" 64
"$BOT" -c "$T/bot.ini" --check-config >"$T/out" 2>&1
eq "--check-config exit code" "$?" 0

bot_running 128
eq "every symbol has its grid" "$(state '.by_symbol | length')" 64
grep -q "market data: [0-9]* streams in the path, [0-9]* by SUBSCRIBE" "$T/bot.log" &&
	pass "the streams the path cannot hold came by SUBSCRIBE" ||
	{ fail "no SUBSCRIBE"; tail -5 "$T/bot.log"; }
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
# What must hold whatever fills and replacements did before the listing:
# every order found cancelled or already gone, none failed, none left.
cancels_accounted
eq "state path" "$(state_path "$T/trace.jsonl")" "RUNNING>CANCELLING>CLOSING>JOINING>EXIT"
check "every close was 1000" all_closes_1000
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
