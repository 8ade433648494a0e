#!/usr/bin/env python3
"""h2-client.py PORT CAFILE CASE: HTTP/2 written frame by frame, for what
curl never does: many requests in one write, and a request whose end
(END_STREAM) comes well after its headers.  Prints one line per finding,
"ok: ..." or "FAIL: ..."; exits 1 on any failure.

CASE burst: ten GET /api/v3/exchangeInfo?symbol=S00USDT|S01USDT, in one
  write; each stream must be answered with its own symbol.
CASE late-end: a POST whose empty DATA frame with END_STREAM follows 300 ms
  after its headers; nothing may be answered before it, then the answer
  comes and the connection lives (no GOAWAY).
CASE late-end-twins: the same with two identical POSTs, ended 300 ms
  apart: neither is answered before both have ended.
CASE mixed-twins: two identical POSTs in one write, the first ended 300 ms
  later, the second with its headers: both are answered.
CASE empty-args: a query that is only "?", and one ending in "&": both
  answered, on a connection that lives.
CASE ambiguous: two GETs alike but for their API keys, in one write: the
  simulator cannot tell which stream is which, and closes the connection.
"""
import socket
import ssl
import struct
import sys
import time

PORT, CAFILE, CASE = int(sys.argv[1]), sys.argv[2], sys.argv[3]
failed = False


def report(ok, what):
    global failed
    print(("ok: " if ok else "FAIL: ") + what)
    failed = failed or not ok


def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", sid) + payload


def hpack_str(s):
    b = s.encode()
    assert len(b) < 127
    return bytes([len(b)]) + b


def headers(pairs):
    # Literal header fields without indexing, new names, no Huffman.
    return b"".join(b"\x00" + hpack_str(n) + hpack_str(v) for n, v in pairs)


def request(method, path, extra=()):
    return headers([(":method", method), (":scheme", "https"),
                    (":authority", "localhost"), (":path", path)] +
                   list(extra))


class Conn:
    def __init__(self):
        ctx = ssl.create_default_context(cafile=CAFILE)
        ctx.set_alpn_protocols(["h2"])
        raw = socket.create_connection(("localhost", PORT))
        self.s = ctx.wrap_socket(raw, server_hostname="localhost")
        if self.s.selected_alpn_protocol() != "h2":
            raise SystemExit("FAIL: the server did not take h2")
        self.buf = b""
        self.bodies, self.ended, self.goaway, self.resets = {}, set(), None, {}
        self.closed = False
        self.send(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0))

    def send(self, data):
        self.s.sendall(data)

    def pump(self, seconds):
        """Read frames for up to seconds; returns the streams answered
        (HEADERS or DATA seen)."""
        seen = set()
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return seen
            self.s.settimeout(left)
            try:
                data = self.s.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError):
                return seen
            if not data:
                self.closed = True
                return seen
            self.buf += data
            while len(self.buf) >= 9:
                n = int.from_bytes(self.buf[:3], "big")
                if len(self.buf) < 9 + n:
                    break
                ftype, flags = self.buf[3], self.buf[4]
                sid = int.from_bytes(self.buf[5:9], "big") & 0x7fffffff
                payload = self.buf[9:9 + n]
                self.buf = self.buf[9 + n:]
                if sid and ftype in (0, 1):
                    seen.add(sid)
                if ftype == 0:  # DATA
                    if flags & 0x8:
                        payload = payload[1:len(payload) - payload[0]]
                    self.bodies[sid] = self.bodies.get(sid, b"") + payload
                    if payload:
                        self.send(frame(8, 0, 0, struct.pack(">I", len(payload))))
                if ftype in (0, 1) and flags & 0x1:
                    self.ended.add(sid)
                elif ftype == 3:
                    self.resets[sid] = int.from_bytes(payload[:4], "big")
                elif ftype == 4 and not flags & 0x1:
                    self.send(frame(4, 0x1, 0))
                elif ftype == 6 and not flags & 0x1:
                    self.send(frame(6, 0x1, 0, payload))
                elif ftype == 7:
                    self.goaway = int.from_bytes(payload[4:8], "big")

    def wait_ended(self, sids, seconds=5):
        end = time.monotonic() + seconds
        while not set(sids) <= self.ended and time.monotonic() < end and \
                self.goaway is None and not self.closed:
            self.pump(0.2)


