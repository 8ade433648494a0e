#!/bin/bash
# --check-config runs every check the daemon runs before it touches the
# network: each bad configuration below exits 78 with the same file:line
# message from the check and from the run.  The exchange is unreachable
# (port 1), so a check that let a bad value through would show as 69.
. "$(dirname "$0")/lib.sh"
BOT="$top_builddir/tradebotd"
export BINANCE_API_KEY=key BINANCE_API_SECRET=secret

# mk NAME [KEY VALUE]... [-- EXTRA-LINES]: $T/NAME.ini, keys replaced.
# Lines: 1 [bot], 2 symbols, 3 orders_per_symbol, 4 client_order_prefix,
# 5 dry_run, 6 state_dir, 7 [exchange], 8 rest_url, 9 ws_url, 10 [trace],
# 11 path; extra lines from 12.
mk() {
	local f="$T/$1.ini"; shift
	cat >"$f" <<INI
[bot]
symbols = BTCUSDT
orders_per_symbol = 1
client_order_prefix = gsb
dry_run = true
state_dir = $T/state
[exchange]
rest_url = http://127.0.0.1:1
ws_url = ws://127.0.0.1:1
[trace]
path = $T/trace.jsonl
INI
	while [ $# -ge 2 ] && [ "$1" != -- ]; do
		sed -i "s|^$1 = .*|$1 = $2|" "$f"
		shift 2
	done
	[ "${1:-}" = -- ] && printf '%b\n' "$2" >>"$f"
	return 0
}

# both NAME FILE WANT: check and run exit 78 with WANT in one same message.
both() {
	"$BOT" -c "$2" --check-config >"$T/check.log" 2>&1; local c=$?
	"$BOT" -c "$2" >"$T/run.log" 2>&1; local r=$?
	eq "$1: --check-config exit code" "$c" 78
	eq "$1: run exit code" "$r" 78
	grep -qF -- "$3" "$T/check.log" && pass "$1: says $3" ||
		{ fail "$1: message"; cat "$T/check.log"; }
	cmp -s "$T/check.log" "$T/run.log" && pass "$1: same message" ||
		{ fail "$1: check and run differ"; cat "$T/check.log" "$T/run.log"; }
}

mkdir -p "$T/state"
mk good
"$BOT" -c "$T/good.ini" --check-config >"$T/out.log" 2>&1
eq "good file" "$?" 0
grep -q "configuration OK (1 symbol, 1 order each, dry run)" "$T/out.log" &&
	pass "singular counts" || { fail "OK line"; cat "$T/out.log"; }

mk prefix client_order_prefix "gsb-a"
both "client_order_prefix with '-'" "$T/prefix.ini" \
	"$T/prefix.ini:4: client_order_prefix: \"gsb-a\": only letters, digits and '_'"

mk ws ws_url "http://127.0.0.1:1"
both "ws_url http" "$T/ws.ini" \
	"$T/ws.ini:9: ws_url: \"http://127.0.0.1:1\" is not a URL starting with ws:// or wss://"

mk rest rest_url "not a url"
both "rest_url not a URL" "$T/rest.ini" \
	"$T/rest.ini:8: rest_url: \"not a url\" is not a URL starting with http:// or https://"

mk deep state_dir "$T/a/b/state"
both "state_dir two levels missing" "$T/deep.ini" \
	"$T/deep.ini:6: state_dir: directory $T/a/b: No such file or directory"
[ ! -e "$T/a" ] && pass "no parent created" || fail "$T/a was created"

mk one state_dir "$T/one"
"$BOT" -c "$T/one.ini" --check-config >"$T/out.log" 2>&1
eq "state_dir one level missing: check" "$?" 0
[ ! -e "$T/one" ] && pass "the check creates nothing" || fail "the check created $T/one"

mk trace path "$T/none/trace.jsonl"
both "trace directory missing" "$T/trace.ini" \
	"$T/trace.ini:11: trace path: directory $T/none: No such file or directory"

: >"$T/plain"
mk tracef path "$T/plain/trace.jsonl"
both "trace directory a file" "$T/tracef.ini" \
	"$T/tracef.ini:11: trace path: $T/plain/trace.jsonl: Not a directory"

mk log -- "[log]\nfile = $T/nolog/x.log"
both "log directory missing" "$T/log.ini" \
	"$T/log.ini:13: log file: directory $T/nolog: No such file or directory"

mk fac -- "[log]\nsyslog = true\nsyslog_facility = bogus"
both "syslog_facility bogus" "$T/fac.ini" \
	"$T/fac.ini:14: syslog_facility: \"bogus\" is not one of: daemon, user, local0"

mk zero orders_per_symbol 0
both "orders_per_symbol 0" "$T/zero.ini" \
	"$T/zero.ini:3: orders_per_symbol: 0 is out of range (1 to 200)"

both "a directory as the file" "$T" "$T:0: is a directory, not a configuration file"

mk sym symbols 'btcusdt, eth$usdt'
both "bad symbol" "$T/sym.ini" "$T/sym.ini:2: symbols: \"eth\$usdt\" is not a symbol"

printf 'secret\n' >"$T/secret"
chmod 0644 "$T/secret"
mk mode -- "[exchange]\napi_secret_file = $T/secret"
both "api_secret_file mode" "$T/mode.ini" \
	"$T/mode.ini:13: api_secret_file $T/secret must be owned by this user and of mode 0600 (it is 0644"
chmod 0600 "$T/secret"
mk live dry_run false -- "[exchange]\napi_secret_file = $T/secret"
unset BINANCE_API_KEY
both "live without the key" "$T/live.ini" \
	"$T/live.ini:5: live trading needs the API key: set \$BINANCE_API_KEY, or run with --dry-run"
! grep -q 'BINANCE_API_SECRET\|\$api_secret_file' "$T/check.log" &&
	pass "hint names only the key" || fail "hint names the secret"
export BINANCE_API_KEY=key
printf '\nsecret\n' >"$T/secret"
both "api_secret_file with an empty first line" "$T/live.ini" \
	"$T/live.ini:13: api_secret_file $T/secret: its first line is empty"
mk live2 dry_run false
unset BINANCE_API_SECRET
both "live without the secret" "$T/live2.ini" \
	"$T/live2.ini:5: live trading needs the API secret: set \$BINANCE_API_SECRET (or api_secret_file)"
"$BOT" -c "$T/live2.ini" --dry-run --check-config >"$T/out.log" 2>&1
eq "--dry-run needs no credentials" "$?" 0
export BINANCE_API_SECRET=secret

GS_TRACE="$top_builddir/gs-trace"
mkdir -m 0700 "$T/seal"
"$GS_TRACE" keygen "$T/seal/seal.key" "$T/verify.key" >/dev/null 2>&1 || fail "keygen"
mk seal -- "[trace]\nseal_key_file = $T/seal/seal.key"
"$BOT" -c "$T/seal.ini" --check-config >"$T/out.log" 2>&1
eq "a good seal key passes" "$?" 0
chmod 0640 "$T/seal/seal.key"
both "seal key mode" "$T/seal.ini" \
	"$T/seal.ini:13: seal key $T/seal/seal.key must be a file owned by this user and of mode 0600 (it is 0640"
chmod 0600 "$T/seal/seal.key"
# The key is rewritten through seal.key.tmp beside it: a directory others
# can write in (where a co-tenant plants that name) is refused.
chmod 0770 "$T/seal"
both "seal key in a group-writable directory" "$T/seal.ini" \
	"$T/seal.ini:13: seal key $T/seal/seal.key: its directory $T/seal must be owned by this user (uid $(id -u)) and not group- or world-writable (it is uid $(id -u), mode 0770)"
chmod 1777 "$T/seal"
both "seal key in a world-writable sticky directory" "$T/seal.ini" \
	"(it is uid $(id -u), mode 1777)"
chmod 0700 "$T/seal"
mk noseal -- "[trace]\nseal_key_file = $T/seal/none.key"
both "seal key missing" "$T/noseal.ini" \
	"$T/noseal.ini:13: seal key $T/seal/none.key: No such file or directory"

# Files the run opens without following a symlink: refused at the check too.
: >"$T/real.jsonl"
ln -s "$T/real.jsonl" "$T/link.jsonl"
mk tlink path "$T/link.jsonl"
both "trace path a symlink" "$T/tlink.ini" \
	"$T/tlink.ini:11: trace path: $T/link.jsonl is a symbolic link (not followed)"
mkfifo "$T/fifo.jsonl"
mk tfifo path "$T/fifo.jsonl"
both "trace path a FIFO" "$T/tfifo.ini" \
	"$T/tfifo.ini:11: trace path: $T/fifo.jsonl is not a regular file"
mk llink -- "[log]\nfile = $T/link.jsonl"
both "log file a symlink" "$T/llink.ini" \
	"$T/llink.ini:13: log file: $T/link.jsonl is a symbolic link (not followed)"
ln -s "$T/seal/seal.key" "$T/seal-link.key"
mk slink -- "[trace]\nseal_key_file = $T/seal-link.key"
both "seal key a symlink" "$T/slink.ini" \
	"$T/slink.ini:13: seal key $T/seal-link.key is a symbolic link (not followed)"

# ca_file must hold a certificate: a private key is refused before any TLS.
mk ca -- "[exchange]\nca_file = $top_srcdir/tests/keys/rsa.pem"
both "ca_file a private key" "$T/ca.ini" \
	"$T/ca.ini:13: ca_file $top_srcdir/tests/keys/rsa.pem holds no PEM certificate"

# Credentials that would not fit are refused, never cut short; a FIFO as
# api_secret_file is refused without blocking.
long=$(printf 'x%.0s' $(seq 200))
BINANCE_API_SECRET=$long both "a secret longer than the daemon holds" "$T/good.ini" \
	"$T/good.ini:7: \$BINANCE_API_SECRET is longer than 159 bytes: not an API secret"
BINANCE_API_KEY=$long both "a key longer than the daemon holds" "$T/good.ini" \
	"$T/good.ini:7: \$BINANCE_API_KEY is longer than 159 bytes: not an API key"
printf '%s\n' "$long" >"$T/long-secret"
chmod 0600 "$T/long-secret"
mk lsec -- "[exchange]\napi_secret_file = $T/long-secret"
both "api_secret_file with a long first line" "$T/lsec.ini" \
	"$T/lsec.ini:13: api_secret_file $T/long-secret: its first line is longer than 158 bytes"
mkfifo -m 0600 "$T/fifo-secret"
mk fsec -- "[exchange]\napi_secret_file = $T/fifo-secret"
both "api_secret_file a FIFO" "$T/fsec.ini" \
	"$T/fsec.ini:13: api_secret_file $T/fifo-secret is not a regular file"

mk req symbols X -- ""
sed -i '/^symbols/d' "$T/req.ini"
both "missing required key" "$T/req.ini" "$T/req.ini:1: [bot] symbols is required"

# A value quoted in an error is shown, never obeyed by the terminal.
mk esc symbols "$(printf 'BTC\033[2J\342\200\256USDT')"
both "a value with escapes" "$T/esc.ini" 'BTC\x1b[2J\u202eUSDT'
if LC_ALL=C grep -q "$(printf '\033')" "$T/check.log"; then
	fail "the escape reached the terminal"; cat -v "$T/check.log"
else
	pass "no escape reaches the terminal"
fi
finish
