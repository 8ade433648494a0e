#!/bin/bash
# A fleet on one IP: ten tradebotd against one exchange-sim (one IP, one
# account, the strict default of 6,000 REQUEST_WEIGHT a minute), five
# symbols each (their own), each with its own client_order_prefix,
# state_dir and trace.  Two runs, each on a fresh simulator: every daemon
# at the default weight_budget_pct = 50, then at 5 (the share an operator
# sharing the IP would give each).
#
# Each run: all ten start at once (none may exit, none may print a count
# of -1); once every grid rests they hold for the steady-state window (at
# least WINDOW_S seconds, to the start of a fresh minute of the exchange's
# clock), then all ten are stopped at once: one SIGTERM each, sent back to
# back through pidfds (tests/pidfd-stop.c) a second into that minute, so
# the minute's REQUEST_WEIGHT is the stop's (and a second of holding), not
# start-up's.  Reported:
#   - weight per minute while holding: the IP's, as the simulator counted
#     it over the window (used_1m sampled each second), and each daemon's
#     own over its last minute (the trace's CANCELLING weight_running_1m),
#     against the 6,000 limit (target: <= 5 % each);
#   - the IP's weight in the minute of the stop (used_1m once all ten are
#     gone; target: below half the limit, 3,000), the stop's own share of
#     it, and the whole run's peak_1m (start-up included) beside it;
#   - 429 and 418 answers;
#   - each daemon's exit code, its shutdown wall time (signal -> process
#     ended, on its pidfd), the path CANCELLING took, its weight, and its
#     orders left on the exchange (target 0).
#
#   bench/fleet.sh [WINDOW_S]   (default 60; from the build dir:
#                                 top_builddir=. bash bench/fleet.sh)
#   PCTS="5" bench/fleet.sh     one run only
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/integration/bot-common.sh
. "$here/../tests/integration/bot-common.sh"
WINDOW_S=${1:-60}
PCTS=${PCTS:-50 5}
i=0 # (a global the EXIT trap of lib.sh may meet)
N=10
LIMIT=6000
PREFIXES=(fa fb fc fd fe ff fg fh fi fj)
OUT=${BENCH_OUT:-$top_builddir/bench-results}/fleet
mkdir -p "$OUT"
rm -f "$OUT"/*.txt

# sym I J: daemon I's J-th symbol.
sym() { printf 'F%dS%dUSDT' "$1" "$2"; }
syms_of() {
	local j s=
	for j in 0 1 2 3 4; do s="$s${s:+, }$(sym "$1" "$j")"; done
	echo "$s"
}
all_syms() {
	local i s=
	for ((i = 0; i < N; i++)); do s="$s${s:+, }$(syms_of "$i")"; done
	echo "$s"
}

fleet_conf() { # fleet_conf DIR I PCT
	bot_conf_in "$1" "${PREFIXES[$2]}"
	sed -i -e "s/^symbols = .*/symbols = $(syms_of "$2")/" \
		-e 's/^orders_per_symbol = .*/orders_per_symbol = 4/' \
		-e "s/^request_timeout_ms = .*/request_timeout_ms = 3000\nweight_budget_pct = $3/" \
		"$1/bot.ini"
}
# fig I KEY: a figure from daemon I's record leaving CANCELLING.
fig() {
	records "$d/$1/trace.jsonl" |
		jq -rs --arg k "$2" 'map(select(.from=="CANCELLING" and .state!="CANCELLING")) | last | .detail[$k]'
}
left() { state ".by_prefix.${PREFIXES[$1]} // 0"; }
used() { state '.weight.used_1m'; }
gone() { ! alive "$1"; }

# The simulator's minute: whole minutes of the wall clock (limits.c).
sec_of_minute() { echo $(($(date +%s) % 60)); }
minute_now() { echo $(($(date +%s) / 60)); }

