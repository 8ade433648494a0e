#!/bin/bash
# A storm of 1000 SIGTERMs yields exactly one shutdown: with
# on_second_signal = ignore it completes with 0; with force it is one
# shutdown that one FORCE ends with 143.  Signals sent while one is still
# pending coalesce, so the storm's tail is sent once the first was taken
# (CANCELLING traced): then at least one more is certainly delivered.
. "$(dirname "$0")/example-common.sh"

storm() {
	kill -TERM "$EX_PID"
	wait_until 10 has_record "$T/trace.jsonl" SIGTERM RUNNING CANCELLING ||
		fail "first SIGTERM not taken"
	for _ in $(seq 999); do kill -TERM "$EX_PID" 2>/dev/null; done
}

example_conf "[shutdown]
duplicate_signal_ms = 0
on_second_signal = ignore"
example_start --cancel-ms 3000
storm
wait_exit "$EX_PID" 20
eq "exit code after the storm (ignore)" "$RC" 0
eq "one shutdown started" "$(count_records "$T/trace.jsonl" '.from=="RUNNING" and .state=="CANCELLING"')" 1
eq "one EXIT" "$(count_records "$T/trace.jsonl" '.event=="EXIT"')" 1
refused=$(count_records "$T/trace.jsonl" '.event=="SIGTERM" and .detail.refused==true')
[ "$refused" -ge 1 ] && pass "later signals refused and traced ($refused)" ||
	fail "no refused SIGTERM traced"
check "trace verifies" verify_trace "$T/trace.jsonl"

rm -f "$T/trace.jsonl"
example_conf "[shutdown]
duplicate_signal_ms = 0"
NOLEAK example_start --cancel-ms 8000
storm
wait_exit "$EX_PID" 20
eq "exit code after the storm (force)" "$RC" 143
eq "one shutdown started" "$(count_records "$T/trace.jsonl" '.from=="RUNNING" and .state=="CANCELLING"')" 1
eq "one FORCE" "$(count_records "$T/trace.jsonl" '.event=="FORCE"')" 1
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
