#!/bin/bash
# A repeat SIGTERM is judged by when it was sent, not by when a held-up
# thread got to it: with every fsync of the trace stalled 1.1 s, a second
# SIGTERM 100 ms after the first (within duplicate_signal_ms = 1000) is
# the same request.  The shutdown is clean: exit 0, none of the bot's 8
# orders left, the repeat traced as refused, no FORCE (it was 143 with
# all 8 orders resting when the signal thread itself waited on the fsync).
. "$(dirname "$0")/bot-common.sh"
need_fault_shim

sim_start
bot_conf
sed -i 's/^total_timeout_ms = .*/total_timeout_ms = 25000/' "$T/bot.ini"
mapfile -t BOT_ENV < <(fault_env GS_FAULT_SYNC=stall:1100 GS_FAULT_SYNC_PATH=trace.jsonl)
bot_running 8
fault_arm
kill -TERM "$BOT_PID"
sleep 0.1 # the gap between the two signals: the scenario, not a wait
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 60
fault_disarm
eq "repeat SIGTERM during a trace stall: exit code" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
eq "no FORCE" "$(count_records "$T/trace.jsonl" '.event=="FORCE"')" 0
eq "the repeat refused as the same request" \
	"$(count_records "$T/trace.jsonl" '.event=="SIGTERM" and .detail.refused==true and (.detail.reason | test("duplicate_signal_ms"))')" 1
check "the trace's fsync was stalled" grep -q "fdatasync" "$T/fault.log"
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
