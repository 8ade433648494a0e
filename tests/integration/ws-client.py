#!/usr/bin/env python3
"""ws-client.py PORT CASE [ARGS]: a WebSocket client of the market
streams (RFC 6455 by hand, standard library only), for what a shell
cannot do: read many frames, answer pings, keep a local order book.
Prints one line per finding, "ok: ..." or "FAIL: ..."; exits 1 on any
failure.  The REST calls go to the same port.

CASE read TARGET N [SEND...]: open TARGET, send each SEND (a text frame),
  print the first N messages received, one per line, then close with
  1000.  Exits 1 if fewer than N came within $WS_WAIT seconds (10), or
  with 2 and "status S" when the handshake was answered S, not 101.
CASE depth-sync SYMBOL STREAM: the local order book of Binance's
  documentation: buffer STREAM (@depth or @depth@100ms) events, fetch
  the /api/v3/depth snapshot, drop events with u <= lastUpdateId, apply
  from the one with U <= lastUpdateId + 1 <= u, each next U the last u
  + 1; then compare the book with later snapshots taken right after an
  event (same lastUpdateId: every level equal).  With a resting order
  placed and cancelled on the way, which both must show.
CASE take SYMBOL SIDE TYPE: in a frozen market, what the book shows is
  what a taker gets.  A resting order of the other side inside the
  spread makes the top level; a LIMIT IOC (at the third level's price)
  or MARKET order of SIDE for the first two levels and one step of the
  third answers FULL with exactly those prices and quantities, in order;
  the next snapshot shows them consumed under a later lastUpdateId, and
  a local book kept from @depth@100ms the documented way equals it; a
  @trade client gets one trade per fill with its tradeId and m (the
  buyer is the maker when SIDE is SELL); REST trades, aggTrades,
  ticker/24hr and klines count them.  Then a resting order of SIDE,
  filled as the market would (/admin/fill), is a trade too, m true for a
  BUY, and leaves the synced book.
CASE rate TARGET: five control messages, answered, then a sixth within
  the second: it closes the connection with 1008.
"""
import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import sys
import time
from decimal import Decimal as D

PORT = int(sys.argv[1])
CASE = sys.argv[2]
ARGS = sys.argv[3:]
KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = b"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
failed = False


def report(ok, what):
    global failed
    print(("ok: " if ok else "FAIL: ") + what, flush=True)
    failed = failed or not ok


class Closed(Exception):
    def __init__(self, code, reason):
        super().__init__("closed %s %s" % (code, reason))
        self.code, self.reason = code, reason


