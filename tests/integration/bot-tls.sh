#!/bin/bash
# ca_file: a throw-away CA made here signs the simulator's certificate;
# with ca_file naming it, REST (libcurl) and the streams (libwebsockets)
# verify the simulator and the daemon trades and shuts down cleanly
# (0 orders left, closes 1000).  Without ca_file (the system's CAs) or
# with another CA, the exchange's certificate is refused at start (69)
# and nothing is placed.
. "$(dirname "$0")/bot-common.sh"

command -v openssl >/dev/null || { echo "skip: no openssl"; exit 77; }
mkca() { # mkca NAME: a CA certificate and key
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
		-keyout "$T/$1.key" -out "$T/$1.pem" >/dev/null 2>&1
}
mkca test-ca && mkca other-ca || { fail "cannot make the CAs"; finish; }
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
	-keyout "$T/server.key" -out "$T/server.csr" >/dev/null 2>&1 &&
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n' >"$T/san.ext" &&
	openssl x509 -req -in "$T/server.csr" -CA "$T/test-ca.pem" -CAkey "$T/test-ca.key" \
		-CAcreateserial -days 2 -extfile "$T/san.ext" -out "$T/server.pem" >/dev/null 2>&1 ||
	{ fail "cannot make the server certificate"; finish; }

sim_start "tls_cert_file = $T/server.pem
tls_key_file = $T/server.key"
# The admin endpoint speaks TLS too now.
admin() {
	local method=POST
	[ "${1%%\?*}" != state ] || method=GET
	curl -sf --cacert "$T/test-ca.pem" -X "$method" "https://localhost:$PORT/admin/$1"
}
[ "$(state '.ws_connects // 0')" != "" ] && pass "the simulator serves HTTPS" ||
	{ fail "no HTTPS"; cat "$T/sim.log"; finish; }

bot_conf
sed -i -e "s|^rest_url = .*|rest_url = https://localhost:$PORT|" \
	-e "s|^ws_url = .*|ws_url = wss://localhost:$PORT|" "$T/bot.ini"
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
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
all_closes_1000 && pass "streams closed with 1000" || fail "close codes: $(state -c .ws_closes)"
eq "START says TLS is verified" \
	"$(records "$T/trace.jsonl" | jq -r 'select(.event=="START") | .detail.tls_verify' | tail -1)" true
finish
