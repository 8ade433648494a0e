#!/bin/bash
# SIGTERM: the whole state machine in order, exit 0, every worker joined,
# the sender recorded, and a trace that verifies.
. "$(dirname "$0")/example-common.sh"

example_conf ""
example_start --workers 6
kill -TERM "$EX_PID"
wait_exit "$EX_PID" 20; rc=$RC
eq "exit code after SIGTERM" "$rc" 0
eq "state path" "$(state_path "$T/trace.jsonl")" \
	"RUNNING>CANCELLING>CLOSING>JOINING>EXIT"
eq "sender pid recorded" "$(last_detail "$T/trace.jsonl" SIGTERM sender_pid)" "$$"
eq "threads joined" "$(jq -rs 'map(select(.from=="JOINING")) | last | .detail.threads_joined' "$T/trace.jsonl")" 6
eq "cancel figures traced" "$(jq -rs 'map(select(.from=="CANCELLING" and .state=="CLOSING")) | last | .detail.orders_cancelled' "$T/trace.jsonl")" 3
eq "EXIT summary code" "$(last_detail "$T/trace.jsonl" EXIT exit_code)" 0
check "trace verifies" verify_trace "$T/trace.jsonl"
grep -q "Received shutdown signal (SIGTERM). Initiating graceful shutdown..." "$T/example.log" \
	&& pass "log names the signal" || fail "log line missing"

# SIGINT and SIGQUIT start the same shutdown; a second run chains on.
example_start
kill -INT "$EX_PID"
wait_exit "$EX_PID" 20
eq "exit code after SIGINT" "$RC" 0
example_start
kill -QUIT "$EX_PID"
wait_exit "$EX_PID" 20
eq "exit code after SIGQUIT" "$RC" 0
eq "runs in one trace" "$(count_records "$T/trace.jsonl" '.event=="START"')" 3
check "three runs verify as one chain" verify_trace "$T/trace.jsonl"

# SIGUSR1 logs a status line and changes nothing.
example_start
kill -USR1 "$EX_PID"
wait_until 10 grep -q "status: state=RUNNING" "$T/example.log" \
	&& pass "SIGUSR1 status line" || fail "no status line"
kill -TERM "$EX_PID"
wait_exit "$EX_PID" 20
eq "exit code after USR1 then TERM" "$RC" 0
finish
