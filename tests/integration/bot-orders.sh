#!/bin/bash
# Binance limits new orders too (ORDERS in exchangeInfo.rateLimits: the
# simulator's 100 per 10 s, as Binance's).  64 symbols x 4 levels is 256
# placements at start: the daemon paces them under the limit, so the
# exchange never answers -1015 (429), the whole grid rests and the daemon
# shuts down cleanly.
. "$(dirname "$0")/bot-common.sh"

syms=$(for i in $(seq 0 63); do printf 'QX%02dLONGUSDT\n' "$i"; done | paste -sd, -)
sim_start "symbols = $syms"
bot_conf "$(printf '[streams]\nchannels = trade')"
sed -i "s/^symbols = .*/symbols = ${syms//,/, }/; s/^orders_per_symbol = .*/orders_per_symbol = 4/" "$T/bot.ini"
eq "the exchange's ORDERS limit" \
	"$(curl -s "http://127.0.0.1:$PORT/api/v3/exchangeInfo" | jq -c '[.rateLimits[] | select(.rateLimitType == "ORDERS") | .limit]')" \
	"[100,200000]"
bot_start
if ! wait_until 90 orders_at_least 256; then
	fail "the 256 orders never rested (have $(bot_orders))"
	cat "$T/bot.log"
fi
# A placement left unanswered at its batch's deadline (a slow machine, a
# sanitizer) may rest all the same and be placed again, so 256 can rest
# before the last symbol has its grid: wait for every symbol.
symbols_with_orders() { [ "$(state '.by_symbol | length')" -ge 64 ]; }
wait_until 60 symbols_with_orders
eq "every symbol has its grid" "$(state '.by_symbol | length')" 64
eq "429 answers (-1015: too many new orders)" "$(state .http_429)" 0
check "at least 256 placements sent" test "$(state '.requests["POST /api/v3/order"]')" -ge 256
! grep -q -- "-1015" "$T/bot.log" && pass "no -1015 in the log" || fail "-1015 in the log"
grep -q "orders: limit 100 per 10 s" "$T/bot.log" && pass "the ORDERS limit is read" ||
	fail "the ORDERS limit is not logged"
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 60
eq "exit code" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
finish
