#!/bin/bash
# Which way CANCELLING goes.  With the user stream healthy and reconciled
# it cancels from the book at once: the only listing of the shutdown is
# the verify after the cancels, and the trace says path "book".  Without
# one it lists first, as ever (path "list", and why): user_stream = off,
# and a stream that never came up (its WebSocket API unreachable).
. "$(dirname "$0")/bot-common.sh"

listings() { state '.requests["GET /api/v3/openOrders"] // 0'; }
deletes() {
	echo $(( $(state '.requests["DELETE /api/v3/openOrders"] // 0') +
		$(state '.requests["DELETE /api/v3/order"] // 0') ))
}
us_ready() { has_record "$T/trace.jsonl" USER_STREAM; }

# run_and_stop: start, wait for the grid, stop; D: the cancels the
# exchange saw, L: the listings it saw (a strategy round may add some
# without the user stream), LC: the listings CANCELLING sent (its
# requests, less the cancels).
run_and_stop() {
	rm -f "$T/trace.jsonl"
	bot_running 8
	[ "${1:-}" != stream ] || wait_until 30 us_ready ||
		fail "the user stream never reconciled"
	local l0 d0
	l0=$(listings)
	d0=$(deletes)
	kill -TERM "$BOT_PID"
	wait_exit "$BOT_PID" 30
	L=$(( $(listings) - l0 ))
	D=$(( $(deletes) - d0 ))
	LC=$(( $(phase_figure CANCELLING requests) - D ))
	eq "exit code" "$RC" 0
	eq "bot orders left" "$(bot_orders)" 0
	cancels_accounted
	check "trace verifies" verify_trace "$T/trace.jsonl"
}

sim_start
bot_conf
run_and_stop stream
eq "healthy: path" "$(phase_figure CANCELLING path)" book
eq "healthy: why" "$(phase_figure CANCELLING reason)" \
	"user stream healthy and reconciled"
eq "healthy: the book held the grid" "$(phase_figure CANCELLING book_orders)" 8
eq "healthy: listings in the shutdown (the verify only)" "$LC" 1
eq "healthy: listings the exchange saw" "$L" 1
check "healthy: the cancels went ($D)" test "$D" -ge 1

mv "$T/bot.log" "$T/bot-1.log"
bot_conf
sed -i 's/^\[exchange\]$/[exchange]\nuser_stream = off/' "$T/bot.ini"
run_and_stop
eq "off: path" "$(phase_figure CANCELLING path)" list
eq "off: why" "$(phase_figure CANCELLING reason)" \
	"no user stream (user_stream = off)"
eq "off: listings in the shutdown (list, then verify)" "$LC" 2
eq "off: no USER_STREAM record" "$(count_records "$T/trace.jsonl" '.event=="USER_STREAM"')" 0

mv "$T/bot.log" "$T/bot-2.log"
bot_conf
sed -i 's|^\[exchange\]$|[exchange]\nws_api_url = ws://127.0.0.1:1/ws-api/v3|' "$T/bot.ini"
run_and_stop
eq "down: path" "$(phase_figure CANCELLING path)" list
why=$(phase_figure CANCELLING reason)
case "$why" in
"stream down since "*"(cannot connect)") pass "down: why ($why)" ;;
*) fail "down: why: got '$why'" ;;
esac
eq "down: listings in the shutdown (list, then verify)" "$LC" 2
finish
