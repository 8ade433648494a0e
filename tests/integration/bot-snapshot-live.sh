#!/bin/bash
# The order snapshot is on disk while the daemon runs: each placement is
# recorded before it is sent, so a daemon killed with SIGKILL mid-run
# leaves a state_dir/open-orders.json naming every order of the bot that
# rests on the exchange, and the next start recovers them from it; a
# shutdown whose every request hangs (the listing never answers) leaves a
# snapshot naming them too.  A disk too slow to name a placement in time
# gets it held, never sent unrecorded.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf
sed -i 's/^cancel_timeout_ms = .*/cancel_timeout_ms = 3000/' "$T/bot.ini"

# The bot's orders resting on the exchange, and those the snapshot names.
resting_ids() { state '[.orders[] | select(.clientOrderId | startswith("gsb-")) | .clientOrderId] | sort'; }
snapshot_ids() { jq -c '[.orders[].clientOrderId] | sort' "$T/state/open-orders.json"; }
# covers WANT HAVE: every id of WANT is in HAVE (JSON arrays).
covers() {
	jq -ne --argjson w "$1" --argjson h "$2" \
		'all($w[]; . as $x | $h | index($x) != null)' >/dev/null
}
recoveries() { count_records "$T/trace.jsonl" '.event=="RECOVERY"'; }

# SIGKILL once the grid rests, after a few of the strategy's rounds.
bot_running 8
sleep 1
kill -KILL "$BOT_PID"
wait "$BOT_PID" 2>/dev/null
eq "kill -9: killed" "$?" 137
want=$(resting_ids)
have=$(snapshot_ids)
check "kill -9: orders rest ($(jq length <<<"$want"))" test "$(jq length <<<"$want")" -ge 8
check "kill -9: the snapshot names every order resting ($(jq length <<<"$have") named)" \
	covers "$want" "$have"
eq "kill -9: the snapshot is not settled" "$(jq .settled "$T/state/open-orders.json")" false
eq "kill -9: the snapshot is this run's" "$(jq -r .run "$T/state/open-orders.json")" \
	"$(records "$T/trace.jsonl" | jq -rs 'last | .run')"

before=$(recoveries)
bot_running 8
eq "next start: RECOVERY" "$(recoveries)" $((before + 1))
eq "recovery read the snapshot" "$(last_detail "$T/trace.jsonl" RECOVERY snapshot_orders)" \
	"$(jq length <<<"$have")"
check "recovery found the orders" \
	test "$(last_detail "$T/trace.jsonl" RECOVERY orders_found)" -ge "$(jq length <<<"$want")"

# A shutdown whose listing hangs: every REST request now hangs, so
# CANCELLING lists nothing and times out; the snapshot on disk is the one
# written while running.
sleep 1
want=$(resting_ids)
faults "hang_rate=100"
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
check "hung listing: not a clean exit ($RC)" test "$RC" != 0 -a "$RC" != timeout
faults "hang_rate=0"
check "hung listing: the listing never answered" \
	test "$(phase_figure CANCELLING orders_remaining)" = null
have=$(snapshot_ids)
check "hung listing: the snapshot names every order resting ($(jq length <<<"$have") named, $(jq length <<<"$want") rest)" \
	covers "$want" "$have"
check "hung listing: orders still rest" test "$(jq length <<<"$want")" -ge 8
eq "hung listing: the snapshot is not settled" "$(jq .settled "$T/state/open-orders.json")" false

# The last run: recovery, then a disk that stalls the snapshot's every
# fsync (3 s, longer than a placement waits for it) from the start: no
# order is placed that the disk does not name, the log says why, and once
# the disk answers again the grid rests; then a clean shutdown.
if [ -f "$FAULT_SO" ]; then
	mapfile -t BOT_ENV < <(fault_env GS_FAULT_SYNC=stall:3000 GS_FAULT_SYNC_PATH=open-orders)
	fault_arm
	bot_ready
	if wait_until 30 grep -q "placements held: the order snapshot is not on disk" "$T/bot.log"; then
		pass "stalled disk: placements held, and the log says why"
	else
		fail "stalled disk: no placement held"
	fi
	eq "stalled disk: nothing of the bot's rests" "$(bot_orders)" 0
	fault_disarm
	BOT_ENV=()
	wait_until 60 orders_at_least 8 && pass "disk back: the grid rests" ||
		fail "disk back: the grid never rested"
else
	echo "note: no fault shim, the stalled disk is not tried"
	bot_running 8
fi
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "last run: exit code" "$RC" 0
eq "last run: bot orders left" "$(bot_orders)" 0
eq "last run: the snapshot is settled" "$(jq .settled "$T/state/open-orders.json")" true
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
