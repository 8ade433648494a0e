#!/bin/bash
# Venues and transport rules, as --check-config and a start see them: the
# venue fills both URLs and an explicit URL overrides it (the effective
# ones are printed); http:// and ws:// beyond loopback are refused with
# file:line unless allowed; a missing ca_file is refused; tls_verify =
# false is said on stderr even with a log file, in the START record and
# by --check-config.  The shipped Binance.US example passes the check.
. "$(dirname "$0")/bot-common.sh"

mkdir -m 0700 "$T/state"
install -m 0600 "$top_srcdir/tests/keys/ed25519.pem" "$T/key.pem"
sed -e "s|/etc/tradebotd/ed25519.pem|$T/key.pem|" -e "s|/var/lib/tradebotd|$T/state|" \
	-e "s|/var/log/tradebotd|$T|" \
	"$top_srcdir/conf/examples/binance-us-hbar.ini" >"$T/us.ini"
"$BOT" -c "$T/us.ini" --check-config >"$T/out" 2>&1
eq "the Binance.US example passes --check-config" "$?" 0
grep -qx "rest_url = https://api.binance.us" "$T/out" && pass "its REST URL" || { fail "REST URL"; cat "$T/out"; }
grep -qx "ws_url = wss://stream.binance.us:9443" "$T/out" && pass "its stream URL" || fail "stream URL"
grep -qx "key_type = ed25519" "$T/out" && pass "its key type" || fail "key type"
grep -qx "user_stream = auto (listenKey)" "$T/out" && pass "its user stream: a listenKey" ||
	fail "user stream"

printf '[trace]\npath = %s\n[bot]\nsymbols = HBARUSDT\nclient_order_prefix = t\nstate_dir = %s\n[exchange]\nvenue = binance\nrest_url = https://api3.binance.com\n' \
	"$T/a-trace.jsonl" "$T/state" >"$T/a.ini"
"$BOT" -c "$T/a.ini" --check-config >"$T/out" 2>&1
eq "venue with an explicit URL" "$?" 0
grep -qx "rest_url = https://api3.binance.com" "$T/out" && pass "the explicit URL wins" || fail "override"
grep -qx "ws_url = wss://stream.binance.com:9443" "$T/out" && pass "the other is the venue's" || fail "venue ws"
grep -qx "ws_api_url = wss://ws-api.binance.com:443/ws-api/v3" "$T/out" &&
	pass "the WebSocket API is the venue's" || fail "venue ws_api_url"
grep -qx "user_stream = auto (WebSocket API)" "$T/out" && pass "the user stream by default" ||
	fail "user stream"
! grep -q "tls_verify" "$T/out" || grep -qx "tls_verify = true" "$T/out" || fail "tls line"

printf 'ws_url = ws://stream.example.com:9443\n' >>"$T/a.ini"
"$BOT" -c "$T/a.ini" --check-config >"$T/out" 2>&1
eq "ws:// to another host refused" "$?" 78
grep -q "^tradebotd: $T/a.ini:10: ws_url: ws://stream.example.com:9443 sends the API key" "$T/out" &&
	pass "with file:line" || { fail "no file:line"; cat "$T/out"; }
printf 'allow_insecure_transport = true\n' >>"$T/a.ini"
"$BOT" -c "$T/a.ini" --check-config >"$T/out" 2>&1
eq "allowed in so many words" "$?" 0

printf 'ca_file = %s\n' "$T/no-such-ca.pem" >>"$T/a.ini"
"$BOT" -c "$T/a.ini" --check-config >"$T/out" 2>&1
eq "a missing ca_file is refused" "$?" 78
grep -q "ca_file $T/no-such-ca.pem: No such file" "$T/out" && pass "named" || { fail "ca_file reason"; cat "$T/out"; }

# tls_verify = false: --check-config, then a run with a log file.
sim_start
bot_conf "[log]
file = $T/daemon.log"
sed -i 's/^\[exchange\]$/[exchange]\ntls_verify = false/' "$T/bot.ini"
"$BOT" -c "$T/bot.ini" --check-config >"$T/out" 2>"$T/err"
eq "tls_verify = false passes the check" "$?" 0
grep -qx "tls_verify = false" "$T/out" && grep -q "warning: tls_verify = false" "$T/err" &&
	pass "--check-config says TLS is off" || { fail "--check-config quiet about TLS"; cat "$T/out" "$T/err"; }
bot_running 8
grep -q "warning: tls_verify = false" "$T/bot.log" && pass "stderr warned although a log file is set" ||
	{ fail "nothing on stderr"; cat "$T/bot.log"; }
eq "START record says tls_verify false" \
	"$(records "$T/trace.jsonl" | jq -r 'select(.event=="START") | .detail.tls_verify' | tail -1)" false
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "exit code" "$RC" 0
eq "bot orders left" "$(bot_orders)" 0
finish
