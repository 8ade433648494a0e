#!/bin/bash
# The order snapshot tells the truth: after a 429 on the first listing it
# still holds every order (and the summary counts them); a forced exit
# before any listing returned still names the bot's orders, from its own
# placements; a clean run marks it settled, so the next start records no
# RECOVERY, while a forced one is recovered.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf
# Without the user stream: the faults below hit the listing CANCELLING
# makes first (from the book, it makes none).
sed -i 's/^\[exchange\]$/[exchange]\nuser_stream = off/' "$T/bot.ini"

bot_ids() { state '[.orders[] | select(.clientOrderId | startswith("gsb-")) | .clientOrderId] | sort'; }
# snapshot_names IDS: the snapshot names every one of IDS (a JSON array).
snapshot_names() {
	jq -e --argjson want "$1" \
		'[.orders[].clientOrderId] as $have | all($want[]; . as $w | $have | index($w) != null)' \
		"$T/state/open-orders.json" >/dev/null
}
recoveries() { count_records "$T/trace.jsonl" '.event=="RECOVERY"'; }

# A 429 on the first listing of CANCELLING (two armed: the strategy may
# take one just before the signal).
bot_running 8
ids=$(bot_ids)
eq "orders of the first run" "$(jq length <<<"$ids")" 8
faults "rate_limit_count=2&retry_after_s=1"
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "429 first: exit code" "$RC" 0
eq "429 first: bot orders left" "$(bot_orders)" 0
eq "429 first: orders found in the trace" "$(phase_figure CANCELLING orders_found)" 8
grep -q "orders       found 8, cancelled" "$T/bot.log" &&
	pass "429 first: the summary counts them" || fail "429 first: summary does not count 8"
grep -q "GET /api/v3/openOrders: HTTP 429" "$T/bot.log" &&
	pass "429 first: the listing was refused" || fail "429 first: no 429 seen"
check "429 first: the snapshot names every order" snapshot_names "$ids"
eq "clean run: snapshot settled" "$(jq .settled "$T/state/open-orders.json")" true
eq "clean run: when it settled" "$(jq '.settled_time_ms | type' "$T/state/open-orders.json")" '"number"'
eq "clean run: the settled snapshot's run" "$(jq -r .run "$T/state/open-orders.json")" \
	"$(records "$T/trace.jsonl" | jq -rs 'last | .run')"

# A clean run is not recovered from.  (This run ends forced, with _exit
# while finished workers are not joined: by design, so ThreadSanitizer's
# thread-leak report is off for it alone.)
before=$(recoveries)
TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}report_thread_leaks=0" bot_running 8
eq "after a clean run: no RECOVERY" "$(recoveries)" "$before"

# Forced before any listing returned: every request now outlasts the
# request timeout, and the second signal comes after the duplicate window.
ids=$(bot_ids)
faults "latency_ms=3000"
kill -TERM "$BOT_PID"
wait_until 10 has_record "$T/trace.jsonl" SIGTERM RUNNING CANCELLING ||
	fail "CANCELLING not entered"
sleep 1.5
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "forced: exit code" "$RC" 143
check "forced: the snapshot names every order" snapshot_names "$ids"
eq "forced: snapshot not settled" "$(jq .settled "$T/state/open-orders.json")" false
faults "latency_ms=0"
eq "forced: the orders still rest" "$(bot_orders)" 8

bot_running 8
eq "after a forced exit: RECOVERY" "$(recoveries)" $((before + 1))
eq "recovery read the snapshot" "$(last_detail "$T/trace.jsonl" RECOVERY snapshot_orders)" 8
eq "recovery found the orders" "$(last_detail "$T/trace.jsonl" RECOVERY orders_found)" 8
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "last run: exit code" "$RC" 0
eq "last run: bot orders left" "$(bot_orders)" 0
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
