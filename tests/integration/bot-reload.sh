#!/bin/bash
# systemctl reload: the unit's ExecReload (and the shipped logrotate
# configuration) send SIGHUP, and on_sighup = reload is the default and
# what the shipped tradebotd.ini says, so a reload re-opens the log, tells
# the service manager RELOADING=1 then READY=1, and cancels nothing: every
# order still rests, the state is RUNNING, and a later SIGTERM still shuts
# down cleanly.
. "$(dirname "$0")/bot-common.sh"

grep -qx "ExecReload=/bin/kill -HUP \$MAINPID" "$top_srcdir/conf/tradebotd.service.in" &&
	pass "the unit reloads with SIGHUP" || fail "ExecReload changed: update this test"
grep -qE "^on_sighup *= *reload( |$)" "$top_srcdir/conf/tradebotd.ini" &&
	pass "the shipped INI reloads on SIGHUP" || fail "shipped on_sighup is not reload"
"$BOT" --print-defaults | grep -qE "^on_sighup = reload$" &&
	pass "reload is the built-in default" || fail "the built-in on_sighup is not reload"
grep -q "kill --signal=HUP" "$top_srcdir/conf/tradebotd.logrotate" &&
	pass "logrotate sends SIGHUP (a reload)" || fail "logrotate changed: update this test"
grep -qx "LimitCORE=0" "$top_srcdir/conf/tradebotd.service.in" &&
	pass "the unit allows no core file" || fail "no LimitCORE=0"

"$top_builddir/notify-listen" "$T/notify.sock" "$T/notify.out" &
PIDS+=($!)
wait_until 5 test -S "$T/notify.sock" || fail "listener did not start"
sim_start
bot_conf "[log]
file = $T/daemon.log"
export NOTIFY_SOCKET="$T/notify.sock"
bot_running 8
wait_until 10 grep -q "^READY=1" "$T/notify.out" || fail "no READY=1"
mv "$T/daemon.log" "$T/daemon.log.1" # as logrotate does
kill -HUP "$BOT_PID"
readies() { [ "$(grep -c '^READY=1' "$T/notify.out")" -ge "$1" ]; }
wait_until 10 readies 2 || fail "no READY=1 after the reload"
seq=$(grep -v WATCHDOG "$T/notify.out" | sed -E 's/^(READY=1|RELOADING=1).*/\1/; s/^STATUS=([A-Z]+).*/STATUS=\1/' | tr '\n' ' ')
eq "notification sequence" "$seq" "READY=1 RELOADING=1 READY=1 "
wait_until 5 test -s "$T/daemon.log" && pass "the log file was re-opened" || fail "log not re-opened"
has_record "$T/trace.jsonl" SIGHUP RUNNING RUNNING && pass "SIGHUP traced as a reload in RUNNING" ||
	fail "no SIGHUP record"
eq "reload ok" "$(last_detail "$T/trace.jsonl" SIGHUP ok)" true
eq "still running" "$(state_path "$T/trace.jsonl")" "RUNNING"
eq "no order cancelled" "$(state '.by_prefix.gsb // 0')" 8
eq "no cancel request" "$(state '[.requests | to_entries[] | select(.key | startswith("DELETE"))] | length')" 0
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
unset NOTIFY_SOCKET
eq "exit code" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
finish
