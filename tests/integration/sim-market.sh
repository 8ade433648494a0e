#!/bin/bash
# exchange-sim's market data as Binance serves it: the streams opened the
# ways real clients open them, their control methods and error replies,
# timeUnit, the limits on messages and streams; the REST market data
# endpoints with their weights, parameters and shapes; and the diff depth
# stream synced against the REST snapshot the documented way; and, the
# market frozen, a crossing order that gets exactly the levels depth showed,
# consumes them, and prints its fills on every trade stream and endpoint.
. "$(dirname "$0")/bot-common.sh"
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
# The interpreter itself: a version manager's shim costs seconds a call.
PY=$(python3 -c 'import sys; print(sys.executable)')
WS="$(dirname "$0")/ws-client.py"

sim_start "tick_ms = 100"

# wsr TARGET N [SEND...]: the first N messages, one a line (ws-client.py).
wsr() { "$PY" "$WS" "$PORT" read "$@"; }
# jqe WHAT JQ-TEST: the test holds for every line of $T/m.
jqe() {
	if [ -s "$T/m" ] && jq -e "$2" "$T/m" >/dev/null 2>&1 &&
		! jq -e "($2) | not" "$T/m" >/dev/null 2>&1; then
		pass "$1"
	else
		fail "$1: $(head -c 400 "$T/m")"
	fi
}

# ---- the ways clients open streams -----------------------------------------
wsr /ws/btcusdt@trade 2 >"$T/m"
jqe "/ws/<stream>: raw trade events" \
	'.e == "trade" and .s == "BTCUSDT" and (.t|type) == "number" and (.p|test("^[0-9]+\\.[0-9]{8}$")) and (.q|test("^[0-9]+\\.[0-9]{8}$")) and (.m|type) == "boolean" and .M == true and (keys|length) == 9'
wsr /ws/btcusdt@aggTrade/ethusdt@bookTicker 6 >"$T/m"
jqe "/ws/<a>/<b>: both, raw" '(.e == "aggTrade" and .s == "BTCUSDT") or (.s == "ETHUSDT" and (.u|type) == "number")'
check "/ws/<a>/<b>: aggTrade events" grep -q '"e":"aggTrade"' "$T/m"
check "/ws/<a>/<b>: bookTicker events" grep -q '"s":"ETHUSDT"' "$T/m"
wsr "/stream?streams=btcusdt@trade/ethusdt@trade" 4 >"$T/m"
jqe "/stream?streams=: wrapped" '(.stream == "btcusdt@trade" or .stream == "ethusdt@trade") and .data.e == "trade" and (keys == ["data","stream"])'
wsr /ws 2 '{"method":"SUBSCRIBE","params":["bnbusdt@trade"],"id":7}' >"$T/m"
eq "/ws then SUBSCRIBE: answered" "$(head -1 "$T/m")" '{"result":null,"id":7}'
eq "/ws then SUBSCRIBE: raw events" "$(sed -n 2p "$T/m" | jq -r .s)" BNBUSDT
wsr /stream 2 '{"method":"SUBSCRIBE","params":["bnbusdt@trade"],"id":"a1"}' >"$T/m"
eq "bare /stream then SUBSCRIBE: answered" "$(head -1 "$T/m")" '{"result":null,"id":"a1"}'
eq "bare /stream: events wrapped" "$(sed -n 2p "$T/m" | jq -r .stream)" bnbusdt@trade
WS_WAIT=2 wsr /ws/0123456789abcdef 2 '{"method":"LIST_SUBSCRIPTIONS","id":1}' >"$T/m"
eq "/ws/<unknown name> opens, carries nothing" "$(cat "$T/m")" \
	"$(printf '%s\n%s' '{"result":["0123456789abcdef"],"id":1}' 'closed: timed out')"
WS_WAIT=2 wsr /ws/notacoin@trade/btcusdt@kline_7m 1 >"$T/m"
eq "unknown symbol, unknown interval: nothing" "$(cat "$T/m")" 'closed: timed out'
for p in "/stream/" "//stream" "/ws//btcusdt@trade" "/ws/btcusdt@trade/" "/stream?streams=btcusdt@trade&x=1" \
	"/ws?foo=bar"; do
	eq "$p: 404" "$(wsr "$p" 1)" "status 404"
