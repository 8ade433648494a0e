#!/bin/bash
# The resolver stops answering just before SIGTERM (every getaddrinfo of a
# name stalls 20 s).  The exchange's host was resolved at start-up and
# pinned, so no phase resolves: the shutdown is clean (orders cancelled,
# streams closed) well inside total_timeout_ms, and the shim saw no
# getaddrinfo while armed.
. "$(dirname "$0")/bot-common.sh"
need_fault_shim

TOTAL=15000
sim_start
bot_conf
sed -i "s|^rest_url = .*|rest_url = http://localhost:$PORT|;
	s|^ws_url = .*|ws_url = ws://localhost:$PORT|" "$T/bot.ini"
getent hosts localhost >/dev/null || { echo "SKIP: localhost does not resolve"; exit 77; }

mapfile -t BOT_ENV < <(fault_env GS_FAULT_GAI=stall:20000)
bot_running 8
fault_arm
stop_timed "$BOT_PID" 60
fault_disarm
eq "resolver stalled: exit code" "$RC" 0
[ "$MS" -lt "$TOTAL" ] && pass "resolver stalled: not held up ($MS ms)" ||
	fail "resolver stalled: took $MS ms (total_timeout_ms $TOTAL)"
eq "resolver stalled: bot orders left" "$(bot_orders)" 0
eq "resolver stalled: stream closed cleanly" "$(phase_figure CLOSING streams_closed)" 1
eq "no resolver call during the shutdown" "$(faults_applied getaddrinfo)" 0

# Resolver failing: the same.
: >"$T/fault.log"
mapfile -t BOT_ENV < <(fault_env GS_FAULT_GAI=fail)
bot_running 8
fault_arm
stop_timed "$BOT_PID" 60
fault_disarm
eq "resolver failing: exit code" "$RC" 0
eq "resolver failing: bot orders left" "$(bot_orders)" 0
eq "no resolver call during the shutdown" "$(faults_applied getaddrinfo)" 0
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
