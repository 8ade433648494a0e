#!/bin/bash
# exchange-sim's account and matching engine, pinned by what Binance
# answers: balances checked on placement (-2010) and moved by every fill
# with the commission in the asset received, placements that trade at once
# against the book (partly where it is thin, best price first, resting
# orders by time), GTC/IOC/FOK, MARKET by quantity and by quoteOrderQty,
# LIMIT_MAKER, the shapes of ACK/RESULT/FULL and cancel replies, the
# account's events, and the unfilled order count.  The price does not move
# during the test (the market_frozen fault), so the synthetic book stands
# still and what one placement takes from it stays taken.
. "$(dirname "$0")/bot-common.sh"
K=$BINANCE_API_KEY
S=$BINANCE_API_SECRET
command -v openssl >/dev/null || { echo "SKIP: no openssl"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: no jq"; exit 77; }

call() { # call METHOD TARGET: sets ST; body in $T/b, headers in $T/h
	ST=$(curl -s --path-as-is -X "$1" -H "X-MBX-APIKEY: $K" \
		-D "$T/h" -o "$T/b" -w '%{http_code}' "http://127.0.0.1:$PORT$2")
}
code() { jq -r '.code // empty' "$T/b" 2>/dev/null; }
msg() { jq -r '.msg // empty' "$T/b" 2>/dev/null; }
hdr() { grep -i "^$1:" "$T/h" | tr -d '\r' | sed 's/^[^:]*: *//'; }
sig() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$S" -r | cut -d' ' -f1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
signed() { # signed METHOD PATH QUERY
	local q="${3:+$3&}timestamp=$(now_ms)"
	call "$1" "$2?$q&signature=$(sig "$q")"
}
j() { jq -r "$1" "$T/b"; }
jc() { jq -c "$1" "$T/b"; }
jqe() { jq -e "$1" "$T/b" >/dev/null; }
# plus FILTER: the numbers FILTER yields as one bc sum ("0" for none)
plus() { jq -r "[$1] | if length == 0 then \"0\" else join(\" + \") end" "$T/b"; }
expect() { # expect WHAT STATUS [CODE [MSG]]
	eq "$1: HTTP status" "$ST" "$2"
	[ $# -lt 3 ] || eq "$1: code" "$(code)" "$3"
	[ $# -lt 4 ] || eq "$1: message" "$(msg)" "$4"
}
place() { signed POST /api/v3/order "symbol=BTCUSDT&$1"; }
# bal ASSET free|locked: from a fresh GET /api/v3/account
bal() {
	signed GET /api/v3/account ""
	jq -r --arg a "$1" --arg f "$2" '.balances[] | select(.asset == $a) | .[$f]' "$T/b"
}
# dec EXPR: bc with 8 decimals, printed as Binance prints amounts
dec() { printf '%.8f' "$(echo "scale=8; $1" | bc)"; }
events() { curl -s "http://127.0.0.1:$PORT/admin/events"; }
# depth: the book as shown, in $T/d; ask N / bid N: level N's [price, qty]
depth() { curl -s "http://127.0.0.1:$PORT/api/v3/depth?symbol=BTCUSDT&limit=5000" >"$T/d"; }
ask() { jq -c ".asks[$1]" "$T/d"; }
askp() { jq -r ".asks[$1][0]" "$T/d"; }
nevents() { events | jq length; }
count_1d() { hdr x-mbx-order-count-1d; }

command -v bc >/dev/null || { echo "SKIP: no bc"; exit 77; }

sim_start "[faults]
market_frozen = 1
[account]
default_balance = 0
USDT = 100000
BTC = 1
commission = 0.001"

# ---- the account as configured ---------------------------------------------
signed GET /api/v3/account ""; expect "account" 200
eq "USDT free as configured" "$(j '.balances[] | select(.asset=="USDT") | .free')" 100000.00000000
eq "BTC free as configured" "$(j '.balances[] | select(.asset=="BTC") | .free')" 1.00000000
eq "ETH: default_balance" "$(j '.balances[] | select(.asset=="ETH") | .free')" 0.00000000
eq "commissionRates.taker" "$(j .commissionRates.taker)" 0.00100000
eq "takerCommission (bps)" "$(j .takerCommission)" 10
eq "canTrade" "$(j .canTrade)" true
eq "accountType" "$(j .accountType)" SPOT
signed GET /api/v3/account "omitZeroBalances=true"
eq "omitZeroBalances drops ETH" "$(j '[.balances[] | select(.asset=="ETH")] | length')" 0
call GET /api/v3/exchangeInfo?symbol=BTCUSDT
eq "exchangeInfo.orderTypes: what is served" "$(jc '.symbols[0].orderTypes')" '["LIMIT","LIMIT_MAKER","MARKET"]'

# ---- -2010: not enough to lock; nothing counted, nothing moved --------------
place "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=90000.00"
expect "a resting order" 200
c0=$(count_1d)
place "side=BUY&type=LIMIT&timeInForce=GTC&quantity=2&price=90000.00"
expect "BUY for 180,000 USDT with 99,100 free" 400 -2010 "Account has insufficient balance for requested action."
place "side=SELL&type=LIMIT&timeInForce=GTC&quantity=2&price=99000.00"
expect "SELL of 2 BTC with 1 free" 400 -2010 "Account has insufficient balance for requested action."
place "side=BUY&type=MARKET&quoteOrderQty=200000"
expect "MARKET BUY for 200,000 USDT" 400 -2010
place "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=89000.00"
expect "the next resting order" 200
eq "refused placements are not counted (X-MBX-ORDER-COUNT-1D)" "$(count_1d)" $((c0 + 1))
eq "USDT locked by the two resting orders" "$(bal USDT locked)" 1790.00000000
eq "USDT free less what they lock" "$(bal USDT free)" 98210.00000000
signed DELETE /api/v3/openOrders "symbol=BTCUSDT"; expect "cancel both" 200
eq "cancel-all answers both" "$(j length)" 2
eq "cancel-all: each with the cancel's own id" "$(j '[.[] | select(.clientOrderId != .origClientOrderId)] | length')" 2
eq "USDT unlocked" "$(bal USDT locked)" 0.00000000
eq "USDT free again" "$(bal USDT free)" 100000.00000000

# ---- reply shapes -------------------------------------------------------------
FULL='["symbol","orderId","orderListId","clientOrderId","transactTime","price","origQty","executedQty","origQuoteOrderQty","cummulativeQuoteQty","status","timeInForce","type","side","workingTime","selfTradePreventionMode","fills"]'
RESULT='["symbol","orderId","orderListId","clientOrderId","transactTime","price","origQty","executedQty","origQuoteOrderQty","cummulativeQuoteQty","status","timeInForce","type","side","workingTime","selfTradePreventionMode"]'
ACK='["symbol","orderId","orderListId","clientOrderId","transactTime"]'
CANCEL='["symbol","origClientOrderId","orderId","orderListId","clientOrderId","transactTime","price","origQty","executedQty","origQuoteOrderQty","cummulativeQuoteQty","status","timeInForce","type","side","selfTradePreventionMode"]'
place "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=90000.00&newClientOrderId=shape1"
eq "LIMIT default reply: FULL" "$(jq -c keys_unsorted "$T/b")" "$FULL"
eq "FULL of an order that rests: no fills" "$(jc .fills)" "[]"
id1=$(j .orderId)
place "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=90000.00&newOrderRespType=RESULT"
eq "RESULT" "$(jq -c keys_unsorted "$T/b")" "$RESULT"
place "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=90000.00&newOrderRespType=ACK"
eq "ACK" "$(jq -c keys_unsorted "$T/b")" "$ACK"
place "side=BUY&type=LIMIT_MAKER&quantity=0.01&price=90000.00"
expect "LIMIT_MAKER that rests" 200
eq "LIMIT_MAKER default reply: ACK" "$(jq -c keys_unsorted "$T/b")" "$ACK"
signed GET /api/v3/order "symbol=BTCUSDT&orderId=$id1"
eq "a query has time, updateTime, isWorking" "$(j '[has("time"), has("updateTime"), has("isWorking")] | all')" true
signed DELETE /api/v3/order "symbol=BTCUSDT&orderId=$id1&origClientOrderId=other"
expect "cancel: orderId with another order's origClientOrderId" 400 -2011 "Unknown order sent."
signed GET /api/v3/order "symbol=BTCUSDT&orderId=$id1&origClientOrderId=other"
expect "query: orderId with another origClientOrderId" 400 -2013 "Order does not exist."
signed DELETE /api/v3/order "symbol=BTCUSDT&orderId=$id1&origClientOrderId=shape1&newClientOrderId=mycancel1"
expect "cancel" 200
eq "cancel reply fields" "$(jq -c keys_unsorted "$T/b")" "$CANCEL"
eq "cancel reply: the cancel's clientOrderId" "$(j .clientOrderId)" mycancel1
eq "cancel reply: origClientOrderId" "$(j .origClientOrderId)" shape1
eq "cancel reply: status" "$(j .status)" CANCELED
events | jq -c '[.[] | select(.e == "executionReport" and .x == "CANCELED")] | last' >"$T/ev"
eq "executionReport of the cancel: c is the cancel's id" "$(jq -r .c "$T/ev")" mycancel1
eq "executionReport of the cancel: C is the order's" "$(jq -r .C "$T/ev")" shape1
signed DELETE /api/v3/order "symbol=BTCUSDT&orderId=$id1"
expect "cancel again" 400 -2011 "Unknown order sent."
signed DELETE /api/v3/order "symbol=BTCUSDT&origClientOrderId=shape1"
expect "the old id is free" 400 -2011
signed DELETE /api/v3/openOrders "symbol=BTCUSDT"; expect "clean up" 200

# ---- parameters by type ---------------------------------------------------------
place "side=BUY&type=MARKET&quantity=0.01&price=90000.00"
expect "MARKET with a price" 400 -1106 "Parameter 'price' sent when not required."
place "side=BUY&type=MARKET"
expect "MARKET without quantity or quoteOrderQty" 400 -1102 "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
place "side=BUY&type=MARKET&quantity=0.01&timeInForce=GTC"
expect "MARKET with timeInForce" 400 -1106 "Parameter 'timeInForce' sent when not required."
place "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=90000.00&quoteOrderQty=10"
expect "LIMIT with quoteOrderQty" 400 -1106 "Parameter 'quoteOrderQty' sent when not required."
place "side=BUY&type=LIMIT_MAKER&timeInForce=GTC&quantity=0.01&price=90000.00"
expect "LIMIT_MAKER with timeInForce" 400 -1106
place "side=BUY&type=STOP_LOSS&quantity=0.01&stopPrice=90000.00"
expect "a type not served" 400 -1116
place "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=90000.00&selfTradePreventionMode=EXPIRE_MAKER"
expect "an STP mode not allowed" 400 -1013 "This symbol does not allow the specified self-trade prevention mode."

# ---- IOC: crosses, fills at the book's prices, level by level, the rest expires
usdt0=$(bal USDT free); btc0=$(bal BTC free); ev0=$(nevents)
depth; shown=$(jq -c '[.asks[:5][] | {price: .[0], qty: .[1]}]' "$T/d"); sixth=$(ask 5)
place "side=BUY&type=LIMIT&timeInForce=IOC&quantity=1&price=$(askp 4)"
expect "IOC BUY crossing five levels" 200
eq "IOC: status" "$(j .status)" EXPIRED
eq "IOC: fills are the five asks depth showed, best first, all of each" \
	"$(jc '[.fills[] | {price, qty}]')" "$shown"
check "IOC: partly filled (the book is thin)" jqe '(.executedQty | tonumber) > 0 and (.executedQty | tonumber) < 1'
eq "IOC: executedQty is the fills'" "$(j .executedQty)" "$(dec "$(plus '.fills[].qty')")"
eq "IOC: cummulativeQuoteQty is price x qty of the fills" \
	"$(dec "$(j .cummulativeQuoteQty)")" "$(dec "$(jq -r '[.fills[] | "(\(.price) * \(.qty))"] | join(" + ")' "$T/b")")"
eq "IOC: commission 0.1 % of each fill, in BTC" \
	"$(jc '[.fills[] | (.commission | tonumber) == ((.qty | tonumber) * 0.001 * 100000000 | round / 100000000)] | all')" true
eq "IOC: commissionAsset" "$(jc '[.fills[].commissionAsset] | unique')" '["BTC"]'
q=$(j .executedQty); cq=$(j .cummulativeQuoteQty)
fee=$(dec "$q * 0.001") # exact: quantities have 5 decimals here
eq "IOC: the fills' commissions add up to 0.1 %" "$(dec "$(plus '.fills[].commission')")" "$fee"
eq "IOC: USDT paid" "$(bal USDT free)" "$(dec "$usdt0 - $cq")"
eq "IOC: BTC received less the commission" "$(bal BTC free)" "$(dec "$btc0 + $q - ($fee)")"
eq "IOC: nothing left locked" "$(bal USDT locked)" 0.00000000
events | jq -c ".[$ev0:] | map(.x // .e)" >"$T/seq"
eq "IOC: events NEW, 5 TRADE, EXPIRED, then the position" "$(cat "$T/seq")" \
	'["NEW","TRADE","TRADE","TRADE","TRADE","TRADE","EXPIRED","outboundAccountPosition"]'
events | jq -c ".[$ev0] | keys_unsorted" >"$T/keys"
eq "executionReport fields" "$(cat "$T/keys")" \
	'["e","E","s","c","S","o","f","q","p","P","F","g","C","x","X","r","i","l","z","L","n","N","T","t","I","w","m","M","O","Z","Y","Q","V"]'
events | jq -c ".[-1]" >"$T/pos"
eq "outboundAccountPosition names USDT and BTC" "$(jq -c '[.B[].a] | sort' "$T/pos")" '["BTC","USDT"]'
eq "outboundAccountPosition: BTC free" "$(jq -r '.B[] | select(.a=="BTC") | .f' "$T/pos")" "$(bal BTC free)"

# ---- FOK: all or nothing ------------------------------------------------------------
usdt0=$(bal USDT free)
depth; next=$(ask 0)
eq "what IOC took stays taken: the sixth ask is the best" "$next" "$sixth"
place "side=BUY&type=LIMIT&timeInForce=FOK&quantity=0.5&price=$(askp 1)"
expect "FOK that cannot fill" 200
eq "FOK: EXPIRED" "$(j .status)" EXPIRED
eq "FOK: nothing filled" "$(j .executedQty)" 0.00000000
eq "FOK: no fills" "$(j '.fills | length')" 0
eq "FOK: no USDT moved" "$(bal USDT free)" "$usdt0"
place "side=BUY&type=LIMIT&timeInForce=FOK&quantity=0.0001&price=$(jq -r '.[0]' <<<"$next")"
eq "FOK that fits: FILLED" "$(j .status)" FILLED
eq "FOK: at the first level left" "$(j '.fills[0].price')" "$(jq -r '.[0]' <<<"$next")"

# ---- MARKET -------------------------------------------------------------------------------
usdt0=$(bal USDT free); btc0=$(bal BTC free)
place "side=SELL&type=MARKET&quantity=0.01"
expect "MARKET SELL" 200
c0=$(count_1d)
eq "MARKET SELL: FILLED" "$(j .status)" FILLED
eq "MARKET SELL: at the best bid first" "$(j '.fills[0].price')" 94999.99000000
eq "MARKET SELL: commission in USDT" "$(j '.fills[0].commissionAsset')" USDT
cq=$(j .cummulativeQuoteQty); fee=$(plus '.fills[].commission')
eq "MARKET SELL: commission 0.1 % of each fill's quote" \
	"$(jc '[.fills[] | (.commission | tonumber) == ((.price | tonumber) * (.qty | tonumber) * 0.001 * 100000000 | round / 100000000)] | all')" true
eq "MARKET SELL: USDT received less the commission" "$(bal USDT free)" "$(dec "$usdt0 + $cq - ($fee)")"
eq "MARKET SELL: BTC paid" "$(bal BTC free)" "$(dec "$btc0 - 0.01")"
place "side=BUY&type=MARKET&quoteOrderQty=100"
expect "MARKET BUY by quoteOrderQty" 200
eq "by quote: FILLED" "$(j .status)" FILLED
eq "by quote: origQuoteOrderQty" "$(j .origQuoteOrderQty)" 100.00000000
check "by quote: spent at most 100 USDT, within one step of it" \
	jqe '(.cummulativeQuoteQty | tonumber) <= 100 and (.cummulativeQuoteQty | tonumber) > 99'
eq "by quote: origQty is what it bought" "$(j .origQty)" "$(j .executedQty)"
eq "a filled order does not count (X-MBX-ORDER-COUNT-1D)" "$(count_1d)" "$c0"

# ---- GTC: what the book cannot fill rests; makers by price, then time ---------------------
depth; p=$(askp 1)
place "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.5&price=$p&newClientOrderId=big"
expect "GTC BUY through two ask levels" 200
eq "GTC: PARTIALLY_FILLED" "$(j .status)" PARTIALLY_FILLED
eq "GTC: the two levels' quantities" "$(j .executedQty)" "$(dec "$(jq -r '.asks[0][1] + " + " + .asks[1][1]' "$T/d")")"
left=$(dec "0.5 - $(j .executedQty)")
eq "GTC: what is left stays locked at its price" "$(bal USDT locked)" "$(dec "$p * $left")"
depth
eq "GTC: the rest shows on the book at its price" "$(jq -c '.bids[0]' "$T/d")" "[\"$p\",\"$left\"]"
signed GET /api/v3/openOrders "symbol=BTCUSDT"
eq "GTC: on the book, with its fills" "$(j '.[0].status'):$(j '.[0].clientOrderId')" PARTIALLY_FILLED:big
signed DELETE /api/v3/order "symbol=BTCUSDT&origClientOrderId=big"
eq "GTC: cancelled, executedQty kept" "$(j .status):$(j '.executedQty != "0.00000000"')" CANCELED:true
eq "GTC: lock released" "$(bal USDT locked)" 0.00000000
# Resting SELLs under the best ask: only they are left to meet.
depth; hi=$(dec "$(askp 0) - 1"); lo=$(dec "$(askp 0) - 2")
place "side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.01&price=$hi&newClientOrderId=A"
place "side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.01&price=$hi&newClientOrderId=B"
place "side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.01&price=$lo&newClientOrderId=C"
eq "BTC locked by three SELLs" "$(bal BTC locked)" 0.03000000
depth
eq "the resting SELLs lead the asks, one level a price" "$(jq -c '.asks[:2]' "$T/d")" \
	"[[\"$lo\",\"0.01000000\"],[\"$hi\",\"0.02000000\"]]"
place "side=BUY&type=LIMIT&timeInForce=IOC&quantity=0.015&price=$hi"
eq "against resting orders: better price first, then the older" "$(jc '[.fills[] | [.price, .qty]]')" \
	"[[\"$lo\",\"0.01000000\"],[\"$hi\",\"0.00500000\"]]"
signed GET /api/v3/order "symbol=BTCUSDT&origClientOrderId=A"
eq "A (older) partly filled" "$(j .status):$(j .executedQty)" PARTIALLY_FILLED:0.00500000
signed GET /api/v3/order "symbol=BTCUSDT&origClientOrderId=B"
eq "B (newer) untouched" "$(j .status)" NEW
signed GET /api/v3/order "symbol=BTCUSDT&origClientOrderId=C"
eq "C filled" "$(j .status)" FILLED
events | jq -c '[.[] | select(.e == "executionReport" and .x == "TRADE" and .m)] | last | [.c, .m, .X]' >"$T/mk"
eq "the maker's executionReport" "$(cat "$T/mk")" '["A",true,"PARTIALLY_FILLED"]'
eq "BTC still locked: A's rest and B" "$(bal BTC locked)" 0.01500000

# ---- LIMIT_MAKER that would cross -----------------------------------------------
place "side=BUY&type=LIMIT_MAKER&quantity=0.001&price=$hi"
expect "LIMIT_MAKER that would take" 400 -2010 "Order would immediately match and take."
place "side=SELL&type=LIMIT_MAKER&quantity=0.001&price=94000.00"
expect "LIMIT_MAKER SELL under the bid" 400 -2010 "Order would immediately match and take."

# ---- a deposit: balanceUpdate, then the position ----------------------------------
curl -sf -X POST "http://127.0.0.1:$PORT/admin/balance?asset=ETH&delta=2.5" >/dev/null
events | jq -c '.[-2:] | map(.e)' >"$T/dep"
eq "deposit: balanceUpdate, outboundAccountPosition" "$(cat "$T/dep")" '["balanceUpdate","outboundAccountPosition"]'
eq "deposit: balanceUpdate.d" "$(events | jq -r '.[-2].d')" 2.50000000
eq "deposit: ETH free" "$(bal ETH free)" 2.50000000
kill -TERM "$SIM_PID"; wait "$SIM_PID" 2>/dev/null

# ---- the unfilled order count: -1015 only for accepted, unfilled orders ----------
sim_start "order_limit_1d = 2
[faults]
market_frozen = 1"
place "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=90000.00&newClientOrderId=x"
expect "order 1 of 2" 200
eq "X-MBX-ORDER-COUNT-1D" "$(count_1d)" 1
place "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=90000.00&newClientOrderId=x"
expect "a duplicate (refused)" 400 -2010 "Duplicate order sent."
place "side=BUY&type=MARKET&quantity=0.001"
expect "a MARKET order, filled at once" 200
eq "a fill takes its order off the count" "$(count_1d)" 1
place "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=90000.00"
expect "order 2 of 2" 200
eq "X-MBX-ORDER-COUNT-1D at the limit" "$(count_1d)" 2
place "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=90000.00"
expect "order 3 of 2" 429 -1015 "Too many new orders; current limit is 2 orders per DAY."
eq "no Retry-After on -1015" "$(hdr retry-after)" ""
finish
