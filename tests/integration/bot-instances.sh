#!/bin/bash
# Two daemons with one client_order_prefix on one account, each on a
# state_dir of its own (two hosts, as far as they can tell): each has its
# instance id, and neither cancels the other's orders, at its shutdown or
# at its start-up recovery after a kill -9; each logs and traces the
# other's orders as left alone.  A third start on a fresh state_dir with
# --recover-orphans cancels the orders an abandoned instance left.  The
# market is frozen once both grids rest, so no fill changes them.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf
# B: the same file but for its state_dir and trace.
sed -e "s|^state_dir = .*|state_dir = $T/state-b|" \
	-e "s|^path = .*|path = $T/trace-b.jsonl|" "$T/bot.ini" >"$T/b.ini"

# ids INSTANCE: the open orders of that instance, sorted, one line.
ids() {
	state "[.orders[] | select(.clientOrderId | startswith(\"gsb-$1-\"))
		| .clientOrderId] | sort | join(\" \")"
}
count() { state "[.orders[] | select(.clientOrderId | startswith(\"gsb-$1-\"))] | length"; }
count_is() { [ "$(count "$1")" = "$2" ]; }
b_ready() { [ "$(ready_count "$T/trace-b.jsonl")" -ge "$1" ]; }
# b_start [ARGS]: start B and wait for READY and its 8 orders.
b_start() {
	local before
	before=$(ready_count "$T/trace-b.jsonl")
	"$BOT" -c "$T/b.ini" "$@" 2>>"$T/b.log" &
	B_PID=$!
	PIDS+=("$B_PID")
	wait_until 120 b_ready $((before + 1)) || { fail "B never became ready"; cat "$T/b.log"; finish; }
}

bot_running 8
b_start
A=$(cat "$T/state/instance")
B=$(cat "$T/state-b/instance")
check "each state_dir has its instance id ($A, $B)" test -n "$A" -a -n "$B" -a "$A" != "$B"
wait_until 60 count_is "$B" 8 || fail "B's 8 orders never rested"
faults market_frozen=1
wait_until 30 count_is "$A" 8 || fail "A's grid not whole once frozen"
wait_until 30 count_is "$B" 8 || fail "B's grid not whole once frozen"
check "client order ids: gsb-<instance>-<seq>, 36 characters at most" \
	test "$(state '[.orders[].clientOrderId | select(test("^gsb-[0-9a-z]{6}-[0-9a-z]+$") and length <= 36)] | length')" = 16
b_ids=$(ids "$B")
whole0=$(state '.requests["DELETE /api/v3/openOrders"] // 0')

# A stops: its orders go, B's all rest; no whole-symbol cancel (each
# symbol holds B's orders).
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "A's shutdown: exit code" "$RC" 0
eq "A's shutdown: A's orders left" "$(count "$A")" 0
eq "A's shutdown: B's orders all rest" "$(ids "$B")" "$b_ids"
eq "A's shutdown: no symbol cancelled whole" \
	"$(state '.requests["DELETE /api/v3/openOrders"] // 0')" "$whole0"
eq "A's shutdown: B's orders traced as left alone" \
	"$(phase_figure CANCELLING orphans_untouched)" 8
check "A's shutdown: their ids traced" test \
	"$(phase_figure CANCELLING 'orphan_ids | sort | join(" ")')" = "$b_ids"
grep -q "8 orders of another instance of prefix gsb- left alone" "$T/bot.log" &&
	pass "A's shutdown: logged" || { fail "not logged"; cat "$T/bot.log"; }

# A again, killed: its next start recovers its own orders, not B's.
bot_running 8
eq "B's orders all rest" "$(ids "$B")" "$b_ids"
kill -KILL "$BOT_PID"
wait_exit "$BOT_PID" 10
eq "A killed: its orders rest" "$(count "$A")" 8
bot_ready
eq "A's recovery: its 8 orders found" "$(last_detail "$T/trace.jsonl" RECOVERY orders_found)" 8
eq "A's recovery: none of its own left" "$(last_detail "$T/trace.jsonl" RECOVERY orders_remaining)" 0
eq "A's recovery: B's traced as left alone" "$(last_detail "$T/trace.jsonl" RECOVERY orphans_untouched)" 8
eq "A's recovery: B's orders all rest" "$(ids "$B")" "$b_ids"

# B abandoned (killed, its state_dir gone with its host), A stopped: B's
# orders are orphans.
kill -KILL "$B_PID"
wait_exit "$B_PID" 10
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "A stopped again: exit code" "$RC" 0
eq "A stopped again: A's orders left" "$(count "$A")" 0
eq "orphans of the abandoned B" "$(count "$B")" 8

# A third instance on a fresh state_dir, with --recover-orphans.
sed -e "s|^state_dir = .*|state_dir = $T/state-c|" \
	-e "s|^path = .*|path = $T/trace-c.jsonl|" "$T/bot.ini" >"$T/c.ini"
"$BOT" -c "$T/c.ini" --recover-orphans 2>>"$T/c.log" &
C_PID=$!
PIDS+=("$C_PID")
c_ready() { [ "$(ready_count "$T/trace-c.jsonl")" -ge 1 ]; }
wait_until 120 c_ready || { fail "C never became ready"; cat "$T/c.log"; finish; }
eq "--recover-orphans: B's orders cancelled" "$(count "$B")" 0
eq "--recover-orphans: traced" "$(last_detail "$T/trace-c.jsonl" RECOVERY orders_found)" 8
eq "--recover-orphans: none left" "$(last_detail "$T/trace-c.jsonl" RECOVERY orders_remaining)" 0
kill -TERM "$C_PID"
wait_exit "$C_PID" 30
eq "C: exit code" "$RC" 0
eq "no order of the prefix left" "$(bot_orders)" 0
for t in trace trace-b trace-c; do
	check "$t verifies" verify_trace "$T/$t.jsonl"
done
finish
