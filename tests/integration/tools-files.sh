#!/bin/bash
# The files the tools write are never written through a symlink planted at
# their names, nor through one at a temporary's: exchange-sim's
# --port-file (its temporary has a unique name, created O_EXCL, and is
# renamed over the link), gs-trace svg -o (refused), gs-trace keygen
# (refused).  The link's target is left as it was every time.
. "$(dirname "$0")/bot-common.sh"

printf 'precious\n' >"$T/victim"
chmod 0600 "$T/victim"
intact() { [ "$(cat "$T/victim")" = precious ]; }

# exchange-sim --port-file: a link at the name and at NAME.tmp.
ln -s "$T/victim" "$T/port"
ln -s "$T/victim" "$T/port.tmp"
printf '[sim]\ntick_ms = 50\n' >"$T/sim.ini"
"$SIM" -c "$T/sim.ini" --port 0 --port-file "$T/port" 2>>"$T/sim.log" &
SIM_PID=$!
PIDS+=("$SIM_PID")
port_written() { [ -f "$T/port" ] && [ ! -L "$T/port" ] && [ -s "$T/port" ]; }
wait_until 60 port_written && pass "port file in place of the link" ||
	{ fail "no port file"; cat "$T/sim.log"; }
check "the port file holds a port" grep -qx '[0-9][0-9]*' "$T/port"
check "--port-file: the link's target untouched" intact
check "--port-file: the planted .tmp link left alone" test -L "$T/port.tmp"
eq "--port-file: no temporary left" "$(ls "$T" | grep -c '^port\.......$')" 0
kill -TERM "$SIM_PID"
wait_exit "$SIM_PID" 20
eq "exchange-sim stops" "$RC" 0

# gs-trace svg -o through a link: refused, nothing written.
: >"$T/empty.jsonl"
ln -s "$T/victim" "$T/out.svg"
"$GS_TRACE" svg "$T/empty.jsonl" -o "$T/out.svg" >"$T/out" 2>&1
eq "svg -o a symlink: exit" "$?" 2
grep -q "out.svg: a symbolic link, not followed" "$T/out" &&
	pass "svg -o: said why" || { fail "svg -o: no reason"; cat "$T/out"; }
check "svg -o: the link's target untouched" intact

# gs-trace keygen onto a link (even a dangling one): refused.
ln -s "$T/victim" "$T/seal.key"
ln -s "$T/nowhere" "$T/verify.key"
"$GS_TRACE" keygen "$T/seal.key" "$T/v2.key" >"$T/out" 2>&1
eq "keygen SEAL a symlink: exit" "$?" 1
"$GS_TRACE" keygen "$T/s2.key" "$T/verify.key" >"$T/out" 2>&1
eq "keygen VERIFY a dangling symlink: exit" "$?" 1
check "keygen: the link's target untouched" intact
check "keygen: nothing made at the dangling link's target" test ! -e "$T/nowhere"
check "keygen: no half pair left" test ! -e "$T/s2.key"
finish
