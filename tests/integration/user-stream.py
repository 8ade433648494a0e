#!/usr/bin/env python3
"""user-stream.py PORT KEYTYPE CASE: exchange-sim's user data stream, as a
client sees it: the WebSocket API at /ws-api/v3 and Binance.US's listenKey
streams.  Prints one line per finding, "ok: ..." or "FAIL: ..."; exits 1
on any failure.  KEYTYPE (hmac, ed25519, rsa) is the simulator's key;
tests/keys holds the private keys, BINANCE_API_KEY / _SECRET the rest.

CASE auth: signed requests (subscribe.signature, session.logon) with the
  simulator's key type, refusals with Binance's codes, weights shared with
  REST, subscriptions and their end.
CASE listenkey: POST/PUT/DELETE /api/v3/userDataStream, /ws/<listenKey>,
  and its expiry (the simulator runs with a short listen_key_ttl_ms).
CASE events: an executionReport for a REST placement, its fields, before
  the REST reply (held by place_latency_ms); events on /ws/<listenKey>.
CASE orders: order.place, order.status, openOrders.status, order.cancel,
  openOrders.cancelAll over the WebSocket API.
CASE order: unheld, a placement's executionReport can be read as soon
  as its reply can.
CASE faults: the user-stream faults, one by one.
CASE pings: server pings; a client that leaves them unanswered goes.
"""
import base64
import hashlib
import hmac
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wsclient import Closed, WebSocket  # noqa: E402

PORT, KEYTYPE, CASE = int(sys.argv[1]), sys.argv[2], sys.argv[3]
KEYS = os.path.join(os.environ.get("top_srcdir", "."), "tests", "keys")
API_KEY = os.environ["BINANCE_API_KEY"]
SECRET = os.environ["BINANCE_API_SECRET"]
FAILS = 0


def ok(what):
    print("ok: " + what, flush=True)


def fail(what):
    global FAILS
    FAILS += 1
    print("FAIL: " + what, flush=True)


def check(what, cond):
    (ok if cond else fail)(what)


def eq(what, got, want):
    if got == want:
        ok("%s (%s)" % (what, got))
    else:
        fail("%s: got %r, want %r" % (what, got, want))


def now_ms():
    return int(time.time() * 1000)


def sign_payload(payload, keytype=None):
    keytype = keytype or KEYTYPE
    if keytype == "hmac":
        return hmac.new(SECRET.encode(), payload.encode(),
                        hashlib.sha256).hexdigest()
    with tempfile.NamedTemporaryFile() as f:
        f.write(payload.encode())
        f.flush()
        key = os.path.join(KEYS, keytype + ".pem")
        if keytype == "ed25519":
            cmd = ["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", key,
                   "-in", f.name]
        else:
            cmd = ["openssl", "dgst", "-sha256", "-sign", key, f.name]
        raw = subprocess.run(cmd, check=True, capture_output=True).stdout
    return base64.b64encode(raw).decode()


def signed(params, keytype=None):
    """params with apiKey, timestamp and a signature over them all."""
    p = dict(params)
    p.setdefault("apiKey", API_KEY)
    p.setdefault("timestamp", now_ms())
    payload = "&".join("%s=%s" % (k, v) for k, v in sorted(p.items()))
    p["signature"] = sign_payload(payload, keytype)
    return p


class Api:
    """A /ws-api/v3 connection: requests by id, events kept as they come
    with their arrival (monotonic) times."""

    def __init__(self, path="/ws-api/v3"):
        self.ws = WebSocket(PORT, path)
        self.events = []
        self.next_id = 1

    def pump(self, timeout):
        msg = json.loads(self.ws.recv(timeout))
        if "event" in msg or "e" in msg:
            self.events.append((time.monotonic(), msg))
            return None
        return msg

    def call(self, method, params=None, timeout=10):
        rid = self.next_id
        self.next_id += 1
        req = {"id": rid, "method": method}
        if params is not None:
            req["params"] = params
        self.ws.send(json.dumps(req))
        deadline = time.monotonic() + timeout
        while True:
            msg = self.pump(max(0.01, deadline - time.monotonic()))
            if msg is not None and msg.get("id") == rid:
                return msg

    def wait_event(self, pred, timeout=10):
        """The first event kept (or to come) that pred accepts."""
        deadline = time.monotonic() + timeout
        while True:
            for t, e in self.events:
                if pred(e):
                    return t, e
            left = deadline - time.monotonic()
            if left <= 0:
                return None, None
            try:
                self.pump(left)
            except TimeoutError:
                return None, None

    def close(self):
        return self.ws.close()


