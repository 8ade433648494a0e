#!/bin/bash
# A repeated signal within duplicate_signal_ms of the first is the same
# request (timeout(1) signals the child and its group; a wrapper forwards
# what it got): one clean shutdown, the repeat traced as refused.  A
# signal during a shutdown that FATAL began is that shutdown's first
# signal.  Only after the window does a signal force the exit.
. "$(dirname "$0")/example-common.sh"

# Two SIGTERMs back to back, with the default window: one clean shutdown.
example_conf ""
example_start --cancel-ms 300
kill -TERM "$EX_PID"; sleep 0.005; kill -TERM "$EX_PID"
wait_exit "$EX_PID" 20
eq "two SIGTERMs 5 ms apart: exit code" "$RC" 0
eq "one shutdown" "$(count_records "$T/trace.jsonl" '.from=="RUNNING" and .state=="CANCELLING"')" 1
eq "no FORCE" "$(count_records "$T/trace.jsonl" '.event=="FORCE"')" 0
eq "state path" "$(state_path "$T/trace.jsonl")" "RUNNING>CANCELLING>CLOSING>JOINING>EXIT"

# The repeat certainly delivered (after the first was taken), inside a
# window wide enough for a loaded machine: refused, traced with the reason.
rm -f "$T/trace.jsonl"
example_conf "[shutdown]
duplicate_signal_ms = 20000"
example_start --cancel-ms 5000
kill -TERM "$EX_PID"
wait_until 10 has_record "$T/trace.jsonl" SIGTERM RUNNING CANCELLING || fail "no CANCELLING"
kill -TERM "$EX_PID"
wait_exit "$EX_PID" 20
eq "repeat within the window: exit code" "$RC" 0
eq "repeat traced as refused" "$(count_records "$T/trace.jsonl" '.event=="SIGTERM" and .detail.refused==true and (.detail.reason | test("duplicate_signal_ms"))')" 1
check "trace verifies" verify_trace "$T/trace.jsonl"

# FATAL began the shutdown: the first signal is not a second one.
rm -f "$T/trace.jsonl"
example_conf "[shutdown]
duplicate_signal_ms = 0"
example_start --fatal-after-ms 100 --cancel-ms 5000
wait_until 10 has_record "$T/trace.jsonl" FATAL RUNNING CANCELLING || fail "no FATAL"
kill -TERM "$EX_PID"
wait_exit "$EX_PID" 20
eq "signal after FATAL: FATAL's exit code" "$RC" 69
eq "signal after FATAL: refused as the first" "$(count_records "$T/trace.jsonl" '.event=="SIGTERM" and .detail.refused==true and (.detail.reason | test("FATAL"))')" 1
eq "no FORCE" "$(count_records "$T/trace.jsonl" '.event=="FORCE"')" 0

# After the window, a repeat forces the exit.
rm -f "$T/trace.jsonl"
example_conf "[shutdown]
duplicate_signal_ms = 200"
NOLEAK example_start --cancel-ms 8000
kill -TERM "$EX_PID"
wait_until 10 has_record "$T/trace.jsonl" SIGTERM RUNNING CANCELLING || fail "no CANCELLING"
sleep 0.3 # the window itself: a time, not a condition to wait on
kill -TERM "$EX_PID"
wait_exit "$EX_PID" 20
eq "repeat after the window: forced" "$RC" 143
check "FORCE traced" has_record "$T/trace.jsonl" FORCE CANCELLING EXIT
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
