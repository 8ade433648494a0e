#!/bin/bash
# Secrets in memory.  The secret's environment variable is gone from a
# running daemon's /proc/PID/environ (value wiped in place, not just
# unset); a gcore of the running daemon (root can still take one) holds
# no copy of the secret; the process is not dumpable, which the kernel shows by handing
# its /proc files to root when it runs as another user; with cores
# enabled, SIGABRT writes no core where a control process does write one;
# running as root is warned about.
. "$(dirname "$0")/bot-common.sh"

secret=$BINANCE_API_SECRET
sim_start
bot_conf
bot_running 8
env=$(tr '\0' '\n' <"/proc/$BOT_PID/environ")
if [ -z "$env" ]; then
	fail "cannot read /proc/$BOT_PID/environ"
else
	! grep -qF "$secret" <<<"$env" && pass "no secret in /proc/PID/environ" ||
		fail "the secret is in /proc/PID/environ"
	grep -q "^BINANCE_API_KEY=" <<<"$env" && pass "the rest of the environment is intact" ||
		fail "environment damaged"
fi
# gcore honours the pages excluded from dumps; without sanitizers only
# (their shadow memory makes the dump huge).
if [ "$(id -u)" = 0 ] && command -v gcore >/dev/null && [ -z "${SAN_CFLAGS:-}" ]; then
	if gcore -o "$T/gcore" "$BOT_PID" >"$T/gcore.log" 2>&1 && [ -s "$T/gcore.$BOT_PID" ]; then
		eq "copies of the secret in a gcore of the daemon" \
			"$(grep -c -a -F "$secret" "$T/gcore.$BOT_PID")" 0
	else
		echo "skip: gcore could not attach"
	fi
	rm -f "$T/gcore.$BOT_PID"
fi
if [ "$(id -u)" = 0 ]; then
	grep -q "running as root" "$T/bot.log" && pass "running as root is warned about" ||
		fail "no warning about root"
fi
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0

# Dumpable or not, as another user: only root can change to that user.
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "skip: the rest needs root and setpriv"
	finish
fi
# An array, not a function: the signals must reach the process itself.
asuser=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
chmod 0755 "$T"
mkdir -m 0755 "$T/run"
chown nobody "$T/run"
sed -i -e "s|^state_dir = .*|state_dir = $T/run/state|" \
	-e "s|^path = .*|path = $T/run/trace.jsonl|" "$T/bot.ini"
chmod 0644 "$T/bot.ini"
cores_here=false
case $(cat /proc/sys/kernel/core_pattern) in
	/* | \|*) ;; # elsewhere or piped to a handler: no file to look for
	*) cores_here=true ;;
esac
(
	cd "$T/run" || exit 1
	ulimit -c unlimited || exit 1
	# Control: the same user and limits, an ordinary process.
	"${asuser[@]}" sleep 30 &
	ctl=$!
	is_nobody() { [ "$(awk '/^Uid:/ {print $2}' "/proc/$1/status")" = 65534 ] &&
		[ "$(cat "/proc/$1/comm")" = sleep ]; }
	wait_until 5 is_nobody "$ctl" || echo "control_not_started"
	echo "control_owner $(stat -c %u "/proc/$ctl/environ")"
	kill -ABRT "$ctl"; wait "$ctl"
	echo "control_rc $?"
	echo "control_core $(ls core* 2>/dev/null | wc -l)"
	rm -f core*
	"${asuser[@]}" "$BOT" -c "$T/bot.ini" --dry-run 2>>"$T/nobody.log" &
	pid=$!
	wait_until 20 grep -q '"event":"READY"' "$T/run/trace.jsonl" || echo "not_ready"
	echo "daemon_uid $(awk '/^Uid:/ {print $2}' "/proc/$pid/status")"
	echo "daemon_owner $(stat -c %u "/proc/$pid/environ")"
	kill -ABRT "$pid"; wait "$pid"
	echo "daemon_rc $?"
	echo "daemon_core $(ls core* 2>/dev/null | wc -l)"
) >"$T/dump.out" 2>&1
val() { awk -v k="$1" '$1==k {print $2}' "$T/dump.out"; }
! grep -q not_ready "$T/dump.out" || { fail "daemon as nobody never ready"; cat "$T/nobody.log"; }
eq "control runs as nobody, its /proc files are its own" "$(val control_owner)" 65534
eq "the daemon runs as nobody" "$(val daemon_uid)" 65534
eq "the daemon is not dumpable: its /proc files are root's" "$(val daemon_owner)" 0
eq "the daemon died of SIGABRT" "$(val daemon_rc)" 134
if $cores_here; then
	eq "control wrote a core (so cores are written here)" "$(val control_core)" 1
	eq "the daemon wrote no core" "$(val daemon_core)" 0
else
	echo "skip: core_pattern sends cores elsewhere; dumpable flag checked above"
fi
! grep -q "running as root" "$T/nobody.log" && pass "no root warning as nobody" ||
	fail "root warning as nobody"
finish
