#!/bin/bash
# One daemon per state_dir: a second tradebotd started on the state_dir
# of a running one (its own trace) exits 78 naming the first one's pid,
# before it touches the snapshot or the exchange, dry run or not; the
# first one runs on and stops clean.  --check-config takes no lock.  The
# lock dies with its holder: the next start on the state_dir runs, with
# the instance id the state_dir keeps.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf
bot_running 8
first=$BOT_PID
sed "s|^path = .*|path = $T/second-trace.jsonl|" "$T/bot.ini" >"$T/second.ini"

# second [ARGS]: start a second daemon on the same state_dir; sets RC.
second() {
	"$BOT" -c "$T/second.ini" "$@" 2>"$T/second.log" &
	PIDS+=("$!")
	wait_exit "$!" 30
}
second
eq "a second daemon on the state_dir: exit code" "$RC" 78
grep -q "state_dir $T/state is in use by another tradebotd (pid $first)" "$T/second.log" &&
	pass "its message names the first one's pid" ||
	{ fail "the message does not name pid $first"; cat "$T/second.log"; }
grep -q "second.ini:[0-9]*: state_dir" "$T/second.log" &&
	pass "its message names file:line" || fail "no file:line in the message"
second --dry-run
eq "a second daemon in a dry run: exit code" "$RC" 78
check "the second daemon wrote no trace" test ! -e "$T/second-trace.jsonl"
"$BOT" -c "$T/second.ini" --check-config >"$T/check.out" 2>&1
eq "--check-config on a state_dir in use: exit code (it takes no lock)" "$?" 0
check "the first daemon still runs" alive "$first"
eq "the lock file names the holder" "$(cat "$T/state/lock")" "$first"

kill -TERM "$first"
wait_exit "$first" 30
eq "the first daemon: exit code" "$RC" 0
eq "the first daemon: bot orders left" "$(bot_orders)" 0
eq "the first daemon: snapshot settled" "$(jq .settled "$T/state/open-orders.json")" true

# Free again: the next daemon on the state_dir starts and stops clean.
bot_running 8
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "the next daemon: exit code" "$RC" 0
eq "the next daemon: bot orders left" "$(bot_orders)" 0
check "trace verifies" verify_trace "$T/trace.jsonl"

# The instance id is made once and kept: every run on the state_dir
# names the same one in its START record.
id=$(cat "$T/state/instance")
eq "the instance id, kept across runs" \
	"$(records "$T/trace.jsonl" | jq -rs '[.[] | select(.event=="START") | .detail.instance] | unique | join(" ")')" "$id"
# A file that holds no instance id is never replaced (a new id would
# orphan every order of the old one): 78, and the file as it was.
printf 'not an id\n' >"$T/state/instance"
"$BOT" -c "$T/bot.ini" 2>"$T/bad-id.log"
eq "an instance file without an id: exit code" "$?" 78
grep -q "bot.ini:[0-9]*: state_dir $T/state: instance does not hold an instance id" "$T/bad-id.log" &&
	pass "the reason is given" || { fail "no reason"; cat "$T/bad-id.log"; }
eq "the file is left as it was" "$(cat "$T/state/instance")" "not an id"
"$BOT" -c "$T/bot.ini" --check-config >"$T/bad-id.log" 2>&1
eq "an instance file without an id: --check-config" "$?" 78
grep -q "state_dir $T/state: instance does not hold an instance id" "$T/bad-id.log" &&
	pass "--check-config gives the reason" || { fail "no reason"; cat "$T/bad-id.log"; }
"$BOT" -c "$T/bot.ini" --dry-run --recover-orphans 2>"$T/usage.log"
eq "--recover-orphans in a dry run: exit code" "$?" 64
finish
