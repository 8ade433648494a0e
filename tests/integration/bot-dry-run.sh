#!/bin/bash
# Dry run: market data flows and the grid lives in memory, but no order is
# ever sent; CANCELLING is still entered and traced as skipped with the
# count it would have cancelled; the stream still closes with 1000.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf
unset BINANCE_API_KEY BINANCE_API_SECRET   # dry run needs no credentials
bot_ready --dry-run
status_shows() {
	kill -USR1 "$BOT_PID"
	grep -q "orders_resting=8" "$T/bot.log"
}
wait_until 20 status_shows && pass "the in-memory grid holds 8 orders" ||
	fail "dry-run grid never filled"
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "orders ever sent" "$(state '.requests["POST /api/v3/order"] // 0')" 0
eq "cancels ever sent" "$(state '[.requests | to_entries[] | select(.key | startswith("DELETE"))] | length')" 0
eq "CANCELLING skipped" "$(phase_figure CANCELLING skipped)" true
eq "would have cancelled" "$(phase_figure CANCELLING would_cancel)" 8
eq "dry_run traced" "$(phase_figure CANCELLING dry_run)" true
check "closes were 1000" all_closes_1000
eq "START says dry_run" "$(jq -rs 'map(select(.event=="START")) | last | .detail.dry_run' "$T/trace.jsonl")" true
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