def run(c):
    c.pump(0.2)  # the server's SETTINGS
    if CASE == "burst":
        sids = list(range(1, 21, 2))
        want = {sid: "S%02dUSDT" % (i % 2) for i, sid in enumerate(sids)}
        c.send(b"".join(frame(1, 0x5, sid, request(
            "GET", "/api/v3/exchangeInfo?symbol=" + want[sid]))
            for sid in sids))
        c.wait_ended(sids)
        report(set(sids) <= c.ended, "all %d streams answered" % len(sids))
        wrong = [sid for sid in sids
                 if ('"symbol":"%s"' % want[sid]).encode()
                 not in c.bodies.get(sid, b"")]
        report(not wrong, "each stream answered with its own request's "
               "symbol" + (" (wrong: %s)" % wrong if wrong else ""))
    elif CASE in ("late-end", "late-end-twins"):
        sids = [1] if CASE == "late-end" else [1, 3]
        post = request("POST", "/api/v3/order?symbol=S00USDT",
                       [("content-length", "0"),
                        ("content-type", "application/x-www-form-urlencoded")])
        c.send(b"".join(frame(1, 0x4, sid, post) for sid in sids))
        early = set()
        for sid in sids:
            early |= c.pump(0.3) & set(sids)
            c.send(frame(0, 0x1, sid))
        report(not early, "nothing answered before the request ended"
               + (" (streams %s)" % sorted(early) if early else ""))
        c.wait_ended(sids)
        report(set(sids) <= c.ended, "answered once ended")
        c.pump(0.3)
        report(c.goaway is None, "the connection lives (GOAWAY %s)" % c.goaway)
        c.send(frame(1, 0x5, 5, request("GET", "/api/v3/time")))
        c.wait_ended([5])
        report(5 in c.ended, "a later request on it is answered")
    elif CASE == "mixed-twins":
        post = request("POST", "/api/v3/order?symbol=S00USDT",
                       [("content-length", "0"),
                        ("content-type", "application/x-www-form-urlencoded")])
        c.send(frame(1, 0x4, 1, post) + frame(1, 0x5, 3, post))
        c.pump(0.3)
        c.send(frame(0, 0x1, 1))
        c.wait_ended([1, 3])
        report({1, 3} <= c.ended, "both answered (streams %s)" % sorted(c.ended))
        report(c.goaway is None, "the connection lives (GOAWAY %s)" % c.goaway)
    elif CASE == "empty-args":
        c.send(frame(1, 0x5, 1, request("GET", "/api/v3/time?")) +
               frame(1, 0x5, 3, request(
                   "GET", "/api/v3/exchangeInfo?symbol=S00USDT&")))
        c.wait_ended([1, 3])
        report(b"serverTime" in c.bodies.get(1, b""), 'a query of only "?" answered')
        report(b'"symbol":"S00USDT"' in c.bodies.get(3, b""),
               'a query ending in "&" answered')
        report(c.goaway is None and not c.closed, "the connection lives")
    elif CASE == "ambiguous":
        c.send(b"".join(frame(1, 0x5, sid, request(
            "GET", "/api/v3/time", [("x-mbx-apikey", key)]))
            for sid, key in ((1, "key-one"), (3, "key-two"))))
        end = time.monotonic() + 5
        while not c.closed and time.monotonic() < end:
            c.pump(0.2)
        report(c.closed, "the connection was closed")
        report(not ({1, 3} <= c.ended), "not both answered as one another")
    else:
        raise SystemExit("unknown case " + CASE)


try:
    run(Conn())
except OSError as e:  # ssl.SSLError included
    report(False, "the connection was lost: %s" % e)
sys.exit(1 if failed else 0)