done
eq "timeUnit=SECOND: 400" "$(wsr "/ws/btcusdt@trade?timeUnit=SECOND" 1)" "status 400"

# ---- timeUnit ---------------------------------------------------------------
for u in MICROSECOND microsecond; do
	wsr "/ws/btcusdt@trade?timeUnit=$u" 2 >"$T/m"
	jqe "timeUnit=$u: trade E and T in µs" '(.E|tostring|length) == 16 and (.T|tostring|length) == 16'
done
wsr "/stream?streams=btcusdt@kline_1m/btcusdt@ticker&timeUnit=MICROSECOND" 2 >"$T/m"
jqe "timeUnit on /stream: kline and ticker times in µs" \
	'(.data.E|tostring|length) == 16 and (if .data.e == "kline" then (.data.k.t|tostring|length) == 16 and (.data.k.T % 1000000) == 999999 else (.data.O|tostring|length) == 16 and (.data.C|tostring|length) == 16 end)'
wsr "/ws/btcusdt@trade?timeUnit=MILLISECOND" 1 >"$T/m"
jqe "timeUnit=MILLISECOND: ms" '(.E|tostring|length) == 13'

# ---- event shapes -----------------------------------------------------------
wsr /ws/btcusdt@bookTicker 1 >"$T/m"
jqe "bookTicker: u s b B a A, no e" '(keys == ["A","B","a","b","s","u"]) and (.b|tonumber) < (.a|tonumber)'
wsr /ws/btcusdt@ticker 1 >"$T/m"
jqe "24hrTicker: every field" '.e == "24hrTicker" and (keys|sort) == (["e","E","s","p","P","w","x","c","Q","b","B","a","A","o","h","l","v","q","O","C","F","L","n"]|sort) and (.C - .O) == 86400000 and .n == (.L - .F + 1)'
wsr /ws/btcusdt@miniTicker 1 >"$T/m"
jqe "24hrMiniTicker" '.e == "24hrMiniTicker" and (keys|sort) == (["e","E","s","c","o","h","l","v","q"]|sort)'
wsr /ws/btcusdt@avgPrice 1 >"$T/m"
jqe "avgPrice" '.e == "avgPrice" and .i == "5m" and (.w|test("^[0-9]+\\.[0-9]{8}$")) and (.T|type) == "number"'
wsr /ws/btcusdt@kline_1m 1 >"$T/m"
# Right after a minute ends, the first event may be the closed kline.
jqe "kline_1m" '.e == "kline" and .k.i == "1m" and .k.x == (.E > .k.T) and (.k.T - .k.t) == 59999 and (.k.t % 60000) == 0 and (.k|keys|sort) == (["t","T","s","i","f","L","o","c","h","l","v","n","x","q","V","Q","B"]|sort)'
wsr /ws/btcusdt@kline_1s 1 >"$T/m"
jqe "kline_1s" '.k.i == "1s" and (.k.T - .k.t) == 999'
for n in 5 10 20; do
	wsr "/ws/btcusdt@depth$n@100ms" 1 >"$T/m"
	jqe "depth$n@100ms: $n levels a side, best first" "(keys == [\"asks\",\"bids\",\"lastUpdateId\"]) and (.bids|length) == $n and (.asks|length) == $n and (.bids[0][0]|tonumber) > (.bids[1][0]|tonumber) and (.asks[0][0]|tonumber) < (.asks[1][0]|tonumber)"
done
wsr /ws/btcusdt@depth 1 >"$T/m"
jqe "depthUpdate" '.e == "depthUpdate" and .s == "BTCUSDT" and .U <= .u and (keys|sort) == (["e","E","s","U","u","b","a"]|sort)'

