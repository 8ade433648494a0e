#!/bin/bash
# Shutdown on a network model that exists: exchange-sim serves TLS with a
# throw-away CA's certificate, bench/delay-proxy sits in front of it and
# holds every byte RTT/2 each way (so TCP and TLS handshakes pay their
# round trips), and tradebotd reaches REST and the streams only through the
# proxy, trusting the CA with ca_file.  For each RTT and workload: SIGTERM
# -> process gone (wall), the phases from the trace, the bot's orders left
# (must be 0) and the connections the proxy accepted between the signal and
# the exit (the target is 0), in ms and in RTT multiples.  The sequential
# baseline (cancel_mode = per_order_sequential) runs beside ours where it
# ends within a minute.  Last, 30 % of order requests answer 5xx on
# 50 symbols x 10 orders.
#
#   bench/network.sh [RUNS]      (make bench runs it from the build dir)
#   RTTS="50" SIZES="20x10" bench/network.sh 1    one cell only
#   MODES="auto" FIVEXX=0 ...                     ours only, no 5xx runs
#   HTTP2=0 ...            the simulator offers HTTP/1.1 alone (default:
#                          HTTP/2 and HTTP/1.1, as Binance's REST hosts)
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/integration/bot-common.sh
. "$here/../tests/integration/bot-common.sh"
RUNS=${1:-5}
OUT=${BENCH_OUT:-$top_builddir/bench-results}/network
PROXY="$top_builddir/delay-proxy"
mkdir -p "$OUT"
rm -f "$OUT"/*.txt "$OUT"/5xx/*.txt
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

# one MODE RTT K M [FAULTS]: one shutdown; prints
# "wall_ms cancel_ms close_ms join_ms left new_connections"
one() {
	local mode=$1 rtt=$2 k=$3 m=$4 faults_during=${5:-} syms i start end c0 c1
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
	[ -n "$faults_during" ] && faults "$faults_during"
	c0=$(accepted)
	start=$(date +%s%N)
	kill -TERM "$BOT_PID"
	wait "$BOT_PID"
	end=$(date +%s%N)
	c1=$(accepted)
	[ -n "$faults_during" ] && faults "error_5xx_rate=0"
	echo "$(( (end - start) / 1000000 )) $(phase_figure CANCELLING elapsed_ms) $(phase_figure CLOSING elapsed_ms) $(phase_figure JOINING elapsed_ms) $(bot_orders) $((c1 - c0))"
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
printf '%-5s %-6s %4s %5s %4s | %-26s | %-14s | %-15s | %5s %4s\n' mode "K x M" RTT orders runs \
	"wall ms: median min max" "wall RTT med" "cancel close ms" "left" "conn"
for rtt in ${RTTS:-10 50 150}; do
	proxy_start "$rtt"
	for km in ${SIZES:-20x10 20x50}; do
		k=${km%x*}; m=${km#*x}
		for mode in ${MODES:-auto seq}; do
			runs=$RUNS
			if [ "$mode" = seq ]; then
				# The naive baseline: one run, where it ends in a minute.
				[ $((k * m * rtt)) -le 60000 ] || continue
				runs=1
			fi
			f="$OUT/$mode-$rtt-$km.txt"
			: >"$f"
			for ((r = 0; r < runs; r++)); do
				one "$mode" "$rtt" "$k" "$m" >>"$f" || true
			done
			[ -s "$f" ] || { printf '%-5s %-6s %4s: no run finished\n' "$mode" "$km" "$rtt"; continue; }
			read -r med _ min max < <(cut -d' ' -f1 "$f" | sort -n | awk -f "$here/stats.awk")
			read -r cmed _ < <(cut -d' ' -f2 "$f" | sort -n | awk -f "$here/stats.awk")
			read -r lmed _ < <(cut -d' ' -f3 "$f" | sort -n | awk -f "$here/stats.awk")
			left=$(awk '{ s += $5 } END { print s + 0 }' "$f")
			conn=$(awk '{ if ($6 > c) c = $6 } END { print c + 0 }' "$f")
			printf '%-5s %-6s %4s %5s %4s | %7s %7s %7s | %6s RTT | %6s %6s | %5s %4s\n' \
				"$mode" "$km" "$rtt" $((k * m)) "$(wc -l <"$f")" "$med" "$min" "$max" \
				"$(x "$med" "$rtt")" "$cmed" "$lmed" "$left" "$conn"
		done
	done
	proxy_stop
done

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
	read -r med _ min max < <(cut -d' ' -f1 "$f" | sort -n | awk -f "$here/stats.awk")
	read -r cmed _ cmin cmax < <(cut -d' ' -f2 "$f" | sort -n | awk -f "$here/stats.awk")
	printf 'wall ms median %s (min %s, max %s) = %s RTT; CANCELLING median %s ms = %s RTT (max %s = %s RTT); left %s\n' \
		"$med" "$min" "$max" "$(x "$med" 50)" "$cmed" "$(x "$cmed" 50)" "$cmax" "$(x "$cmax" 50)" \
		"$(awk '{ s += $5 } END { print s + 0 }' "$f")"
fi
proxy_stop
kill "$SIM_PID"
bash "$here/plot-rtt.sh" "$OUT" "$OUT/network-vs-rtt.svg" &&
	echo "plot: $OUT/network-vs-rtt.svg"
FAILS=0
