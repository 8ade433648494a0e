#!/bin/bash
# FATAL from a component shuts down with the code it asked for; a phase
# that overruns its deadline degrades the exit to 75; a phase that hangs
# past total_timeout_ms ends the process with DEADLINE and 70.
. "$(dirname "$0")/example-common.sh"

example_conf ""
example_start --fatal-after-ms 50
wait_exit "$EX_PID" 20
eq "exit code after FATAL" "$RC" 69
check "FATAL traced" has_record "$T/trace.jsonl" FATAL RUNNING CANCELLING
check "trace verifies" verify_trace "$T/trace.jsonl"

rm -f "$T/trace.jsonl"
example_conf "[shutdown]
cancel_timeout_ms = 200"
example_start --cancel-ms 5000
kill -TERM "$EX_PID"
wait_exit "$EX_PID" 20
eq "exit code after a phase timeout" "$RC" 75
check "PHASE_TIMEOUT traced" has_record "$T/trace.jsonl" PHASE_TIMEOUT CANCELLING CLOSING
eq "state path" "$(state_path "$T/trace.jsonl")" "RUNNING>CANCELLING>CLOSING>JOINING>EXIT"

rm -f "$T/trace.jsonl"
example_conf "[shutdown]
cancel_timeout_ms = 100
close_timeout_ms = 100
join_timeout_ms = 100
total_timeout_ms = 600"
NOLEAK example_start --hang-cancel
kill -TERM "$EX_PID"
wait_exit "$EX_PID" 20
eq "exit code at the total deadline" "$RC" 70
check "DEADLINE traced" has_record "$T/trace.jsonl" DEADLINE CANCELLING EXIT
eq "EXIT summary code" "$(last_detail "$T/trace.jsonl" EXIT exit_code)" 70
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
