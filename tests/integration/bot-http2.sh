#!/bin/bash
# HTTP/2: over TLS exchange-sim offers h2 as well as http/1.1, as
# Binance's REST hosts do.  Each of the daemon's REST clients then opens
# one connection and sends every request on it as a stream: exchange-sim
# counts one connection per client for the whole run, not one per
# request in flight.  The pool is that one connection (pool_http2); the
# shutdown's cancels, one DELETE per symbol at once, go out on it as
# streams and open no connection.  Then again after the server closed
# the idle connection: the pool replaces it before the shutdown.  Every
# time: exit 0, 0 orders left, closes 1000.  Last, a server with TLS but
# no HTTP/2: a warm connection per symbol, none opened by the shutdown.
. "$(dirname "$0")/bot-common.sh"

tls_certs
syms="S00USDT, S01USDT, S02USDT, S03USDT, S04USDT, S05USDT, S06USDT, S07USDT"
sim_start "symbols = $syms
$SIM_TLS"
bot_conf
bot_tls
sed -i -e "s/^symbols = .*/symbols = $syms/" \
	-e 's/^orders_per_symbol = .*/orders_per_symbol = 2/' "$T/bot.ini"

# The simulator is as strict over HTTP/2 as over HTTP/1.1: the targets,
# API keys and bodies it checks are the ones sent in each stream.
K=$BINANCE_API_KEY
S=$BINANCE_API_SECRET
call2() { # call2 METHOD TARGET [BODY] [KEY]: over HTTP/2; sets ST, body in $T/b
	ST=$(curl -s --http2 --cacert "$SIM_CA" --path-as-is -X "$1" \
		-H "X-MBX-APIKEY: ${4-$K}" \
		${3:+-H "Content-Type: application/x-www-form-urlencoded" --data-raw "$3"} \
		-o "$T/b" -w '%{http_version} %{http_code}' "https://localhost:$PORT$2")
}
code() { jq -r '.code // empty' "$T/b" 2>/dev/null; }
sig() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$S" -r | cut -d' ' -f1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
call2 GET /api/v3/time
eq "GET /api/v3/time over HTTP/2" "$ST" "2 200"
call2 GET /api/v3/exchangeInfo
eq "a reply of several DATA frames arrives whole" \
	"$ST $(jq '.symbols | length' "$T/b" 2>&1)" "2 200 8"
call2 GET //api/v3/time
eq "//api/v3/time, as sent in :path" "$ST" "2 404"
q="symbol=S00USDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=90&newClientOrderId=h2-one"
b="recvWindow=5000&timestamp=$(now_ms)"
call2 POST "/api/v3/order?$q" "$b&signature=$(sig "$q$b")"
eq "an order signed over query and body, the body in DATA frames" "$ST" "2 200"
b="timestamp=$(now_ms)"
call2 DELETE "/api/v3/order?symbol=S00USDT&origClientOrderId=h2-one&$b&signature=$(sig "symbol=S00USDT&origClientOrderId=h2-one&$b")"
eq "its cancel, a DELETE without a body" "$ST" "2 200"
b="symbol=S00USDT&timestamp=$(now_ms)"
call2 GET "/api/v3/openOrders?$b&signature=$(sig "$b")x"
eq "a signature not over what was sent" "$ST $(code)" "2 400 -1022"
call2 GET "/api/v3/openOrders?$b&signature=$(sig "$b")" "" ""
eq "no API key" "$ST $(code)" "2 401 -2014"
# What curl never sends: a burst of requests in one write (streams that
# libwebsockets starts in another order), a request whose end comes
# 300 ms after its headers, two identical ones (ended apart, or one with
# its headers), empty query arguments, and two requests alike but for
# their API keys (the connection is refused).
for case in burst late-end late-end-twins mixed-twins empty-args ambiguous; do
	python3 "$top_srcdir/tests/integration/h2-client.py" "$PORT" "$SIM_CA" "$case" \
		>"$T/h2c.out" 2>&1
	rc=$?
	sed "s/^/$case: /" "$T/h2c.out"
	eq "$case: the client's exit" "$rc" 0
done
eq "the test's connections were HTTP/2" "$(state .http2_connections)" "$(state .http_connections)"
conns0=$(state .http_connections)


