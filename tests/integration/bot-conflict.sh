#!/bin/bash
# Another process uses this state_dir's identity: an order with the
# daemon's own prefix and instance, under a run tag it never used, is
# placed on the same account while the daemon runs.  Its event is a
# conflict: traced (USER_STREAM, event "conflict"), logged as an error,
# and the daemon places nothing more (a fill is not re-placed).  The
# shutdown cancels the daemon's own orders, leaves the conflicting one
# resting, and exits 0.
. "$(dirname "$0")/bot-common.sh"
command -v openssl >/dev/null || { echo "skip: no openssl"; exit 77; }

sim_start
bot_conf
bot_running 8
instance=$(cat "$T/state/instance")
check "the instance id is known ($instance)" test -n "$instance"
# A resting BUY at the price of the daemon's lowest buy.
price=$(state '[.orders[] | select(.clientOrderId | startswith("gsb-")) | select(.symbol=="BTCUSDT" and .side=="BUY")] | min_by(.price | tonumber) | .price')
other="gsb-$instance-zzzzzz1"
eq "the conflicting order is accepted" \
	"$(api POST /api/v3/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=$price&newClientOrderId=$other")" 200
if wait_until 20 has_conflict; then
	pass "the conflict is traced"
else
	fail "no conflict record"; cat "$T/bot.log"
fi
eq "the record names the order" "$(conflict_field client_order_id)" "$other"
check "the log has the error" grep -q " error: .*$other.*another process" "$T/bot.log"

# A fill of the daemon's own: its level is not re-placed.
no_placing_after_fill "$other"

kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "the conflicting order still rests" "$(rests "$other")" 1
eq "the daemon's own orders are gone" "$(bot_orders)" 1
eq "CANCELLING says so" "$(phase_figure CANCELLING conflict)" true
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
