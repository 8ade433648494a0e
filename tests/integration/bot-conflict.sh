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

posts() { state '.requests["POST /api/v3/order"] // 0'; }
sig() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$BINANCE_API_SECRET" -r | cut -d' ' -f1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
place() { # place QUERY: a signed POST /api/v3/order; prints the HTTP code
	local q="$1&timestamp=$(now_ms)"
	curl -s -X POST -H "X-MBX-APIKEY: $BINANCE_API_KEY" -o "$T/place.json" \
		-w '%{http_code}' "http://127.0.0.1:$PORT/api/v3/order?$q&signature=$(sig "$q")"
}
conflicts() { count_records "$T/trace.jsonl" '.event=="USER_STREAM" and .detail.event=="conflict"'; }
has_conflict() { [ "$(conflicts)" -ge 1 ]; }
rests() { state "[.orders[] | select(.clientOrderId==\"$1\")] | length"; }
orders_exactly() { [ "$(bot_orders)" -eq "$1" ]; }
status_says() { grep -q "grid incomplete: placing stopped" "$T/bot.log"; }

sim_start
bot_conf
bot_running 8
instance=$(cat "$T/state/instance")
check "the instance id is known ($instance)" test -n "$instance"
# A resting BUY at the price of the daemon's lowest buy.
price=$(state '[.orders[] | select(.clientOrderId | startswith("gsb-")) | select(.symbol=="BTCUSDT" and .side=="BUY")] | min_by(.price | tonumber) | .price')
other="gsb-$instance-zzzzzz1"
eq "the conflicting order is accepted" \
	"$(place "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=$price&newClientOrderId=$other")" 200
if wait_until 20 has_conflict; then
	pass "the conflict is traced"
else
	fail "no conflict record"; cat "$T/bot.log"
fi
cid=$(records "$T/trace.jsonl" | jq -rs 'map(select(.event=="USER_STREAM" and .detail.event=="conflict")) | .[0].detail.client_order_id')
eq "the record names the order" "$cid" "$other"
check "the log has the error" grep -q " error: .*$other.*another process" "$T/bot.log"

# A fill of the daemon's own: its level is not re-placed.
p0=$(posts)
admin "fill?clientOrderId=$(state '[.orders[] | select(.clientOrderId | startswith("gsb-")) | select(.clientOrderId != "'"$other"'")][0].clientOrderId')" >/dev/null
wait_until 10 orders_exactly 8 || fail "the fill did not happen ($(bot_orders) of the prefix rest)"
wait_until 20 status_says || fail "the status does not say placing stopped"
eq "nothing placed after the conflict" "$(posts)" "$p0"

kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "the conflicting order still rests" "$(rests "$other")" 1
eq "the daemon's own orders are gone" "$(bot_orders)" 1
eq "CANCELLING says so" "$(phase_figure CANCELLING conflict)" true
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
