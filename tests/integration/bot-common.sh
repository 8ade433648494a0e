# bot-common.sh - run exchange-sim on a free loopback port and tradebotd
# against it; read the simulator's state through its admin endpoint.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SIM="$top_builddir/exchange-sim"
BOT="$top_builddir/tradebotd"
export BINANCE_API_KEY=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A
export BINANCE_API_SECRET=NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j

# sim_start [EXTRA-INI]: start the simulator; sets SIM_PID and PORT.
sim_start() {
	cat >"$T/sim.ini" <<INI
[sim]
tick_ms = 50
seed = 7
${1:-}
INI
	rm -f "$T/sim.port"
	"$SIM" -c "$T/sim.ini" --port 0 --port-file "$T/sim.port" 2>>"$T/sim.log" &
	SIM_PID=$!
	PIDS+=("$SIM_PID")
	if ! wait_until 60 test -s "$T/sim.port"; then
		fail "exchange-sim did not start"; cat "$T/sim.log"; finish
	fi
	PORT=$(cat "$T/sim.port")
}

# tls_certs: a throw-away CA ($T/test-ca.pem, .key) and a certificate
# it signs for localhost, 127.0.0.1 and ::1 ($T/server.pem, .key); sets
# SIM_TLS, the simulator's lines that serve them.  Skips without openssl.
mkca() { # mkca NAME: a CA certificate and key
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
		-keyout "$T/$1.key" -out "$T/$1.pem" >/dev/null 2>&1
}
tls_certs() {
	command -v openssl >/dev/null || { echo "skip: no openssl"; exit 77; }
	mkca test-ca || { fail "cannot make the CA"; finish; }
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
		-keyout "$T/server.key" -out "$T/server.csr" >/dev/null 2>&1 &&
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n' >"$T/san.ext" &&
		openssl x509 -req -in "$T/server.csr" -CA "$T/test-ca.pem" \
			-CAkey "$T/test-ca.key" -CAcreateserial -days 2 \
			-extfile "$T/san.ext" -out "$T/server.pem" >/dev/null 2>&1 ||
		{ fail "cannot make the server certificate"; finish; }
	SIM_TLS="tls_cert_file = $T/server.pem
tls_key_file = $T/server.key"
	SIM_CA=$T/test-ca.pem
}

# bot_tls: point $T/bot.ini at the simulator's https:// and wss://,
# trusting the CA tls_certs made.
bot_tls() {
	sed -i -e "s|^rest_url = .*|rest_url = https://localhost:$PORT|" \
		-e "s|^ws_url = .*|ws_url = wss://localhost:$PORT|" \
		-e "s|^\[exchange\]$|[exchange]\nca_file = $SIM_CA|" "$T/bot.ini"
}

# admin PATH: the admin endpoint: GET for "state", POST for anything that
# changes the simulator (faults, seed, fill).  SIM_ADMIN_TOKEN, when set,
# is sent as X-Admin-Token.  Over TLS once tls_certs has run (SIM_CA).
admin() {
	local method=POST
	[ "${1%%\?*}" != state ] || method=GET
	if [ -n "${SIM_CA:-}" ]; then
		curl -sf --cacert "$SIM_CA" -X "$method" \
			${SIM_ADMIN_TOKEN:+-H "X-Admin-Token: $SIM_ADMIN_TOKEN"} \
			"https://localhost:$PORT/admin/$1"
	else
		curl -sf -X "$method" ${SIM_ADMIN_TOKEN:+-H "X-Admin-Token: $SIM_ADMIN_TOKEN"} \
			"http://127.0.0.1:$PORT/admin/$1"
	fi
}
faults() { admin "faults?$1" >/dev/null; }
state() { admin state | jq -r "$1"; }

# bot_conf [EXTRA-INI]: write $T/bot.ini for two symbols x 4 orders.
bot_conf() { bot_conf_in "$T" gsb "${1:-}"; }

# bot_conf_in DIR PREFIX [EXTRA-INI]: the same in DIR (its bot.ini, state
# and trace), with client_order_prefix PREFIX.
bot_conf_in() {
	local d=$1
	mkdir -p "$d/state"
	cat >"$d/bot.ini" <<INI
[bot]
symbols = BTCUSDT, ETHUSDT
orders_per_symbol = 4
order_quantity = 1
client_order_prefix = $2
dry_run = false
state_dir = $d/state
[exchange]
rest_url = http://127.0.0.1:$PORT
ws_url = ws://127.0.0.1:$PORT
request_timeout_ms = 2000
[shutdown]
cancel_timeout_ms = 8000
close_timeout_ms = 2000
join_timeout_ms = 3000
total_timeout_ms = 15000
retry_backoff_ms = 50
[trace]
path = $d/trace.jsonl
${3:-}
INI
}

