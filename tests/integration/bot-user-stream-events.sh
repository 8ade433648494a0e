#!/bin/bash
# Events delayed past the REST reply, sent twice, and lost (the
# simulator's faults): the book stays right.  Delayed and duplicated:
# each fill frees its level once (one re-placement each) and at the stop
# the book holds exactly what rests on the exchange.  Lost: the book may
# keep an order that filled but never misses one, so the shutdown from it
# still leaves nothing, with exit 0.
. "$(dirname "$0")/bot-common.sh"

us_ready() { has_record "$T/trace.jsonl" USER_STREAM; }
bot_cids() { state '[.orders[] | select(.clientOrderId | startswith("gsb-")) | .clientOrderId][0:'"$1"'] | join(" ")'; }
placed_since() { [ "$(posts)" -ge "$1" ] && orders_at_least 8; }
none_pending() { [ "$(state .user_stream.events_pending)" = 0 ]; }

sim_start
bot_conf
bot_running 8
wait_until 30 us_ready || fail "the user stream never reconciled"

# Delayed (each event held 400 ms, past its request's reply) and sent
# twice.
faults "user_stream_delay_ms=400&user_stream_duplicate=1000"
p0=$(posts)
for cid in $(bot_cids 3); do admin "fill?clientOrderId=$cid" >/dev/null; done
if wait_until 30 placed_since $((p0 + 3)); then
	pass "the three filled levels were re-placed"
else
	fail "the filled levels were not re-placed"; cat "$T/bot.log"
fi
wait_until 20 none_pending || fail "events still held back"
check "events were delayed" test "$(state .user_stream.events_delayed)" -ge 3
check "events were duplicated" test "$(state .user_stream.events_duplicated)" -ge 3
eq "one placement per fill" "$(( $(posts) - p0 ))" 3
eq "orders resting" "$(bot_orders)" 8
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "delayed: exit code" "$RC" 0
eq "delayed: bot orders left" "$(bot_orders)" 0
eq "delayed: cancelled from the book" "$(phase_figure CANCELLING path)" book
eq "delayed: the book held exactly what rested" \
	"$(phase_figure CANCELLING book_orders)" 8
cancels_accounted
check "delayed: trace verifies" verify_trace "$T/trace.jsonl"

# Lost: half the events never arrive.
mv "$T/bot.log" "$T/bot-1.log"
faults "user_stream_delay_ms=0&user_stream_duplicate=0"
bot_running 8
wait_until 30 us_ready || fail "the user stream never reconciled"
faults "user_stream_loss_pct=50"
n=0
for cid in $(bot_cids 4); do
	[ "$(admin "fill?clientOrderId=$cid" | jq -r .status)" != FILLED ] || n=$((n + 1))
done
eq "lost: orders filled" "$n" 4
# The levels whose events arrived are being re-placed; the others wait
# for the audit listing.  The stop comes now, placements in flight or not.
resting=$(bot_orders)
check "never more than the grid ($resting)" test "$resting" -le 8
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
check "events were lost" test "$(state .user_stream.events_lost)" -ge 1
eq "lost: exit code" "$RC" 0
eq "lost: bot orders left" "$(bot_orders)" 0
eq "lost: cancelled from the book" "$(phase_figure CANCELLING path)" book
check "lost: the book missed no order ($(phase_figure CANCELLING book_orders) >= $resting)" \
	test "$(phase_figure CANCELLING book_orders)" -ge "$resting"
cancels_accounted
check "lost: trace verifies" verify_trace "$T/trace.jsonl"
finish
