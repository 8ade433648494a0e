#!/bin/bash
# A worker that cannot start (pthread_create refused, as under a tight
# ulimit -v) is not ignored: a start that is not whole never says READY
# (neither READY=1 to the service manager nor a READY record), the log
# names the thread, the shutdown that follows cancels whatever was placed
# and closes what was opened, and the exit code is 71 (EX_OSERR).  The
# fault shim refuses the threads gs_worker_add starts, after the first
# SKIP of them: the pool (0 started), market data (1), the snapshot
# writer (2), the strategy (3).
. "$(dirname "$0")/bot-common.sh"
need_fault_shim

"$top_builddir/notify-listen" "$T/notify.sock" "$T/notify.out" &
PIDS+=($!)
wait_until 5 test -S "$T/notify.sock" || fail "listener did not start"
sim_start
bot_conf

run_case() { # NAME SKIP THREAD
	local name=$1
	: >"$T/notify.out"
	: >"$T/bot.log"
	rm -f "$T/fault.log"
	mapfile -t BOT_ENV < <(fault_env GS_FAULT_THREAD=fail:11 \
		GS_FAULT_THREAD_CALLER=gs_worker_add GS_FAULT_THREAD_SKIP="$2")
	fault_arm
	NOTIFY_SOCKET="$T/notify.sock" bot_start
	wait_exit "$BOT_PID" 60
	fault_disarm
	BOT_ENV=()
	eq "$name: exit code" "$RC" 71
	eq "$name: threads refused" "$(faults_applied pthread_create)" 1
	grep -q "cannot start the $3 thread: Resource temporarily unavailable" "$T/bot.log" &&
		pass "$name: the log names the thread" ||
		{ fail "$name: no clear error"; cat "$T/bot.log"; }
	grep -q "^READY=1" "$T/notify.out" && fail "$name: READY=1 sent" ||
		pass "$name: no READY=1"
	eq "$name: READY records of the run" "$(records "$T/trace.jsonl" |
		jq -s '(map(select(.event=="START")) | last | .run) as $r
			| map(select(.run==$r and .event=="READY")) | length')" 0
	eq "$name: the trace's exit code" "$(last_detail "$T/trace.jsonl" EXIT exit_code)" 71
	eq "$name: bot orders left" "$(bot_orders)" 0
	grep -q "exit code    71 (a thread could not be started)" "$T/bot.log" &&
		pass "$name: the summary says why" || fail "$name: no summary"
}

run_case "pool refused" 0 pool
run_case "market data refused" 1 lws
run_case "user stream refused" 2 ustream
run_case "snapshot writer refused" 3 snapshot
run_case "strategy refused" 4 strategy
eq "nothing was ever placed" "$(state '.requests["POST /api/v3/order"] // 0')" 0

# Orders an earlier run left are cancelled at start-up before any worker
# starts, so a start refused later still leaves none of the bot's.
bot_running 8
kill -KILL "$BOT_PID"
wait_exit "$BOT_PID" 10
eq "orphans of the killed run" "$(bot_orders)" 8
run_case "strategy refused after a crash" 4 strategy
check "recovery cancelled the orphans" has_record "$T/trace.jsonl" RECOVERY RUNNING RUNNING
check "trace verifies" verify_trace "$T/trace.jsonl"
finish
