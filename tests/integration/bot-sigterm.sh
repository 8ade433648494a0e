#!/bin/bash
# The mission, end to end: tradebotd rests its grid on exchange-sim; on
# SIGTERM it cancels every order (0 left on the exchange), closes its
# stream with 1000 (as the simulator saw it), joins its threads, exits 0,
# and leaves a trace that verifies with the expected figures.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf
bot_running 8
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "bot orders left on the exchange" "$(bot_orders)" 0
check "every WebSocket close seen by the exchange was 1000" all_closes_1000
eq "close reason" "$(state '.ws_closes[0].reason')" "tradebotd shutdown"
eq "streams still open at the exchange" "$(state '.ws.open')" 0
eq "state path" "$(state_path "$T/trace.jsonl")" "RUNNING>CANCELLING>CLOSING>JOINING>EXIT"
# A fill before the listing may leave a symbol one order (cancelled by
# itself) or none: what must hold is counted, not what a fill changes.
cancels_accounted
check "cancelled per symbol, not per order" \
	test "$(state '.requests["DELETE /api/v3/openOrders"] // 0')" -ge 1 -a \
	$(($(state '.requests["DELETE /api/v3/openOrders"] // 0') + \
	$(state '.requests["DELETE /api/v3/order"] // 0'))) -le 2
eq "streams closed" "$(phase_figure CLOSING streams_closed)" 1
eq "streams forced" "$(phase_figure CLOSING streams_forced)" 0
eq "threads joined (pool, lws, ustream, snapshot, strategy)" "$(phase_figure JOINING threads_joined)" 5
eq "EXIT code in the trace" "$(last_detail "$T/trace.jsonl" EXIT exit_code)" 0
check "trace verifies" verify_trace "$T/trace.jsonl"
check "snapshot written before cancelling" test -s "$T/state/open-orders.json"
eq "snapshot holds the 8 orders" "$(jq '.orders | length' "$T/state/open-orders.json")" 8
grep -q "Received shutdown signal (SIGTERM). Initiating graceful shutdown..." "$T/bot.log" &&
	pass "log names the signal" || fail "signal line missing from the log"
grep -q "WebSocket connections closed." "$T/bot.log" &&
	pass "log says the streams closed" || fail "close line missing"
! grep -q "placing on .* failed" "$T/bot.log" &&
	pass "every placement was accepted" || fail "placements failed: $(grep -m1 'placing on' "$T/bot.log")"
grep -q "shutdown summary" "$T/bot.log" && pass "summary printed" || fail "no summary"
! grep -q "$BINANCE_API_SECRET" "$T/bot.log" "$T/trace.jsonl" &&
	pass "the secret appears in neither log nor trace" || fail "secret leaked"
finish
