#!/bin/bash
# An order on the wire when the stop flag rises is waited for and then
# cancelled with the rest, and nothing is placed after the flag: one order
# fills, the grid re-places it with 1.5 s of latency injected on order
# placement, and SIGTERM arrives while that placement is in flight.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf
bot_running 8
faults "place_latency_ms=1500"
cid=$(state '[.orders[] | select(.clientOrderId | startswith("gsb-"))][0].clientOrderId')
before=$(state '.requests["POST /api/v3/order"]')
admin "fill?clientOrderId=$cid" >/dev/null
placing() { [ "$(state '.requests["POST /api/v3/order"]')" -gt "$before" ]; }
wait_until 15 placing && pass "the grid is re-placing the filled level" ||
	fail "no new placement"
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
posts=$(state '.requests["POST /api/v3/order"]')
eq "exit code" "$RC" 0
eq "bot orders left (the in-flight one included)" "$(bot_orders)" 0
eq "nothing abandoned in flight" "$(phase_figure CANCELLING inflight_abandoned)" 0
eq "orders found (7 resting + 1 in flight)" "$(phase_figure CANCELLING orders_found)" 8
eq "placements after the flag" "$(( posts - before ))" 1
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
