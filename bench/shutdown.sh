#!/bin/bash
# Shutdown latency: exchange-sim with latency L injected on every REST
# reply, tradebotd resting K symbols x M orders; SIGTERM -> process exit
# wall time, the phases' durations from the trace, and the bot's orders
# left (must be 0).  The same runs with cancel_mode = per_order_sequential
# give the naive baseline side by side.
#
#   bench/shutdown.sh [RUNS]      (make bench runs it from the build dir)
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/integration/bot-common.sh
. "$here/../tests/integration/bot-common.sh"
RUNS=${1:-5}
OUT=${BENCH_OUT:-$top_builddir/bench-results}
mkdir -p "$OUT"

# one MODE L K M: one shutdown; prints "wall_ms cancel_ms close_ms join_ms left"
one() {
	local mode=$1 lat=$2 k=$3 m=$4 syms i start end
	syms=$(for ((i = 0; i < k; i++)); do printf 'S%02dUSDT,' "$i"; done)
	faults "latency_ms=0"
	bot_conf "[streams]
channels = bookTicker"
	sed -i "s/^symbols = .*/symbols = ${syms%,}/; s/^orders_per_symbol = .*/orders_per_symbol = $m/" "$T/bot.ini"
	sed -i "s/^cancel_timeout_ms = .*/cancel_timeout_ms = 300000/; s/^total_timeout_ms = .*/total_timeout_ms = 600000/; s/^request_timeout_ms = .*/request_timeout_ms = 10000/" "$T/bot.ini"
	[ "$mode" = seq ] && sed -i 's/^\[shutdown\]$/[shutdown]\ncancel_mode = per_order_sequential/' "$T/bot.ini"
	rm -f "$T/trace.jsonl"
	bot_running $((k * m)) >/dev/null
	faults "latency_ms=$lat"
	start=$(date +%s%N)
	kill -TERM "$BOT_PID"
	wait "$BOT_PID"
	end=$(date +%s%N)
	echo "$(( (end - start) / 1000000 )) $(phase_figure CANCELLING elapsed_ms) $(phase_figure CLOSING elapsed_ms) $(phase_figure JOINING elapsed_ms) $(bot_orders)"
}

# The benchmarks measure shutdown, not the exchange's limits: the
# simulator lists their symbols and lifts its weight and order limits.
bench_syms=$(for ((i = 0; i < 50; i++)); do printf 'S%02dUSDT, ' "$i"; done)
bench_sim="symbols = ${bench_syms%, }
weight_limit_1m = 100000000
order_limit_10s = 100000000
order_limit_1d = 100000000"
sim_start "tick_ms = 200
$bench_sim"
printf '%-6s %-9s %4s %6s %7s | %-31s | %-8s | %-6s\n' mode "K x M" L orders runs \
	"wall ms: median p99 min max" "cancel" "left"
for lat in 0 10 50; do
	for km in 1x10 20x10 20x50 50x40; do
		k=${km%x*}; m=${km#*x}
		for mode in auto seq; do
			# The naive baseline at 1,000+ orders takes minutes: skip it.
			if [ "$mode" = seq ] && [ $((k * m)) -gt 200 ]; then continue; fi
			runs=$RUNS; [ "$mode" = seq ] && runs=$(( RUNS < 3 ? RUNS : 3 ))
			: >"$OUT/$mode-$lat-$km.txt"
			for ((r = 0; r < runs; r++)); do
				one "$mode" "$lat" "$k" "$m" >>"$OUT/$mode-$lat-$km.txt"
			done
			read -r med p99 min max < <(cut -d' ' -f1 "$OUT/$mode-$lat-$km.txt" | sort -n | awk -f "$here/stats.awk")
			read -r cmed _ < <(cut -d' ' -f2 "$OUT/$mode-$lat-$km.txt" | sort -n | awk -f "$here/stats.awk")
			left=$(awk '{ s += $5 } END { print s + 0 }' "$OUT/$mode-$lat-$km.txt")
			printf '%-6s %-9s %4s %6s %7s | %6s %6s %6s %8s | %8s | %6s\n' \
				"$mode" "$km" "$lat" $((k * m)) "$runs" "$med" "$p99" "$min" "$max" "$cmed" "$left"
		done
	done
done
kill "$SIM_PID"
FAILS=0
