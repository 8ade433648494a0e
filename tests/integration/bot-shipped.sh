#!/bin/bash
# Every shipped configuration gets prices: its ws_url (as the venue fills
# it, or as written) keeps its path form and only its scheme, host and
# port are pointed at the local exchange.  A daemon that asked for
# ///stream would get 404 from the strict simulator, no prices and no
# grid.  The orders resting prove the prices arrived.
. "$(dirname "$0")/bot-common.sh"

sim_start ""

# url_path URL: what follows scheme://host[:port] ("" when nothing).
url_path() { sed -E 's|^[a-z]+://[^/]+||' <<<"$1"; }

n=0
for conf in "$top_srcdir"/conf/tradebotd.ini "$top_srcdir"/conf/examples/*.ini; do
	name=$(basename "$conf")
	mkdir -p "$T/$name.state"
	# Only what cannot work offline changes: files go to the scratch
	# directory, the key is the test's HMAC pair, trading is live.
	sed -E -e "s|^state_dir *=.*|state_dir = $T/$name.state|" \
		-e "s|^path *=.*|path = $T/$name.trace|" \
		-e "s|^file *=.*|file =|" \
		-e "s|^key_type *=.*|key_type = hmac|" \
		-e "/^private_key_file *=/d" -e "/^api_secret_file *=/d" \
		-e "s|^dry_run *=.*|dry_run = false|" \
		-e "s|^seal_key_file *=.*|seal_key_file =|" \
		"$conf" >"$T/$name"
	urls=$("$BOT" -c "$T/$name" --check-config 2>&1)
	ws=$(sed -n 's/^ws_url = //p' <<<"$urls")
	rest=$(sed -n 's/^rest_url = //p' <<<"$urls")
	if [ -z "$ws" ] || [ -z "$rest" ]; then
		fail "$name: --check-config printed no URLs"; echo "$urls"; continue
	fi
	pass "$name: ws_url $ws"
	prefix=$(sed -n 's/^client_order_prefix *= *\([^ ;]*\).*/\1/p' "$T/$name")
	per=$(sed -n 's/^orders_per_symbol *= *\([0-9]*\).*/\1/p' "$T/$name")
	nsym=$(sed -n 's/^symbols *= *\([^;]*\).*/\1/p' "$T/$name" | tr ',' '\n' | grep -c .)
	# Point the URLs here, keeping their path forms.
	sed -i -E -e "/^\[exchange\]/a rest_url = http://127.0.0.1:$PORT$(url_path "$rest")" \
		-e "/^\[exchange\]/a ws_url = ws://127.0.0.1:$PORT$(url_path "$ws")" \
		-e "/^(rest_url|ws_url) *=/d" "$T/$name"
	# The [exchange] lines above were added after deleting the old ones.
	grep -q "^ws_url = ws://127.0.0.1:$PORT" "$T/$name" ||
		{ fail "$name: could not rewrite the URLs"; continue; }
	"$BOT" -c "$T/$name" 2>>"$T/bot.log" &
	BOT_PID=$!
	PIDS+=("$BOT_PID")
	want=$((nsym * per))
	if wait_until 30 eval '[ "$(state ".by_prefix[\"$prefix\"] // 0")" -ge "$want" ]'; then
		pass "$name: prices arrived, $want orders rest"
	else
		fail "$name: no grid (prices never arrived?)"; tail -20 "$T/bot.log"
	fi
	kill -TERM "$BOT_PID"
	wait_exit "$BOT_PID" 30
	eq "$name: exit code" "$RC" 0
	eq "$name: orders left" "$(state ".by_prefix[\"$prefix\"] // 0")" 0
	n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "expected the shipped INI and at least one example, ran $n"
check "every close was 1000" all_closes_1000
finish
