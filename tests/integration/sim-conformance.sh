#!/bin/bash
# exchange-sim refuses what Binance refuses: every rule of its strictness
# is pinned here by HTTP status and Binance error code, so the simulator
# cannot drift back to lenient (and hide the daemon's bugs again).
. "$(dirname "$0")/bot-common.sh"
K=$BINANCE_API_KEY
S=$BINANCE_API_SECRET
command -v openssl >/dev/null || { echo "SKIP: no openssl"; exit 77; }

# call METHOD TARGET [BODY]: the request exactly as written (with the
# header HDR when set); sets ST (HTTP status) and keeps the body in $T/b
# and the headers in $T/h.
call() {
	ST=$(curl -s --path-as-is -X "$1" -H "X-MBX-APIKEY: $K" ${HDR:+-H "$HDR"} \
		${3:+-H "Content-Type: application/x-www-form-urlencoded" --data-raw "$3"} \
		-D "$T/h" -o "$T/b" -w '%{http_code}' "http://127.0.0.1:$PORT$2")
}
code() { jq -r '.code // empty' "$T/b" 2>/dev/null; }
msg() { jq -r '.msg // empty' "$T/b" 2>/dev/null; }
hdr() { grep -i "^$1:" "$T/h" | tr -d '\r' | sed 's/^[^:]*: *//'; }
sig() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$S" -r | cut -d' ' -f1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
now_us() { echo $(( $(date +%s%N) / 1000 )); }

# signed METHOD PATH QUERY [BODY]: timestamp added last (to the body when
# there is one), signature over query + body as sent.
signed() {
	local m=$1 path=$2 q=$3 b=${4:-}
	if [ -n "$b" ]; then b="$b&timestamp=$(now_ms)"; else q="${q:+$q&}timestamp=$(now_ms)"; fi
	local s
	s=$(sig "$q$b")
	if [ -n "$b" ]; then call "$m" "$path?$q" "$b&signature=$s"
	else call "$m" "$path?$q&signature=$s"; fi
}