# cancels_accounted: every order of the bot the last CANCELLING found is
# accounted for (cancelled, or already gone: a fill), none failed, none
# left.  What must hold whatever a fill changed before the listing.
cancels_accounted() {
	local f c g
	f=$(phase_figure CANCELLING orders_found)
	c=$(phase_figure CANCELLING orders_cancelled)
	g=$(phase_figure CANCELLING orders_already_gone)
	check "orders found ($f) cancelled ($c) or already gone ($g)" \
		test "$f" -ge 1 -a $((c + g)) -eq "$f"
	eq "cancels failed" "$(phase_figure CANCELLING orders_failed)" 0
	eq "orders remaining" "$(phase_figure CANCELLING orders_remaining)" 0
}

# per_symbol_mark / per_symbol_check: around a shutdown, the cancels went
# per symbol: at most one request for each configured symbol, a DELETE
# /api/v3/openOrders where the bot had several orders, a DELETE
# /api/v3/order where a fill had left it one (never one per order of a
# symbol); and every order found is accounted for.
per_symbol_mark() {
	PS_SYMS=$(sed -n 's/^symbols = //p' "$T/bot.ini" | tr ',' '\n' | grep -c .)
	PS_ALL0=$(state '.requests["DELETE /api/v3/openOrders"] // 0')
	PS_ONE0=$(state '.requests["DELETE /api/v3/order"] // 0')
}
per_symbol_check() {
	local all=$(($(state '.requests["DELETE /api/v3/openOrders"] // 0') - PS_ALL0))
	local one=$(($(state '.requests["DELETE /api/v3/order"] // 0') - PS_ONE0))
	check "at most one cancel per symbol ($all whole, $one single, $PS_SYMS symbols)" \
		test "$all" -ge 1 -a $((all + one)) -le "$PS_SYMS"
	cancels_accounted
}

# pool_after_close WARM REPLACED N: a second run of a warm-pool test.
# Start the daemon (8 symbols x 2 orders), wait for the log line WARM;
# exchange-sim closes every idle connection (N of the pool's, at least);
# the pool must log REPLACED before the shutdown.  The strategy's client,
# which reconnects at its next listing round, gets two rounds (8 symbols
# each), so that only the shutdown is measured by the caller's
# stop_and_check.  Then the pool's figures in CANCELLING.
pool_after_close() {
	local warm=$1 replaced=$2 n=$3 closed0 l
	listings_at_least() {
		[ "$(state '.requests["GET /api/v3/openOrders"] // 0')" -ge "$1" ]
	}
	mv "$T/bot.log" "$T/bot-1.log"
	bot_running 16
	wait_until 10 grep -q "$warm" "$T/bot.log" || fail "no warm pool in the second run"
	closed0=$(state .http_idle_closed)
	faults close_idle=1
	check "exchange-sim closed the pool's idle connections ($n at least)" \
		test "$(state .http_idle_closed)" -ge $((closed0 + n))
	if wait_until 10 grep -q "$replaced" "$T/bot.log"; then
		pass "the pool saw the closes and replaced its connections"
	else
		fail "the pool did not replace the closed connections"; cat "$T/bot.log"
	fi
	# With the user stream the strategy lists nothing (the book is live).
	if ! has_record "$T/trace.jsonl" USER_STREAM; then
		l=$(state '.requests["GET /api/v3/openOrders"] // 0')
		wait_until 20 listings_at_least $((l + 16)) ||
			fail "the strategy stopped listing"
	fi
	stop_and_check
	check "the pool saw the server close" \
		test "$(phase_figure CANCELLING pool_closed_seen)" -ge 1
	check "the pool replaced its connections ($n at least)" \
		test "$(phase_figure CANCELLING pool_replaced)" -ge "$n"
}

# api METHOD PATH QUERY: a request signed with the test account's HMAC
# secret, as another client on the account sends it; prints the HTTP
# status, the body in $T/api.json.
api() {
	local q="$3&timestamp=$(( $(date +%s%N) / 1000000 ))" s
	s=$(printf '%s' "$q" | openssl dgst -sha256 -hmac "$BINANCE_API_SECRET" -r | cut -d' ' -f1)
	curl -s -X "$1" -H "X-MBX-APIKEY: $BINANCE_API_KEY" -o "$T/api.json" \
		-w '%{http_code}' "http://127.0.0.1:$PORT$2?$q&signature=$s"
}

# stop_from_book: SIGTERM the daemon; it exits 0 with none of its orders
# left, having cancelled from the book, and closed its user stream cleanly.
stop_from_book() {
	kill -TERM "$BOT_PID"
	wait_exit "$BOT_PID" 30
	eq "exit code" "$RC" 0
	eq "bot orders left" "$(bot_orders)" 0
	eq "the shutdown cancelled from the book" "$(phase_figure CANCELLING path)" book
	cancels_accounted
	eq "user stream closed cleanly" "$(phase_figure CLOSING user_stream.closed)" 1
}

