#!/bin/bash
# Real clients against exchange-sim: ccxt (with ccxt.pro) and the `binance`
# SDK, at the versions pinned in tests/clients/package-lock.json, each with
# its own default URL layout and only the host swapped, over TLS with a
# throw-away CA, with an HMAC key and then an Ed25519 key.  Each call that
# fails is named with what came back.  Cases the simulator cannot pass yet
# are listed in tests/clients/expected-failures, printed here: they run,
# and a listed case that passes is reported XPASS.
#
# Node.js and npm are required (scripts/deps.sh installs them): without
# them this test fails, it does not skip.  The packages are installed with
# `npm ci` into $top_builddir/test-clients (removed by make clean), so the
# source tree stays as it is, in-tree, out of tree and under distcheck.
. "$(dirname "$0")/bot-common.sh"
CL_SRC=$top_srcdir/tests/clients
CL=$top_builddir/test-clients

for tool in node npm; do
	command -v "$tool" >/dev/null ||
		{ fail "no $tool: install Node.js and npm (scripts/deps.sh)"; finish; }
done
pass "node $(node --version), npm $(npm --version)"

# The client scripts run from $CL, beside its node_modules; npm ci runs
# again only when the lock file changed.
mkdir -p "$CL"
cp "$CL_SRC"/package.json "$CL_SRC"/package-lock.json "$CL_SRC"/*.mjs "$CL/"
if ! cmp -s "$CL/package-lock.json" "$CL/node_modules/.installed-lock" 2>/dev/null; then
	if (cd "$CL" && npm ci --ignore-scripts --no-audit --no-fund) >"$T/npm.log" 2>&1; then
		cp "$CL/package-lock.json" "$CL/node_modules/.installed-lock"
	else
		fail "npm ci in $CL"; tail -20 "$T/npm.log"; finish
	fi
fi
versions=$(cd "$CL" && node -e 'for (const p of ["ccxt", "binance"]) console.log(p + "@" +
	JSON.parse(require("fs").readFileSync("node_modules/" + p + "/package.json")).version)' | tr '\n' ' ')
eq "the pinned versions are installed" "$versions" "ccxt@4.5.84 binance@3.6.5 "

echo "expected failures (tests/clients/expected-failures):"
grep -v '^[[:space:]]*\(#\|$\)' "$CL_SRC/expected-failures" | sed 's/^/  /'

tls_certs
install -m 0600 "$top_srcdir/tests/keys/ed25519.pem" "$T/ed25519.pem"

# clients KEY-TYPE [SIM-INI]: one simulator, both clients, one key type.
clients() {
	local kt=$1 c
	sim_start "$SIM_TLS
${2:-}"
	for c in ccxt binance; do
		env SIM_HOST="localhost:$PORT" KEY_TYPE="$kt" \
			API_KEY="$BINANCE_API_KEY" API_SECRET="$BINANCE_API_SECRET" \
			PRIVATE_KEY_FILE="$T/ed25519.pem" \
			XFAIL_FILE="$CL_SRC/expected-failures" \
			NODE_EXTRA_CA_CERTS="$SIM_CA" \
			node "$CL/$c.mjs" >"$T/$c-$kt.out" 2>"$T/$c-$kt.err" &
		PIDS+=($!)
		wait_exit $! 300
		cat "$T/$c-$kt.out"
		[ ! -s "$T/$c-$kt.err" ] || sed 's/^/  stderr: /' "$T/$c-$kt.err" | head -20
		eq "$c with $kt keys: exit code" "$RC" 0
	done
	eq "$kt: orders left on the exchange" "$(state .open_orders)" 0
	kill -TERM "$SIM_PID"
	wait_exit "$SIM_PID" 10
	eq "$kt: exchange-sim exit code" "$RC" 0
}

clients hmac
clients ed25519 "key_type = ed25519
public_key_file = $top_srcdir/tests/keys/ed25519.pub.pem"
finish
