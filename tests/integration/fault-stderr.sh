#!/bin/bash
# Nobody reads the daemon's stderr (a terminal paused with Ctrl+S, a
# stalled journald): the pipe is full before it starts.  The log must not
# block any thread: the shutdown is clean and as quick as ever (well
# inside total_timeout_ms, so not the deadline timer's doing), and the
# trace counts the log lines that were dropped.
. "$(dirname "$0")/bot-common.sh"

TOTAL=15000
sim_start
bot_conf
mkfifo "$T/stderr.fifo"
exec 3<>"$T/stderr.fifo" # the reader that never reads
perl -e 'use Fcntl; sysopen(my $f, $ARGV[0], O_WRONLY | O_NONBLOCK) or die "$!";
	for my $n (4096, 512, 1) { while (defined syswrite($f, "x" x $n)) {} }' \
	"$T/stderr.fifo" || { fail "cannot fill the pipe"; finish; }

"$BOT" -c "$T/bot.ini" 2>"$T/stderr.fifo" &
BOT_PID=$!
PIDS+=("$BOT_PID")
wait_until 20 readies_at_least 1 || { fail "tradebotd never became ready"; finish; }
wait_until 20 orders_at_least 8 || fail "the grid never rested"
kill -USR1 "$BOT_PID" # a status line more, into the full pipe
stop_timed "$BOT_PID" 60
eq "stderr blocked: exit code" "$RC" 0
[ "$MS" -lt "$TOTAL" ] && pass "stderr blocked: not held up ($MS ms)" ||
	fail "stderr blocked: took $MS ms (total_timeout_ms $TOTAL)"
eq "stderr blocked: bot orders left" "$(bot_orders)" 0
dropped=$(last_detail "$T/trace.jsonl" EXIT log_lines_dropped)
[ "${dropped:-0}" -gt 0 ] 2>/dev/null && pass "dropped log lines counted ($dropped)" ||
	fail "no dropped log lines in EXIT ($dropped)"
check "trace verifies" verify_trace "$T/trace.jsonl"
exec 3<&-
finish
