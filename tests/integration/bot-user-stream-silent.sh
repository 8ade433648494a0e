#!/bin/bash
# A user stream that goes silent is found.  The exchange keeps the
# connection open but sends nothing on it, not even a pong (the
# simulator's user_stream_silent: a half-dead connection, as behind a
# stuck NAT or proxy).  With user_stream_ping_ms = P the daemon pings
# after P ms of quiet and gives up P/2 ms after the ping, looking every
# P/4 ms: the silence is found at most 2P after it began, measured on
# CLOCK_MONOTONIC (the simulator's silent_since_mono_ns against the
# trace's down_mono_ns).  Once the exchange speaks again the daemon is
# subscribed and reconciled, the gap traced with its cause, and the
# shutdown cancels from the book and leaves nothing.  A subscription the
# exchange never answers, on a connection that still answers pings, is
# given up too.
. "$(dirname "$0")/bot-common.sh"

P=2000
us_records() { count_records "$T/trace.jsonl" '.event=="USER_STREAM"'; }
us_at_least() { [ "$(us_records)" -ge "$1" ]; }
us_detail() {
	records "$T/trace.jsonl" |
		jq -rs "map(select(.event==\"USER_STREAM\")) | .[$1].detail.$2"
}
connects_above() { [ "$(state .user_stream.connects)" -gt "$1" ]; }

sim_start
bot_conf
sed -i "s/^\[exchange\]$/[exchange]\nuser_stream_ping_ms = $P/" "$T/bot.ini"
bot_running 8
wait_until 30 us_at_least 1 || { fail "no USER_STREAM record"; cat "$T/bot.log"; finish; }
eq "subscribed through the WebSocket API" "$(us_detail 0 via)" \
	userDataStream.subscribe.signature

# Silence: the connection stays, nothing comes back on it.
c0=$(state .user_stream.connects)
faults "user_stream_silent=1"
since=$(state .user_stream.silent_since_mono_ns)
eq "the exchange is silent" "$(state .user_stream.silent)" true
if wait_until 30 connects_above "$c0"; then
	pass "the daemon gave up the silent connection and connected again"
else
	fail "the silent connection was never given up"; cat "$T/bot.log"
fi
eq "the exchange dropped nothing itself" "$(state .user_stream.drops)" 0
grep -q "the connection is silent" "$T/bot.log" ||
	fail "the log does not say the connection was silent"
faults "user_stream_silent=0"
if wait_until 30 us_at_least 2; then
	pass "subscribed and reconciled once the exchange spoke again"
else
	fail "no second USER_STREAM record"; cat "$T/bot.log"
fi
eq "the gap's record is not the first" "$(us_detail 1 first)" false
eq "what ended it" "$(us_detail 1 cause)" silent
down=$(us_detail 1 down_mono_ns)
found_ms=$(( (down - since) / 1000000 ))
bound=$(( 2 * P + P / 4 ))
check "silence found ${found_ms} ms after it began (bound ${bound} ms)" \
	test "$found_ms" -gt 0 -a "$found_ms" -le "$bound"
echo "silence found after ${found_ms} ms (user_stream_ping_ms = $P)"
check "the gap is traced with its times" \
	test "$(us_detail 1 up_wall_ms)" -ge "$(us_detail 1 down_wall_ms)"
check "the reconcile listed the bot's orders" \
	test "$(us_detail 1 reconcile.own)" -ge 1

# A subscription never answered, on a connection whose pongs still come:
# given up after request_timeout_ms, and made again.
faults "ws_api_unanswered=1"
admin "faults?user_stream_drop=1" >/dev/null
if wait_until 30 us_at_least 3; then
	pass "subscribed again after an unanswered subscription"
else
	fail "never subscribed after an unanswered subscription"; cat "$T/bot.log"
fi
grep -q "no reply to the subscription" "$T/bot.log" ||
	fail "the log does not say the subscription went unanswered"

stop_from_book
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
