#!/bin/bash
# The stream misbehaves during the shutdown: a server that never answers
# the close is dropped at close_timeout_ms and the exit says so (75, the
# stream counted as forced), within total_timeout_ms, also when the
# library gives up waiting before close_timeout_ms; a connection the
# server drops mid-shutdown leaves nothing to close (exit 0).
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf
sed -i 's/^close_timeout_ms = .*/close_timeout_ms = 700/' "$T/bot.ini"
bot_running 8
faults "ws_close=ignore"
stop_timed "$BOT_PID" 30
ms=$MS
eq "close ignored: exit code" "$RC" 75
eq "close ignored: orders left" "$(bot_orders)" 0
eq "close ignored: stream forced" "$(phase_figure CLOSING streams_forced)" 1
check "CLOSING timed out" has_record "$T/trace.jsonl" PHASE_TIMEOUT CLOSING JOINING
[ "$ms" -ge 700 ] && [ "$ms" -lt 15000 ] && pass "waited close_timeout_ms, within the total ($ms ms)" ||
	fail "took $ms ms"
faults "ws_close=normal"

# close_timeout_ms longer than libwebsockets' own wait for the reply (5 s):
# the library giving up is not a clean close.
sed -i 's/^close_timeout_ms = .*/close_timeout_ms = 8000/; s/^total_timeout_ms = .*/total_timeout_ms = 20000/' "$T/bot.ini"
bot_running 8
faults "ws_close=ignore"
stop_timed "$BOT_PID" 40
eq "library gave up: exit code" "$RC" 75
eq "library gave up: stream forced" "$(phase_figure CLOSING streams_forced)" 1
eq "library gave up: none closed cleanly" "$(phase_figure CLOSING streams_closed)" 0
eq "library gave up: orders left" "$(bot_orders)" 0
faults "ws_close=normal"
sed -i 's/^close_timeout_ms = .*/close_timeout_ms = 2000/; s/^total_timeout_ms = .*/total_timeout_ms = 15000/' "$T/bot.ini"

bot_running 8
faults "latency_ms=1500"
kill -TERM "$BOT_PID"
wait_until 10 has_record "$T/trace.jsonl" SIGTERM RUNNING CANCELLING || fail "no CANCELLING"
faults "ws_drop=1"
wait_exit "$BOT_PID" 30
faults "latency_ms=0"
eq "dropped mid-shutdown: exit code" "$RC" 0
eq "dropped mid-shutdown: orders left" "$(bot_orders)" 0
eq "dropped mid-shutdown: nothing forced" "$(phase_figure CLOSING streams_forced)" 0
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
