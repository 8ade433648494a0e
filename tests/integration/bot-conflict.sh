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

# A resting BUY at the price of the daemon's lowest buy.
conflict_start
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

stop_leaves_conflict
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
