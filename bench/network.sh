#!/bin/bash
# Shutdown on a network model that exists: exchange-sim serves TLS with a
# throw-away CA's certificate, bench/delay-proxy sits in front of it and
# holds every byte RTT/2 each way (so TCP and TLS handshakes pay their
# round trips), and tradebotd reaches REST, the market streams and the
# WebSocket API's user data stream only through the proxy (ws_url names
# the proxy, so ws_api_url is taken at its host), trusting the CA with
# ca_file.  For each RTT and workload: SIGTERM sent through a pidfd
# (tests/pidfd-stop.c) -> process ended (wall), the phases from the
# trace, the CANCELLING path the trace names (book or list), the bot's
# orders left (must be 0) and the connections the proxy accepted between
# the signal and the exit (the target is 0), in ms and in RTT multiples.
# Three modes side by side: auto (the book path, user stream healthy),
# list (user_stream = off: the listing decides) and seq (cancel_mode =
# per_order_sequential, where it ends within a minute).  Then the weight
# the simulator counted over WEIGHT_S seconds of RUNNING (20 x 10, RTT
# 50), scaled to a minute, against Binance's 6000 per minute.  Last, 30 %
# of order requests answer 5xx on 50 symbols x 10 orders.
#
#   bench/network.sh [RUNS]      (make bench runs it from the build dir)
#   RTTS="50" SIZES="20x10" bench/network.sh 1    one cell only
#   MODES="auto" FIVEXX=0 WEIGHT_S=0 ...          ours only, no 5xx, no weight
#   HTTP2=0 ...            the simulator offers HTTP/1.1 alone (default:
#                          HTTP/2 and HTTP/1.1, as Binance's REST hosts)
# Default cells: RTT 50 at 20 x 10 and 20 x 50, RTT 10 and 150 at 20 x 10.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/integration/bot-common.sh
. "$here/../tests/integration/bot-common.sh"
RUNS=${1:-5}
OUT=${BENCH_OUT:-$top_builddir/bench-results}/network
PROXY="$top_builddir/delay-proxy"
mkdir -p "$OUT"
rm -f "$OUT"/*.txt "$OUT"/5xx/*.txt "$OUT"/*.json
command -v openssl >/dev/null || { echo "skip: no openssl"; exit 0; }

# A throw-away CA and a certificate for 127.0.0.1 signed by it.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bench-ca" \
	-keyout "$T/ca.key" -out "$T/ca.pem" >/dev/null 2>&1 &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
		-keyout "$T/server.key" -out "$T/server.csr" >/dev/null 2>&1 &&
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$T/san.ext" &&
	openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
		-CAcreateserial -days 2 -extfile "$T/san.ext" -out "$T/server.pem" \
		>/dev/null 2>&1 || { echo "cannot make the certificates"; exit 1; }

# The admin endpoint speaks TLS too; it is reached directly, not delayed.
admin() {
	local method=POST
	[ "${1%%\?*}" != state ] || method=GET
	curl -sf --cacert "$T/ca.pem" -X "$method" "https://127.0.0.1:$PORT/admin/$1"
}

# proxy_start RTT: the delay proxy in front of the simulator; sets PPORT.
proxy_start() {
	rm -f "$T/proxy.port" "$T/proxy.log"
	"$PROXY" --to "127.0.0.1:$PORT" --delay-ms $(($1 / 2)) \
		--port-file "$T/proxy.port" --log "$T/proxy.log" 2>>"$T/proxy.err" &
	PROXY_PID=$!
	PIDS+=("$PROXY_PID")
	wait_until 10 test -s "$T/proxy.port" || { echo "delay-proxy did not start"; exit 1; }
	PPORT=$(cat "$T/proxy.port")
}
proxy_stop() { kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null; }
accepted() { [ -f "$T/proxy.log" ] && wc -l <"$T/proxy.log" || echo 0; }

# weight_rate SECONDS: the REQUEST_WEIGHT the simulator counted over
# SECONDS, sampled each second (its window is the calendar minute: at a
# rollover the new minute's count is added), scaled to a minute.
weight_rate() {
	local s=$1 i prev cur sum=0
	admin state | jq -c .requests >"$OUT/requests-before-weight.json"
	prev=$(admin state | jq -r .weight.used_1m)
	for ((i = 0; i < s; i++)); do
		sleep 1
		cur=$(admin state | jq -r .weight.used_1m)
		if [ "$cur" -ge "$prev" ]; then sum=$((sum + cur - prev)); else sum=$((sum + cur)); fi
		prev=$cur
	done
	admin state | jq -c .requests >"$OUT/requests-after-weight.json"
	echo $((sum * 60 / s))
}

# one MODE RTT K M [FAULTS]: one shutdown; prints
# "wall_ms cancel_ms close_ms join_ms left new_connections path"
# (and, with WEIGHT_NOW=SECONDS, the weight per minute while RUNNING
# first, to $T/weight).
one() {
	local mode=$1 rtt=$2 k=$3 m=$4 faults_during=${5:-} syms i wall c0 c1
	syms=$(for ((i = 0; i < k; i++)); do printf 'S%02dUSDT,' "$i"; done)
	bot_conf "[streams]
channels = bookTicker"
	sed -i -e "s/^symbols = .*/symbols = ${syms%,}/" \
		-e "s/^orders_per_symbol = .*/orders_per_symbol = $m/" \
		-e "s|^rest_url = .*|rest_url = https://127.0.0.1:$PPORT|" \
		-e "s|^ws_url = .*|ws_url = wss://127.0.0.1:$PPORT|" \
		-e "s|^\[exchange\]$|[exchange]\nca_file = $T/ca.pem|" \
		-e "s/^cancel_timeout_ms = .*/cancel_timeout_ms = 300000/" \
		-e "s/^total_timeout_ms = .*/total_timeout_ms = 600000/" \
		-e "s/^request_timeout_ms = .*/request_timeout_ms = 10000/" "$T/bot.ini"
	[ "$mode" = seq ] && sed -i 's/^\[shutdown\]$/[shutdown]\ncancel_mode = per_order_sequential/' "$T/bot.ini"
	[ "$mode" = list ] && sed -i 's/^\[exchange\]$/[exchange]\nuser_stream = off/' "$T/bot.ini"
	rm -f "$T/trace.jsonl"
	bot_start
	if ! wait_until 120 readies_at_least 1 || ! wait_until 120 orders_at_least $((k * m)); then
		echo "the grid never rested ($(bot_orders) of $((k * m)))" >&2
		tail -5 "$T/bot.log" >&2
		kill -KILL "$BOT_PID"; wait "$BOT_PID" 2>/dev/null
		return 1
	fi
	# Let start-up's connections settle into what RUNNING keeps.
	sleep 1
	[ "${WEIGHT_NOW:-0}" -gt 0 ] && weight_rate "$WEIGHT_NOW" >"$T/weight"
	[ -n "$faults_during" ] && faults "$faults_during"
	c0=$(accepted)
	wall=$(pidfd_stop "$BOT_PID" 900)
	wait "$BOT_PID"
	c1=$(accepted)
	[ -n "$faults_during" ] && faults "error_5xx_rate=0"
	echo "$mode $rtt ${k}x$m: $(phase_figure CANCELLING path): $(phase_figure CANCELLING reason)" >>"$OUT/paths.txt"
	cp "$T/bot.log" "$OUT/bot-$mode-$rtt-${k}x$m.log"
	echo "$wall $(phase_figure CANCELLING elapsed_ms) $(phase_figure CLOSING elapsed_ms) $(phase_figure JOINING elapsed_ms) $(bot_orders) $((c1 - c0)) $(phase_figure CANCELLING path)"
}

