#!/bin/bash
# The process gone after its EXIT record: tradebotd against exchange-sim
# on loopback (2 symbols x 4 orders), SIGTERM sent through a pidfd
# (tests/pidfd-stop.c, PIDFD_STOP_END=1), and the time from the trace's
# EXIT record (its mono_ns) to the moment the pidfd saw the process end,
# both on CLOCK_MONOTONIC: the teardown the user waits for after the
# shutdown is decided.  The target is 5 ms.  Prints each run, then the
# median and the worst.
#
#   bench/exit.sh [RUNS]      (make bench runs it from the build dir)
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/integration/bot-common.sh
. "$here/../tests/integration/bot-common.sh"
RUNS=${1:-5}

sim_start "weight_limit_1m = 100000000"
bot_conf
gaps=()
for ((run = 1; run <= RUNS; run++)); do
	bot_running 8
	read -r ms end_ns < <(PIDFD_STOP_END=1 pidfd_stop "$BOT_PID" 30)
	wait_exit "$BOT_PID" 30
	exit_ns=$(records "$T/trace.jsonl" |
		jq -rs 'map(select(.event=="EXIT")) | last | .mono_ns')
	if [ "$RC" != 0 ] || [ "$end_ns" = -1 ] || [ "$exit_ns" = null ]; then
		echo "run $run: exit $RC, no figure"; continue
	fi
	gap=$(awk -v a="$end_ns" -v b="$exit_ns" 'BEGIN { printf "%.2f", (a - b) / 1e6 }')
	gaps+=("$gap")
	printf 'run %d: signal -> gone %4d ms, EXIT record -> gone %6s ms, orders left %s\n' \
		"$run" "$ms" "$gap" "$(bot_orders)"
done
[ "${#gaps[@]}" -gt 0 ] || { echo "no run measured"; exit 1; }
printf '%s\n' "${gaps[@]}" | sort -g | awk '{ v[NR] = $1 } END {
	printf "EXIT record -> process gone: median %.2f ms, worst %.2f ms over %d runs (target 5 ms)\n",
		(NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[NR], NR }'
