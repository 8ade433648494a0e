#!/bin/bash
# Binance.US's user data stream: a listenKey (POST /api/v3/userDataStream),
# its events unwrapped at /ws/<listenKey>.  A fill is seen through its
# event with no listing, and the shutdown cancels from the book.  When the
# key lapses (listen_key_ttl_ms, short in the second run) the stream's
# listenKeyExpired brings a new key, a new connection and a reconcile,
# traced.
. "$(dirname "$0")/bot-common.sh"

listings() { state '.requests["GET /api/v3/openOrders"] // 0'; }
posts() { state '.requests["POST /api/v3/order"] // 0'; }
us_at_least() { [ "$(count_records "$T/trace.jsonl" '.event=="USER_STREAM"')" -ge "$1" ]; }
us_detail() {
	records "$T/trace.jsonl" |
		jq -rs "map(select(.event==\"USER_STREAM\")) | .[$1].detail.$2"
}
placed_since() { [ "$(posts)" -gt "$1" ] && orders_at_least 8; }
us_conf() {
	bot_conf
	sed -i 's/^\[exchange\]$/[exchange]\nvenue = binance-us/' "$T/bot.ini"
	rm -f "$T/trace.jsonl"
}
stop_clean() {
	kill -TERM "$BOT_PID"
	wait_exit "$BOT_PID" 30
	eq "$1: exit code" "$RC" 0
	eq "$1: bot orders left" "$(bot_orders)" 0
	eq "$1: the shutdown cancelled from the book" "$(phase_figure CANCELLING path)" book
	cancels_accounted
	check "$1: trace verifies" verify_trace "$T/trace.jsonl"
}

sim_start
us_conf
bot_running 8
wait_until 30 us_at_least 1 || { fail "no USER_STREAM record"; cat "$T/bot.log"; finish; }
eq "subscribed through a listenKey" "$(us_detail 0 via)" listenKey
check "a listenKey stream at the exchange" \
	test "$(state .user_stream.listen_key_connections)" -ge 1
eq "no WebSocket API connection" "$(state .user_stream.api_connections)" 0
l0=$(listings)
p0=$(posts)
admin "fill?clientOrderId=$(state '[.orders[] | select(.clientOrderId | startswith("gsb-"))][0].clientOrderId')" >/dev/null
if wait_until 20 placed_since "$p0"; then
	pass "the filled level was re-placed"
else
	fail "the filled level was not re-placed"
fi
eq "listings to see the fill" "$(( $(listings) - l0 ))" 0
stop_clean "key"

# A key that lapses after 4 s.
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null
mv "$T/bot.log" "$T/bot-1.log"
sim_start "listen_key_ttl_ms = 4000"
us_conf
bot_running 8
if wait_until 30 us_at_least 2; then
	pass "a new key after the old one lapsed, reconciled"
else
	fail "no reconcile after the key lapsed"; cat "$T/bot.log"
fi
eq "what ended the first key" "$(us_detail 1 cause)" listenKeyExpired
check "the new key's reconcile listed the bot's orders" \
	test "$(us_detail 1 reconcile.own)" -ge 1
check "the exchange expired a key" test "$(state .user_stream.listen_keys_expired)" -ge 1
stop_clean "lapsed"
finish
