#!/bin/bash
# Files another user could turn against the daemon.  state_dir must be
# the daemon user's own, not group- or world-writable, not a symlink, and
# writable at start (78 otherwise, at start and in --check-config, nothing
# placed); it is opened once, and a directory swapped in for it later is
# never written to.
# Trace and log are never opened through a symlink, even one planted by
# another user in a world-writable directory: the daemon refuses to
# start and the target is untouched.  The snapshot's temp file has no
# predictable name, a symlink in its place or the snapshot's is never
# written through, and a snapshot that cannot be written ends CANCELLING
# degraded (75) with every order still cancelled.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf
placed() { state '.requests["POST /api/v3/order"] // 0'; }

# state_dir rules, for --check-config and for a start.
chmod 0770 "$T/state"
"$BOT" -c "$T/bot.ini" --check-config >"$T/out" 2>&1
eq "group-writable state_dir: --check-config" "$?" 78
grep -q "state_dir $T/state must be owned by this user .* not group- or world-writable (it is uid $(id -u), mode 0770)" "$T/out" &&
	pass "the reason is given" || { fail "no reason"; cat "$T/out"; }
"$BOT" -c "$T/bot.ini" >"$T/out" 2>&1
eq "group-writable state_dir: start" "$?" 78
chmod 0707 "$T/state"
"$BOT" -c "$T/bot.ini" >"$T/out" 2>&1
eq "world-writable state_dir: start" "$?" 78
eq "nothing placed" "$(placed)" 0
chmod 0700 "$T/state"

# A symlinked state_dir is refused, even to a good directory of ours.
mkdir -m 0700 "$T/real-state"
sed "s|^state_dir = .*|state_dir = $T/state-link|" "$T/bot.ini" >"$T/link.ini"
ln -s "$T/real-state" "$T/state-link"
"$BOT" -c "$T/link.ini" --check-config >"$T/out" 2>&1
eq "symlinked state_dir: --check-config" "$?" 78
grep -q "link.ini:[0-9]*: state_dir: $T/state-link is a symbolic link" "$T/out" &&
	pass "the reason is given" || { fail "no reason"; cat "$T/out"; }
timeout 30 "$BOT" -c "$T/link.ini" >"$T/out" 2>&1
eq "symlinked state_dir: start" "$?" 78
eq "nothing placed" "$(placed)" 0
# Spelt with a trailing slash (or "//", "/./") the name resolves through
# the link: it is refused all the same, and nothing lands in the target.
for spelling in "$T/state-link/" "$T//state-link//" "$T/./state-link/."; do
	sed "s|^state_dir = .*|state_dir = $spelling|" "$T/bot.ini" >"$T/slash.ini"
	"$BOT" -c "$T/slash.ini" --check-config >"$T/out" 2>&1
	eq "state_dir $spelling: --check-config" "$?" 78
	grep -q "slash.ini:[0-9]*: state_dir: $T/state-link is a symbolic link" "$T/out" &&
		pass "the link is named" || { fail "not named"; cat "$T/out"; }
	timeout 30 "$BOT" -c "$T/slash.ini" >"$T/out" 2>&1
	eq "state_dir $spelling: start" "$?" 78
done
eq "nothing written through the link" "$(ls -A "$T/real-state" | wc -l)" 0
eq "nothing placed" "$(placed)" 0

