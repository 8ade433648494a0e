#!/bin/bash
# exchange-sim's user data stream, both forms of binance-spot.md: the
# WebSocket API (/ws-api/v3) with each key type, Binance.US's listenKeys,
# the account's events in Binance's order and shape, and the user-stream
# faults.  The client side is tests/integration/user-stream.py.
. "$(dirname "$0")/bot-common.sh"
command -v openssl >/dev/null || { echo "SKIP: no openssl"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
export top_srcdir
KEYS=$top_srcdir/tests/keys
CLIENT=$top_srcdir/tests/integration/user-stream.py

# run KEYTYPE CASE: the client's case against the running simulator.
run() {
	python3 "$CLIENT" "$PORT" "$1" "$2" >"$T/$1-$2.out" 2>&1
	local rc=$?
	sed "s/^/[$1 $2] /" "$T/$1-$2.out"
	# The client's own findings count here: each FAIL line once.
	FAILS=$((FAILS + $(grep -c '^FAIL' "$T/$1-$2.out")))
	[ "$rc" -eq 0 ] || grep -q '^FAIL' "$T/$1-$2.out" ||
		fail "$1 $2: the client exited $rc"
}

# sim_restart [EXTRA-INI]: a fresh simulator.
sim_restart() {
	if [ -n "${SIM_PID:-}" ]; then
		kill "$SIM_PID"
		wait_exit "$SIM_PID" 20
		eq "exchange-sim exits cleanly" "$RC" 0
	fi
	sim_start "$1"
}

for type in hmac ed25519 rsa; do
	if [ "$type" = hmac ]; then sim_restart ""
	else sim_restart "key_type = $type
public_key_file = $KEYS/$type.pub.pem"
	fi
	run "$type" auth
	[ "$type" = rsa ] || run "$type" orders
done

# The account's events: executionReport before a held reply, the order of
# events and replies, and each user-stream fault.  They come from order.c
# (events_publish); a simulator without GET /admin/events publishes none
# yet, and this part is skipped.
sim_restart ""
if curl -sf -o /dev/null "http://127.0.0.1:$PORT/admin/events"; then
	run hmac events
	run hmac order
	run hmac faults
else
	echo "skip: the simulator publishes no account events (no /admin/events)"
fi

sim_restart "ping_interval_ms = 200
ping_timeout_ms = 600"
run hmac pings

export LISTEN_KEY_TTL_MS=1500
sim_restart "listen_key_ttl_ms = $LISTEN_KEY_TTL_MS"
run hmac listenkey

kill "$SIM_PID"
wait_exit "$SIM_PID" 20
eq "exchange-sim exits cleanly" "$RC" 0
finish