one_run() {
	local pct=$1 d="$T/p$1" i pids=() csv ready_at rested t_end sum prev cur
	local secs u0 u1 m0 m1 peak spread lines
	# A fresh simulator: its counters (peak, 429, 418) are this run's.
	if [ -n "${SIM_PID:-}" ]; then kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null; fi
	sim_start "symbols = $(all_syms)"
	echo "== weight_budget_pct = $pct: $N daemons x 5 symbols x 4 orders, one IP (sim port $PORT)"
	for ((i = 0; i < N; i++)); do
		fleet_conf "$d/$i" "$i" "$pct"
	done
	for ((i = 0; i < N; i++)); do
		"${SIGHUP_DEFAULT[@]}" "$BOT" -c "$d/$i/bot.ini" 2>>"$d/bot-$i.log" &
		pids+=($!)
		PIDS+=($!)
	done
	# Start-up: every daemon ready and its grid resting; one that exits
	# meanwhile is reported, not waited for.
	all_up() {
		local k
		for ((k = 0; k < N; k++)); do
			alive "${pids[$k]}" || continue
			[ "$(ready_count "$d/$k/trace.jsonl")" -ge 1 ] || return 1
			[ "$(left "$k")" -ge 10 ] || return 1
		done
	}
	if ! wait_until 90 all_up; then
		echo "not every daemon became ready with its grid resting in 90 s"
	fi
	for ((i = 0; i < N; i++)); do
		if ! alive "${pids[$i]}"; then
			wait_exit "${pids[$i]}" 1
			echo "daemon $i exited during start-up: $RC"
		fi
	done
	if grep -h -- "-1 order" "$d"/bot-*.log; then
		echo "MISS: a message gave a count of -1"
	fi
	echo "start-up: all resting at $(date -u +%T); 429 so far $(state .http_429), 418 $(state .http_418)"

	# Hold: sample the IP's weight each second (its minute resets at a
	# rollover: the new minute's count is added) until WINDOW_S have
	# passed and a fresh minute is a second old.
	ready_at=$(date +%s)
	sum=0 secs=0
	prev=$(used)
	while :; do
		sleep 1
		cur=$(used)
		if [ "$cur" -ge "$prev" ]; then sum=$((sum + cur - prev)); else sum=$((sum + cur)); fi
		prev=$cur
		secs=$(($(date +%s) - ready_at))
		[ "$secs" -ge "$WINDOW_S" ] && [ "$(sec_of_minute)" -ge 1 ] &&
			[ "$(sec_of_minute)" -le 3 ] && break
	done
	echo "holding window: $secs s (weight sampled each second)"

	# Stop at once.
	m0=$(minute_now)
	u0=$(used)
	csv=$(IFS=,; echo "${pids[*]}")
	lines=$(pidfd_stop "$csv" 30)
	for ((i = 0; i < N; i++)); do
		wait_exit "${pids[$i]}" 30
		echo "$RC" >"$d/$i/rc"
	done
	u1=$(used)
	m1=$(minute_now)
	peak=$(state .weight.peak_1m)
	spread=$(sed -n 's/^spread_us //p' <<<"$lines")

	printf '\n%-7s %5s %7s %9s %8s %5s %6s %4s\n' daemon exit wall_ms path w_1m_run %limit w_stop left
	local wsum=0 wmax=0 worst=0 bad=0 leftsum=0 w wall rc path ws l
	for ((i = 0; i < N; i++)); do
		rc=$(cat "$d/$i/rc")
		wall=$(sed -n "$((i + 1))p" <<<"$lines")
		w=$(fig "$i" weight_running_1m)
		ws=$(fig "$i" weight_cancelling)
		path=$(fig "$i" path)
		l=$(left "$i")
		[ "$w" = null ] && w=0
		wsum=$((wsum + w))
		[ "$w" -gt "$wmax" ] && wmax=$w
		[ "$wall" -gt "$worst" ] && worst=$wall
		[ "$rc" = 0 ] || bad=$((bad + 1))
		leftsum=$((leftsum + l))
		printf '%-7s %5s %7s %9s %8s %5s %6s %4s\n' "${PREFIXES[$i]}" "$rc" "$wall" \
			"$path" "$w" "$(awk -v w="$w" -v l=$LIMIT 'BEGIN { printf "%.2f", w * 100 / l }')" \
			"$ws" "$l"
	done
	echo
	local ipmin
	ipmin=$((sum * 60 / secs))
	{
		echo "pct=$pct window_s=$secs"
		echo "holding, the IP (simulator): $ipmin per minute ($(awk -v w=$ipmin -v l=$LIMIT 'BEGIN { printf "%.2f", w * 100 / l }') % of $LIMIT)"
		echo "holding, the daemons' own last minute: together $wsum, per daemon mean $((wsum / N)), worst $wmax ($(awk -v w=$wmax -v l=$LIMIT 'BEGIN { printf "%.2f", w * 100 / l }') % of $LIMIT; target <= 5 %)"
		if [ "$m0" = "$m1" ]; then
			echo "the stop's minute: the IP's weight $u1 of $LIMIT (target < 3000), the stop's own $((u1 - u0)), signals spread over $spread us"
		else
			echo "the stop's minute: the minute rolled over during the stop (no figure); used_1m $u0 -> $u1"
		fi
		echo "the whole run's peak minute (start-up included): $peak"
		echo "429: $(state .http_429) (the daemons logged -1015, the account's ORDERS per 10 s: $(cat "$d"/bot-*.log | grep -c -- '-1015'); -1003, REQUEST_WEIGHT: $(cat "$d"/bot-*.log | grep -c -- '-1003')), 418: $(state .http_418)"
		echo "exit codes not 0: $bad; shutdown wall time worst $worst ms; orders left: $leftsum"
	} | tee "$OUT/pct-$pct.txt"
	# The verdicts.
	[ "$wmax" -le $((LIMIT * 5 / 100)) ] || echo "MISS: a daemon spent more than 5 % of the limit a minute while holding"
	[ "$m0" != "$m1" ] || [ "$u1" -lt $((LIMIT / 2)) ] || echo "MISS: the IP's weight in the stop's minute reached half the limit"
	[ "$bad" = 0 ] || echo "MISS: $bad daemon(s) exited non-zero"
	[ "$leftsum" = 0 ] || echo "MISS: $leftsum orders left"
	for ((i = 0; i < N; i++)); do
		verify_trace "$d/$i/trace.jsonl" || echo "daemon $i: the trace does not verify"
	done
	echo
}

echo "machine: $(nproc) cores, $(uname -srm); $(date -u '+%F %T') UTC"
for p in $PCTS; do one_run "$p"; done
