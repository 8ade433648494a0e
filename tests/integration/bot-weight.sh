#!/bin/bash
# The daemon is a good citizen of the exchange: against a tight request-
# weight limit, the weight it uses in any minute (as the simulator counts
# it) stays within weight_budget_pct of the limit while it runs, and it is
# never answered 429 -- running normally, with no prices at all, and with
# every placement refused by the filters.  A refused level is logged once,
# and READY, STATUS and the SIGUSR1 line say what is missing.
. "$(dirname "$0")/bot-common.sh"

PCT=50

# (The 429 and 418 counts are the state's own keys, beside "weight": a
# count missing is -1, never a pass.)
weight() {
	case $1 in
	http_*) state ".$1 // -1" ;;
	*) state ".weight.$1 // 0" ;;
	esac
}

# run_case NAME SECONDS [ORDERS]: start with the config as it is (and
# wait for ORDERS to rest), measure, stop.
run_case() {
	local peak
	bot_ready
	if [ $# -ge 3 ] && ! wait_until 20 orders_at_least "$3"; then
		fail "$1: the grid never rested"
	fi
	sleep "$2"   # the measuring window: time must pass for the weight to count
	peak=$(weight peak_1m)
	[ "$peak" -gt 0 ] && [ "$peak" -le "$BUDGET" ] &&
		pass "$1: weight within the budget while running ($peak of $BUDGET)" ||
		fail "$1: weight $peak, budget $BUDGET"
	kill -TERM "$BOT_PID"
	wait_exit "$BOT_PID" 30
	eq "$1: exit code" "$RC" 0
	eq "$1: bot orders left" "$(bot_orders)" 0
	eq "$1: never answered 429" "$(weight http_429)" 0
	eq "$1: never banned" "$(weight http_418)" 0
	[ "$(weight peak_1m)" -le "$LIMIT" ] && pass "$1: the shutdown stayed within the limit" ||
		fail "$1: shutdown weight $(weight peak_1m) over $LIMIT"
}

# fresh_sim LIMIT: a simulator of its own for each case.
fresh_sim() {
	LIMIT=$1
	BUDGET=$((LIMIT * PCT / 100))
	[ -n "${SIM_PID:-}" ] && { kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null; }
	sim_start "weight_limit_1m = $LIMIT"
	bot_conf
	sed -i "s/^request_timeout_ms = .*/request_timeout_ms = 2000\nweight_budget_pct = $PCT/" "$T/bot.ini"
	: >"$T/bot.log"
}

# Running normally: start-up spends 115 of the 170 at once (the recovery's
# account-wide listing is 80); the grid's refreshes (12 each) then reach
# the budget within the window and wait for it.  The shutdown (two 80-
# weight listings) still fits in the rest of the limit.
fresh_sim 340
run_case "normal" 15 8
grep -q "request weight: limit $LIMIT per 60 s" "$T/bot.log" &&
	pass "normal: the limit was read from exchangeInfo" || fail "normal: limit not read"

# No prices: nothing to place, nothing to list; backoff, not a tick.
fresh_sim 400
faults "stream_paused=1"
"$top_builddir/notify-listen" "$T/notify.sock" "$T/notify.out" &
PIDS+=($!)
wait_until 5 test -S "$T/notify.sock" || fail "listener did not start"
NOTIFY_SOCKET="$T/notify.sock" run_case "no prices" 8
grep -q "grid is not complete yet (no prices for BTCUSDT, ETHUSDT)" "$T/bot.log" &&
	pass "no prices: the log says what is missing" || fail "no prices: the log says nothing"
grep -q "^READY=1|STATUS=RUNNING, grid incomplete: no prices for BTCUSDT, ETHUSDT" "$T/notify.out" &&
	pass "no prices: READY's STATUS says what is missing" ||
	{ fail "no prices: READY's STATUS"; cat "$T/notify.out"; }

# Every placement refused by LOT_SIZE: logged once per level.
fresh_sim 400
sed -i 's/^order_quantity = .*/order_quantity = 0.00000001/' "$T/bot.ini"
bot_ready
sleep 6   # several backoff rounds pass
kill -USR1 "$BOT_PID"
wait_until 10 grep -q 'missing="placements refused: LOT_SIZE"' "$T/bot.log" &&
	pass "refused: the SIGUSR1 line says why" || { fail "refused: no reason in the status line"; grep -i status "$T/bot.log"; }
# While running (the shutdown may use the rest of the limit).
peak=$(weight peak_1m)
kill -TERM "$BOT_PID"; wait_exit "$BOT_PID" 30
eq "refused: exit code" "$RC" 0
eq "refused: each level logged once" "$(grep -c 'refused (LOT_SIZE)' "$T/bot.log")" 8
eq "refused: never answered 429" "$(weight http_429)" 0
[ "$peak" -le "$BUDGET" ] && pass "refused: weight within the budget ($peak of $BUDGET)" ||
	fail "refused: weight $peak, budget $BUDGET"
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
