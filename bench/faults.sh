#!/bin/bash
# Signal-to-exit time under each injected fault of the machine, against
# total_timeout_ms: tradebotd (2 symbols x 4 orders) against exchange-sim,
# the fault armed just before SIGTERM through the LD_PRELOAD shim
# (tests/fault/fault.c).  Prints, per fault: runs, exit codes seen, wall
# ms (median, max) and the bot's orders left.
#
#   bench/faults.sh [RUNS] [TOTAL_MS]     (make bench runs it)
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/integration/bot-common.sh
. "$here/../tests/integration/bot-common.sh"
RUNS=${1:-3}
TOTAL=${2:-3000}
[ -f "$FAULT_SO" ] || { echo "no $FAULT_SO: make check builds it"; exit 1; }

# Many starts within a minute: the exchange's weight window is not what
# this measures.
sim_start "weight_limit_1m = 100000000"
conf() {
	bot_conf "$1"
	sed -i "s/^request_timeout_ms = .*/request_timeout_ms = 1000/;
		s/^cancel_timeout_ms = .*/cancel_timeout_ms = $((TOTAL / 2))/;
		s/^close_timeout_ms = .*/close_timeout_ms = $((TOTAL / 6))/;
		s/^join_timeout_ms = .*/join_timeout_ms = $((TOTAL / 6))/;
		s/^total_timeout_ms = .*/total_timeout_ms = $TOTAL/" "$T/bot.ini"
}

# one NAME STDERR FAULT-ENV...: one shutdown; prints "ms code left"
one() {
	local err=$2
	shift 2
	mapfile -t BOT_ENV < <(fault_env "$@")
	if [ "$err" = blocked ]; then
		env "${BOT_ENV[@]}" "$BOT" -c "$T/bot.ini" 2>"$T/stderr.fifo" &
		BOT_PID=$!
		PIDS+=("$BOT_PID")
		wait_until 60 readies_at_least $(( $(ready_count "$T/trace.jsonl") + 1 ))
		wait_until 60 orders_at_least 8
	else
		bot_running 8 >/dev/null
	fi
	fault_arm
	stop_timed "$BOT_PID" 120
	fault_disarm
	echo "$MS $RC $(bot_orders)"
	if [ "$(bot_orders)" != 0 ]; then # leave nothing for the next run
		BOT_ENV=()
		bot_running 8 >/dev/null
		kill -TERM "$BOT_PID"; wait_exit "$BOT_PID" 60
	fi
}

mkfifo "$T/stderr.fifo"
exec 3<>"$T/stderr.fifo"
perl -e 'use Fcntl; sysopen(my $f, $ARGV[0], O_WRONLY | O_NONBLOCK) or die;
	for my $n (4096, 512, 1) { while (defined syswrite($f, "x" x $n)) {} }' "$T/stderr.fifo"

printf 'total_timeout_ms = %d, %d runs each\n' "$TOTAL" "$RUNS"
printf '%-34s | %-10s | %-17s | %s\n' fault "exit codes" "wall ms: med max" "orders left"
run() { # NAME STDERR FAULT-ENV...
	local name=$1 i
	: >"$T/bench.txt"
	for ((i = 0; i < RUNS; i++)); do
		one "$@" >>"$T/bench.txt"
	done
	read -r med _ _ max < <(cut -d' ' -f1 "$T/bench.txt" | sort -n | awk -f "$here/stats.awk")
	printf '%-34s | %-10s | %8s %8s | %s\n' "$name" \
		"$(cut -d' ' -f2 "$T/bench.txt" | sort -u | tr '\n' ' ')" "$med" "$max" \
		"$(awk '{ s += $3 } END { print s + 0 }' "$T/bench.txt")"
}
conf ""
run "none" file
run "trace fdatasync 8 s" file GS_FAULT_SYNC=stall:8000 GS_FAULT_SYNC_PATH=trace.jsonl
run "trace write 8 s" file GS_FAULT_WRITE=stall:8000 GS_FAULT_WRITE_PATH=trace.jsonl
run "every fsync/fdatasync 8 s" file GS_FAULT_SYNC=stall:8000
run "stderr pipe full" blocked
run "stderr file, every write 8 s" file GS_FAULT_WRITE=stall:8000 GS_FAULT_WRITE_FD=2
printf '[log]\nfile = %s\n' "$T/daemon.log" >>"$T/bot.ini"
run "log file, every write 8 s" file GS_FAULT_WRITE=stall:8000 GS_FAULT_WRITE_PATH=daemon.log
conf ""
sed -i "s|^rest_url = .*|rest_url = http://localhost:$PORT|; s|^ws_url = .*|ws_url = ws://localhost:$PORT|" "$T/bot.ini"
run "getaddrinfo 20 s (host names)" file GS_FAULT_GAI=stall:20000
exec 3<&-
kill "$SIM_PID"
FAILS=0
