#!/bin/bash
# A real Ctrl+C on a terminal: the kernel sends SIGINT (si_pid 0).  The
# trace keeps sender_pid 0 and says "sender": "kernel"; the log line and
# the summary say "the kernel (terminal)", not "pid 0"; the summary's
# phase column is aligned.
. "$(dirname "$0")/bot-common.sh"
command -v script >/dev/null || { echo "SKIP: script(1) not found"; exit 77; }

sim_start
bot_conf
mkfifo "$T/tty.in"
before=$(ready_count "$T/trace.jsonl")
# script(1) gives tradebotd a terminal; a ^C written to it is turned into
# SIGINT by the terminal's line discipline, as a keyboard's would be.
# The terminal signals its whole foreground process group: "exec" makes
# tradebotd the only process in it, whatever shell script(1) starts (dash
# does not exec a lone command, and would die of the SIGINT itself).
( script -qfec "exec '$BOT' -c '$T/bot.ini'" /dev/null <"$T/tty.in" \
	>"$T/tty.log" 2>&1; echo $? >"$T/tty.rc" ) &
PIDS+=("$!")
exec 3>"$T/tty.in"
if ! wait_until 20 readies_at_least $((before + 1)); then
	fail "tradebotd never became ready on the terminal"; cat "$T/tty.log"; finish
fi
PIDS+=("$(records "$T/trace.jsonl" | jq -rs 'map(select(.event=="START")) | last | .pid')")
wait_until 20 orders_at_least 8 || fail "the grid never rested"
printf '\003' >&3
wait_until 30 test -s "$T/tty.rc" || fail "tradebotd did not stop on ^C"
exec 3>&-
eq "exit code after ^C" "$(cat "$T/tty.rc")" 0
eq "bot orders left" "$(bot_orders)" 0
eq "sender_pid kept" "$(last_detail "$T/trace.jsonl" SIGINT sender_pid)" 0
eq "sender named" "$(last_detail "$T/trace.jsonl" SIGINT sender)" kernel
grep -q "Received shutdown signal (SIGINT). Initiating graceful shutdown... (sent by the kernel (terminal))" "$T/tty.log" &&
	pass "log line names the kernel" || { fail "log line"; cat "$T/tty.log"; }
grep -q "^ cause        SIGINT from the kernel (terminal)" "$T/tty.log" &&
	pass "summary names the kernel" || { fail "summary cause"; cat "$T/tty.log"; }
! grep -q "pid 0" "$T/tty.log" && pass "no \"pid 0\"" || fail "pid 0 printed"
cols=$(awk '/\[(CANCELLING|CLOSING|JOINING) [0-9]+ ms\]/ { print index($0, "[") }' "$T/tty.log" | sort -u)
eq "summary rows" "$(grep -cE '\[(CANCELLING|CLOSING|JOINING) [0-9]+ ms\]' "$T/tty.log")" 3
eq "phase column aligned" "$(echo "$cols" | wc -l)" 1
grep -q "running: 2 symbols, 4 orders each" "$T/tty.log" &&
	pass "plural counts" || fail "no running line"

# A signal from a process names its pid, in the log and the summary.
bot_ready
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code after kill" "$RC" 0
grep -q "(sent by pid $$, uid $(id -u))" "$T/bot.log" && pass "log names the pid" || fail "no pid in log"
grep -q "^ cause        SIGTERM from pid $$\$" "$T/bot.log" && pass "summary names the pid" || fail "no pid in summary"
eq "no sender member for a pid" "$(last_detail "$T/trace.jsonl" SIGTERM sender)" null
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
