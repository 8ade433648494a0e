#!/bin/bash
# Each key type trades and shuts down cleanly: the simulator checks the
# HMAC, Ed25519 or RSA signature of every signed request with the secret
# or public key it is given, and the grid rests, is cancelled (0 orders
# left) and the daemon exits 0.  A signature made with another key is
# refused at start (69), so the check is real.  BINANCE_API_SECRET, set
# but unused with a key file, is gone from /proc/PID/environ all the same.
. "$(dirname "$0")/bot-common.sh"

keys="$top_srcdir/tests/keys"
for type in hmac ed25519 rsa; do
	if [ "$type" = hmac ]; then
		sim_start
		bot_conf
	else
		install -m 0600 "$keys/$type.pem" "$T/$type.pem"
		sim_start "key_type = $type
public_key_file = $keys/$type.pub.pem"
		bot_conf
		sed -i "s|^\[exchange\]$|[exchange]\nkey_type = $type\nprivate_key_file = $T/$type.pem|" "$T/bot.ini"
	fi
	bot_running 8
	env=$(tr '\0' '\n' <"/proc/$BOT_PID/environ")
	if [ -z "$env" ]; then
		fail "$type: cannot read /proc/$BOT_PID/environ"
	else
		! grep -qF "$BINANCE_API_SECRET" <<<"$env" &&
			pass "$type: no secret in /proc/PID/environ" ||
			fail "$type: BINANCE_API_SECRET left in /proc/PID/environ"
	fi
	# The user stream's subscription is signed with the same key.
	wait_until 30 has_record "$T/trace.jsonl" USER_STREAM &&
		pass "$type: the user stream's signed subscription accepted" ||
		fail "$type: no user stream"
	signed=$(state '.requests["POST /api/v3/order"] // 0')
	[ "$signed" -ge 8 ] && pass "$type: signed orders accepted ($signed)" ||
		fail "$type: only $signed orders placed"
	kill -TERM "$BOT_PID"
	wait_exit "$BOT_PID" 30
	eq "$type: exit code" "$RC" 0
	eq "$type: bot orders left" "$(bot_orders)" 0
	eq "$type: path" "$(state_path "$T/trace.jsonl")" "RUNNING>CANCELLING>CLOSING>JOINING>EXIT"
	kill -TERM "$SIM_PID"; wait "$SIM_PID"
	rm -f "$T/trace.jsonl"
done

# The simulator holds the RSA public key, the daemon signs with Ed25519.
install -m 0600 "$keys/ed25519.pem" "$T/ed25519.pem"
sim_start "key_type = rsa
public_key_file = $keys/rsa.pub.pem"
bot_conf "[exchange]
key_type = ed25519
private_key_file = $T/ed25519.pem"
"$BOT" -c "$T/bot.ini" >"$T/out" 2>&1
eq "a signature of another key is refused" "$?" 69
grep -q -- "-1022" "$T/out" && pass "the exchange's -1022 is named" || { fail "no -1022"; cat "$T/out"; }
eq "nothing placed" "$(state '.requests["POST /api/v3/order"] // 0')" 0
finish
