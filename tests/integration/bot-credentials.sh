#!/bin/bash
# Secrets through systemd's credentials ($CREDENTIALS_DIRECTORY, as
# LoadCredential= makes it): with api_secret_file (key_type hmac) or
# private_key_file (ed25519) left empty, the daemon reads the credential
# "api_secret" or "private_key", trades, and exits 0 with no order left;
# the secret is in no environment.  The service manager's copy may be
# root's and group-readable through an ACL; one others can read is
# refused (78), and with no credential and no variable live trading is
# refused as before.
. "$(dirname "$0")/bot-common.sh"

secret=$BINANCE_API_SECRET
unset BINANCE_API_SECRET
mkdir -m 0700 "$T/creds"
printf '%s\n' "$secret" >"$T/creds/api_secret"
chmod 0400 "$T/creds/api_secret"

sim_start
bot_conf
"$BOT" -c "$T/bot.ini" --check-config >"$T/out" 2>&1
eq "no credential, no variable: --check-config" "$?" 78
grep -q "live trading needs the API secret" "$T/out" && pass "the secret is missing" ||
	{ fail "no reason"; cat "$T/out"; }

export CREDENTIALS_DIRECTORY="$T/creds"
"$BOT" -c "$T/bot.ini" --check-config >"$T/out" 2>&1
eq "hmac credential: --check-config" "$?" 0
bot_running 8
! tr '\0' '\n' <"/proc/$BOT_PID/environ" | grep -qF "$secret" &&
	pass "hmac credential: the secret is in no environment" ||
	fail "the secret is in the environment"
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "hmac credential: exit code" "$RC" 0
eq "hmac credential: bot orders left" "$(bot_orders)" 0

chmod 0404 "$T/creds/api_secret"
"$BOT" -c "$T/bot.ini" --check-config >"$T/out" 2>&1
eq "a credential others can read: --check-config" "$?" 78
grep -q "api_secret_file $T/creds/api_secret must be owned by this user and of mode 0600" \
	"$T/out" && pass "says why" || { fail "no reason"; cat "$T/out"; }
kill -TERM "$SIM_PID"; wait "$SIM_PID"
rm -f "$T/trace.jsonl"

# An Ed25519 key as the credential "private_key".
keys="$top_srcdir/tests/keys"
install -m 0400 "$keys/ed25519.pem" "$T/creds/private_key"
sim_start "key_type = ed25519
public_key_file = $keys/ed25519.pub.pem"
bot_conf "[exchange]
key_type = ed25519"
bot_running 8
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "ed25519 credential: exit code" "$RC" 0
eq "ed25519 credential: bot orders left" "$(bot_orders)" 0
finish
