#!/bin/bash
# Secrets: a secret file must be the user's own and of mode 0600 (refused
# with the reason otherwise); the secret never reaches the log, the trace,
# the summary or --check-config; turning tls_verify off is loud.
. "$(dirname "$0")/bot-common.sh"

sim_start
bot_conf
secret=$BINANCE_API_SECRET
unset BINANCE_API_SECRET
printf '%s\n' "$secret" >"$T/secret"
chmod 0644 "$T/secret"
sed -i "s|^\[exchange\]$|[exchange]\napi_secret_file = $T/secret|" "$T/bot.ini"
"$BOT" -c "$T/bot.ini" >"$T/out" 2>&1
eq "world-readable secret file refused" "$?" 78
grep -q "mode 0600 (it is 0644" "$T/out" && pass "the reason is given" || { fail "no reason"; cat "$T/out"; }

chmod 0600 "$T/secret"
"$BOT" -c "$T/bot.ini" --check-config >"$T/out" 2>&1
eq "0600 secret file accepted" "$?" 0
sed -i 's/^\[exchange\]$/[exchange]\ntls_verify = false/' "$T/bot.ini"
bot_running 8
grep -q "tls_verify = false" "$T/bot.log" && pass "tls_verify off is warned about" || fail "no TLS warning"
kill -USR1 "$BOT_PID"
wait_until 10 grep -q "status: state=RUNNING" "$T/bot.log" || fail "no status line"
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
for f in "$T/bot.log" "$T/trace.jsonl" "$T/out" "$T/state/open-orders.json"; do
	! grep -qF "$secret" "$f" && pass "no secret in $(basename "$f")" || fail "secret in $f"
done
! grep -qF "$BINANCE_API_KEY" "$T/bot.log" "$T/trace.jsonl" && pass "no API key in log or trace" ||
	fail "API key leaked"
finish
