#!/bin/bash
# A full daemon run under valgrind memcheck, clean path: start, rest the
# grid, SIGTERM, cancel, close, join, exit 0, with no memory errors and
# no definite leaks.
. "$(dirname "$0")/bot-common.sh"

if [ -n "${SAN_CFLAGS:-}" ] || ! command -v valgrind >/dev/null; then
	echo "skipped: needs valgrind and a build without sanitizers"
	exit 77
fi
sim_start
bot_conf
sed -i 's/^request_timeout_ms = .*/request_timeout_ms = 10000/' "$T/bot.ini"
libtool=$top_builddir/libtool
$libtool --mode=execute valgrind --quiet --error-exitcode=99 \
	--leak-check=full --errors-for-leak-kinds=definite \
	--log-file="$T/valgrind.log" "$BOT" -c "$T/bot.ini" 2>>"$T/bot.log" &
BOT_PID=$!
PIDS+=("$BOT_PID")
wait_until 60 orders_at_least 8 || { fail "grid never rested under valgrind"; finish; }
wait_until 30 readies_at_least 1 || fail "never ready"
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 120
eq "exit code under valgrind (99 = memory errors or leaks)" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
[ ! -s "$T/valgrind.log" ] && pass "valgrind reported nothing" ||
	{ fail "valgrind report"; head -40 "$T/valgrind.log"; }
finish