class WS:
    def __init__(self, target):
        self.s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: %s\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n" %
                        (target, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            b = self.s.recv(1)
            if not b:
                raise Closed(1006, "no handshake")
            head += b
        self.status = int(head.split(b" ")[1])
        self.buf = b""

    def _need(self, n):
        while len(self.buf) < n:
            b = self.s.recv(65536)
            if not b:
                raise Closed(1006, "connection lost")
            self.buf += b
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, payload, op=1):
        if isinstance(payload, str):
            payload = payload.encode()
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | op])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.s.sendall(head + mask + body)

    def recv(self, timeout=10):
        """The next text message (pings answered on the way)."""
        self.s.settimeout(timeout)
        while True:
            b0, b1 = self._need(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._need(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._need(8))[0]
            data = self._need(n)
            op = b0 & 0x0F
            if op == 9:
                self.send(data, 10)
            elif op == 8:
                code = struct.unpack(">H", data[:2])[0] if len(data) >= 2 \
                    else 1005
                raise Closed(code, data[2:].decode(errors="replace"))
            elif op in (1, 0):
                return data.decode()

    def close(self):
        try:
            self.send(struct.pack(">H", 1000), 8)
            self.s.settimeout(5)
            while True:
                self.recv(5)
        except (Closed, OSError):
            pass
        self.s.close()


def rest(method, path, query="", signed=False):
    import urllib.error
    import urllib.request
    if signed:
        query += ("&" if query else "") + "timestamp=%d" % (time.time() * 1000)
        sig = hmac.new(SECRET, query.encode(), hashlib.sha256).hexdigest()
        query += "&signature=" + sig
    req = urllib.request.Request(
        "http://127.0.0.1:%d%s%s" % (PORT, path, "?" + query if query else ""),
        method=method, headers={"X-MBX-APIKEY": KEY})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def case_read():
    target, n = ARGS[0], int(ARGS[1])
    wait = float(os.environ.get("WS_WAIT", "10"))
    ws = WS(target)
    if ws.status != 101:
        print("status %d" % ws.status)
        sys.exit(2)
    for m in ARGS[2:]:
        ws.send(m)
    got = 0
    try:
        while got < n:
            print(ws.recv(wait), flush=True)
            got += 1
    except (Closed, socket.timeout) as e:
        print("closed: %s" % e, flush=True)
        sys.exit(1)
    ws.close()


def apply(book, ev):
    for side, key in ((0, "b"), (1, "a")):
        for p, q in ev[key]:
            if float(q) == 0:
                book[side].pop(p, None)
            else:
                book[side][p] = q


def snapshot_book(snap):
    return [{p: q for p, q in snap["bids"]}, {p: q for p, q in snap["asks"]}]


def case_depth_sync():
    symbol, stream = ARGS[0], ARGS[1]
    ws = WS("/ws/%s%s" % (symbol.lower(), stream))
    report(ws.status == 101, "%s opens" % stream)
    buffered = [json.loads(ws.recv())]
    st, snap = rest("GET", "/api/v3/depth", "symbol=%s&limit=5000" % symbol)
    report(st == 200, "depth snapshot: %d" % st)
    if st != 200:
        return
    last = snap["lastUpdateId"]
    while buffered[-1]["u"] <= last:  # until the stream passes it
        buffered.append(json.loads(ws.recv()))
    report(buffered[0]["U"] <= last + 1,
           "the first event (U %d) is not after the snapshot (%d)" %
           (buffered[0]["U"], last))
    book = snapshot_book(snap)
    applied, local = 0, last
    for ev in buffered:
        if ev["u"] <= last:
            continue
        if applied == 0 and not ev["U"] <= last + 1 <= ev["u"]:
            report(False, "first event %d..%d spans %d" %
                   (ev["U"], ev["u"], last + 1))
            return
        if applied and ev["U"] != local + 1:
            report(False, "gap: U %d after u %d" % (ev["U"], local))
            return
        apply(book, ev)
        local = ev["u"]
        applied += 1
    report(applied >= 1, "%d buffered events applied" % applied)

    # A resting order: it shows on both sides, then goes.
    bid = max(float(p) for p in book[0])
    price = "%.2f" % (round(bid * 0.95, 2))
    st, order = rest("POST", "/api/v3/order",
                     "symbol=%s&side=BUY&type=LIMIT&timeInForce=GTC&"
                     "quantity=0.00100&price=%s&newClientOrderId=syncprobe"
                     % (symbol, price), signed=True)
    report(st == 200, "a resting BUY at %s: %d" % (price, st))
    compared = seen = gone = 0
    cancelled = False
    deadline = time.time() + 30
    while time.time() < deadline and (compared < 3 or not gone):
        ev = json.loads(ws.recv())
        if ev["U"] != local + 1:
            report(False, "gap: U %d after u %d" % (ev["U"], local))
            return
        apply(book, ev)
        local = ev["u"]
        st, snap = rest("GET", "/api/v3/depth",
                        "symbol=%s&limit=1000" % symbol)
        if st != 200:
            report(False, "depth snapshot: %d %s" % (st, snap))
            return
        if snap["lastUpdateId"] != local:
            continue  # the book moved between the event and the snapshot
        if snapshot_book(snap) != book:
            report(False, "book at %d differs from the snapshot" % local)
            return
        compared += 1
        mine = any(float(p) == float(price) for p in book[0])
        if not cancelled and mine:
            seen += 1
            st, _ = rest("DELETE", "/api/v3/order",
                         "symbol=%s&origClientOrderId=syncprobe" % symbol,
                         signed=True)
            report(st == 200, "cancel: %d" % st)
            cancelled = True
        elif cancelled and not mine:
            gone += 1
    report(compared >= 3, "%d books equal to the snapshot at its id" %
           compared)
    report(seen >= 1, "the resting order in the synced book")
    report(gone >= 1, "and gone from it after the cancel")
    ws.close()


def filters(symbol):
    st, info = rest("GET", "/api/v3/exchangeInfo", "symbol=" + symbol)
    f = {x["filterType"]: x for x in info["symbols"][0]["filters"]}
    return D(f["PRICE_FILTER"]["tickSize"]), D(f["LOT_SIZE"]["stepSize"])


def book_levels(snap, key):
    return [(D(p), D(q)) for p, q in snap[key]]


class SyncedBook:
    """A local book from a diff depth stream, synced the documented way
    against a snapshot taken after the stream opened."""

    def __init__(self, ws, symbol):
        self.ws, self.symbol = ws, symbol
        st, snap = rest("GET", "/api/v3/depth",
                        "symbol=%s&limit=5000" % symbol)
        self.book, self.local = snapshot_book(snap), snap["lastUpdateId"]
        self.started = False

    def follow(self, until):
        """Apply events up to update id until: whether it held."""
        while self.local < until:
            ev = json.loads(self.ws.recv())
            if ev["u"] <= self.local and not self.started:
                continue
            ok = (self.local + 1 >= ev["U"] and self.local + 1 <= ev["u"]
                  if not self.started else ev["U"] == self.local + 1)
            if not ok:
                report(False, "event %d..%d after %d" %
                       (ev["U"], ev["u"], self.local))
                return False
            self.started = True
            apply(self.book, ev)
            self.local = ev["u"]
        return self.local == until

    def equals(self, snap, what):
        ok = self.follow(snap["lastUpdateId"]) and \
            snapshot_book(snap) == self.book
        report(ok, "%s: the book synced from @depth@100ms is the snapshot "
               "at %d" % (what, snap["lastUpdateId"]))


def volume(symbol, since):
    """ticker/24hr volume and count, the volume of the 1m klines from the
    minute of since (ms) on: older ones may leave the default 500."""
    _, t = rest("GET", "/api/v3/ticker/24hr", "symbol=" + symbol)
    _, k = rest("GET", "/api/v3/klines", "symbol=%s&interval=1m&startTime=%d"
                % (symbol, since - since % 60000))
    return D(t["volume"]), t["count"], sum(D(r[5]) for r in k)


def case_take():
    symbol, side, otype = ARGS
    buy = side == "BUY"
    other, mine = ("asks", "bids") if buy else ("bids", "asks")
    tick, step = filters(symbol)
    tws = WS("/ws/%s@trade" % symbol.lower())
    dws = WS("/ws/%s@depth@100ms" % symbol.lower())
    _, now = rest("GET", "/api/v3/time")
    since = now["serverTime"]
    vol0, count0, kvol0 = volume(symbol, since)

    # A resting order of the other side inside the spread: the top level.
    _, snap = rest("GET", "/api/v3/depth", "symbol=%s&limit=5000" % symbol)
    bid, ask = D(snap["bids"][0][0]), D(snap["asks"][0][0])
    report(ask - bid >= 2 * tick, "the spread %s..%s has room" % (bid, ask))
    inside = ask - tick if buy else bid + tick
    rq = ((D(10) / inside) / step).to_integral_value(rounding="ROUND_CEILING") \
        * step
    st, o = rest("POST", "/api/v3/order",
                 "symbol=%s&side=%s&type=LIMIT&timeInForce=GTC&quantity=%s"
                 "&price=%s" % (symbol, "SELL" if buy else "BUY", rq, inside),
                 signed=True)
    report(st == 200 and o.get("status") == "NEW",
           "a resting order at %s: %d %s" % (inside, st, o.get("status")))

    sync = SyncedBook(dws, symbol)
    _, before = rest("GET", "/api/v3/depth", "symbol=%s&limit=5000" % symbol)
    sync.equals(before, "before")
    lv = book_levels(before, other)
    report(lv[0] == (inside, rq), "the top level is the resting order: %s"
           % (lv[0],))
    report(lv[2][1] > step, "the third level has more than a step")
    qty = lv[0][1] + lv[1][1] + step
    want = [lv[0], lv[1], (lv[2][0], step)]
    q = "symbol=%s&side=%s&type=%s&quantity=%s&newOrderRespType=FULL" % (
        symbol, side, otype, qty)
    if otype == "LIMIT":
        q += "&timeInForce=IOC&price=%s" % lv[2][0]
    st, r = rest("POST", "/api/v3/order", q, signed=True)
    fills = [(D(f["price"]), D(f["qty"])) for f in r.get("fills", [])]
    report(st == 200 and fills == want,
           "%s %s of %s: fills are the displayed levels %s (got %d %s)" %
           (otype, side, qty, [(str(p), str(q)) for p, q in want], st,
            [(str(p), str(q)) for p, q in fills]))
    report(r.get("status") == "FILLED" and D(r["executedQty"]) == qty,
           "FILLED, executedQty %s" % r.get("executedQty"))

    _, after = rest("GET", "/api/v3/depth", "symbol=%s&limit=5000" % symbol)
    expect = [(lv[2][0], lv[2][1] - step)] + lv[3:]
    report(book_levels(after, other) == expect[:len(after[other])] and
           book_levels(after, mine) == book_levels(before, mine),
           "the next snapshot shows them consumed")
    report(after["lastUpdateId"] > before["lastUpdateId"],
           "under a later lastUpdateId (%d > %d)" %
           (after["lastUpdateId"], before["lastUpdateId"]))
    sync.equals(after, "after the take")

    got = [json.loads(tws.recv()) for _ in want]
    report([(D(t["p"]), D(t["q"])) for t in got] == want,
           "@trade: one trade per fill, at its price and quantity")
    report([t["t"] for t in got] == [f["tradeId"] for f in r["fills"]],
           "@trade: the fills' tradeIds")
    report(all(t["m"] is (not buy) for t in got),
           "@trade: m is %s (the buyer is the maker: %s)" %
           (not buy, "no" if buy else "yes"))
    _, tr = rest("GET", "/api/v3/trades", "symbol=%s&limit=3" % symbol)
    report([(D(t["price"]), D(t["qty"]), t["id"], t["isBuyerMaker"])
            for t in tr] == [(p, q, f["tradeId"], not buy)
                             for (p, q), f in zip(want, r["fills"])],
           "REST trades: the fills")
    _, ag = rest("GET", "/api/v3/aggTrades", "symbol=%s&limit=3" % symbol)
    report([(D(a["p"]), D(a["q"]), a["m"]) for a in ag] ==
           [(p, q, not buy) for p, q in want],
           "REST aggTrades: one per price")
    vol1, count1, kvol1 = volume(symbol, since)
    report(vol1 - vol0 == qty and count1 - count0 == 3,
           "ticker/24hr: volume +%s, count +%d" % (vol1 - vol0,
                                                  count1 - count0))
    report(kvol1 - kvol0 == qty, "klines 1m: volume +%s" % (kvol1 - kvol0))

    # A resting order of SIDE, filled as the market would fill it.
    deep = book_levels(after, mine)[0][0] + (-10 if buy else 10) * tick
    st, o = rest("POST", "/api/v3/order",
                 "symbol=%s&side=%s&type=LIMIT&timeInForce=GTC&quantity=%s"
                 "&price=%s&newClientOrderId=takeprobe" %
                 (symbol, side, rq, deep), signed=True)
    report(st == 200, "a resting %s at %s: %d" % (side, deep, st))
    st, _ = rest("POST", "/admin/fill", "clientOrderId=takeprobe")
    report(st == 200, "/admin/fill: %d" % st)
    t = json.loads(tws.recv())
    report((D(t["p"]), D(t["q"]), t["m"]) == (deep, rq, buy),
           "@trade: the maker's fill at %s, m %s (%s %s %s)" %
           (deep, buy, t["p"], t["q"], t["m"]))
    _, last = rest("GET", "/api/v3/depth", "symbol=%s&limit=5000" % symbol)
    report(all(p != deep for p, _ in book_levels(last, mine)),
           "the filled maker has left the book")
    sync.equals(last, "after the maker's fill")
    tws.close()
    dws.close()


def case_rate():
    ws = WS(ARGS[0])
    report(ws.status == 101, "opens")
    start = time.monotonic()
    replies, code = 0, None
    try:
        for i in range(5):
            ws.send('{"method":"LIST_SUBSCRIPTIONS","id":%d}' % (i + 1))
        while replies < 5:
            ws.recv(5)
            replies += 1
        report(time.monotonic() - start < 1, "five answered within 1 s")
        ws.send('{"method":"LIST_SUBSCRIPTIONS","id":6}')
        while True:
            ws.recv(5)
            replies += 1
    except Closed as e:
        code = e.code
        reason = e.reason
    except socket.timeout:
        pass
    report(replies == 5, "five answered (%d)" % replies)
    report(code == 1008, "the sixth closes with 1008 (%s)" % code)
    if code == 1008:
        report(reason == "Too many requests", "reason: %s" % reason)


{"read": case_read, "depth-sync": case_depth_sync,
 "rate": case_rate, "take": case_take}[CASE]()
sys.exit(1 if failed else 0)
