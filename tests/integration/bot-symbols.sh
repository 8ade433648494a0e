#!/bin/bash
# Typos in the symbol list are configuration errors, named with file:line
# and exit 78, under --check-config as on a real start: a symbol listed
# twice (in any case, echoed as written) and an empty item left by a
# doubled, leading or trailing comma.
. "$(dirname "$0")/bot-common.sh"

PORT=1
bot_conf

bad_symbols() {   # NAME LIST NEEDLE
	sed "s/^symbols = .*/symbols = $2/" "$T/bot.ini" >"$T/bad.ini"
	"$BOT" -c "$T/bad.ini" --check-config >"$T/out" 2>&1
	eq "$1: --check-config exit code" "$?" 78
	grep -qF "$T/bad.ini:2: symbols: $3" "$T/out" &&
		pass "$1: message names file:line" || { fail "$1: message"; cat "$T/out"; }
	"$BOT" -c "$T/bad.ini" >"$T/out" 2>&1
	eq "$1: start exit code" "$?" 78
	grep -qF "$T/bad.ini:2: symbols: $3" "$T/out" &&
		pass "$1: start names file:line" || { fail "$1: start message"; cat "$T/out"; }
}

bad_symbols "duplicate" "BTCUSDT, BTCUSDT" '"BTCUSDT" is listed twice'
bad_symbols "duplicate in another case" "BTCUSDT, ETHUSDT, ethUSDT" '"ethUSDT" is listed twice'
bad_symbols "trailing comma" "BTCUSDT, ETHUSDT," "expected a comma-separated list of symbols without empty items"
bad_symbols "doubled comma" "BTCUSDT,,ETHUSDT" "expected a comma-separated list of symbols without empty items"
bad_symbols "leading comma" ",BTCUSDT" "expected a comma-separated list of symbols without empty items"

sed 's/^request_timeout_ms = .*/request_timeout_ms = 2000\nweight_budget_pct = 0/' "$T/bot.ini" >"$T/bad.ini"
"$BOT" -c "$T/bad.ini" --check-config >"$T/out" 2>&1
eq "weight_budget_pct = 0: exit code" "$?" 78
grep -q "$T/bad.ini:[0-9]*: weight_budget_pct: 0 is out of range (1 to 100)" "$T/out" &&
	pass "weight_budget_pct range named" || { fail "weight_budget_pct message"; cat "$T/out"; }

"$BOT" -c "$T/bot.ini" --check-config >"$T/out" 2>&1
eq "the good file still passes" "$?" 0
finish