# ---- control methods and their errors ---------------------------------------
ctl() { # ctl TARGET MSG...: the replies, one a line
	wsr "$1" $(($# - 1)) "${@:2}" 2>&1
}
out=$(ctl /ws/btcusdt@depth \
	'{"method":"SET_PROPERTY","params":["combined",true],"id":1}' \
	'{"method":"GET_PROPERTY","params":["combined"],"id":2}')
eq "SET_PROPERTY, GET_PROPERTY combined" "$out" \
	"$(printf '%s\n%s' '{"result":null,"id":1}' '{"result":true,"id":2}')"
# An event may come before the reply: the one after the reply is wrapped.
wsr /ws/btcusdt@trade 4 '{"method":"SET_PROPERTY","params":["combined",true],"id":1}' >"$T/m"
eq "combined set on /ws: events wrapped" \
	"$(sed -n '/"id":1}$/{n;p;q}' "$T/m" | jq -r .stream)" btcusdt@trade
eq "GET_PROPERTY combined on /stream" "$(ctl /stream '{"method":"GET_PROPERTY","params":["combined"],"id":3}')" '{"result":true,"id":3}'
eq "GET_PROPERTY combined on /ws" "$(ctl /ws '{"method":"GET_PROPERTY","params":["combined"],"id":3}')" '{"result":false,"id":3}'
errs() { # errs MSG EXPECTED: the reply to MSG on /ws
	eq "error: $1" "$(ctl /ws "$1")" "$2"
}
errs '{"method":"SET_PROPERTY","params":["colour",true],"id":4}' '{"error":{"code":0,"msg":"Unknown property"},"id":4}'
errs '{"method":"SET_PROPERTY","params":["combined","yes"],"id":5}' '{"error":{"code":1,"msg":"Invalid value type: expected Boolean"},"id":5}'
errs '{"method":"SET_PROPERTY","params":[1,true],"id":6}' '{"error":{"code":2,"msg":"Invalid request: property name must be a string"},"id":6}'
errs '{"method":"GET_PROPERTY","params":["combined",1],"id":7}' '{"error":{"code":2,"msg":"Invalid request: too many parameters"},"id":7}'
errs '{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1.5}' '{"error":{"code":2,"msg":"Invalid request: request ID must be an unsigned integer"},"id":null}'
errs '{"method":"SUBSCRIBE","params":["btcusdt@trade"]}' '{"error":{"code":2,"msg":"Invalid request: request ID must be an unsigned integer"},"id":null}'
errs '{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":"not-alnum"}' '{"error":{"code":2,"msg":"Invalid request: request ID must be an unsigned integer"},"id":null}'
errs '{"method":"SUBSCRIBEX","params":[],"id":8}' '{"error":{"code":2,"msg":"Invalid request: unknown variant `SUBSCRIBEX`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY` at line 1 column 22"},"id":8}'
errs '{"params":[],"id":9}' '{"error":{"code":2,"msg":"Invalid request: missing field `method` at line 1 column 20"},"id":9}'
errs '{"method":' '{"error":{"code":3,"msg":"Invalid JSON: expected value at line 1 column 10"},"id":null}'
out=$(ctl /ws/a1 \
	'{"method":"SUBSCRIBE","params":["b2","c3"],"id":1}' \
	'{"method":"UNSUBSCRIBE","params":["a1","c3","d4"],"id":2}' \
	'{"method":"LIST_SUBSCRIPTIONS","id":3}')
eq "SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS" "$out" \
	"$(printf '%s\n%s\n%s' '{"result":null,"id":1}' '{"result":null,"id":2}' '{"result":["b2"],"id":3}')"

# ---- limits -----------------------------------------------------------------
"$PY" "$WS" "$PORT" rate /ws >"$T/rate" || true
cat "$T/rate"
check "6 messages in a second: the 6th closes the connection with 1008" \
	grep -q '^ok: the sixth closes with 1008' "$T/rate"
names=$(seq -f 'n%g@x' 1 1024 | paste -sd/)
eq "1024 streams in the path: opens" "$(WS_WAIT=1 wsr "/stream?streams=$names" 1)" "closed: timed out"
eq "1025 streams in the path: 400" "$(wsr "/stream?streams=$names/n1025@x" 1)" "status 400"
sub=$(seq -f '"m%g@x"' 1 1024 | paste -sd,)
out=$(ctl /ws/n1@x "{\"method\":\"SUBSCRIBE\",\"params\":[$sub],\"id\":1}")
eq "1025 streams by SUBSCRIBE: refused" "$out" '{"error":{"code":2,"msg":"Invalid request: more than 1024 streams"},"id":1}'

# ---- REST market data: shapes, weights, parameters ------------------------
URL="http://127.0.0.1:$PORT"
get() { # get TARGET: body in $T/b, status in ST, weight in W (counted afresh)
	faults "weight_reset=1"
	ST=$(curl -s -g -D "$T/h" -o "$T/b" -w '%{http_code}' "$URL$1")
	W=$(grep -i '^x-mbx-used-weight-1m:' "$T/h" | tr -d '\r' | sed 's/^[^:]*: *//')
}
jqb() { jq -e "$1" "$T/b" >/dev/null 2>&1; }
ok() { # ok WHAT TARGET WEIGHT JQ-TEST
	get "$2"
	eq "$1: 200" "$ST" 200
	eq "$1: weight" "$W" "$3"
	check "$1: shape" jqb "$4"
}
refused() { # refused WHAT TARGET STATUS CODE
	get "$2"
	eq "$1: status" "$ST" "$3"
	eq "$1: code" "$(jq -r .code "$T/b")" "$4"
}
D8='test("^[0-9]+\\.[0-9]{8}$")'
ok "depth" "/api/v3/depth?symbol=BTCUSDT" 5 \
	"(keys == [\"asks\",\"bids\",\"lastUpdateId\"]) and (.bids|length) >= 50 and (.bids|length) <= 100 and (.bids[0][0]|$D8) and (.bids[0][1]|$D8) and ([.bids[][0]|tonumber] == ([.bids[][0]|tonumber]|sort|reverse)) and ([.asks[][0]|tonumber] == ([.asks[][0]|tonumber]|sort)) and (.bids[0][0]|tonumber) < (.asks[0][0]|tonumber)"
for lw in 1:5 100:5 101:25 500:25 501:50 1000:50 1001:250 5000:250 9999:250; do
	ok "depth limit=${lw%:*}" "/api/v3/depth?symbol=BTCUSDT&limit=${lw%:*}" "${lw#*:}" \
		"(.bids|length) <= ${lw%:*} and (.asks|length) <= ${lw%:*}"
done
ok "depth limit=2: two levels a side" "/api/v3/depth?symbol=ETHUSDT&limit=2" 5 '(.bids|length) == 2 and (.asks|length) == 2'
refused "depth without symbol" "/api/v3/depth" 400 -1102
refused "depth of an unknown symbol" "/api/v3/depth?symbol=NOPEUSDT" 400 -1121
refused "depth limit=x" "/api/v3/depth?symbol=BTCUSDT&limit=x" 400 -1100
refused "depth limit=0" "/api/v3/depth?symbol=BTCUSDT&limit=0" 400 -1100
refused "depth symbolStatus=HALT" "/api/v3/depth?symbol=BTCUSDT&symbolStatus=HALT" 400 -1220
refused "depth with an unknown parameter" "/api/v3/depth?symbol=BTCUSDT&levels=5" 400 -1104

TR='(keys == ["id","isBestMatch","isBuyerMaker","price","qty","quoteQty","time"])'
ok "trades" "/api/v3/trades?symbol=BTCUSDT" 25 \
	"length >= 20 and length <= 500 and (.[0]|$TR) and (.[0].price|$D8) and ([.[].id] == ([.[].id]|sort)) and (.[-1].id - .[0].id) == (length - 1)"
ok "trades limit=3" "/api/v3/trades?symbol=BTCUSDT&limit=3" 25 'length == 3'
first=$(jq '.[0].id' "$T/b")
ok "historicalTrades fromId" "/api/v3/historicalTrades?symbol=BTCUSDT&fromId=$first&limit=2" 25 \
	"length == 2 and .[0].id == $first and .[1].id == $first + 1 and (.[0]|$TR)"
refused "trades without symbol" "/api/v3/trades" 400 -1102
ok "aggTrades" "/api/v3/aggTrades?symbol=BTCUSDT&limit=5" 4 \
	'length == 5 and (.[0]|keys) == (["M","T","a","f","l","m","p","q"]|sort) and (.[0].f <= .[0].l) and (.[1].a == .[0].a + 1) and (.[1].f == .[0].l + 1)'
a=$(jq '.[0].a' "$T/b")
ok "aggTrades fromId" "/api/v3/aggTrades?symbol=BTCUSDT&fromId=$a&limit=2" 4 ".[0].a == $a and length == 2"
now=$(( $(date +%s%N) / 1000000 ))
ok "aggTrades startTime, endTime" "/api/v3/aggTrades?symbol=BTCUSDT&startTime=$((now - 3000))&endTime=$now" 4 \
	"length >= 1 and all(.[]; .T >= $((now - 3000)) and .T <= $now)"
refused "aggTrades fromId with startTime" "/api/v3/aggTrades?symbol=BTCUSDT&fromId=1&startTime=$now" 400 -1128
refused "aggTrades start after end" "/api/v3/aggTrades?symbol=BTCUSDT&startTime=$now&endTime=$((now - 1))" 400 -1023
refused "aggTrades over an hour" "/api/v3/aggTrades?symbol=BTCUSDT&startTime=$((now - 3600001))&endTime=$now" 400 -1127
KL='length == 12 and (.[0]|type) == "number" and (.[1]|test("^[0-9]+\\.[0-9]{8}$")) and (.[6]|type) == "number" and (.[8]|type) == "number" and .[11] == "0"'
ok "klines 1m" "/api/v3/klines?symbol=BTCUSDT&interval=1m" 2 \
	"length >= 1 and all(.[]; $KL) and all(.[]; .[0] % 60000 == 0 and .[6] - .[0] == 59999)"
ok "klines 1s limit=3" "/api/v3/klines?symbol=BTCUSDT&interval=1s&limit=3" 2 \
	"length == 3 and all(.[]; .[6] - .[0] == 999) and .[1][0] > .[0][0]"
s0=$(jq '.[1][0]' "$T/b")
ok "klines 1s from startTime" "/api/v3/klines?symbol=BTCUSDT&interval=1s&startTime=$s0&limit=1" 2 ".[0][0] == $s0"
ok "klines 1d: one, the day's" "/api/v3/klines?symbol=BTCUSDT&interval=1d" 2 \
	'length == 1 and .[0][0] % 86400000 == 0 and .[0][6] - .[0][0] == 86399999'
ok "klines 1w opens on a Monday" "/api/v3/klines?symbol=BTCUSDT&interval=1w" 2 \
	'length == 1 and ((.[0][0] / 1000 | strftime("%u %H:%M:%S")) == "1 00:00:00")'
ok "klines 1M opens on the 1st" "/api/v3/klines?symbol=BTCUSDT&interval=1M" 2 \
	'length == 1 and ((.[0][0] / 1000 | strftime("%d %H:%M:%S")) == "01 00:00:00")'
ok "uiKlines" "/api/v3/uiKlines?symbol=BTCUSDT&interval=1m&limit=1" 2 "length == 1 and (.[0]|$KL)"
refused "klines without interval" "/api/v3/klines?symbol=BTCUSDT" 400 -1102
refused "klines interval=2m" "/api/v3/klines?symbol=BTCUSDT&interval=2m" 400 -1120
refused "klines start after end" "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=2&endTime=1" 400 -1023
ok "avgPrice" "/api/v3/avgPrice?symbol=BTCUSDT" 2 "(keys == [\"closeTime\",\"mins\",\"price\"]) and .mins == 5 and (.price|$D8)"
FULL='(keys|sort) == (["symbol","priceChange","priceChangePercent","weightedAvgPrice","prevClosePrice","lastPrice","lastQty","bidPrice","bidQty","askPrice","askQty","openPrice","highPrice","lowPrice","volume","quoteVolume","openTime","closeTime","firstId","lastId","count"]|sort)'
MINI='(keys|sort) == (["symbol","openPrice","highPrice","lowPrice","lastPrice","volume","quoteVolume","openTime","closeTime","firstId","lastId","count"]|sort)'
ok "ticker/24hr symbol" "/api/v3/ticker/24hr?symbol=BTCUSDT" 2 \
	"$FULL and .symbol == \"BTCUSDT\" and .count == (.lastId - .firstId + 1) and (.closeTime - .openTime) == 86400000 and (.bidPrice|tonumber) < (.askPrice|tonumber)"
ok "ticker/24hr symbols" '/api/v3/ticker/24hr?symbols=["BTCUSDT","ETHUSDT"]' 2 \
	"length == 2 and (.[0]|$FULL) and .[1].symbol == \"ETHUSDT\""
ok "ticker/24hr, all" "/api/v3/ticker/24hr" 80 "length == 8 and all(.[]; $FULL)"
ok "ticker/24hr type=MINI" "/api/v3/ticker/24hr?symbol=BTCUSDT&type=MINI" 2 "$MINI"
refused "ticker/24hr type=SHORT" "/api/v3/ticker/24hr?symbol=BTCUSDT&type=SHORT" 400 -1139
refused "ticker/24hr symbol and symbols" '/api/v3/ticker/24hr?symbol=BTCUSDT&symbols=["ETHUSDT"]' 400 -1106
refused "ticker/24hr unknown in symbols" '/api/v3/ticker/24hr?symbols=["BTCUSDT","NOPEUSDT"]' 400 -1121
ok "ticker/price symbol" "/api/v3/ticker/price?symbol=ETHUSDT" 2 "(keys == [\"price\",\"symbol\"]) and (.price|$D8)"
ok "ticker/price, all" "/api/v3/ticker/price" 4 'length == 8'
ok "ticker/price symbols" '/api/v3/ticker/price?symbols=["ETHUSDT"]' 4 'length == 1 and .[0].symbol == "ETHUSDT"'
ok "ticker/bookTicker symbol" "/api/v3/ticker/bookTicker?symbol=ETHUSDT" 2 \
	'(keys == ["askPrice","askQty","bidPrice","bidQty","symbol"]) and (.bidPrice|tonumber) < (.askPrice|tonumber)'
ok "ticker/bookTicker, all" "/api/v3/ticker/bookTicker" 4 'length == 8'

# One market: the best levels of depth are bookTicker's (asked in the same
# tick: a few tries), and the last trade is ticker/price's.
same_top() { # both asked on one connection, one after the other
	curl -s "$URL/api/v3/depth?symbol=SOLUSDT&limit=1" -o "$T/d" \
		"$URL/api/v3/ticker/bookTicker?symbol=SOLUSDT" -o "$T/bt"
	[ "$(jq -c '[.bids[0], .asks[0]]' "$T/d")" = \
		"$(jq -c '[[.bidPrice, .bidQty], [.askPrice, .askQty]]' "$T/bt")" ]
}
check "depth and bookTicker agree" wait_until 10 same_top
same_last() {
	curl -s "$URL/api/v3/trades?symbol=SOLUSDT&limit=1" -o "$T/tr" \
		"$URL/api/v3/ticker/price?symbol=SOLUSDT" -o "$T/tp"
	[ "$(jq -r '.[0].price' "$T/tr")" = "$(jq -r .price "$T/tp")" ]
}
check "trades and ticker/price agree" wait_until 10 same_last

# ---- the diff depth stream synced against the REST snapshot ----------------
faults "weight_reset=1"
for s in @depth@100ms @depth; do
	"$PY" "$WS" "$PORT" depth-sync BTCUSDT "$s" >"$T/sync" 2>&1
	rc=$?
	sed "s/^/  $s: /" "$T/sync"
	eq "$s synced against the snapshot: every check held" "$rc" 0
done

# ---- what the book shows is what a taker gets, and every fill prints -------
# Frozen, the book changes only by what the orders here do.
faults "market_frozen=1"
for c in "BUY LIMIT" "SELL MARKET"; do
	"$PY" "$WS" "$PORT" take BTCUSDT $c >"$T/take" 2>&1
	rc=$?
	sed "s/^/  $c: /" "$T/take"
	eq "$c against the displayed book: every check held" "$rc" 0
done

finish
