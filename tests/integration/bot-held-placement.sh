#!/bin/bash
# A placement held on its way to the exchange when SIGTERM comes, longer
# than the request's timeout: its outcome is unknown at the stop.  The
# daemon decides it before the verify listing (it lands before its
# timestamp + recvWindow passes, so the listing after that shows it) and
# nothing of the bot's rests once the held placement has landed.  Then
# the same with a CANCELLING phase too short to wait for the window: the
# exit says not settled (75), and the snapshot, not settled, names it.
# Last, a crash with the placement held: the next start's recovery waits
# until it can land no more.
. "$(dirname "$0")/bot-common.sh"

held() { state .placements_held; }
held_now() { [ "$(held)" -ge 1 ]; }
none_held() { [ "$(held)" = 0 ]; }

# stop_held: fill one order, so the grid re-places its level with the
# placement held; SIGTERM while it is on its way.  Sets HELD_CID when the
# held placement lands.
stop_held() {
	local cid
	faults "place_hold_ms=$1"
	cid=$(state '[.orders[] | select(.clientOrderId | startswith("gsb-"))][0].clientOrderId')
	admin "fill?clientOrderId=$cid" >/dev/null
	if ! wait_until 20 held_now; then
		fail "no placement held"; cat "$T/bot.log"; finish
	fi
	pass "a placement of the grid is held on its way"
	kill -TERM "$BOT_PID"
	wait_exit "$BOT_PID" 30
	# The held placement reaches the exchange after the exit, or not at
	# all: what rests is known only once it has.
	wait_until 20 none_held || fail "the held placement never arrived"
}

# 1. Time enough: decided, found by the listing and cancelled.  The
# window (recvWindow 5 s, a second's margin) passes about 6 s after the
# placement was sent; the phase keeps 2.5 s past that for the rest.
sim_start
bot_conf
sed -i -e 's/^cancel_timeout_ms = .*/cancel_timeout_ms = 10000/' "$T/bot.ini"
bot_running 8
stop_held 3000
eq "exit code" "$RC" 0
eq "bot orders left once the held placement arrived" "$(bot_orders)" 0
check "the unknown placement was counted at the stop" \
	test "$(phase_figure CANCELLING placements_unknown)" -ge 1
eq "none undecided" "$(phase_figure CANCELLING placements_undecided)" 0
# It lands within its window: its executionReport (the user stream)
# decides it; without the stream, the window's passing would.
eq "decided by its event" \
	"$(phase_figure CANCELLING placements_decided | jq -r '[.[].by] | join(",")')" event
eq "orders found (7 resting + the held one)" \
	"$(phase_figure CANCELLING orders_found)" 8
check "settled snapshot" \
	test "$(jq -r .settled "$T/state/open-orders.json")" = true
check "trace verifies" verify_trace "$T/trace.jsonl"

# 2. A phase too short for the window: not settled, and the snapshot
# names the order that lands after the exit.
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null
mv "$T/trace.jsonl" "$T/trace-1.jsonl"
mv "$T/bot.log" "$T/bot-1.log"
sim_start
bot_conf
sed -i -e 's/^cancel_timeout_ms = .*/cancel_timeout_ms = 3000/' "$T/bot.ini"
bot_running 8
stop_held 4500
eq "exit code (not settled)" "$RC" 75
eq "undecided at the deadline" "$(phase_figure CANCELLING placements_undecided)" 1
cid=$(phase_figure CANCELLING 'undecided_ids[0]')
check "the held order landed after the exit ($cid)" \
	test "$(state "[.orders[] | select(.clientOrderId == \"$cid\")] | length")" = 1
eq "snapshot not settled" "$(jq -r .settled "$T/state/open-orders.json")" false
eq "the snapshot names it" \
	"$(jq -r --arg c "$cid" '[.orders[] | select(.clientOrderId == $c)] | length' "$T/state/open-orders.json")" 1
check "trace verifies" verify_trace "$T/trace.jsonl"

# 3. A crash (SIGKILL) with a placement held: the next start waits until
# it can land no more before its recovery lists, so the order that lands
# is found and cancelled and the new grid is not one order too many.
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null
mv "$T/trace.jsonl" "$T/trace-2.jsonl"
mv "$T/bot.log" "$T/bot-2.log"
rm -f "$T/state/open-orders.json"
sim_start
bot_conf
bot_running 8
faults "place_hold_ms=3000"
cid=$(state '[.orders[] | select(.clientOrderId | startswith("gsb-"))][0].clientOrderId')
admin "fill?clientOrderId=$cid" >/dev/null
wait_until 20 held_now || { fail "no placement held"; finish; }
kill -KILL "$BOT_PID"
wait_exit "$BOT_PID" 10
faults "place_hold_ms=0"
bot_running 8
wait_until 20 none_held || fail "the held placement never arrived"
eq "recovery: undecided placements named by the snapshot" \
	"$(last_detail "$T/trace.jsonl" RECOVERY snapshot_undecided)" 1
# (How long it waited depends on how soon the restart came: on a loaded
# machine the window may have passed already.)
eq "recovery found the 7 left and the held one" \
	"$(last_detail "$T/trace.jsonl" RECOVERY orders_found)" 8
eq "the new grid, and nothing more" "$(bot_orders)" 8
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
finish