# lowest_buy SYMBOL: the price of the daemon's lowest resting buy there.
lowest_buy() {
	state '[.orders[] | select(.clientOrderId | startswith("gsb-")) | select(.symbol=="'"$1"'" and .side=="BUY")] | min_by(.price | tonumber) | .price'
}

# conflict_start: the daemon running with its grid of 8; sets instance,
# price (its lowest BTCUSDT buy) and other, an id of this instance under
# a run tag it never used.
conflict_start() {
	sim_start
	bot_conf
	bot_running 8
	instance=$(cat "$T/state/instance")
	check "the instance id is known ($instance)" test -n "$instance"
	price=$(lowest_buy BTCUSDT)
	other="gsb-$instance-zzzzzz1"
}

# stop_leaves_conflict: SIGTERM; exit 0, the conflicting order $other
# still rests beside none of the daemon's, and CANCELLING says why.
stop_leaves_conflict() {
	kill -TERM "$BOT_PID"
	wait_exit "$BOT_PID" 30
	eq "exit code" "$RC" 0
	eq "the conflicting order still rests" "$(rests "$other")" 1
	eq "the daemon's own orders are gone" "$(bot_orders)" 1
	eq "CANCELLING says so" "$(phase_figure CANCELLING conflict)" true
}

# An order of the account: how many rest with this client order id.
rests() { state "[.orders[] | select(.clientOrderId==\"$1\")] | length"; }

# Conflicts: the USER_STREAM records of event "conflict", a field of the
# first, and the check that a daemon places nothing after one.
conflicts() { count_records "$T/trace.jsonl" '.event=="USER_STREAM" and .detail.event=="conflict"'; }
has_conflict() { [ "$(conflicts)" -ge 1 ]; }
conflict_field() {
	records "$T/trace.jsonl" | jq -rs "map(select(.event==\"USER_STREAM\" and .detail.event==\"conflict\")) | .[0].detail.$1"
}
posts() { state '.requests["POST /api/v3/order"] // 0'; }
orders_exactly() { [ "$(bot_orders)" -eq "$1" ]; }
placing_stopped() { grep -q "grid incomplete: placing stopped" "$T/bot.log"; }
# no_placing_after_fill OTHER: one of the daemon's orders (not OTHER) is
# filled; its level is not placed again.
no_placing_after_fill() {
	local p0
	p0=$(posts)
	admin "fill?clientOrderId=$(state '[.orders[] | select(.clientOrderId | startswith("gsb-")) | select(.clientOrderId != "'"$1"'")][0].clientOrderId')" >/dev/null
	wait_until 10 orders_exactly 8 || fail "the fill did not happen ($(bot_orders) of the prefix rest)"
	wait_until 20 placing_stopped || fail "the status does not say placing stopped"
	eq "nothing placed after the conflict" "$(posts)" "$p0"
}

bot_orders() { state ".by_prefix.gsb // 0"; }
orders_at_least() { [ "$(bot_orders)" -ge "$1" ]; }

# bot_start [ARGS]: start tradebotd (with BOT_ENV, e.g. the fault shim,
# in its environment only); sets BOT_PID.
BOT_ENV=()
bot_start() {
	"${SIGHUP_DEFAULT[@]}" "${BOT_ENV[@]}" "$BOT" -c "$T/bot.ini" "$@" 2>>"$T/bot.log" &
	BOT_PID=$!
	PIDS+=("$BOT_PID")
}

readies_at_least() { [ "$(ready_count "$T/trace.jsonl")" -ge "$1" ]; }
ready_or_gone() { readies_at_least "$1" || ! alive "$2"; }

# bot_ready [ARGS]: start and wait for this run's READY record.
bot_ready() {
	local before
	before=$(ready_count "$T/trace.jsonl")
	bot_start "$@"
	wait_until 120 ready_or_gone $((before + 1)) "$BOT_PID"
	if ! readies_at_least $((before + 1)); then
		fail "tradebotd never became ready"; cat "$T/bot.log"; finish
	fi
}

# bot_running N: start, wait for READY and until N orders of the bot rest.
bot_running() {
	bot_ready
	if ! wait_until 60 orders_at_least "$1"; then
		fail "the bot's $1 orders never rested (have $(bot_orders))"
		cat "$T/bot.log"; finish
	fi
}

# phase_figure FROM KEY: a figure from the phase record leaving FROM.
phase_figure() {
	records "$T/trace.jsonl" |
		jq -rs --arg f "$1" "map(select(.from==\$f and .state!=\$f)) | last | .detail.$2"
}

all_closes_1000() {
	[ "$(state '[.ws_closes[] | select(.code != 1000)] | length')" = 0 ] &&
		[ "$(state '.ws_closes | length')" -ge 1 ]
}
