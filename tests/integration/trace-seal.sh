#!/bin/bash
# A sealed trace as an auditor sees it: gs-example runs with a seal key,
# sends its tail anchor to the log and in the final STATUS, and
# gs-trace verify --key proves the records; edits that re-chain every
# hash, a record forged with the key stolen from the machine, deletions,
# a cut tail and a mix of sealed and unsealed runs are each reported.
# Also gs-trace's command line: --help per command, unknown --run.
. "$(dirname "$0")/example-common.sh"

# rechain IN OUT: recompute every prev and hash, as anyone able to write
# the file can (the unkeyed chain proves nothing against them).
rechain() {
	local prev line body h
	prev=$(printf '0%.0s' {1..64})
	while IFS= read -r line; do
		body=${line:0:${#line}-75}
		body="${body:0:${#body}-74},\"prev\":\"$prev\""
		h=$(printf '%s%s}' "$prev" "$body" | sha256sum | cut -c1-64)
		printf '%s,"hash":"%s"}\n' "$body" "$h"
		prev=$h
	done <"$1" >"$2"
}

# reseal IN OUT LINE HEXKEY: give record LINE a mac made with HEXKEY.
reseal() {
	local n=0 line head mac
	while IFS= read -r line; do
		n=$((n + 1))
		if [ "$n" -eq "$3" ]; then
			head=${line:0:${#line}-75-74-73}
			mac=$(printf '%s}' "$head" | openssl dgst -sha256 \
				-mac HMAC -macopt "hexkey:$4" | sed 's/.*= //')
			line="$head,\"mac\":\"$mac\"${line:${#line}-75-74}"
		fi
		printf '%s\n' "$line"
	done <"$1" >"$2"
}

run_once() {
	example_start
	kill -TERM "$EX_PID"
	wait_exit "$EX_PID" 20
	eq "$1: exit" "$RC" 0
}

# An unsealed run first: a trace from before sealing was turned on.
example_conf ""
run_once "unsealed run"

"$GS_TRACE" keygen "$T/seal.key" "$T/verify.key" >"$T/out"
eq "keygen: exit" "$?" 0
eq "seal file mode" "$(stat -c %a "$T/seal.key")" 600
eq "verify file mode" "$(stat -c %a "$T/verify.key")" 600
"$GS_TRACE" keygen "$T/seal.key" "$T/other.key" >/dev/null 2>&1
eq "keygen never overwrites a key: exit" "$?" 1

example_conf "seal_key_file = $T/seal.key"
"$top_builddir/notify-listen" "$T/notify.sock" "$T/notify.out" &
PIDS+=($!)
wait_until 5 test -S "$T/notify.sock" || fail "listener did not start"
export NOTIFY_SOCKET="$T/notify.sock"
run_once "sealed run"
unset NOTIFY_SOCKET
cp -p "$T/seal.key" "$T/seal.lag"
run_once "second sealed run"

# The anchor of the last run, as the log (and syslog) got it.
anchor=$(grep -o 'trace anchor: .*' "$T/example.log" | tail -1)
hash=${anchor##* hash }
count=$(sed -E 's/.* sealed ([0-9]+) .*/\1/' <<<"$anchor")
[ ${#hash} -eq 64 ] && pass "anchor logged ($anchor)" || fail "no anchor in the log"
eq "anchor: last hash" "$hash" "$(records "$T/trace.jsonl" | tail -1 | jq -r .hash)"
eq "anchor: sealed count" "$count" "$(cut -d' ' -f3 "$T/seal.key")"
wait_until 5 grep -q "^STATUS=EXIT with code 0; trace anchor: run .* hash [0-9a-f]\{64\}$" \
	"$T/notify.out" && pass "anchor in the final STATUS" ||
	{ fail "no anchor in STATUS"; cat "$T/notify.out"; }
eq "STATUS=EXIT is the last notification" \
	"$(tail -1 "$T/notify.out" | cut -c1-11)" "STATUS=EXIT"

cp "$T/trace.jsonl" "$T/good.jsonl"
"$GS_TRACE" verify --key "$T/verify.key" --seal "$T/seal.key" \
	--anchor "$hash" "$T/good.jsonl" >"$T/out"
eq "sealed trace verifies: exit" "$?" 0
grep -q "^OK$" "$T/out" && pass "OK" || { fail "not OK"; cat "$T/out"; }
grep -q "^sealed: 2 of 3 runs, 14 records, every seal checked" "$T/out" &&
	pass "seals counted" || { fail "seal count"; cat "$T/out"; }
grep -q "^MIXED: 1 runs are not sealed (1 before sealing began" "$T/out" &&
	pass "mixed runs reported" || { fail "mixed not reported"; cat "$T/out"; }
"$GS_TRACE" verify "$T/good.jsonl" >"$T/out"
eq "unkeyed verify of a sealed trace: exit" "$?" 0

# A seal file that was not renewed after the last run's records (a crash
# or a failing disk between each record and its rewrite): it still holds
# the key that sealed them, so they are not proven.
"$GS_TRACE" verify --key "$T/verify.key" --seal "$T/seal.lag" "$T/good.jsonl" >"$T/out"
eq "seal file behind the trace: exit" "$?" 3
grep -q "^UNPROVEN: the last 7 sealed records" "$T/out" && pass "UNPROVEN" ||
	{ fail "lagging seal file not reported"; cat "$T/out"; }

# A forged FORCE record whose hash is no hash, and a line of garbage, are
# not torn writes; the beginning of the record after it is one.
for k in forged garbage; do
	case $k in
	forged) l=$(sed -n 10p "$T/good.jsonl" | sed -E 's/"event":"[A-Z_]+"/"event":"FORCE"/; s/"hash":"[0-9a-f]+"/"hash":"nothex"/') ;;
	garbage) l="garbage" ;;
	esac
	awk -v l="$l" 'NR==10 { print l } 1' "$T/good.jsonl" >"$T/$k.jsonl"
	"$GS_TRACE" verify --key "$T/verify.key" --seal "$T/seal.key" \
		--anchor "$hash" "$T/$k.jsonl" >"$T/out"
	eq "$k line: exit" "$?" 1
	grep -q "$k.jsonl:10: not a trace record" "$T/out" && pass "$k line found" ||
		{ fail "$k line not found"; cat "$T/out"; }
done
awk 'NR==10 { print substr($0, 1, 90) } 1' "$T/good.jsonl" >"$T/cut.jsonl"
"$GS_TRACE" verify --key "$T/verify.key" --seal "$T/seal.key" \
	--anchor "$hash" "$T/cut.jsonl" >"$T/out"
eq "a write cut short, then the record: exit" "$?" 0
grep -q "^torn lines (writes cut short) at line 10$" "$T/out" &&
	pass "torn line named" || { fail "torn line"; cat "$T/out"; }

# Record 10 (a sealed one) edited, every hash recomputed.
sed '10s/"pid":/"pid":1/' "$T/good.jsonl" >"$T/edit.tmp"
rechain "$T/edit.tmp" "$T/edit.jsonl"
"$GS_TRACE" verify "$T/edit.jsonl" >"$T/out"
eq "re-chained edit, no key: passes (what the key is for)" "$?" 0
"$GS_TRACE" verify --key "$T/verify.key" "$T/edit.jsonl" >"$T/out"
eq "re-chained edit, with the key: exit" "$?" 1
grep -q "edit.jsonl:10: seal broken" "$T/out" && pass "edit found at line 10" ||
	{ fail "edit not found"; cat "$T/out"; }

# The machine is taken: the seal key on it cannot re-seal the past.
stolen=$(cut -d' ' -f2 "$T/seal.key")
sed '10s/"pid":/"pid":1/' "$T/good.jsonl" >"$T/forge.tmp"
reseal "$T/forge.tmp" "$T/forge2.tmp" 10 "$stolen"
rechain "$T/forge2.tmp" "$T/forge.jsonl"
"$GS_TRACE" verify --key "$T/verify.key" "$T/forge.jsonl" >"$T/out"
eq "forged with the stolen key: exit" "$?" 1
grep -q "forge.jsonl:10: seal broken" "$T/out" && pass "forgery found" ||
	{ fail "forgery not found"; cat "$T/out"; }

# A record deleted, two swapped, one duplicated: re-chained each time.
sed '11d' "$T/good.jsonl" >"$T/del.tmp"
awk 'NR==11 { held = $0; next } NR==12 { print; print held; next } 1' \
	"$T/good.jsonl" >"$T/swap.tmp"
sed '11p' "$T/good.jsonl" >"$T/dup.tmp"
for k in del swap dup; do
	rechain "$T/$k.tmp" "$T/$k.jsonl"
	"$GS_TRACE" verify --key "$T/verify.key" "$T/$k.jsonl" >"$T/out"
	eq "$k, re-chained: exit" "$?" 1
	grep -q "seal broken" "$T/out" && pass "$k caught by the seal" ||
		{ fail "$k not caught"; cat "$T/out"; }
done

# Another trace's verify key: not one seal verifies.  Said once, as a
# wrong key, not as an edit at every record; still exit 1.
"$GS_TRACE" keygen "$T/w.seal" "$T/wrong.key" >/dev/null
"$GS_TRACE" verify --key "$T/wrong.key" "$T/good.jsonl" >"$T/out"
eq "wrong verify key: exit" "$?" 1
grep -q "good.jsonl: WRONG KEY: not one of the 14 sealed records verifies under the key given" \
	"$T/out" && pass "wrong key named" || { fail "wrong key not named"; cat "$T/out"; }
if grep -q "edited, forged, deleted" "$T/out"; then
	fail "wrong key reported as edits"; cat "$T/out"
else
	pass "wrong key: no edit reported"
fi
eq "wrong key: the verdict" "$(tail -1 "$T/out")" "WRONG KEY"
# The first sealed record cut off, re-chained: every later seal is
# checked under the key before its own, so none verifies; but they do
# under the next keys: the key is right and records are missing.
sed '8d' "$T/good.jsonl" >"$T/head.tmp"
rechain "$T/head.tmp" "$T/head.jsonl"
"$GS_TRACE" verify --key "$T/verify.key" "$T/head.jsonl" >"$T/out"
eq "first sealed record cut: exit" "$?" 1
grep -q "WRONG KEY" "$T/out" && { fail "a cut head taken for a wrong key"; cat "$T/out"; } ||
	pass "a cut head is no wrong key"
eq "first sealed record cut: the verdict" "$(tail -1 "$T/out")" "TAMPERED"

# The tail cut: alone it reads as a crash; the anchor and the seal
# count say it is a cut.
head -n -3 "$T/good.jsonl" >"$T/cut.jsonl"
"$GS_TRACE" verify "$T/cut.jsonl" >"$T/out"
eq "cut tail, nothing to compare: exit" "$?" 0
grep -q "1 crashed" "$T/out" && pass "reads as a crash" || fail "crash"
"$GS_TRACE" verify --anchor "$hash" "$T/cut.jsonl" >"$T/out"
eq "cut tail, --anchor: exit" "$?" 1
grep -q "^TAIL CUT$" "$T/out" && pass "anchor: TAIL CUT" || { fail "cut"; cat "$T/out"; }
"$GS_TRACE" verify --key "$T/verify.key" --seal "$T/seal.key" "$T/cut.jsonl" >"$T/out"
eq "cut tail, --seal: exit" "$?" 1
grep -q "^TAIL CUT$" "$T/out" && pass "seal count: TAIL CUT" || { fail "cut"; cat "$T/out"; }
"$GS_TRACE" verify --key "$T/verify.key" --count "$count" "$T/cut.jsonl" >"$T/out"
eq "cut tail, --count from the anchor: exit" "$?" 1

# A real crash after the anchored run: no record missing, no anchor.
example_start
kill -KILL "$EX_PID"
wait_exit "$EX_PID" 10
"$GS_TRACE" verify --key "$T/verify.key" --seal "$T/seal.key" \
	--anchor "$hash" "$T/trace.jsonl" >"$T/out"
eq "crash after the anchor: exit" "$?" 0
grep -q "1 crashed" "$T/out" && grep -q "^OK$" "$T/out" &&
	pass "a crash, not a cut" || { fail "crash"; cat "$T/out"; }

# An unsealed run after sealing began cannot be told from an insertion.
example_conf ""
run_once "unsealed again"
"$GS_TRACE" verify --key "$T/verify.key" "$T/trace.jsonl" >"$T/out"
eq "unsealed after sealed, with the key: exit" "$?" 1
grep -q "unsealed record after sealing began" "$T/out" &&
	pass "reported" || { fail "not reported"; cat "$T/out"; }

# A seal file others can read is refused at start (78).
cp "$T/seal.key" "$T/open.key"
chmod 644 "$T/open.key"
example_conf "seal_key_file = $T/open.key"
"$EXAMPLE" -c "$T/example.ini" 2>"$T/open.log"
eq "world-readable seal file: exit" "$?" 78
grep -q "0600" "$T/open.log" && pass "says why" || { fail "no reason"; cat "$T/open.log"; }

# gs-trace's command line.
for c in verify show svg keygen; do
	"$GS_TRACE" "$c" --help >"$T/out" 2>&1
	eq "$c --help: exit" "$?" 0
	grep -q "^usage: gs-trace $c" "$T/out" && pass "$c --help: usage" || fail "$c --help"
done
"$GS_TRACE" show "$T/good.jsonl" --run nope >"$T/out" 2>"$T/err"
eq "show --run unknown: exit" "$?" 1
grep -q "no run nope" "$T/err" && pass "show says so" || fail "show: no message"
"$GS_TRACE" svg "$T/good.jsonl" --run nope -o "$T/x.svg" 2>"$T/err"
eq "svg --run unknown: exit" "$?" 1
grep -q "no run nope" "$T/err" && pass "svg says so" || fail "svg: no message"
"$GS_TRACE" verify --anchor 1234 "$T/good.jsonl" >/dev/null 2>&1
eq "verify --anchor not a hash: exit" "$?" 2
"$GS_TRACE" verify --key "$T/open.key" "$T/good.jsonl" >/dev/null 2>"$T/err"
eq "verify --key with a readable key: exit" "$?" 2
"$GS_TRACE" verify --key "$T/seal.key" "$T/good.jsonl" >/dev/null 2>"$T/err"
eq "verify --key with the seal file (not k_0): exit" "$?" 2
"$GS_TRACE" show --key "$T/verify.key" "$T/good.jsonl" >/dev/null 2>&1
eq "an option of another command: exit" "$?" 2
finish