can_switch=false
[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && can_switch=true
asuser=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
if $can_switch; then
	chmod 0755 "$T"
	chown nobody "$T/state"
	"$BOT" -c "$T/bot.ini" --check-config >"$T/out" 2>&1
	eq "state_dir of another user: --check-config" "$?" 78
	grep -q "(it is uid 65534, mode 0700)" "$T/out" && pass "its owner is named" ||
		{ fail "owner not named"; cat "$T/out"; }
	chown root "$T/state"

	# Writable at start, not found read-only at shutdown: as nobody,
	# in a state_dir of nobody's that nobody cannot write.
	mkdir -m 0755 "$T/ro"
	mkdir -m 0500 "$T/ro/state"
	chown nobody "$T/ro" "$T/ro/state"
	sed -e "s|^state_dir = .*|state_dir = $T/ro/state|" \
		-e "s|^path = .*|path = $T/ro/trace.jsonl|" "$T/bot.ini" >"$T/ro.ini"
	chmod 0644 "$T/ro.ini"
	"${asuser[@]}" "$BOT" -c "$T/ro.ini" --check-config >"$T/out" 2>&1
	eq "read-only state_dir: --check-config" "$?" 78
	"${asuser[@]}" "$BOT" -c "$T/ro.ini" >"$T/out" 2>&1
	eq "read-only state_dir: start" "$?" 78
	grep -q "ro.ini:[0-9]*: state_dir: directory $T/ro/state is not writable: Permission denied" "$T/out" &&
		pass "said at start" || { fail "no reason"; cat "$T/out"; }
	eq "nothing placed" "$(placed)" 0
else
	echo "skip: another user's state_dir and a read-only one need root and setpriv"
fi

# Symlinks planted by another user where the trace and the log go.
mkdir -m 0777 "$T/pub"
printf 'precious\n' >"$T/victim"
chmod 0600 "$T/victim"
plant() {
	if $can_switch; then "${asuser[@]}" ln -s "$T/victim" "$1"; else ln -s "$T/victim" "$1"; fi
}
plant "$T/pub/trace.jsonl"
sed "s|^path = .*|path = $T/pub/trace.jsonl|" "$T/bot.ini" >"$T/sym.ini"
"$BOT" -c "$T/sym.ini" >"$T/out" 2>&1
eq "trace through a symlink refused" "$?" 78
plant "$T/pub/bot.log"
printf '[log]\nfile = %s\n' "$T/pub/bot.log" >>"$T/bot.ini"
"$BOT" -c "$T/bot.ini" >"$T/out" 2>&1
eq "log through a symlink refused" "$?" 78
grep -q "log file: $T/pub/bot.log is a symbolic link" "$T/out" && pass "the reason is given" ||
	{ fail "no reason"; cat "$T/out"; }
sed -i '/^\[log\]$/,$d' "$T/bot.ini"
eq "the symlinks' target is untouched" "$(cat "$T/victim")" precious
eq "nothing placed" "$(placed)" 0

# The snapshot: neither its old temp name nor its own name is written
# through when a symlink stands there.
bot_running 8
# (The running daemon's own unsettled snapshot is replaced by the link.)
rm -f "$T/state/open-orders.json"
ln -s "$T/victim" "$T/state/open-orders.json.tmp"
ln -s "$T/victim" "$T/state/open-orders.json"
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
eq "the symlinks' target is untouched" "$(cat "$T/victim")" precious
[ -f "$T/state/open-orders.json" ] && [ ! -L "$T/state/open-orders.json" ] &&
	jq -e '.orders | length == 8' "$T/state/open-orders.json" >/dev/null &&
	pass "the snapshot replaced the symlink with the 8 orders" || fail "no true snapshot"
eq "no temp file left" "$(find "$T/state" -name 'open-orders.json.*' ! -name '*.tmp' | wc -l)" 0

# A snapshot that cannot be written: its name is taken by a directory.
rm -f "$T/state/open-orders.json" "$T/state/open-orders.json.tmp"
rm -f "$T/trace.jsonl"
bot_running 8
# The running daemon's snapshot writer may put a file back in between:
# until the directory stands (a rename never replaces it).
take_name() {
	[ -d "$T/state/open-orders.json" ] || rm -f "$T/state/open-orders.json"
	mkdir -p "$T/state/open-orders.json/x"
}
wait_until 10 take_name || fail "cannot put a directory in the snapshot's place"
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "unwritable snapshot: exit code" "$RC" 75
eq "every order still cancelled" "$(bot_orders)" 0
has_record "$T/trace.jsonl" PHASE_FAILED CANCELLING CLOSING && pass "CANCELLING failed" ||
	fail "CANCELLING did not fail"
[ "$(phase_figure CANCELLING snapshot_error)" != null ] && pass "the trace names the snapshot error" ||
	fail "no snapshot_error"
grep -q "order snapshot could not be written" "$T/bot.log" && pass "logged" || fail "not logged"
eq "no temp file left" "$(find "$T/state" -maxdepth 1 -name 'open-orders.json.*' | wc -l)" 0
verify_trace "$T/trace.jsonl" && pass "trace verifies" || fail "trace does not verify"

# state_dir is opened once at start: swapped for a symlink while the
# daemon runs, the snapshot still goes to the directory checked at start.
rm -rf "$T/state/open-orders.json"
rm -f "$T/trace.jsonl"
bot_running 8
mv "$T/state" "$T/state-started"
mkdir -m 0700 "$T/elsewhere"
ln -s "$T/elsewhere" "$T/state"
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "state_dir swapped: exit code" "$RC" 0
eq "state_dir swapped: bot orders left" "$(bot_orders)" 0
jq -e '.orders | length == 8' "$T/state-started/open-orders.json" >/dev/null &&
	pass "the snapshot is in the directory checked at start" || fail "no snapshot where it belongs"
eq "nothing written through the swapped-in symlink" "$(ls -A "$T/elsewhere" | wc -l)" 0

# A second daemon on the same trace (its own state_dir) is refused (78)
# and says why, on a stderr that is a regular file (systemd's
# StandardError=file:): its lines are written by the log's writer thread,
# and an early exit still waits for them.  Five times: the line must
# never be lost.
rm -rf "$T/state-started" "$T/elsewhere" "$T/state"
mkdir -m 0700 "$T/state"
sed "s|^state_dir = .*|state_dir = $T/state-2|" "$T/bot.ini" >"$T/second.ini"
bot_running 8
said=0
for i in 1 2 3 4 5; do
	"$BOT" -c "$T/second.ini" 2>"$T/second.log"
	rc=$?
	[ "$rc" = 78 ] && grep -q "in use by another process" "$T/second.log" &&
		said=$((said + 1))
done
eq "a second daemon: refused with 78 and the reason, every time" "$said" 5
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "the first daemon: exit code" "$RC" 0
finish
