#!/bin/bash
# Market data misbehaves while running: the connection is dropped (the bot
# reconnects with backoff), malformed and oversized frames arrive (logged,
# ignored); the shutdown still closes with 1000 and exits 0.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf
bot_running 8
faults "ws_drop=1"
reconnected() { [ "$(state '.ws.connects')" -ge 2 ] && [ "$(state '.ws.open')" -ge 1 ]; }
wait_until 15 reconnected && pass "reconnected after the drop" || fail "no reconnect"
faults "ws_garbage=1"
wait_until 10 grep -q "malformed message ignored" "$T/bot.log" &&
	pass "malformed frame logged" || fail "malformed frame not logged"
# The oversized frame comes last and is large: wait until it is seen.
wait_until 20 grep -q "market data: message over" "$T/bot.log" &&
	pass "oversized frame logged" || fail "oversized frame not logged"
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
# Market data's close after reconnecting, and the user stream's.
eq "the closes were 1000" "$(state '[.ws_closes[] | select(.code==1000)] | length')" 2
[ "$(phase_figure CLOSING reconnects)" -ge 1 ] && pass "reconnects traced" || fail "no reconnect figure"
[ "$(phase_figure CLOSING malformed)" -ge 2 ] && pass "malformed frames counted" || fail "malformed not counted"
[ "$(phase_figure CLOSING oversized)" -ge 1 ] && pass "oversized frame counted" || fail "oversized not counted"
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
