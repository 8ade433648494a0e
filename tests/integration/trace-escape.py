#!/usr/bin/env python3
"""trace-escape.py OUT: a trace whose records chain and verify, with
terminal escapes, C1 controls and bidi controls in every field a person
is shown: run, time, event, state-free progress records, and detail."""
import hashlib, json, sys

ESC = "\x1b[1A\x1b[2K\rOK\x1b]0;title\x07"
BIDI = "\u202e\u2066\u200f"
C1 = "\u009b2J\u0085"
run = "0123456789abcdef0123456789abcdef"
recs = [
    ("START", None, "RUNNING", {"version": "1" + ESC}),
    ("READY" + BIDI, "RUNNING", "RUNNING", {"workers": 1}),
    ("ORDER" + C1 + "\x7f", "RUNNING", "RUNNING",
     {"client": "gsb-" + BIDI + "1-7", "msg": "x\ny" + ESC + "<&>'\""}),
    ("SIGTERM", "RUNNING", "CANCELLING", {"signal": "SIGTERM"}),
    ("CANCEL" + C1 + "\x7f<&\x1b", "CANCELLING", "CANCELLING",
     {"client": "gsb-" + BIDI}),
    ("PHASE_DONE", "CANCELLING", "CLOSING", {"orders_found": 0}),
    ("PHASE_DONE", "CLOSING", "JOINING", {}),
    ("PHASE_DONE", "JOINING", "EXIT", {}),
    ("EXIT", "EXIT", "EXIT", {"exit_code": 0, "why": ESC + BIDI}),
]
prev = "0" * 64
out = []
for seq, (event, frm, state, detail) in enumerate(recs):
    body = json.dumps({"seq": seq, "run": run,
                       "time": "2026-12-07T00:00:00.0Z" + BIDI + ESC,
                       "mono_ns": 1000000 * (1 + seq), "pid": 1,
                       "event": event, "from": frm, "state": state,
                       "detail": detail, "prev": prev},
                      separators=(",", ":"), ensure_ascii=False)
    h = hashlib.sha256((prev + body).encode()).hexdigest()
    out.append(body[:-1] + ',"hash":"' + h + '"}')
    prev = h
# A record of a run whose id is escapes: the verifier's message names it.
bad = dict(seq=1, run="\x1b[2K\rOK\u202e", time="t", mono_ns=1, pid=1,
           event="READY", **{"from": "RUNNING"}, state="RUNNING", detail={},
           prev=prev)
body = json.dumps(bad, separators=(",", ":"), ensure_ascii=False)
h = hashlib.sha256((prev + body).encode()).hexdigest()
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("\n".join(out) + "\n")
with open(sys.argv[1] + ".bad", "w", encoding="utf-8") as f:
    f.write("\n".join(out) + "\n" + body[:-1] + ',"hash":"' + h + '"}\n')
