#!/bin/bash
# A stop requested during start-up is honoured at once: against an
# exchange answering in 2 s, a SIGTERM 1 s into start-up ends the process
# within one request timeout (the start-up requests are abandoned), with
# the exit code of a clean shutdown and nothing placed.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf
sed -i 's/^request_timeout_ms = .*/request_timeout_ms = 4000/' "$T/bot.ini"
faults "latency_ms=2000"

started() { has_record "$T/trace.jsonl" START; }
bot_start
wait_until 10 started || fail "no START record"
sleep 1   # the signal lands in the middle of the start-up requests
stop_timed "$BOT_PID" 30
eq "exit code" "$RC" 0
[ "$MS" -lt 4000 ] && pass "ended within one request timeout ($MS ms)" ||
	fail "took $MS ms (request_timeout_ms = 4000)"
grep -q "start-up interrupted" "$T/bot.log" && pass "log says start-up was interrupted" ||
	{ fail "no interruption logged"; cat "$T/bot.log"; }
eq "nothing placed" "$(state '.requests["POST /api/v3/order"] // 0')" 0
eq "state path" "$(state_path "$T/trace.jsonl")" "RUNNING>CANCELLING>CLOSING>JOINING>EXIT"
check "trace verifies" verify_trace "$T/trace.jsonl"

finish
