#!/bin/bash
# A worker that ignores the stop flag: the join gives up at join_timeout_ms,
# the thread is named in the trace, and the process ends with 75.
. "$(dirname "$0")/example-common.sh"

example_conf "[shutdown]
join_timeout_ms = 400"
example_start --workers 3 --stuck
stop_timed "$EX_PID" 20
ms=$MS
eq "exit code with a stuck worker" "$RC" 75
[ "$ms" -ge 400 ] && pass "waited the join timeout ($ms ms)" || fail "exited after $ms ms, before the join timeout"
eq "stuck thread named" "$(jq -rs 'map(select(.from=="JOINING")) | last | .detail.not_joined | join(",")' "$T/trace.jsonl")" stuck
eq "others joined" "$(jq -rs 'map(select(.from=="JOINING")) | last | .detail.threads_joined' "$T/trace.jsonl")" 3
check "JOINING timed out" has_record "$T/trace.jsonl" PHASE_TIMEOUT JOINING EXIT
eq "EXIT summary code" "$(last_detail "$T/trace.jsonl" EXIT exit_code)" 75
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
