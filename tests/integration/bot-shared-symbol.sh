#!/bin/bash
# A symbol another client of the account trades is never cancelled whole
# from the book.  Another instance's order comes and goes on BTCUSDT
# while the daemon runs; its next order lands as SIGTERM comes, and its
# event is late (4 s), so the book does not show it yet.  The shutdown
# takes the book path, but on BTCUSDT it cancels the daemon's orders one
# by one: the other's order still rests after the exit, the daemon's
# are all gone, and the exit is 0.
. "$(dirname "$0")/bot-common.sh"
command -v openssl >/dev/null || { echo "skip: no openssl"; exit 77; }

sent() { state '.user_stream.events_sent'; }
sent_at_least() { [ "$(sent)" -ge "$1" ]; }
reconciled() { has_record "$T/trace.jsonl" USER_STREAM; }

sim_start
bot_conf
bot_running 8
wait_until 30 reconciled || fail "the user stream never reconciled"
price=$(lowest_buy BTCUSDT)
q="symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=$price"
# The other instance's first order: placed and cancelled, both events
# sent to the daemon.
n=$(sent)
eq "the other's first order placed" "$(api POST /api/v3/order "$q&newClientOrderId=gsb-other1-a1")" 200
eq "and cancelled" "$(api DELETE /api/v3/order "symbol=BTCUSDT&origClientOrderId=gsb-other1-a1")" 200
check "its two events went out" wait_until 10 sent_at_least $((n + 2))
# Its second, whose event comes after the stop.
faults "user_stream_delay_ms=4000"
eq "the other's second order placed" "$(api POST /api/v3/order "$q&newClientOrderId=gsb-other1-a2")" 200
stop_timed "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "path" "$(phase_figure CANCELLING path)" book
eq "BTCUSDT is shared" "$(phase_figure CANCELLING shared_symbols)" 1
eq "the other instance's order still rests" "$(rests gsb-other1-a2)" 1
eq "the daemon's orders left" "$(state "[.orders[] | select(.clientOrderId | startswith(\"gsb-$(cat "$T/state/instance")-\"))] | length")" 0
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