def err(reply):
    e = reply.get("error") or {}
    return (reply.get("status"), e.get("code"), e.get("msg"))


def rest(method, path, query="", key=API_KEY, sign=False):
    """A REST request: (status, body, headers)."""
    if sign:
        query = (query + "&" if query else "") + "timestamp=%d" % now_ms()
        query += "&signature=" + urllib.request.quote(
            sign_payload(query), safe="")
    url = "http://127.0.0.1:%d%s%s" % (PORT, path,
                                       "?" + query if query else "")
    req = urllib.request.Request(url, method=method)
    if key is not None:
        req.add_header("X-MBX-APIKEY", key)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null"), r.headers
    except urllib.error.HTTPError as e:
        body = e.read()
        try:
            body = json.loads(body)
        except ValueError:
            pass
        return e.code, body, e.headers


def admin(what, method="POST"):
    req = urllib.request.Request("http://127.0.0.1:%d/admin/%s"
                                 % (PORT, what), method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def state():
    return admin("state", "GET")["user_stream"]


# ---- auth ------------------------------------------------------------------

def case_auth():
    a = Api()
    r = a.call("ping")
    eq("ping: status", r["status"], 200)
    eq("ping: result", r["result"], {})
    lim = [l for l in r.get("rateLimits", [])
           if l["rateLimitType"] == "REQUEST_WEIGHT"]
    check("ping: REQUEST_WEIGHT in rateLimits",
          len(lim) == 1 and lim[0]["interval"] == "MINUTE"
          and lim[0]["limit"] == 6000)
    r = a.call("time", {"returnRateLimits": False})
    check("time: serverTime", abs(r["result"]["serverTime"] - now_ms())
          < 5000)
    check("returnRateLimits=false: no rateLimits", "rateLimits" not in r)
    # Weights are REST's: a REST ping, then a WebSocket time, in a minute.
    for _ in range(3):
        _, _, h = rest("GET", "/api/v3/ping")
        before = int(h["X-MBX-USED-WEIGHT-1M"])
        r = a.call("time")
        count = [l["count"] for l in r["rateLimits"]][0]
        if count > before:  # else the minute turned in between
            break
    eq("time: weight 1 on REST's REQUEST_WEIGHT", count, before + 1)
    r = a.call("exchangeInfo", {"symbol": "BTCUSDT"})
    eq("exchangeInfo of one symbol",
       [s["symbol"] for s in r["result"]["symbols"]], ["BTCUSDT"])
    r = a.call("exchangeInfo", {"symbols": ["ETHBTC", "NOPEUSDT"]})
    eq("exchangeInfo of an unknown symbol", err(r)[:2], (400, -1121))
    r = a.call("nosuch.method")
    eq("unknown method", err(r)[:2], (400, -1020))
    a.ws.send("{not json")
    r = a.pump(10)
    eq("invalid JSON", (r["id"],) + err(r)[:2], (None, 400, -1135))
    r = a.call("ping", {"foo": 1})
    eq("ping with a parameter", err(r), (400, -1104,
       "Not all sent parameters were read; read '0' parameter(s) but was "
       "sent '1'."))
    r = a.call("v3/ping")
    eq("a method named with its version", r["status"], 200)

    # Signed: the simulator's own key type.
    r = a.call("userDataStream.subscribe.signature", signed({}))
    eq("subscribe.signature (%s)" % KEYTYPE, r.get("result"),
       {"subscriptionId": 0})
    r = a.call("session.subscriptions")
    eq("session.subscriptions", r.get("result"), [{"subscriptionId": 0}])
    r = a.call("userDataStream.subscribe.signature", signed({}))
    eq("a second subscription of the account", err(r),
       (400, -2035, "User Data Stream subscription already active."))
    r = a.call("session.status")
    eq("session.status: userDataStream", r["result"]["userDataStream"], True)
    r = a.call("userDataStream.unsubscribe", {"subscriptionId": 0})
    eq("unsubscribe", r.get("result"), {})
    t, e = a.wait_event(lambda e: e.get("event", {}).get("e") ==
                        "eventStreamTerminated", 0.1)
    check("eventStreamTerminated before the reply",
          e is not None and e["subscriptionId"] == 0
          and isinstance(e["event"].get("E"), int))
    r = a.call("userDataStream.unsubscribe")
    eq("unsubscribe with none active", err(r),
       (400, -2036, "User Data Stream subscription not active."))
    r = a.call("userDataStream.subscribe.signature", signed({}))
    eq("subscribe again: the next id", r.get("result"),
       {"subscriptionId": 1})

    # Refusals, in Binance's words.
    p = signed({})
    p["timestamp"] += 1
    r = a.call("userDataStream.subscribe.signature", p)
    eq("a signature over other params", err(r),
       (400, -1022, "Signature for this request is not valid."))
    p = signed({})
    p["signature"] = p["signature"][:-4] + ("AAA=" if KEYTYPE != "hmac"
                                            else "0000")
    r = a.call("userDataStream.subscribe.signature", p)
    eq("a bad signature", err(r)[:2], (400, -1022))
    if KEYTYPE == "hmac":
        p = signed({})
        p["signature"] = p["signature"].upper()
        r = a.call("session.subscriptions")
        a.call("userDataStream.unsubscribe")
        r = a.call("userDataStream.subscribe.signature", p)
        check("an HMAC in uppercase hex is taken", r["status"] == 200)
    r = a.call("userDataStream.subscribe.signature",
               signed({"timestamp": now_ms() - 7000}))
    eq("timestamp outside recvWindow", err(r)[:2], (400, -1021))
    r = a.call("userDataStream.subscribe.signature",
               signed({"timestamp": now_ms() - 7000, "recvWindow": 60001}))
    eq("recvWindow over 60000", err(r)[:2], (400, -1131))
    p = signed({})
    del p["signature"]
    r = a.call("userDataStream.subscribe.signature", p)
    eq("no signature", err(r)[:2], (400, -1102))
    r = a.call("userDataStream.subscribe.signature",
               signed({"apiKey": "x" * 64}))
    eq("another API key", err(r)[:2], (401, -2015))

    # Session logon: Ed25519 keys only.
    b = Api()
    r = b.call("userDataStream.subscribe")
    eq("userDataStream.subscribe before logon", err(r)[:2], (401, -2015))
    r = b.call("session.logon", signed({}))
    if KEYTYPE != "ed25519":
        eq("session.logon with a %s key" % KEYTYPE, err(r)[:2], (401, -2015))
    else:
        eq("session.logon: apiKey", r.get("result", {}).get("apiKey"),
           API_KEY)
        check("session.logon: authorizedSince",
              isinstance(r["result"].get("authorizedSince"), int))
        r = b.call("userDataStream.subscribe")
        eq("userDataStream.subscribe after logon", r.get("result"),
           {"subscriptionId": 0})
        r = b.call("session.status")
        eq("session.status: userDataStream", r["result"]["userDataStream"],
           True)
        r = b.call("session.logout")
        eq("session.logout: apiKey", r["result"]["apiKey"], None)
        t, e = b.wait_event(lambda e: e.get("event", {}).get("e") ==
                            "eventStreamTerminated", 0.1)
        check("session.logout ends the logon's subscription", e is not None)
        eq("session.logout: userDataStream", r["result"]["userDataStream"],
           False)
    eq("close: the server's close code", b.close(), 1000)
    eq("close: the server's close code", a.close(), 1000)


# ---- listenKey ---------------------------------------------------------------

def case_listenkey():
    st, body, _ = rest("POST", "/api/v3/userDataStream", key=None)
    eq("POST without an API key", (st, body.get("code")), (401, -2014))
    st, body, _ = rest("POST", "/api/v3/userDataStream", key="x" * 64)
    eq("POST with another API key", (st, body.get("code")), (401, -2015))
    st, body, h = rest("POST", "/api/v3/userDataStream")
    eq("POST: status", st, 200)
    key = body.get("listenKey", "")
    eq("POST: a 60-character listenKey", len(key), 60)
    _, body, h2 = rest("POST", "/api/v3/userDataStream")
    eq("POST again: the live key", body.get("listenKey"), key)
    eq("POST: weight 2", int(h2["X-MBX-USED-WEIGHT-1M"]) -
       int(h["X-MBX-USED-WEIGHT-1M"]), 2)
    st, body, _ = rest("PUT", "/api/v3/userDataStream", "listenKey=" + key)
    eq("PUT: keepalive", (st, body), (200, {}))
    st, body, _ = rest("PUT", "/api/v3/userDataStream", "listenKey=" + "a" * 60)
    eq("PUT of an unknown key", (st, body.get("code"), body.get("msg")),
       (400, -1125, "This listenKey does not exist."))
    st, body, _ = rest("PUT", "/api/v3/userDataStream")
    eq("PUT without listenKey", (st, body.get("code")), (400, -1102))
    ws = WebSocket(PORT, "/ws/" + key)
    eq("/ws/<listenKey> opens", ws.status, 101)
    eq("admin state: one listenKey connection",
       state()["listen_key_connections"], 1)
    # It lapses listen_key_ttl_ms after the last PUT.
    t0 = time.monotonic()
    rest("PUT", "/api/v3/userDataStream", "listenKey=" + key)
    e = json.loads(ws.recv(30))
    waited = time.monotonic() - t0
    eq("listenKeyExpired", (e.get("e"), e.get("listenKey")),
       ("listenKeyExpired", key))
    ttl = float(os.environ.get("LISTEN_KEY_TTL_MS", "2000")) / 1000
    check("expired after the ttl (%.2f s >= %.2f s)" % (waited, ttl),
          waited >= ttl - 0.05)
    st, body, _ = rest("PUT", "/api/v3/userDataStream", "listenKey=" + key)
    eq("PUT of the expired key", (st, body.get("code")), (400, -1125))
    eq("admin state: a key expired", state()["listen_keys_expired"], 1)
    ws.close()
    _, body, _ = rest("POST", "/api/v3/userDataStream")
    key2 = body.get("listenKey")
    check("POST after expiry: a new key", key2 not in (None, key))
    st, body, _ = rest("DELETE", "/api/v3/userDataStream", "listenKey=" + key2)
    eq("DELETE", (st, body), (200, {}))
    st, body, _ = rest("DELETE", "/api/v3/userDataStream", "listenKey=" + key2)
    eq("DELETE again", (st, body.get("code")), (400, -1125))


# ---- events ------------------------------------------------------------------

SEQ = [0]


def place_rest(price="90000.00", qty="0.001", cid=None, side="BUY"):
    """A LIMIT GTC order over REST: (status, body, monotonic time of the
    reply), and the client order id."""
    SEQ[0] += 1
    cid = cid or "us%d%d" % (os.getpid(), SEQ[0])
    st, body, _ = rest("POST", "/api/v3/order",
                       "symbol=BTCUSDT&side=%s&type=LIMIT&timeInForce=GTC"
                       "&quantity=%s&price=%s&newClientOrderId=%s"
                       % (side, qty, price, cid), sign=True)
    return st, body, time.monotonic(), cid


def place_async(**kw):
    """place_rest in a thread: join() it, then read .result."""
    t = threading.Thread(target=lambda: setattr(t, "result", place_rest(**kw)))
    t.start()
    return t


def is_report(cid, x=None):
    def pred(e):
        e = e.get("event", e)
        # A cancel's report names the order in C, the cancel in c.
        return (e.get("e") == "executionReport" and
                cid in (e.get("c"), e.get("C")) and
                (x is None or e.get("x") == x))
    return pred


def subscribed_api():
    a = Api()
    r = a.call("userDataStream.subscribe.signature", signed({}))
    if r.get("status") != 200:
        fail("subscribe: %r" % (r,))
    return a


def case_events():
    a = subscribed_api()
    _, body, _ = rest("POST", "/api/v3/userDataStream")
    lk = Api("/ws/" + body["listenKey"])
    # The placement's reply is held; its executionReport is not.
    admin("faults?place_latency_ms=1500")
    sent = time.monotonic()
    t = place_async()
    t_ev, ev = a.wait_event(lambda e: e.get("event", {}).get("e") ==
                            "executionReport", 10)
    t.join()
    st, body, t_reply, cid = t.result
    admin("faults?place_latency_ms=0")
    eq("REST placement", st, 200)
    check("an executionReport came", ev is not None)
    if ev is None:
        return
    check("the executionReport (%.3f s) before the held reply (%.3f s)"
          % (t_ev - sent, t_reply - sent), t_ev < t_reply)
    check("the reply was held", t_reply - sent >= 1.5)
    eq("wrapped with the subscription's id", ev.get("subscriptionId"), 0)
    e = ev["event"]
    eq("its order", (e.get("s"), e.get("c"), e.get("S"), e.get("o"),
                     e.get("f"), e.get("x"), e.get("X"), e.get("r")),
       ("BTCUSDT", cid, "BUY", "LIMIT", "GTC", "NEW", "NEW", "NONE"))
    eq("its orderId", e.get("i"), body.get("orderId"))
    eq("its quantity and price", (float(e.get("q", "nan")),
                                  float(e.get("p", "nan"))), (0.001, 90000.0))
    eq("nothing filled", (float(e.get("l", "nan")), float(e.get("z", "nan"))),
       (0.0, 0.0))
    check("its event and transaction times",
          isinstance(e.get("E"), int) and isinstance(e.get("T"), int))
    # The same event, unwrapped, on the listenKey's stream.
    _, le = lk.wait_event(is_report(cid, "NEW"), 5)
    check("unwrapped on /ws/<listenKey>",
          le is not None and "subscriptionId" not in le and
          le.get("i") == e.get("i"))
    # A cancel: its report names the order it cancelled.
    st, body, _ = rest("DELETE", "/api/v3/order",
                       "symbol=BTCUSDT&origClientOrderId=" + cid, sign=True)
    eq("REST cancel", st, 200)
    _, ev = a.wait_event(is_report(cid, "CANCELED"), 5)
    check("an executionReport of the cancel", ev is not None)
    if ev is not None:
        eq("its status", ev["event"].get("X"), "CANCELED")
    a.close()
    lk.close()


def raw_place(sock, cid):
    """POST /api/v3/order on an open HTTP/1.1 connection, not read."""
    q = ("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001"
         "&price=90000.00&newClientOrderId=%s&timestamp=%d" % (cid, now_ms()))
    q += "&signature=" + urllib.request.quote(sign_payload(q), safe="")
    sock.sendall(("POST /api/v3/order?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "X-MBX-APIKEY: %s\r\nContent-Length: 0\r\n\r\n"
                  % (q, API_KEY)).encode())


def case_order_of_events():
    """Unheld, the event still leaves first: once the reply can be read,
    the event can be too (loopback queues bytes as they are written).  The
    HTTP connection is the older one, so the server would serve it
    first."""
    http = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    a = subscribed_api()
    for k in range(5):
        raw_place(http, "ord%d%d" % (os.getpid(), k))
        r, _, _ = select.select([http], [], [], 10)
        ready, _, _ = select.select([a.ws.sock], [], [], 0)
        check("placement %d: its event readable when its reply is" % k,
              bool(r) and (bool(ready) or len(a.ws.buf) > 0))
        reply = http.recv(65536)
        while b'}' not in reply.split(b"\r\n\r\n", 1)[-1]:
            reply += http.recv(65536)
        check("placement %d: accepted" % k, b" 200 " in reply.split(b"\r\n")[0])
        a.wait_event(is_report("ord%d%d" % (os.getpid(), k)), 5)
    http.close()
    a.close()


def order_params(cid, price="90000.00"):
    return {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
            "timeInForce": "GTC", "quantity": "0.001", "price": price,
            "newClientOrderId": cid}


def case_orders():
    """Orders over the WebSocket API: order.c's operations behind them,
    REST's view of the book the same."""
    a = Api()
    cid = "wso%d" % os.getpid()
    r = a.call("order.place", signed(order_params(cid)))
    eq("order.place", r["status"], 200)
    res = r.get("result", {})
    eq("order.place: the order", (res.get("symbol"), res.get("clientOrderId"),
                                  res.get("status")), ("BTCUSDT", cid, "NEW"))
    kinds = sorted((l["rateLimitType"], l["interval"])
                   for l in r.get("rateLimits", []))
    eq("order.place: ORDERS and REQUEST_WEIGHT in rateLimits", kinds,
       [("ORDERS", "DAY"), ("ORDERS", "SECOND"),
        ("REQUEST_WEIGHT", "MINUTE")])
    st, body, _ = rest("GET", "/api/v3/order",
                       "symbol=BTCUSDT&origClientOrderId=" + cid, sign=True)
    eq("REST sees it", (st, body.get("orderId")), (200, res.get("orderId")))
    r = a.call("order.place", signed(order_params(cid)))
    eq("the same client id again", err(r)[:2], (400, -2010))
    r = a.call("order.place", signed(dict(order_params(cid + "x"),
                                          price="90000.001")))
    eq("a price off the tick", err(r), (400, -1013,
                                         "Filter failure: PRICE_FILTER"))
    r = a.call("order.place", signed(dict(order_params(cid + "y"), foo="1")))
    eq("an unknown parameter", err(r)[:2], (400, -1104))
    r = a.call("order.status", signed({"symbol": "BTCUSDT",
                                       "origClientOrderId": cid}))
    eq("order.status", (r["status"], r.get("result", {}).get("status")),
       (200, "NEW"))
    r = a.call("order.status", signed({"symbol": "BTCUSDT",
                                       "orderId": 987654321}))
    eq("order.status of no order", err(r)[:2], (400, -2013))
    r = a.call("openOrders.status", signed({"symbol": "BTCUSDT"}))
    check("openOrders.status lists it",
          any(o.get("clientOrderId") == cid for o in r.get("result", [])))
    w6 = [l["count"] for l in r["rateLimits"]][0]
    r = a.call("openOrders.status", signed({}))
    w80 = [l["count"] for l in r["rateLimits"]][0]
    check("openOrders.status without a symbol weighs 80 (%d -> %d)"
          % (w6, w80), w80 - w6 == 80 or w80 < w6)
    r = a.call("order.cancel", signed({"symbol": "BTCUSDT",
                                       "origClientOrderId": cid}))
    eq("order.cancel", (r["status"], r.get("result", {}).get("status")),
       (200, "CANCELED"))
    r = a.call("order.cancel", signed({"symbol": "BTCUSDT",
                                       "origClientOrderId": cid}))
    eq("order.cancel again", err(r)[:2], (400, -2011))
    for k in range(2):
        a.call("order.place", signed(order_params("%s-%d" % (cid, k))))
    r = a.call("openOrders.cancelAll", signed({"symbol": "BTCUSDT"}))
    eq("openOrders.cancelAll", sorted(o.get("origClientOrderId") for o in
                                      r.get("result", [])),
       ["%s-0" % cid, "%s-1" % cid])
    r = a.call("openOrders.status", signed({"symbol": "BTCUSDT"}))
    eq("none left", r.get("result"), [])
    p = signed(order_params(cid + "z"))
    p["signature"] = sign_payload("x")
    r = a.call("order.place", p)
    eq("order.place with a bad signature", err(r)[:2], (400, -1022))
    if KEYTYPE == "ed25519":
        r = a.call("session.logon", signed({}))
        r = a.call("order.place", dict(order_params(cid + "s"),
                                       timestamp=now_ms()))
        eq("order.place on the session's key", r["status"], 200)
        r = a.call("openOrders.cancelAll", {"symbol": "BTCUSDT",
                                            "timestamp": now_ms()})
        eq("openOrders.cancelAll on the session's key", r["status"], 200)
        r = a.call("order.status", {"symbol": "BTCUSDT",
                                    "origClientOrderId": cid + "s"})
        eq("a session still needs a timestamp", err(r)[:2], (400, -1102))
    a.close()


def case_pings():
    """The server pings (ping_interval_ms 200 here); a client that does not
    answer is dropped (ping_timeout_ms 600)."""
    a = subscribed_api()
    b = subscribed_api()
    b.ws.answer_pings = False
    deadline = time.monotonic() + 1.5
    try:
        while time.monotonic() < deadline:
            a.pump(deadline - time.monotonic())
    except TimeoutError:
        pass
    check("pings every ping_interval_ms (%d in 1.5 s)" % a.ws.pings,
          a.ws.pings >= 3)
    try:
        b.pump(5)
        fail("a client silent to pings: still connected")
    except Closed as e:
        eq("a client silent to pings: dropped", e.code, None)
    except TimeoutError:
        fail("a client silent to pings: still connected")
    eq("the other one stays", a.call("ping").get("status"), 200)
    a.close()


def case_faults():
    a = subscribed_api()
    # Lose every event.
    admin("faults?user_stream_loss_pct=100")
    before = state()["events_lost"]
    _, _, _, cid = place_rest()
    _, ev = a.wait_event(is_report(cid), 1.0)
    admin("faults?user_stream_loss_pct=0")
    check("user_stream_loss_pct=100: no event", ev is None)
    check("user_stream_loss_pct=100: counted lost",
          state()["events_lost"] > before)
    # Deliver one twice.
    admin("faults?user_stream_duplicate=1")
    _, _, _, cid = place_rest()
    deadline = time.monotonic() + 5
    n = 0
    while n < 2 and time.monotonic() < deadline:
        try:
            a.pump(0.1)
        except TimeoutError:
            pass
        n = len([1 for _, e in a.events if is_report(cid, "NEW")(e)])
    eq("user_stream_duplicate=1: the report twice", n, 2)
    # Delay by N ms: the event comes after the (unheld) reply.
    admin("faults?user_stream_delay_ms=800")
    sent = time.monotonic()
    st, _, t_reply, cid = place_rest()
    t_ev, ev = a.wait_event(is_report(cid), 5)
    admin("faults?user_stream_delay_ms=0")
    check("user_stream_delay_ms=800: the event %.3f s after sending"
          % ((t_ev or sent) - sent), ev is not None and t_ev - sent >= 0.8)
    check("user_stream_delay_ms=800: the reply first",
          ev is not None and t_reply < t_ev)
    # Drop after N events: the next event, then the connection goes.
    # Once every delayed event is out, drop after the next one.
    deadline = time.monotonic() + 10
    while state()["events_pending"] and time.monotonic() < deadline:
        try:
            a.pump(0.05)
        except TimeoutError:
            pass
    try:
        while True:
            a.pump(0.2)
    except TimeoutError:
        pass
    admin("faults?user_stream_drop_after=1")
    a.events = []
    _, _, _, cid = place_rest()
    try:
        while True:
            a.pump(5)
    except TimeoutError:
        fail("user_stream_drop_after=1: still connected")
    except Closed as e:
        eq("user_stream_drop_after=1: dropped, no close frame", e.code, None)
    eq("user_stream_drop_after=1: that event, and nothing after it",
       [is_report(cid)(e) for _, e in a.events], [True])
    # Drop now.
    b = subscribed_api()
    drops = state()["drops"]
    admin("faults?user_stream_drop=1")
    try:
        b.pump(5)
        fail("user_stream_drop: still connected")
    except Closed as e:
        eq("user_stream_drop: dropped, no close frame", e.code, None)
    eq("user_stream_drop: counted", state()["drops"], drops + 1)



CASES = {"auth": case_auth, "listenkey": case_listenkey,
         "events": case_events, "faults": case_faults,
         "order": case_order_of_events, "pings": case_pings,
         "orders": case_orders}

if __name__ == "__main__":
    try:
        CASES[CASE]()
    except (Closed, TimeoutError, OSError, KeyError, ValueError) as e:
        fail("%s: %s: %r" % (CASE, type(e).__name__, e))
    sys.exit(1 if FAILS else 0)
