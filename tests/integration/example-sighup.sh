#!/bin/bash
# SIGHUP: with on_sighup = reload the log file is re-opened (after a
# rotation the new file receives the lines) and [log] is re-read, without
# stopping; with on_sighup = shutdown it starts a shutdown like SIGTERM.
. "$(dirname "$0")/example-common.sh"

example_conf "[shutdown]
on_sighup = reload
[log]
file = $T/service.log
level = info"
example_start
mv "$T/service.log" "$T/service.log.1"
kill -HUP "$EX_PID"
wait_until 10 has_record "$T/trace.jsonl" SIGHUP RUNNING RUNNING ||
	fail "no SIGHUP record"
eq "reload traced as such" "$(last_detail "$T/trace.jsonl" SIGHUP action)" reload
eq "reload succeeded" "$(last_detail "$T/trace.jsonl" SIGHUP ok)" true
check "a new log file was opened" test -f "$T/service.log"
kill -USR1 "$EX_PID"
wait_until 10 grep -q "status: state=RUNNING" "$T/service.log" &&
	pass "lines go to the re-opened file" || fail "re-opened log is empty"
kill -TERM "$EX_PID"
wait_exit "$EX_PID" 20
eq "exit code after reload then SIGTERM" "$RC" 0

rm -f "$T/trace.jsonl"
example_conf "[shutdown]
on_sighup = shutdown"
example_start
kill -HUP "$EX_PID"
wait_exit "$EX_PID" 20
eq "exit code after SIGHUP (shutdown)" "$RC" 0
check "SIGHUP started the shutdown" has_record "$T/trace.jsonl" SIGHUP RUNNING CANCELLING
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
