#!/bin/bash
# Signals as wrappers send them.  timeout(1) signals the child and its
# process group: two SIGTERMs 5 ms apart are one request, so the shutdown
# is clean (exit 0, nothing left) and the repeat traced as refused.  Under
# nohup (SIGHUP inherited ignored) a hangup does not stop the daemon.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf
bot_running 8
kill -TERM "$BOT_PID"; sleep 0.005; kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "two SIGTERMs 5 ms apart: exit code" "$RC" 0
eq "two SIGTERMs 5 ms apart: bot orders left" "$(bot_orders)" 0
eq "no FORCE" "$(count_records "$T/trace.jsonl" '.event=="FORCE"')" 0
eq "one shutdown" "$(count_records "$T/trace.jsonl" '.from=="RUNNING" and .state=="CANCELLING"')" 1
refused=$(count_records "$T/trace.jsonl" '.event=="SIGTERM" and .detail.refused==true')
[ "$refused" -le 1 ] && pass "the repeat, if not merged by the kernel, refused ($refused)" ||
	fail "$refused refused SIGTERMs"

# nohup: SIGHUP ignored by the parent stays ignored.
before=$(ready_count "$T/trace.jsonl")
( trap '' HUP; exec "$BOT" -c "$T/bot.ini" 2>>"$T/bot.log" ) &
BOT_PID=$!
PIDS+=("$BOT_PID")
wait_until 20 readies_at_least $((before + 1)) || { fail "never ready"; finish; }
status_lines() { grep -c "status: state=" "$T/bot.log"; }
more_status_lines() { [ "$(status_lines)" -gt "$1" ]; }
n=$(status_lines)
kill -HUP "$BOT_PID"
kill -USR1 "$BOT_PID" # taken after any pending SIGHUP (lower number first)
wait_until 10 more_status_lines "$n" || fail "no status line"
kill -0 "$BOT_PID" 2>/dev/null && pass "SIGHUP under nohup: still running" ||
	fail "SIGHUP under nohup stopped the daemon"
eq "SIGHUP under nohup: no shutdown" "$(count_records "$T/trace.jsonl" '.event=="SIGHUP"')" 0
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "then SIGTERM: exit code" "$RC" 0
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
