#!/bin/bash
# A fleet on one IP: five daemons (one exchange-sim is one IP), each with
# weight_budget_pct = 5 of the 6,000 limit, its own prefix, state_dir and
# trace, start while the IP has already spent more than one share this
# minute.  Each holds its own spend to its share and the IP's figure only
# to the ceiling: they all start and trade (their grids rest).  Stopped at
# once, as a node drain does, all exit 0 with none of their orders left,
# nobody is answered 429, and the IP's peak weight of the minute stays
# below half the limit.  No message gives a count of -1.
. "$(dirname "$0")/bot-common.sh"

N=5
PREFIXES=(fa fb fc fd fe)
sim_start

# fleet_conf I: the configuration of daemon I in $T/I/.
fleet_conf() {
	local d="$T/$1"
	bot_conf_in "$d" "${PREFIXES[$1]}"
	sed -i -e 's/^orders_per_symbol = .*/orders_per_symbol = 2/' \
		-e 's/^request_timeout_ms = .*/request_timeout_ms = 3000\nweight_budget_pct = 5/' \
		"$d/bot.ini"
}
prefix_orders() { state ".by_prefix.${PREFIXES[$1]} // 0"; }
all_ready() {
	local i
	for i in $(seq 0 $((N - 1))); do
		[ "$(ready_count "$T/$i/trace.jsonl")" -ge 1 ] || return 1
	done
}
all_rest() {
	local i
	for i in $(seq 0 $((N - 1))); do
		[ "$(prefix_orders "$i")" -ge 4 ] || return 1
	done
}
# The simulator's weight figures (peak_1m: the most any one minute saw).
# (The 429 and 418 counts are the state's own keys, beside "weight": a
# count missing is -1, never a pass.)
weight() {
	case $1 in
	http_*) state ".$1 // -1" ;;
	*) state ".weight.$1 // 0" ;;
	esac
}

# The fleet starts in the minute the IP's earlier spend counts in (the
# exchange's minutes are whole minutes of its clock).
while [ "$(($(date +%s) % 60))" -gt 50 ]; do sleep 0.5; done
# The IP has spent 400 already (others on it): more than a share (300).
for i in $(seq 20); do
	curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/v3/exchangeInfo" || fail "exchangeInfo"
done
check "the IP spent more than a share before the fleet started ($(weight used_1m))" \
	test "$(weight used_1m)" -ge 300

PIDS_FLEET=()
for i in $(seq 0 $((N - 1))); do
	fleet_conf "$i"
	"${SIGHUP_DEFAULT[@]}" "$BOT" -c "$T/$i/bot.ini" 2>>"$T/bot-$i.log" &
	PIDS_FLEET+=($!)
	PIDS+=($!)
done
wait_until 60 all_ready || fail "not every daemon became ready"
wait_until 60 all_rest || fail "not every grid rests"
for i in $(seq 0 $((N - 1))); do
	check "daemon $i: started and trades ($(prefix_orders "$i") orders rest)" \
		test "$(prefix_orders "$i")" -ge 4
done

# Stopped at once: one SIGTERM each, back to back through pidfds, each
# timed from its signal to its end.
walls=$(pidfd_stop "$(IFS=,; echo "${PIDS_FLEET[*]}")" 30)
for i in $(seq 0 $((N - 1))); do
	wait_exit "${PIDS_FLEET[$i]}" 30
	eq "daemon $i: exit code" "$RC" 0
	wall=$(sed -n "$((i + 1))p" <<<"$walls")
	check "daemon $i: gone within its total_timeout_ms ($wall ms)" \
		test "$wall" -ge 0 -a "$wall" -lt 15000
	eq "daemon $i: orders left" "$(prefix_orders "$i")" 0
done
peak=$(weight peak_1m)
check "the IP's peak weight stays below half the limit ($peak of 6000)" \
	test "$peak" -lt 3000
eq "never answered 429" "$(weight http_429)" 0
eq "never banned" "$(weight http_418)" 0
if grep -h -- "-1 order" "$T"/bot-*.log; then
	fail "a message gave a count of -1"
else
	pass "no message gives a count of -1"
fi
for i in $(seq 0 $((N - 1))); do
	check "daemon $i: trace verifies" verify_trace "$T/$i/trace.jsonl"
done
finish
