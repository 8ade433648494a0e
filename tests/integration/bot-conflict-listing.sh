#!/bin/bash
# A conflict found by a listing, not an event: an order with the
# daemon's own prefix and instance, under a run tag it never used, is
# placed while the user stream loses every event.  The reconcile after
# the stream comes back lists it: the same conflict as from an event
# (USER_STREAM, event "conflict", found_by "listing"), logged as an
# error, counted, and the daemon places nothing more.  The shutdown
# cancels the daemon's own orders, leaves the conflicting one resting
# (it was not adopted as the daemon's), and exits 0.
#
# Then without a user stream: the conflicting order is first listed by
# the shutdown's own listing (the list-first path).  It is a conflict
# there too: traced, and not cancelled with the daemon's orders.
. "$(dirname "$0")/bot-common.sh"

events_lost() { [ "$(state '.user_stream.events_lost // 0')" -ge 1 ]; }

conflict_start

# Its event is lost: the daemon cannot learn of it but by a listing.
faults "user_stream_loss_pct=100"
admin "seed?symbol=BTCUSDT&clientOrderId=$other&side=BUY&price=$price&quantity=1" >/dev/null
eq "the conflicting order rests" "$(rests "$other")" 1
wait_until 10 events_lost || fail "the order's event was not lost"
faults "user_stream_loss_pct=0&user_stream_drop=1"
if wait_until 30 has_conflict; then
	pass "the conflict is traced"
else
	fail "no conflict record"; cat "$T/bot.log"
fi
eq "the record names the order" "$(conflict_field client_order_id)" "$other"
eq "a listing found it" "$(conflict_field found_by)" listing
eq "the record's symbol" "$(conflict_field symbol)" BTCUSDT
check "the log has the error" grep -q " error: listing: order $other.*another process" "$T/bot.log"

# A fill of the daemon's own: its level is not re-placed.
no_placing_after_fill "$other"
eq "reported once" "$(conflicts)" 1

stop_leaves_conflict

# Part 2: no user stream; nothing lists the book while running.
sed -i 's/^\[exchange\]$/[exchange]\nuser_stream = off/' "$T/bot.ini"
c0=$(conflicts)
bot_running 8
# Start-up recovery cancels what this instance's ids left (its rule).
wait_until 30 orders_exactly 8 || fail "the grid is not 8 orders ($(bot_orders))"
eq "recovery took the first one" "$(rests "$other")" 0
other2="gsb-$instance-zzzzzz2"
admin "seed?symbol=ETHUSDT&clientOrderId=$other2&side=BUY&price=$(state '[.orders[] | select(.clientOrderId | startswith("gsb-")) | select(.symbol=="ETHUSDT" and .side=="BUY")] | min_by(.price | tonumber) | .price')&quantity=1" >/dev/null
eq "the second conflicting order rests" "$(rests "$other2")" 1
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code (list-first)" "$RC" 0
eq "the shutdown listed first" "$(phase_figure CANCELLING path)" list
eq "the shutdown's listing traced the conflict" "$(( $(conflicts) - c0 ))" 1
eq "it names the order" "$(records "$T/trace.jsonl" | jq -rs 'map(select(.event=="USER_STREAM" and .detail.event=="conflict")) | last | .detail.client_order_id')" "$other2"
eq "the second conflicting order still rests" "$(rests "$other2")" 1
eq "CANCELLING says so (list-first)" "$(phase_figure CANCELLING conflict)" true
eq "only it is left of the prefix" "$(bot_orders)" 1
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
