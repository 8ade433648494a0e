#!/bin/bash
# The user data stream keeps the book.  A fill is seen through its event
# and the level re-placed without any listing.  Then the stream drops
# mid-run while an event is lost (the simulator's faults): the daemon
# connects again, reconciles once with a listing that finds the filled
# order gone, traces the gap (USER_STREAM: down, up, what the listing
# found) and re-places the level; the shutdown still leaves nothing.
. "$(dirname "$0")/bot-common.sh"

listings() { state '.requests["GET /api/v3/openOrders"] // 0'; }
us_records() { count_records "$T/trace.jsonl" '.event=="USER_STREAM"'; }
us_at_least() { [ "$(us_records)" -ge "$1" ]; }
us_detail() {
	records "$T/trace.jsonl" |
		jq -rs "map(select(.event==\"USER_STREAM\")) | .[$1].detail.$2"
}
bot_cid() { state "[.orders[] | select(.clientOrderId | startswith(\"gsb-\"))][$1].clientOrderId"; }
placed_since() { [ "$(posts)" -gt "$1" ] && orders_at_least 8; }

sim_start
bot_conf
bot_running 8
wait_until 30 us_at_least 1 || { fail "no USER_STREAM record"; cat "$T/bot.log"; finish; }
eq "subscribed through the WebSocket API" "$(us_detail 0 via)" \
	userDataStream.subscribe.signature
eq "an API connection at the exchange" "$(state .user_stream.api_connections)" 1

# A fill: its event frees the level, re-placed with no listing.
l0=$(listings)
p0=$(posts)
admin "fill?clientOrderId=$(bot_cid 0)" >/dev/null
if wait_until 20 placed_since "$p0"; then
	pass "the filled level was re-placed"
else
	fail "the filled level was not re-placed"
fi
eq "listings to see the fill" "$(( $(listings) - l0 ))" 0

# The stream drops while the next fill's event is lost.
faults "user_stream_loss_pct=100"
cid=$(bot_cid 1)
p0=$(posts)
admin "fill?clientOrderId=$cid" >/dev/null
wait_until 10 orders_exactly 7 || fail "the fill did not happen"
lost=$(state .user_stream.events_lost)
check "the fill's events were lost ($lost)" test "$lost" -ge 1
l0=$(listings)
faults "user_stream_loss_pct=0&user_stream_drop=1"
if wait_until 30 us_at_least 2; then
	pass "the stream came back and was reconciled"
else
	fail "no second USER_STREAM record"; cat "$T/bot.log"
fi
eq "the gap's record is not the first" "$(us_detail 1 first)" false
eq "what ended it" "$(us_detail 1 cause)" "connection lost"
down=$(us_detail 1 down_wall_ms)
up=$(us_detail 1 up_wall_ms)
check "the gap is traced with its times ($down .. $up)" \
	test "$down" -gt 0 -a "$up" -ge "$down"
# The reconcile lists each symbol once; a strategy round that fell in
# the gap (the stream down: it lists as it does without one) may have
# found the order gone first.
if [ $(( $(listings) - l0 )) -eq 2 ]; then
	eq "the reconcile found the lost fill's order gone" \
		"$(us_detail 1 reconcile.removed)" 1
else
	echo "note: the strategy listed during the gap"
	eq "the listings found the lost fill's order gone" \
		"$(us_detail 1 reconcile.removed)" 0
fi
check "the exchange saw the drop" test "$(state .user_stream.drops)" -ge 1
if wait_until 20 placed_since "$p0"; then
	pass "the level whose event was lost was re-placed after the reconcile"
else
	fail "the level whose event was lost was not re-placed"
fi

stop_from_book
check "every close was 1000" all_closes_1000
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
