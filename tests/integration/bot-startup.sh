#!/bin/bash
# Start-up refuses with the documented exit codes and clear messages:
# 78 for configuration (file:line), 69 for an unreachable exchange or
# refused credentials; --check-config validates and exits.
. "$(dirname "$0")/bot-common.sh"

sim_start "symbols = BTCUSDT, ETHUSDT"
bot_conf
"$BOT" -c "$T/bot.ini" --check-config >"$T/out" 2>&1
eq "--check-config on a good file" "$?" 0
grep -q "configuration OK" "$T/out" && pass "--check-config says OK" || fail "no OK line"
! grep -q "$BINANCE_API_SECRET" "$T/out" && pass "--check-config hides the secret" || fail "secret printed"

printf '[bot]\nsymbols = BTCUSDT\nclient_order_prefix = gsb\norders_per_symbol = many\n' >"$T/bad.ini"
"$BOT" -c "$T/bad.ini" >"$T/out" 2>&1
eq "malformed INI exit code" "$?" 78
grep -q "$T/bad.ini:4: orders_per_symbol: \"many\" is not a whole number" "$T/out" &&
	pass "message names file:line" || { fail "no file:line"; cat "$T/out"; }

printf '[sim]\ntick_ms = 50\n\n[faults]\nlatency_ms = slow\n' >"$T/badsim.ini"
"$SIM" -c "$T/badsim.ini" --port 0 >"$T/out" 2>&1
eq "exchange-sim: malformed INI exit code" "$?" 78
grep -q "$T/badsim.ini:5: not a whole number in range: latency_ms = slow" "$T/out" &&
	pass "exchange-sim names file:line" || { fail "no file:line from exchange-sim"; cat "$T/out"; }

"$BOT" -c "$T/nonexistent.ini" >"$T/out" 2>&1
eq "missing config exit code" "$?" 78

"$BOT" --bogus >"$T/out" 2>&1
eq "bad command line exit code" "$?" 64

( unset BINANCE_API_SECRET; "$BOT" -c "$T/bot.ini" >"$T/out" 2>&1 )
eq "live without credentials" "$?" 78
grep -q "BINANCE_API_SECRET" "$T/out" && pass "names the missing variable" || fail "no variable named"

sed 's/BTCUSDT, ETHUSDT/BTCUSDT, DOGEUSDT/' "$T/bot.ini" >"$T/sym.ini"
"$BOT" -c "$T/sym.ini" >"$T/out" 2>&1
eq "unknown symbol exit code" "$?" 78

BINANCE_API_SECRET=wrong "$BOT" -c "$T/bot.ini" >"$T/out" 2>&1
eq "refused credentials exit code" "$?" 69
grep -q "credentials refused" "$T/out" && pass "says credentials refused" || { fail "no reason"; cat "$T/out"; }
eq "no order placed with bad credentials" "$(state '.requests["POST /api/v3/order"] // 0')" 0

sed "s/127.0.0.1:$PORT/127.0.0.1:1/g" "$T/bot.ini" >"$T/down.ini"
"$BOT" -c "$T/down.ini" >"$T/out" 2>&1
eq "exchange unreachable exit code" "$?" 69
check "every run left a trace that verifies" verify_trace "$T/trace.jsonl"
eq "no run left without EXIT" "$(jq -rs 'map(select(.event=="START")) | length' "$T/trace.jsonl")" \
	"$(count_records "$T/trace.jsonl" '.event=="EXIT"')"
finish
