#!/bin/bash
# ca_file: a throw-away CA made here signs the simulator's certificate;
# with ca_file naming it, REST (libcurl) and the streams (libwebsockets)
# verify the simulator and the daemon trades and shuts down cleanly
# (0 orders left, closes 1000).  Without ca_file (the system's CAs) or
# with another CA, the exchange's certificate is refused at start (69)
# and nothing is placed.  The user data stream (WebSocket API over wss)
# verifies it too, so the shutdown cancels from the book.
. "$(dirname "$0")/bot-common.sh"

tls_certs
mkca other-ca || { fail "cannot make the other CA"; finish; }
sim_start "$SIM_TLS"
[ "$(state '.ws_connects // 0')" != "" ] && pass "the simulator serves HTTPS" ||
	{ fail "no HTTPS"; cat "$T/sim.log"; finish; }

bot_conf
bot_tls
sed -i '/^ca_file = /d' "$T/bot.ini"
"$BOT" -c "$T/bot.ini" >"$T/out" 2>&1
eq "the system's CAs do not know the simulator" "$?" 69
grep -qi "certificate" "$T/out" && pass "the certificate is named" || { fail "no reason"; cat "$T/out"; }
sed -i "s|^\[exchange\]$|[exchange]\nca_file = $T/other-ca.pem|" "$T/bot.ini"
"$BOT" -c "$T/bot.ini" >"$T/out" 2>&1
eq "another CA is refused" "$?" 69
eq "nothing placed" "$(state '.requests["POST /api/v3/order"] // 0')" 0

sed -i "s|^ca_file = .*|ca_file = $T/test-ca.pem|" "$T/bot.ini"
bot_running 8
wait_until 10 grep -q "market data: connected to wss://localhost:$PORT" "$T/bot.log" &&
	pass "the stream verified the simulator with ca_file" || { fail "no wss stream"; cat "$T/bot.log"; }
wait_until 30 has_record "$T/trace.jsonl" USER_STREAM &&
	pass "the user stream reconciled over wss" || { fail "no user stream over wss"; tail -5 "$T/bot.log"; }
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
all_closes_1000 && pass "streams closed with 1000" || fail "close codes: $(state -c .ws_closes)"
eq "CANCELLING's path" "$(phase_figure CANCELLING path)" book
eq "START says TLS is verified" \
	"$(records "$T/trace.jsonl" | jq -r 'select(.event=="START") | .detail.tls_verify' | tail -1)" true
finish
