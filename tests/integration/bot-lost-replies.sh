#!/bin/bash
# 30 % of placement replies lost (the order is placed, its reply is a
# 503): a placement without a reply stays unknown until the exchange says
# what became of it, and its level is not placed again meanwhile.  Orders
# fill and the grid re-places them for a while; the simulator's open
# orders are read after every round of fills and at the end: never more
# than one order per grid level and side (2 levels a side here).  Then the
# stop leaves nothing, exit 0.
. "$(dirname "$0")/bot-common.sh"

# The most orders of the bot on one side of one symbol.
most_per_side() {
	state '[.orders[] | select(.clientOrderId | startswith("gsb-"))
		| "\(.symbol) \(.side)"] | group_by(.) | map(length) | max // 0'
}
posts_past() { [ "$(posts)" -gt "$1" ]; }
grid_whole() { [ "$(bot_orders)" -ge 8 ]; }

sim_start
bot_conf
bot_running 8
faults "place_reply_loss_rate=30"
worst=0
# Ten rounds, and more (up to 40) until at least 3 replies were lost: the
# loss is random, the test's subject must not be.
round=0
while round=$((round + 1)); [ "$round" -le 10 ] ||
	{ [ "$round" -le 40 ] && [ "$(state .placement_replies_lost)" -lt 3 ]; }; do
	before=$(posts)
	# Fill two of the bot's orders: the grid places their levels again.
	for cid in $(state '[.orders[] | select(.clientOrderId | startswith("gsb-"))][0:2][].clientOrderId'); do
		admin "fill?clientOrderId=$cid" >/dev/null
	done
	wait_until 20 posts_past "$before" || fail "round $round: nothing placed again"
	n=$(most_per_side)
	[ "$n" -le "$worst" ] || worst=$n
	# Until the grid is whole again (a level whose outcome is unknown
	# waits for its query), still never two orders for one level.
	wait_until 20 grid_whole || fail "round $round: the grid is not whole again"
	n=$(most_per_side)
	[ "$n" -le "$worst" ] || worst=$n
done
lost=$(state .placement_replies_lost)
check "placement replies were lost ($lost)" test "$lost" -ge 3
eq "the most orders on one side of a symbol while running (2 levels)" "$worst" 2
eq "the bot's orders at the end (the grid: 8)" "$(bot_orders)" 8
eq "the most orders on one side at the end" "$(most_per_side)" 2
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
eq "none undecided at the stop" "$(phase_figure CANCELLING placements_undecided)" 0
check "settled snapshot" \
	test "$(jq -r .settled "$T/state/open-orders.json")" = true
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
