#!/bin/bash
# gs-trace on good, tampered, crashed and torn traces: verify exits 0 on an
# intact chain (reporting crashes and torn lines), 1 on any tampering;
# show prints the timeline; svg draws it.
. "$(dirname "$0")/example-common.sh"

example_conf ""
example_start --cancel-ms 30
kill -TERM "$EX_PID"
wait_exit "$EX_PID" 20
cp "$T/trace.jsonl" "$T/good.jsonl"

"$GS_TRACE" verify "$T/good.jsonl" >"$T/out"
eq "good trace: exit" "$?" 0
grep -q "^OK$" "$T/out" && pass "good trace: OK" || fail "good trace not OK"

"$GS_TRACE" show "$T/good.jsonl" --last >"$T/show"
eq "show: exit" "$?" 0
for s in CANCELLING CLOSING JOINING EXIT; do
	grep -q -- "-> $s" "$T/show" && pass "show lists $s" || fail "show misses $s"
done
grep -q "exit code 0" "$T/show" && pass "show gives the exit code" || fail "no exit code"
grep -q "CANCELLING  lasted" "$T/show" && pass "show gives durations" || fail "no durations"

"$GS_TRACE" svg "$T/good.jsonl" -o "$T/t.svg"
eq "svg: exit" "$?" 0
grep -q "^<svg " "$T/t.svg" && grep -q "</svg>" "$T/t.svg" && pass "svg is a picture" || fail "not svg"
for s in CANCELLING CLOSING JOINING SIGTERM; do
	grep -q "$s" "$T/t.svg" && pass "svg shows $s" || fail "svg misses $s"
done

# One byte edited, a line deleted, two lines swapped, a record inserted.
sed '3s/"seq":2/"seq":7/' "$T/good.jsonl" >"$T/edit.jsonl"
sed '4d' "$T/good.jsonl" >"$T/del.jsonl"
awk 'NR==3 { held = $0; next } NR==4 { print; print held; next } 1' \
	"$T/good.jsonl" >"$T/swap.jsonl"
sed '3p' "$T/good.jsonl" >"$T/dup.jsonl"
for k in edit del swap dup; do
	"$GS_TRACE" verify "$T/$k.jsonl" >"$T/out"
	eq "tampered ($k): exit" "$?" 1
	grep -q "TAMPERED" "$T/out" && pass "tampered ($k) reported" || fail "$k not reported"
done

# A crashed run (SIGKILL) then a clean one: intact, one crash reported.
example_start
kill -KILL "$EX_PID"
wait_exit "$EX_PID" 10
example_start
kill -TERM "$EX_PID"
wait_exit "$EX_PID" 20
"$GS_TRACE" verify "$T/trace.jsonl" >"$T/out"
eq "crashed run: exit" "$?" 0
grep -q "1 crashed" "$T/out" && pass "crash reported" || { fail "crash not reported"; cat "$T/out"; }

# A torn last line (crash mid-write), then a new run on a new line.
cp "$T/good.jsonl" "$T/torn.jsonl"
truncate -s -20 "$T/torn.jsonl"
"$GS_TRACE" verify "$T/torn.jsonl" >"$T/out"
eq "torn trace: exit" "$?" 0
grep -q "1 torn lines" "$T/out" && pass "torn line reported" || fail "torn not reported"
cp "$T/torn.jsonl" "$T/trace.jsonl"
example_start
kill -TERM "$EX_PID"
wait_exit "$EX_PID" 20
"$GS_TRACE" verify "$T/trace.jsonl" >"$T/out"
eq "run after a torn line: exit" "$?" 0
grep -q "2 runs" "$T/out" && pass "the new run chains on" || { fail "chain"; cat "$T/out"; }

"$GS_TRACE" verify "$T/missing.jsonl" >/dev/null 2>&1
eq "unreadable file: exit" "$?" 2
"$GS_TRACE" frobnicate "$T/good.jsonl" >/dev/null 2>&1
eq "unknown command: exit" "$?" 2
finish
