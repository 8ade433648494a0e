#!/bin/bash
# A second signal during a slow phase forces exit 128+n (FORCE traced);
# with on_second_signal = ignore it is refused and the shutdown completes.
# (duplicate_signal_ms = 0: every repeat is a second signal; the window
# has its own test, example-duplicate.sh.)
. "$(dirname "$0")/example-common.sh"

example_conf "[shutdown]
duplicate_signal_ms = 0"
NOLEAK example_start --cancel-ms 8000
kill -INT "$EX_PID"
wait_until 10 has_record "$T/trace.jsonl" SIGINT RUNNING CANCELLING || fail "no CANCELLING"
kill -INT "$EX_PID"
wait_exit "$EX_PID" 20
eq "forced exit code" "$RC" 130
check "FORCE traced" has_record "$T/trace.jsonl" FORCE CANCELLING EXIT
eq "EXIT summary code" "$(last_detail "$T/trace.jsonl" EXIT exit_code)" 130
check "trace verifies" verify_trace "$T/trace.jsonl"

rm -f "$T/trace.jsonl"
example_conf "[shutdown]
duplicate_signal_ms = 0
on_second_signal = ignore"
example_start --cancel-ms 3000
kill -TERM "$EX_PID"
wait_until 10 has_record "$T/trace.jsonl" SIGTERM RUNNING CANCELLING || fail "no CANCELLING"
kill -TERM "$EX_PID"
wait_exit "$EX_PID" 20
eq "exit code with ignore" "$RC" 0
eq "second signal refused" "$(count_records "$T/trace.jsonl" '.event=="SIGTERM" and .detail.refused==true')" 1
eq "state path" "$(state_path "$T/trace.jsonl")" "RUNNING>CANCELLING>CLOSING>JOINING>EXIT"
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
