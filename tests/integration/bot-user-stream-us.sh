#!/bin/bash
# Binance.US's user data stream: a listenKey (POST /api/v3/userDataStream),
# its events unwrapped at /ws/<listenKey>.  A fill is seen through its
# event with no listing, and the shutdown cancels from the book.  When the
# key lapses (listen_key_ttl_ms, short in the second run) the stream's
# listenKeyExpired brings a new key, a new connection and a reconcile,
# traced.  With listen_key_keepalive_ms well inside the ttl (the third
# run) the PUTs keep the one key alive over several ttls: no expiry, no
# new key, no reconnect.  Each shutdown closes its key (DELETE).
. "$(dirname "$0")/bot-common.sh"

listings() { state '.requests["GET /api/v3/openOrders"] // 0'; }
us_at_least() { [ "$(count_records "$T/trace.jsonl" '.event=="USER_STREAM"')" -ge "$1" ]; }
us_detail() {
	records "$T/trace.jsonl" |
		jq -rs "map(select(.event==\"USER_STREAM\")) | .[$1].detail.$2"
}
not_logged() { ! grep -Eq "$1" "$T/bot.log"; }
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
eq "key: the shutdown closed the listenKey" \
	"$(phase_figure CLOSING user_stream.listen_key_closed)" true
eq "key: the exchange saw the DELETE" "$(state .user_stream.listen_key_closes)" 1
eq "key: no key live at the exchange" "$(state .user_stream.listen_key)" false

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

# Kept alive: a 3 s ttl, a PUT every second.  Ten PUTs, each at least the
# interval after the last success, span over 9 s: three ttls.
TTL=3000
KEEP=1000
keepalives_at_least() { [ "$(state .user_stream.listen_key_keepalives)" -ge "$1" ]; }
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null
mv "$T/bot.log" "$T/bot-2.log"
sim_start "listen_key_ttl_ms = $TTL"
us_conf
sed -i "s/^\[exchange\]$/[exchange]\nlisten_key_keepalive_ms = $KEEP/" "$T/bot.ini"
bot_running 8
wait_until 30 us_at_least 1 || { fail "no USER_STREAM record"; cat "$T/bot.log"; finish; }
n=$(( 3 * TTL / KEEP + 1 ))
if wait_until 60 keepalives_at_least "$n"; then
	pass "$n keepalives: the key lived over 3 ttls of $TTL ms"
else
	fail "fewer than $n keepalives ($(state .user_stream.listen_key_keepalives))"
fi
eq "kept: no key expired" "$(state .user_stream.listen_keys_expired)" 0
eq "kept: one key made" "$(state .user_stream.listen_key_creates)" 1
eq "kept: one connection" "$(state .user_stream.connects)" 1
eq "kept: one USER_STREAM record (no reconnect)" \
	"$(count_records "$T/trace.jsonl" '.event=="USER_STREAM"')" 1
check "kept: no expiry or reconnect in the log" \
	not_logged "listenKeyExpired|reconnecting|expired"
stop_clean "kept"
eq "kept: the shutdown closed the listenKey" \
	"$(phase_figure CLOSING user_stream.listen_key_closed)" true
eq "kept: the exchange saw the DELETE" "$(state .user_stream.listen_key_closes)" 1
finish
