#!/bin/bash
# The daemon under systemd: a datagram socket plays the service manager
# and receives READY=1 once the stream is up and the grid rests, WATCHDOG=1
# pings, STOPPING=1 when CANCELLING begins, EXTEND_TIMEOUT_USEC for each
# phase, and STATUS= for every state, in that order.
. "$(dirname "$0")/bot-common.sh"

"$top_builddir/notify-listen" "$T/notify.sock" "$T/notify.out" &
PIDS+=($!)
wait_until 5 test -S "$T/notify.sock" || fail "listener did not start"
sim_start
bot_conf
export NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=200000
bot_running 8
wait_until 10 grep -q "^READY=1" "$T/notify.out" && pass "READY=1 sent" || fail "no READY=1"
wait_until 10 grep -q "^WATCHDOG=1" "$T/notify.out" && pass "watchdog pings" || fail "no WATCHDOG=1"
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
unset NOTIFY_SOCKET WATCHDOG_USEC
wait_until 5 grep -q "^STATUS=EXIT" "$T/notify.out" || true
seq=$(grep -v WATCHDOG "$T/notify.out" | sed -E 's/^(READY=1|STOPPING=1|EXTEND_TIMEOUT_USEC)=?.*/\1/; s/^STATUS=([A-Z]+).*/STATUS=\1/' | tr '\n' ' ')
eq "notification sequence" "$seq" \
	"READY=1 STOPPING=1 STATUS=CANCELLING EXTEND_TIMEOUT_USEC STATUS=CLOSING EXTEND_TIMEOUT_USEC STATUS=JOINING EXTEND_TIMEOUT_USEC STATUS=EXIT "
grep -q "^READY=1|STATUS=RUNNING: 2 symbols, 4 orders each" "$T/notify.out" &&
	pass "READY carries a status" || fail "READY without status"
grep -q '^STATUS=CLOSING after PHASE_DONE {.*"orders_cancelled":8' "$T/notify.out" &&
	pass "STATUS carries the phase figures" || fail "no figures in STATUS"
grep -q "^EXTEND_TIMEOUT_USEC=9000000" "$T/notify.out" &&
	pass "CANCELLING extends by cancel_timeout_ms + 1 s" || fail "wrong extension"

# A service manager that stops reading its socket (a busy or stuck PID 1):
# every notification is dropped at once, none is waited on, and the
# daemon starts, trades and stops as usual.
"$top_builddir/notify-listen" --stalled "$T/stalled.sock" "$T/stalled.out" &
PIDS+=($!)
wait_until 5 grep -q "^full" "$T/stalled.out" || fail "the stalled listener did not fill its queue"
export NOTIFY_SOCKET="$T/stalled.sock" WATCHDOG_USEC=200000
bot_running 8
unset NOTIFY_SOCKET WATCHDOG_USEC
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "stalled service manager: exit code" "$RC" 0
eq "stalled service manager: bot orders left" "$(bot_orders)" 0
eq "stalled service manager: every phase clean" "$(records "$T/trace.jsonl" |
	jq -rs '(last | .run) as $r | [.[] | select(.run == $r and .event == "PHASE_DONE")] | length')" 3

# A queue full for a moment (a boot storm): READY=1, which systemd waits
# for, waits for room (up to 2 s) and is delivered once the manager reads.
"$top_builddir/notify-listen" --stalled-until "$T/release" "$T/busy.sock" "$T/busy.out" &
PIDS+=($!)
wait_until 5 grep -q "^full" "$T/busy.out" || fail "the busy listener did not fill its queue"
: >"$T/bot.log"
NOTIFY_SOCKET="$T/busy.sock" bot_start
wait_until 20 grep -q "running: 2 symbols" "$T/bot.log" || fail "the daemon never got to READY"
: >"$T/release"
wait_until 10 grep -q "^READY=1" "$T/busy.out" &&
	pass "busy service manager: READY=1 delivered once it reads" ||
	fail "busy service manager: READY=1 lost"
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "busy service manager: exit code" "$RC" 0
finish