# x MS RTT: MS as a multiple of RTT, one decimal.
x() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

bench_syms=$(for ((i = 0; i < 50; i++)); do printf 'S%02dUSDT, ' "$i"; done)
sim_start "tick_ms = 200
symbols = ${bench_syms%, }
weight_limit_1m = 100000000
order_limit_10s = 100000000
order_limit_1d = 100000000
http2 = ${HTTP2:-1}
tls_cert_file = $T/server.pem
tls_key_file = $T/server.key"

echo "REST over $([ "${HTTP2:-1}" = 1 ] && echo "HTTP/2 (offered and taken)" || echo "HTTP/1.1 (HTTP/2 not offered)")"
printf '%-5s %-6s %4s %5s %4s | %-26s | %-14s | %-15s | %5s %4s | %s\n' mode "K x M" RTT orders runs \
	"wall ms: median min max" "wall RTT med" "cancel close ms" "left" "conn" path
WEIGHT_S=${WEIGHT_S:-20}
weight=
for rtt in ${RTTS:-10 50 150}; do
	proxy_start "$rtt"
	sizes=${SIZES:-20x10}
	[ -n "${SIZES:-}" ] || [ "$rtt" != 50 ] || sizes="20x10 20x50"
	for km in $sizes; do
		k=${km%x*}; m=${km#*x}
		for mode in ${MODES:-auto list seq}; do
			runs=$RUNS
			if [ "$mode" = seq ]; then
				# The naive baseline: one run, where it ends in a minute.
				[ $((k * m * rtt)) -le 60000 ] || continue
				runs=1
			fi
			f="$OUT/$mode-$rtt-$km.txt"
			: >"$f"
			for ((r = 0; r < runs; r++)); do
				w=0
				[ -z "$weight" ] && [ "$mode" = auto ] && [ "$rtt" = 50 ] &&
					[ "$km" = 20x10 ] && w=$WEIGHT_S
				WEIGHT_NOW=$w one "$mode" "$rtt" "$k" "$m" >>"$f" || true
				[ "$w" -gt 0 ] && [ -s "$T/weight" ] && weight=$(cat "$T/weight")
			done
			[ -s "$f" ] || { printf '%-5s %-6s %4s: no run finished\n' "$mode" "$km" "$rtt"; continue; }
			read -r med _ min max < <(cut -d' ' -f1 "$f" | sort -n | awk -f "$here/stats.awk")
			read -r cmed _ < <(cut -d' ' -f2 "$f" | sort -n | awk -f "$here/stats.awk")
			read -r lmed _ < <(cut -d' ' -f3 "$f" | sort -n | awk -f "$here/stats.awk")
			left=$(awk '{ s += $5 } END { print s + 0 }' "$f")
			conn=$(awk '{ if ($6 > c) c = $6 } END { print c + 0 }' "$f")
			paths=$(cut -d' ' -f7 "$f" | sort | uniq -c | awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }')
			printf '%-5s %-6s %4s %5s %4s | %7s %7s %7s | %6s RTT | %6s %6s | %5s %4s | %s\n' \
				"$mode" "$km" "$rtt" $((k * m)) "$(wc -l <"$f")" "$med" "$min" "$max" \
				"$(x "$med" "$rtt")" "$cmed" "$lmed" "$left" "$conn" "$paths"
		done
	done
	proxy_stop
done

# med FILE: the median wall time of a cell, empty when it has no run.
med() { [ -s "$1" ] && cut -d' ' -f1 "$1" | sort -n | awk -f "$here/stats.awk" | cut -d' ' -f1; }
# verdict NAME FIGURE OP LIMIT: one target, met or missed.
verdict() {
	if [ -z "$2" ]; then printf '%-44s not measured\n' "$1"
	elif awk -v a="$2" -v b="$4" -v op="$3" 'BEGIN { exit !(op == "<=" ? a <= b : a >= b) }'; then
		printf '%-44s %8s (target %s %s): met\n' "$1" "$2" "$3" "$4"
	else printf '%-44s %8s (target %s %s): MISSED\n' "$1" "$2" "$3" "$4"; fi
}
echo "== targets"
a=$(med "$OUT/auto-50-20x10.txt")
q=$(med "$OUT/seq-50-20x10.txt")
verdict "RTT 50, 20 x 10, wall ms" "$a" "<=" 130
ratio=
[ -n "$a" ] && [ -n "$q" ] && ratio=$(awk -v a="$a" -v q="$q" 'BEGIN { printf "%.1f", q / (a > 0 ? a : 1) }')
verdict "RTT 50, 20 x 10, sequential / ours (x)" "$ratio" ">=" 75
verdict "RTT 50, 20 x 50, wall ms" "$(med "$OUT/auto-50-20x50.txt")" "<=" 150
wpct=
[ -n "$weight" ] && wpct=$(awk -v w="$weight" 'BEGIN { printf "%.2f", w * 100 / 6000 }')
[ -n "$weight" ] && echo "weight while RUNNING (20 x 10, RTT 50): $weight per minute, from ${WEIGHT_S} s scaled to 60 s, of 6000"
verdict "weight per minute, % of 6000" "$wpct" "<=" 5

if [ "${FIVEXX:-1}" = 0 ]; then
	kill "$SIM_PID"
	FAILS=0
	finish
fi
echo "== 30 % of order requests answer 5xx during the shutdown, 50 x 10, RTT 50 ms"
proxy_start 50
mkdir -p "$OUT/5xx"
f="$OUT/5xx/auto-50-50x10.txt"
: >"$f"
for ((r = 0; r < RUNS; r++)); do
	one auto 50 50 10 "error_5xx_rate=30" >>"$f" || true
done
if [ -s "$f" ]; then
	read -r med5 _ min max < <(cut -d' ' -f1 "$f" | sort -n | awk -f "$here/stats.awk")
	read -r cmed _ cmin cmax < <(cut -d' ' -f2 "$f" | sort -n | awk -f "$here/stats.awk")
	printf 'wall ms median %s (min %s, max %s) = %s RTT; CANCELLING median %s ms = %s RTT (max %s = %s RTT); left %s\n' \
		"$med5" "$min" "$max" "$(x "$med5" 50)" "$cmed" "$(x "$cmed" 50)" "$cmax" "$(x "$cmax" 50)" \
		"$(awk '{ s += $5 } END { print s + 0 }' "$f")"
fi
proxy_stop
kill "$SIM_PID"
bash "$here/plot-rtt.sh" "$OUT" "$OUT/network-vs-rtt.svg" &&
	echo "plot: $OUT/network-vs-rtt.svg"
FAILS=0