# stop_and_check: SIGTERM; the cancels went out as streams on the one
# warm connection, and the shutdown opened none.
stop_and_check() {
	local conns streams0
	per_symbol_mark
	conns=$(state .http_connections)
	streams0=$(state .http2_streams)
	kill -TERM "$BOT_PID"
	wait_exit "$BOT_PID" 30
	eq "exit code" "$RC" 0
	eq "bot orders left" "$(bot_orders)" 0
	all_closes_1000 && pass "streams closed with 1000" || fail "close codes: $(state -c .ws_closes)"
	eq "the pool was HTTP/2 at the signal" "$(phase_figure CANCELLING pool_http2)" true
	eq "the pool covered the fan-out" "$(phase_figure CANCELLING pool_warm)" 8
	eq "connections the cancels opened" "$(phase_figure CANCELLING connections_opened)" 0
	eq "connections exchange-sim accepted during the shutdown" \
		"$(state .http_connections)" "$conns"
	per_symbol_check
	# The cancels and the verify listing, at least (from the user
	# stream's book, no listing comes first).
	check "the shutdown's requests were HTTP/2 streams" \
		test $(($(state .http2_streams) - streams0)) -ge \
		$(($(state '.requests["DELETE /api/v3/openOrders"] // 0') - PS_ALL0 + 1))
}

bot_running 16
wait_until 10 grep -q "connection pool: HTTP/2, one connection carries all 8 at once" "$T/bot.log" &&
	pass "the pool found HTTP/2" || { fail "no HTTP/2 pool"; cat "$T/bot.log"; }
eq "every connection the daemon opened speaks HTTP/2" \
	"$(state .http2_connections)" "$(state .http_connections)"
# The strategy's client, the shutdown's and the user stream's: one
# connection each, although the start sends requests for 8 symbols at once.
opened=$(($(state .http_connections) - conns0))
check "one connection per REST client ($opened opened)" test "$opened" -le 3
stop_and_check
eq "no connection replaced" "$(phase_figure CANCELLING pool_replaced)" 0

# The server closes the idle connection; the pool must replace it before
# the shutdown.
pool_after_close "connection pool: HTTP/2, one connection carries all 8" \
	"connection pool: HTTP/2, one connection carries all 8, [1-9][0-9]* replaced" 1
check "trace verifies" verify_trace "$T/trace.jsonl"

# A server (or a proxy) with TLS but no HTTP/2: a connection per symbol
# again, all warm, none opened by the shutdown; waiting for a pending
# connection's protocol must not leave the pool short.
kill "$SIM_PID"
wait "$SIM_PID" 2>/dev/null
sim_start "symbols = $syms
http2 = 0
$SIM_TLS"
rm -f "$T/trace.jsonl"
bot_conf
bot_tls
# The list path: its listings are what open the strategy's connections.
sed -i -e "s/^symbols = .*/symbols = $syms/" \
	-e 's/^orders_per_symbol = .*/orders_per_symbol = 2/' \
	-e 's/^\[exchange\]$/[exchange]\nuser_stream = off/' "$T/bot.ini"
mv "$T/bot.log" "$T/bot-2.log"
bot_running 16
wait_until 10 grep -q "connection pool: 8 of 8 connections warm" "$T/bot.log" &&
	pass "HTTP/1.1 over TLS: a warm connection per symbol" ||
	{ fail "HTTP/1.1 over TLS: no warm pool"; cat "$T/bot.log"; }
# The strategy's client opens its connections as its requests need them;
# two listing rounds (8 symbols each) settle it, so that only the
# shutdown is counted below.
listings_now() { state '.requests["GET /api/v3/openOrders"] // 0'; }
listed_past() { [ "$(listings_now)" -ge "$1" ]; }
wait_until 20 listed_past $(($(listings_now) + 16)) || fail "the strategy stopped listing"
conns=$(state .http_connections)
kill -TERM "$BOT_PID"
wait_exit "$BOT_PID" 30
eq "HTTP/1.1 over TLS: exit code" "$RC" 0
eq "HTTP/1.1 over TLS: bot orders left" "$(bot_orders)" 0
eq "HTTP/1.1 over TLS: the pool was not HTTP/2" "$(phase_figure CANCELLING pool_http2)" false
eq "HTTP/1.1 over TLS: the pool was warm at the signal" "$(phase_figure CANCELLING pool_warm)" 8
eq "HTTP/1.1 over TLS: connections the cancels opened" \
	"$(phase_figure CANCELLING connections_opened)" 0
eq "HTTP/1.1 over TLS: connections accepted during the shutdown" \
	"$(state .http_connections)" "$conns"
eq "HTTP/1.1 over TLS: no HTTP/2" "$(state .http2_connections)" 0
finish