# expect WHAT STATUS [CODE]: the last reply's status and Binance code.
expect() {
	eq "$1: HTTP status" "$ST" "$2"
	[ $# -lt 3 ] || eq "$1: code" "$(code)" "$3"
}

# fresh_window: wait until the current minute has 40 s left, so that
# weight figures are not split by the fixed one-minute window.
early_in_minute() { [ $((10#$(date +%S))) -lt 20 ]; }
fresh_window() { wait_until 65 early_in_minute || fail "no fresh minute"; }

order() { # order QUERY-TAIL: a LIMIT GTC BUY on BTCUSDT with these values
	signed POST /api/v3/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&$1"
}

# config errors name file:line and exit 78
for bad in "symbols = BTCUSDT, BTCUSDT" "symbols = BTCUSDT," "symbols = btcusdt" \
	"listen = localhost" "weight_limit_1m = 0" "ping_timeout_ms = x"; do
	printf '[sim]\ntick_ms = 50\n%s\n' "$bad" >"$T/bad.ini"
	"$SIM" -c "$T/bad.ini" --port 0 >"$T/out" 2>&1
	eq "config '$bad': exit code" "$?" 78
	check "config '$bad': names file:line" grep -q "$T/bad.ini:3: " "$T/out"
done

sim_start
URL="http://127.0.0.1:$PORT"

# ---- paths: only what Binance serves --------------------------------------
call GET /api/v3/ping; expect "ping" 200
for p in //api/v3/ping /api//v3/ping /api/v3/ping/ /api/v3/nothing /sapi/v1/system/status \
	/api/v1/time /stream /ws/../api/v3/ping; do
	call GET "$p"; eq "GET $p: 404" "$ST" 404
done
check "404 is the exchange's page, not JSON" grep -q '<h1>404 Not Found</h1>' "$T/b"
call PUT /api/v3/order; eq "PUT /api/v3/order: 404" "$ST" 404
check "X-MBX-USED-WEIGHT-1M on a 404" test -n "$(hdr x-mbx-used-weight-1m)"

ws_status() { # ws_status TARGET: the status of a WebSocket handshake
	curl -s --path-as-is -m 2 -o /dev/null -w '%{http_code}' \
		-H "Connection: Upgrade" -H "Upgrade: websocket" \
		-H "Sec-WebSocket-Version: 13" -H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" \
		"$URL$1"
}
for p in "//stream?streams=btcusdt@trade" "///stream?streams=btcusdt@trade" \
	"//ws/btcusdt@trade" "/ws//btcusdt@trade" "/streams?streams=btcusdt@trade" \
	"/stream/?streams=btcusdt@trade" "/api/v3/ping"; do
	eq "stream $p: 404" "$(ws_status "$p")" 404
done
eq "stream /stream?streams=a/b: 101" "$(ws_status "/stream?streams=btcusdt@trade/ethusdt@bookTicker")" 101
eq "stream /ws/btcusdt@trade: 101" "$(ws_status "/ws/btcusdt@trade")" 101
eq "stream of an unknown symbol opens (and carries nothing): 101" "$(ws_status "/ws/notarealcoin@trade")" 101

# ---- signatures over the bytes as sent -------------------------------------
order "quantity=0.001&price=90000.00&newClientOrderId=a:b"
expect "signed with ':' as sent" 200
eq "the id as sent" "$(jq -r .clientOrderId "$T/b")" "a:b"
order "quantity=0.001&price=90000.00&newClientOrderId=a%3Ac"
expect "signed with '%3A' as sent" 200
eq "the id decoded" "$(jq -r .clientOrderId "$T/b")" "a:c"
q="symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=90000.00&newClientOrderId=a%3Ad&timestamp=$(now_ms)"
s=$(sig "${q/a%3Ad/a:d}")
call POST "/api/v3/order?$q&signature=$s"
expect "signed over a different encoding than sent" 400 -1022
signed POST /api/v3/order "symbol=BTCUSDT&side=BUY&type=LIMIT" "timeInForce=GTC&quantity=0.001&price=90000.00"
expect "signed over query + body" 200
q="symbol=BTCUSDT&timestamp=$(now_ms)"
call GET "/api/v3/openOrders?$q&signature=$(sig "${q}x")"
expect "wrong signature" 400 -1022
hex_case() { # hex_case FILTER: openOrders signed, the HMAC's hex through FILTER
	local q="symbol=BTCUSDT&timestamp=$(now_ms)"
	call GET "/api/v3/openOrders?$q&signature=$(sig "$q" | $1)"
}
hex_case cat; expect "HMAC in lowercase hex" 200
hex_case "tr a-f A-F"; expect "the same HMAC in uppercase hex (not case sensitive)" 200
hex_case "sed s/[a-f]/\U&/"; expect "the same HMAC in mixed case" 200
hex_case "sed s/[a-f]/G/"; expect "a non-hex character in a HMAC" 400 -1022
call GET "/api/v3/openOrders?symbol=BTCUSDT&timestamp=$(now_ms)"
expect "no signature" 400 -1102

# ---- timestamp and recvWindow ----------------------------------------------
tsq() { # tsq TIMESTAMP [EXTRA]: GET openOrders signed with this timestamp
	local q="symbol=BTCUSDT${2:+&$2}&timestamp=$1"
	call GET "/api/v3/openOrders?$q&signature=$(sig "$q")"
}
tsq $(( $(now_ms) + 3000 )); expect "timestamp 3 s ahead" 400 -1021
tsq $(( $(now_ms) - 7000 )); expect "timestamp 7 s old, default recvWindow" 400 -1021
tsq $(( $(now_ms) - 7000 )) "recvWindow=20000"; expect "7 s old within recvWindow=20000" 200
tsq $(( $(now_ms) - 7000 )) "recvWindow=60001"; expect "recvWindow over 60000" 400 -1131
tsq $(( $(now_ms) - 40000 )) "recvWindow=60000"; expect "40 s old within recvWindow=60000" 200
tsq "12x"; expect "malformed timestamp" 400 -1100
# Timestamps in µs, recvWindow with up to three decimals (Binance's
# "Timing security").
tsq "$(now_us)"; expect "timestamp in µs" 200
tsq $(( $(now_us) + 3000000 )); expect "µs timestamp 3 s ahead" 400 -1021
tsq $(( $(now_us) - 7000000 )); expect "µs timestamp 7 s old, default recvWindow" 400 -1021
tsq $(( $(now_us) - 7000000 )) "recvWindow=20000.5"; expect "7 s old in µs, recvWindow=20000.5" 200
tsq $(( $(now_ms) - 7000 )) "recvWindow=20000.125"; expect "recvWindow with three decimals" 200
tsq $(( $(now_ms) - 7000 )) "recvWindow=6999.999"; expect "7 s old, recvWindow=6999.999" 400 -1021
tsq "$(now_ms)" "recvWindow=5000.1234"; expect "recvWindow with four decimals" 400 -1100
tsq "$(now_ms)" "recvWindow=5000."; expect "recvWindow '5000.'" 400 -1100
tsq "$(now_ms)" "recvWindow=60000.000"; expect "recvWindow=60000.000" 200
tsq "$(now_ms)" "recvWindow=60000.001"; expect "recvWindow=60000.001" 400 -1131
call GET "/api/v3/openOrders?symbol=BTCUSDT&signature=00"; expect "no timestamp" 400 -1102
q="symbol=BTCUSDT&timestamp=$(now_ms)"
curl -s -o "$T/b" "$URL/api/v3/openOrders?$q&signature=$(sig "$q")"
eq "no API key" "$(code)" -2014

# ---- symbols -----------------------------------------------------------------
call GET /api/v3/exchangeInfo; expect "exchangeInfo" 200
for s in BTCUSDT ETHUSDT BNBUSDT HBARUSDT LTCBTC ETHBTC SOLUSDT XRPUSDT; do
	eq "exchangeInfo lists $s" "$(jq --arg s $s '[.symbols[] | select(.symbol == $s)] | length' "$T/b")" 1
done
eq "REQUEST_WEIGHT 6000 per 1 MINUTE" \
	"$(jq -c '[.rateLimits[] | select(.rateLimitType == "REQUEST_WEIGHT")][0] | [.interval, .intervalNum, .limit]' "$T/b")" \
	'["MINUTE",1,6000]'
eq "ORDERS and RAW_REQUESTS limits" \
	"$(jq -c '[.rateLimits[].rateLimitType] | sort | unique' "$T/b")" '["ORDERS","RAW_REQUESTS","REQUEST_WEIGHT"]'
eq "HBARUSDT filters" "$(jq -c '.symbols[] | select(.symbol == "HBARUSDT") | [.filters[].filterType]' "$T/b")" \
	'["PRICE_FILTER","LOT_SIZE","NOTIONAL","PERCENT_PRICE_BY_SIDE"]'
call GET "/api/v3/exchangeInfo?symbol=HBARUSDT"; expect "exchangeInfo?symbol=" 200
eq "one symbol listed" "$(jq -c '[.symbols[].symbol]' "$T/b")" '["HBARUSDT"]'
call GET '/api/v3/exchangeInfo?symbols=%5B%22ETHBTC%22,%22BTCUSDT%22%5D'; expect "exchangeInfo?symbols=" 200
eq "those symbols listed" "$(jq -c '[.symbols[].symbol]' "$T/b")" '["ETHBTC","BTCUSDT"]'
call GET '/api/v3/exchangeInfo?symbols=%5B%22BTCUSDT%22,%22NOTAREALCOIN%22%5D'
expect "exchangeInfo?symbols= with an unknown one" 400 -1121
call GET "/api/v3/exchangeInfo?symbol=NOTAREALCOIN"; expect "exchangeInfo of an unknown symbol" 400 -1121
signed POST /api/v3/order "symbol=NOTAREALCOIN&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=100.00"
expect "order on an unknown symbol" 400 -1121
signed GET /api/v3/openOrders "symbol=ABCDEUSDT"; expect "openOrders of an unknown symbol" 400 -1121

# ---- filters -----------------------------------------------------------------
order "quantity=0.001&price=90000.005"; expect "price off the tick" 400 -1013
eq "named" "$(msg)" "Filter failure: PRICE_FILTER"
order "quantity=0.0010001&price=90000.00"; expect "quantity off the step" 400 -1013
eq "named" "$(msg)" "Filter failure: LOT_SIZE"
order "quantity=10000&price=90000.00"; expect "quantity over maxQty" 400 -1013
eq "named" "$(msg)" "Filter failure: LOT_SIZE"
order "quantity=0.00001&price=90000.00"; expect "notional under minNotional" 400 -1013
eq "named" "$(msg)" "Filter failure: NOTIONAL"
order "quantity=200&price=90000.00"; expect "notional over maxNotional" 400 -1013
eq "named" "$(msg)" "Filter failure: NOTIONAL"
order "quantity=0.001&price=600000.00"; expect "price far above the average" 400 -1013
eq "named" "$(msg)" "Filter failure: PERCENT_PRICE_BY_SIDE"
order "quantity=0.01&price=10000.00"; expect "price far below the average" 400 -1013
eq "named" "$(msg)" "Filter failure: PERCENT_PRICE_BY_SIDE"

# ---- numbers and parameters --------------------------------------------------
order "quantity=0.001&price=90000.000000001"; expect "more decimals than the symbol allows" 400 -1111
eq "the text since 2023-12" "$(msg)" "Parameter 'price' has too much precision."
order "quantity=0.001000000001&price=90000.00"; expect "over-precise quantity" 400 -1111
eq "the parameter named" "$(msg)" "Parameter 'quantity' has too much precision."
for bad in .5 5. 1e3 "" 1,5 -1 0x10 1%20 +1; do
	order "quantity=0.001&price=$bad"; expect "price '$bad'" 400 -1100
done
order "quantity=0.001&price=90000.00&foo=1"; expect "unknown parameter" 400 -1104
eq "Binance's message, its numbers quoted" "$(msg)" \
	"Not all sent parameters were read; read '8' parameter(s) but was sent '9'."
order "quantitty=0.001&price=90000.00"; expect "misspelled parameter" 400 -1104
order "quantity=0.001&price=90000.00&price=90000.00"; expect "duplicate parameter" 400 -1101
signed POST /api/v3/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&price=90000.00"
expect "missing quantity" 400 -1102
eq "Binance's message" "$(msg)" "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed."
call GET "/api/v3/time?x=1"; expect "unknown parameter, unsigned" 400 -1104
signed GET /api/v3/order "symbol=BTCUSDT&orderId=12a"; expect "malformed orderId" 400 -1100
signed POST /api/v3/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=90000.00&newClientOrderId=has%20space"
expect "illegal newClientOrderId" 400 -1100

# ---- X-MBX-TIME-UNIT ---------------------------------------------------------------
near_us() { # near_us VALUE: a time of this test's (10 minutes), in µs
	local now
	now=$(now_us)
	[ "$1" -gt $((now - 600000000)) ] && [ "$1" -lt $((now + 5000000)) ]
}
near_ms() { near_us "$(($1 * 1000))"; }
is_us() { [ "$1" -gt 1000000000000000 ] && [ "$1" -lt 100000000000000000 ]; } # 2001 to 5138
for u in MICROSECOND microsecond; do
	HDR="X-MBX-TIME-UNIT: $u" call GET /api/v3/time; expect "time, X-MBX-TIME-UNIT: $u" 200
	check "serverTime in µs ($(jq .serverTime "$T/b"))" near_us "$(jq .serverTime "$T/b")"
done
for u in MILLISECOND millisecond; do
	HDR="X-MBX-TIME-UNIT: $u" call GET /api/v3/time; expect "time, X-MBX-TIME-UNIT: $u" 200
	check "serverTime in ms ($(jq .serverTime "$T/b"))" near_ms "$(jq .serverTime "$T/b")"
done
HDR="X-MBX-TIME-UNIT: SECOND" call GET /api/v3/time; expect "X-MBX-TIME-UNIT: SECOND" 400 -1194
eq "Binance's text" "$(msg)" "Invalid value for time unit; expected either MICROSECOND or MILLISECOND."
HDR="X-MBX-TIME-UNIT: MICROSECOND" order "quantity=0.001&price=90000.00&newClientOrderId=us1"
expect "order with X-MBX-TIME-UNIT: MICROSECOND" 200
check "transactTime in µs" near_us "$(jq .transactTime "$T/b")"
HDR="X-MBX-TIME-UNIT: MICROSECOND" signed GET /api/v3/order "symbol=BTCUSDT&origClientOrderId=us1"
expect "order GET in µs" 200
check "time and updateTime in µs" near_us "$(jq '[.time, .updateTime] | min' "$T/b")"
HDR="X-MBX-TIME-UNIT: MICROSECOND" signed GET /api/v3/openOrders ""
check "openOrders: every time in µs" near_us "$(jq '[.[].time] | min' "$T/b")"
HDR="X-MBX-TIME-UNIT: MICROSECOND" call GET /api/v3/exchangeInfo
check "exchangeInfo's serverTime in µs" near_us "$(jq .serverTime "$T/b")"
HDR="X-MBX-TIME-UNIT: MICROSECOND" call GET "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=2"
expect "klines in µs" 200
check "klines: open and close times in µs" is_us "$(jq '[.[][0], .[][6]] | min' "$T/b")"
HDR="X-MBX-TIME-UNIT: MICROSECOND" call GET "/api/v3/ticker/24hr?symbol=BTCUSDT"
check "ticker/24hr: openTime and closeTime in µs" is_us "$(jq '[.openTime, .closeTime] | min' "$T/b")"
signed GET /api/v3/order "symbol=BTCUSDT&origClientOrderId=us1"
check "without the header, in ms again" near_ms "$(jq .time "$T/b")"
signed DELETE /api/v3/order "symbol=BTCUSDT&origClientOrderId=us1"; expect "cancel us1" 200

# ---- account -------------------------------------------------------------------
signed GET /api/v3/account ""; expect "account" 200
check "balances of BTC and USDT" jq -e '[.balances[].asset] | index("BTC") and index("USDT")' "$T/b" >/dev/null
check "the open orders' USDT is locked" jq -e '.balances[] | select(.asset == "USDT") | (.locked | tonumber) > 0' "$T/b" >/dev/null
call GET "/api/v3/account?timestamp=$(now_ms)"; expect "account is signed" 400 -1102

# ---- request weights -------------------------------------------------------------
fresh_window
weight() { hdr x-mbx-used-weight-1m; }
w_of() { # w_of WHAT WANT CALL...: the weight one request adds
	local what=$1 want=$2 before; shift 2
	call GET /api/v3/ping; before=$(weight)
	"$@"
	eq "weight of $what" "$(( $(weight) - before ))" "$want"
}
w_of "ping" 1 call GET /api/v3/ping
w_of "time" 1 call GET /api/v3/time
w_of "exchangeInfo" 20 call GET /api/v3/exchangeInfo
w_of "openOrders with symbol" 6 signed GET /api/v3/openOrders "symbol=BTCUSDT"
w_of "openOrders without symbol" 80 signed GET /api/v3/openOrders ""
w_of "order GET" 4 signed GET /api/v3/order "symbol=BTCUSDT&origClientOrderId=a:b"
w_of "order POST" 1 order "quantity=0.001&price=89000.00&newClientOrderId=w1"
check "X-MBX-ORDER-COUNT-10S on an order" test -n "$(hdr x-mbx-order-count-10s)"
check "X-MBX-ORDER-COUNT-1D on an order" test -n "$(hdr x-mbx-order-count-1d)"
w_of "order DELETE" 1 signed DELETE /api/v3/order "symbol=BTCUSDT&origClientOrderId=w1"
w_of "account" 20 signed GET /api/v3/account ""
w_of "openOrders DELETE" 1 signed DELETE /api/v3/openOrders "symbol=BTCUSDT"
eq "state: weight used matches the header" "$(state .weight.used_1m)" "$(weight)"
eq "state: weight limit" "$(state .weight.limit_1m)" 6000

# ---- admin endpoint ------------------------------------------------------------------
astatus() { curl -s -o /dev/null -w '%{http_code}' -X "$1" "$URL/admin/$2"; }
eq "GET /admin/state" "$(astatus GET state)" 200
eq "POST /admin/state refused" "$(astatus POST state)" 405
eq "GET /admin/faults refused" "$(astatus GET 'faults?latency_ms=1')" 405
eq "GET /admin/seed refused" "$(astatus GET 'seed?symbol=BTCUSDT&clientOrderId=x1')" 405
eq "GET /admin/fill refused" "$(astatus GET 'fill?clientOrderId=x1')" 405
eq "unknown fault refused" "$(astatus POST 'faults?no_such=1')" 400
eq "the GET changed nothing" "$(state '.by_prefix.x // 0')" 0
for f in weight.limit_1m weight.used_1m weight.peak_1m http_429 http_418 http_connections \
	open_orders by_symbol by_prefix orders requests ws_closes ws.open ws.connects; do
	check "state reports $f" jq -e ".$f != null" <<<"$(admin state)" >/dev/null
done
before=$(state .http_connections)
curl -s -o /dev/null -o /dev/null -o /dev/null "$URL/api/v3/ping" "$URL/api/v3/ping" "$URL/api/v3/ping"
curl -s -o /dev/null "$URL/api/v3/ping"
eq "http_connections counts TCP connections (3 requests on one, 1 on another)" \
	"$(( $(state .http_connections) - before ))" 2

# ---- clock_offset_ms and stream_paused ----------------------------------------------
faults "clock_offset_ms=10000"
call GET /api/v3/time
check "serverTime 10 s ahead" test "$(jq .serverTime "$T/b")" -gt $(( $(now_ms) + 9000 ))
signed GET /api/v3/openOrders "symbol=BTCUSDT"; expect "local time against a clock 10 s ahead" 400 -1021
q="symbol=BTCUSDT&timestamp=$(( $(now_ms) + 10000 ))"
call GET "/api/v3/openOrders?$q&signature=$(sig "$q")"; expect "timestamp on the server's clock" 200
faults "clock_offset_ms=-10000"
signed GET /api/v3/openOrders "symbol=BTCUSDT"; expect "local time against a clock 10 s behind" 400 -1021
faults "clock_offset_ms=0"

# A WebSocket client in bash: frames are masked with a zero key.
ws_open() { # ws_open TARGET: connect on fd 3 and read the handshake
	exec 3<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n' "$1" >&3
	local line
	while IFS= read -r -t 5 line <&3; do [ "$line" != $'\r' ] || break; done
}
ws_send() { # ws_send TEXT (under 126 bytes)
	printf "\\x81\\x$(printf %02x $((0x80 | ${#1})))\\x00\\x00\\x00\\x00%s" "$1" >&3
}
ws_read() { # ws_read: the next message up to its first '}' (none in 5 s: "")
	local m="" i
	# A frame's length byte may itself be '}' (125): read on then.
	for i in 1 2; do
		IFS= read -r -t 5 -d '}' m <&3 || true
		case "$m" in *"{"*) break ;; esac
	done
	printf '%s' "${m#*\{}"
}
faults "stream_paused=1"
eq "state: stream_paused" "$(state .stream_paused)" true
ws_open "/ws/btcusdt@trade"
ws_send '{"method":"SUBSCRIBE","params":["ethusdt@trade","hbarusdt@bookTicker"],"id":1}'
eq "SUBSCRIBE answered (no market event first: paused)" "$(ws_read)" '"result":null,"id":1'
ws_send '{"method":"LIST_SUBSCRIPTIONS","id":2}'
eq "LIST_SUBSCRIPTIONS" "$(ws_read)" '"result":["btcusdt@trade","ethusdt@trade","hbarusdt@bookTicker"],"id":2'
ws_send '{"method":"UNSUBSCRIBE","params":["ethusdt@trade"],"id":3}'
eq "UNSUBSCRIBE answered" "$(ws_read)" '"result":null,"id":3'
ws_send '{"method":"LIST_SUBSCRIPTIONS","id":4}'
eq "unsubscribed" "$(ws_read)" '"result":["btcusdt@trade","hbarusdt@bookTicker"],"id":4'
ws_send '{"method":"SUBSCRIBE","params":["nopeusdt@trade"],"id":5}'
eq "SUBSCRIBE to an unknown symbol: accepted, as Binance" "$(ws_read)" '"result":null,"id":5'
exec 3>&-
faults "stream_paused=0"
ws_open "/ws/hbarusdt@trade"
ev=$(ws_read)
p=$(sed -n 's/.*"p":"\([^"]*\)".*/\1/p' <<<"$ev")
check "HBARUSDT trade price $p on the 0.00001 tick" grep -Eq '^[0-9]+\.[0-9]{5}000$' <<<"$p"
exec 3>&-

# ---- ORDERS per 10 s, 429, 418 ------------------------------------------------------
kill -TERM "$SIM_PID"; wait "$SIM_PID" 2>/dev/null
sim_start "weight_limit_1m = 50
ban_seconds = 30
order_limit_10s = 2
ping_interval_ms = 100
ping_timeout_ms = 400"
URL="http://127.0.0.1:$PORT"
early_in_10s() { [ $(( $(now_ms) % 10000 )) -lt 5000 ]; }
wait_until 11 early_in_10s
order "quantity=0.001&price=90000.00"; expect "order 1 of 2 per 10 s" 200
order "quantity=0.001&price=90000.00"; expect "order 2 of 2 per 10 s" 200
order "quantity=0.001&price=90000.00"; expect "order 3 of 2 per 10 s" 429 -1015
eq "no Retry-After on -1015 (as Binance)" "$(hdr retry-after)" ""
eq "exchangeInfo shows the configured limit" \
	"$(curl -s "$URL/api/v3/exchangeInfo" | jq '.rateLimits[] | select(.rateLimitType == "REQUEST_WEIGHT") | .limit')" 50

# a client that never answers pings is dropped
ws_open "/ws/btcusdt@trade"
ws_gone() { [ "$(state .ws.ping_timeouts)" -ge 1 ] && [ "$(state .ws.open)" = 0 ]; }
check "a client deaf to pings is dropped" wait_until 10 ws_gone
exec 3>&-

fresh_window
call GET /api/v3/exchangeInfo   # 20 (+26 from the orders and listing above, at most)
until [ "$ST" = 429 ] || [ "$(weight)" -gt 50 ]; do call GET /api/v3/time; done
expect "past weight_limit_1m" 429 -1003
check "Retry-After on 429" test -n "$(hdr retry-after)"
retry=$(hdr retry-after)
check "Retry-After is the rest of the minute ($retry s)" test "$retry" -ge 1 -a "$retry" -le 60
sleep 1.1   # the client has had its second to see the 429
call GET /api/v3/time; expect "still sending after a 429" 418 -1003
check "Retry-After on 418 is the ban ($(hdr retry-after) s)" test "$(hdr retry-after)" -ge 25 -a "$(hdr retry-after)" -le 30
call GET /api/v3/ping; expect "banned" 418 -1003
check "state counts the 429s" test "$(state .http_429)" -ge 1
check "state counts the 418s" test "$(state .http_418)" -ge 2
check "state: peak over the limit" test "$(state .weight.peak_1m)" -gt 50

# ---- configured symbols, token, listening sockets -----------------------------------
kill -TERM "$SIM_PID"; wait "$SIM_PID" 2>/dev/null
syms=$(for i in $(seq 64); do printf 'S%02dXUSDT, ' "$i"; done)
sim_start "symbols = ${syms%, }, HBARUSDT
admin_token = sekrit
[faults]
clock_offset_ms = -10000"
URL="http://127.0.0.1:$PORT"
call GET /api/v3/time
check "clock_offset_ms from the config: serverTime 10 s behind" \
	test "$(jq .serverTime "$T/b")" -lt $(( $(now_ms) - 9000 ))
eq "64 configured symbols + HBARUSDT listed" "$(curl -s "$URL/api/v3/exchangeInfo" | jq '.symbols | length')" 65
eq "a generic symbol's tick" "$(curl -s "$URL/api/v3/exchangeInfo?symbol=S07XUSDT" | jq -r '.symbols[0].filters[0].tickSize')" 0.01000000
eq "a table symbol keeps its filters" "$(curl -s "$URL/api/v3/exchangeInfo?symbol=HBARUSDT" | jq -r '.symbols[0].filters[0].tickSize')" 0.00001000
call GET "/api/v3/exchangeInfo?symbol=BTCUSDT"; expect "a default pair not configured" 400 -1121
eq "admin without the token" "$(astatus GET state)" 401
eq "admin with a wrong token" "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'X-Admin-Token: nope' "$URL/admin/faults?latency_ms=0")" 401
eq "admin with the token" "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Admin-Token: sekrit' "$URL/admin/state")" 200

# only 127.0.0.1 and ::1 listen (no wildcard)
port_hex=$(printf '%04X' "$PORT")
listeners=$(awk -v p=":$port_hex" '$4 == "0A" && substr($2, length($2) - 4) == p { print $2 }' \
	/proc/net/tcp /proc/net/tcp6 2>/dev/null | sort | tr '\n' ' ')
case "$listeners" in
"00000000000000000000000001000000:$port_hex 0100007F:$port_hex " | "0100007F:$port_hex ")
	pass "listening on loopback only ($listeners)" ;;
*) fail "listening sockets: $listeners" ;;
esac
kill -TERM "$SIM_PID"; wait "$SIM_PID" 2>/dev/null

# ---- a base64 signature is form-decoded: an unencoded '+' is a space ------
sim_start "key_type = ed25519
public_key_file = $top_srcdir/tests/keys/ed25519.pub.pem"
ed_sig() { printf '%s' "$1" >"$T/payload"
	openssl pkeyutl -sign -inkey "$T/ed.pem" -rawin -in "$T/payload" | base64 -w0; }
install -m 0600 "$top_srcdir/tests/keys/ed25519.pem" "$T/ed.pem"
for i in $(seq 50); do   # Ed25519 is deterministic: find a signature with '+'
	q="recvWindow=$((5000 + i))&timestamp=$(now_ms)"
	s=$(ed_sig "$q")
	case "$s" in *+*) break ;; esac
done
case "$s" in *+*) ;; *) fail "no Ed25519 signature with '+' in 50 tries" ;; esac
call GET "/api/v3/account?$q&signature=$s"
expect "Ed25519 signature with a raw '+'" 400 -1022
enc=$(printf '%s' "$s" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
call GET "/api/v3/account?$q&signature=$enc"
expect "the same signature percent-encoded" 200

# ---- pipelined requests on one connection ----------------------------------
pipeline() { # pipeline N: N GET /api/v3/time in one send; the statuses
	local i reqs=""
	for i in $(seq "$1"); do
		reqs+="GET /api/v3/time HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		[ "$i" -lt "$1" ] || reqs+="Connection: close\r\n"
		reqs+="\r\n"
	done
	timeout 20 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
		printf "$1" >&3; cat <&3' "$PORT" "$reqs" |
		grep -ao 'HTTP/1\.1 [0-9]*' | sort | uniq -c | awk '{ printf "%s:%s ", $3, $1 }'
}
eq "10 pipelined requests: all answered 200" "$(pipeline 10)" "200:10 "
# Up to 1024 heads may wait for their answers, however the bytes arrive.
eq "300 pipelined requests: all answered 200" "$(pipeline 300)" "200:300 "
# Past that the connection is closed.  The 400 and the answers before it
# may be lost to the reset that closing over unread requests makes, so
# what holds is: nothing but 200 (or that 400) came back, the simulator
# said why, and it still answers.
st=$(pipeline 1200)
if [[ "$st" =~ ^(200:[0-9]+ )?(400:1 )?$ ]]; then
	pass "1200 pipelined: answered in step or closed ($st)"
else
	fail "1200 pipelined requests: $st"
fi
[ "$st" = "200:1200 " ] ||
	check "the closing logged" wait_until 10 grep -q "too many pipelined requests" "$T/sim.log"
call GET /api/v3/ping; expect "a ping after the flood" 200
kill -TERM "$SIM_PID"; wait "$SIM_PID" 2>/dev/null

# admin from a non-loopback peer is refused, the exchange itself answers
ip=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9.]+$' | grep -v '^127\.' | head -1)
if [ -n "$ip" ]; then
	sim_start "listen = $ip"
	eq "REST from $ip" "$(curl -s -o /dev/null -w '%{http_code}' "http://$ip:$PORT/api/v3/ping")" 200
	eq "admin from $ip refused" "$(curl -s -o /dev/null -w '%{http_code}' "http://$ip:$PORT/admin/state")" 403
	eq "nothing on 127.0.0.1 when listen says otherwise" \
		"$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/v3/ping")" 000
else
	echo "no non-loopback address: the admin peer check is not exercised"
fi
finish
