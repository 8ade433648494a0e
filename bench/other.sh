#!/bin/bash
# Idle cost and memory of the daemon, and a shutdown with a stuck worker.
#   idle: 20 symbols x bookTicker (20 streams) for 10 s: CPU % of a core, RSS
#   peak: 20 symbols x 50 orders resting: peak RSS (VmHWM)
#   stuck: gs-example with one worker ignoring the flag, join_timeout_ms =
#          1000, 8 workers: total shutdown time (one timeout, not eight)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/integration/bot-common.sh"
. "$here/../tests/integration/example-common.sh"

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
kb() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }

# The benchmarks measure shutdown, not the exchange's limits: the
# simulator lists their symbols and lifts its weight and order limits.
bench_syms=$(for ((i = 0; i < 50; i++)); do printf 'S%02dUSDT, ' "$i"; done)
bench_sim="symbols = ${bench_syms%, }
weight_limit_1m = 100000000
order_limit_10s = 100000000
order_limit_1d = 100000000"
sim_start "tick_ms = 250
$bench_sim"
syms=$(for ((i = 0; i < 20; i++)); do printf 'S%02dUSDT,' "$i"; done)

bot_conf "[streams]
channels = bookTicker"
sed -i "s/^symbols = .*/symbols = ${syms%,}/; s/^orders_per_symbol = .*/orders_per_symbol = 50/" "$T/bot.ini"
bot_running 1000 >/dev/null
printf '%-40s %s\n' "peak RSS, 20 symbols x 50 orders:" "$(( $(kb "$BOT_PID" VmHWM) / 1024 )) MB"
kill -TERM "$BOT_PID"; wait "$BOT_PID"

bot_conf "[streams]
channels = bookTicker"
sed -i "s/^symbols = .*/symbols = ${syms%,}/; s/^orders_per_symbol = .*/orders_per_symbol = 2/" "$T/bot.ini"
sed -i 's/^dry_run = false/dry_run = true/' "$T/bot.ini"
bot_ready >/dev/null
sleep 2   # let the connection settle before measuring a steady state
c0=$(cpu_ticks "$BOT_PID"); t0=$(date +%s%N)
sleep 10  # the measurement window itself
c1=$(cpu_ticks "$BOT_PID"); t1=$(date +%s%N)
awk -v c=$((c1 - c0)) -v hz="$ticks" -v ns=$((t1 - t0)) \
	'BEGIN { printf "%-40s %.2f %% of a core\n", "idle CPU, 20 streams, 10 s:", 100 * c / hz / (ns / 1e9) }'
printf '%-40s %s\n' "RSS, idle with 20 streams:" "$(( $(kb "$BOT_PID" VmRSS) / 1024 )) MB"
kill -TERM "$BOT_PID"; wait "$BOT_PID"
kill "$SIM_PID"

rm -f "$T/trace.jsonl"
example_conf "[shutdown]
join_timeout_ms = 1000"
for r in 1 2 3; do
	example_start --workers 8 --stuck
	s=$(date +%s%N)
	kill -TERM "$EX_PID"; wait "$EX_PID"
	echo $(( ($(date +%s%N) - s) / 1000000 ))
done | sort -n | awk -f "$here/stats.awk" |
	awk '{ printf "%-40s median %s ms, min %s, max %s (join_timeout_ms = 1000)\n", "stuck worker of 9, total shutdown:", $1, $3, $4 }'
FAILS=0
