#!/bin/bash
# What gs-trace shows of a trace is the trace's bytes made visible, never
# obeyed: terminal escapes, C1 controls, DEL and bidi controls in any
# field (run, time, event, detail, a client id) come out as \xHH or
# \uXXXX in verify, show and svg, and svg is well-formed XML whatever the
# records hold.  A forged record cannot paint "OK" on the auditor's screen.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
python3 "$top_srcdir/tests/integration/trace-escape.py" "$T/t.jsonl" ||
	{ fail "cannot write the trace"; finish; }

# printable FILE: every character printable (newlines aside), as UTF-8.
printable() {
	python3 - "$1" <<'PY'
import sys
text = open(sys.argv[1], "rb").read().decode("utf-8")
bad = [hex(ord(c)) for c in text if not (c.isprintable() or c == "\n")]
if bad:
    print("not printable:", " ".join(sorted(set(bad))))
    sys.exit(1)
PY
}

"$GS_TRACE" verify "$T/t.jsonl" >"$T/verify.out" 2>&1
eq "hostile but chained trace: verify exit" "$?" 0
"$GS_TRACE" show "$T/t.jsonl" >"$T/show.out" 2>&1
eq "show: exit" "$?" 0
check "show: every character printable" printable "$T/show.out"
for want in 'READY\u202e\u2066\u200f' 'ORDER\u009b2J\u0085\x7f' \
	'gsb-\u202e\u2066\u200f1-7' '"1\u001B[1A\u001B[2K\rOK' \
	'started 2026-12-07T00:00:00.0Z\u202e'; do
	grep -qF -- "$want" "$T/show.out" && pass "show: $want" ||
		{ fail "show does not show $want"; cat "$T/show.out"; }
done

"$GS_TRACE" verify "$T/t.jsonl.bad" >"$T/bad.out" 2>&1
eq "a forged run id: verify exit" "$?" 1
check "verify: every character printable" printable "$T/bad.out"
grep -qF 'record of run \x1b[2K\rOK\u202e without its START' "$T/bad.out" &&
	pass "verify shows the forged id escaped" || { fail "verify"; cat "$T/bad.out"; }
eq "verify: the verdict" "$(tail -1 "$T/bad.out")" TAMPERED
"$GS_TRACE" show "$T/t.jsonl.bad" >"$T/show-bad.out" 2>&1
check "show of a broken trace: every character printable" printable "$T/show-bad.out"

"$GS_TRACE" svg "$T/t.jsonl" -o "$T/t.svg"
eq "svg: exit" "$?" 0
check "svg: every character printable" printable "$T/t.svg"
if command -v xmllint >/dev/null; then
	xmllint --noout "$T/t.svg" 2>"$T/xml.err" && pass "svg is well-formed XML (xmllint)" ||
		{ fail "svg is no XML"; cat "$T/xml.err"; }
else
	python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' \
		"$T/t.svg" 2>"$T/xml.err" && pass "svg is well-formed XML (python3)" ||
		{ fail "svg is no XML"; cat "$T/xml.err"; }
fi
grep -qF 'CANCEL\u009b2J\u0085\x7f&lt;&amp;\x1b' "$T/t.svg" && pass "svg shows the event escaped" ||
	{ fail "svg"; grep -a CANCEL "$T/t.svg"; }
"$GS_TRACE" svg "$T/t.jsonl" --run "$(printf 'x\033[2Ky')" -o "$T/none.svg" 2>"$T/err"
eq "svg --run unknown: exit" "$?" 1
grep -qF 'no run x\x1b[2Ky' "$T/err" && pass "the unknown run named escaped" ||
	{ fail "unknown run"; cat "$T/err"; }
finish
