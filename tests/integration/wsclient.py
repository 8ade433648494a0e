"""wsclient.py - a minimal WebSocket client (RFC 6455) for the tests, on
Python's standard library alone (which has none): the opening handshake,
masked text frames out, text / ping / close frames in (a ping is answered
with its pong, as every client must), and the close handshake.  Loopback,
no TLS, no extensions, no fragmentation on send.
"""
import base64
import hashlib
import os
import socket
import struct
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Closed(Exception):
    """The connection ended: code is the close frame's (None: no frame)."""

    def __init__(self, code, reason=""):
        super().__init__("closed: %s %s" % (code, reason))
        self.code = code
        self.reason = reason


class WebSocket:
    def __init__(self, port, path, host="127.0.0.1", timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16))
        req = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n"
               % (path, host, port, key.decode()))
        self.sock.sendall(req.encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise Closed(None, "no handshake reply")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        if self.status != 101:
            raise Closed(None, "handshake: %s" % lines[0])
        want = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
        accept = [l.split(":", 1)[1].strip() for l in lines[1:]
                  if l.lower().startswith("sec-websocket-accept:")]
        if accept != [want]:
            raise Closed(None, "bad Sec-WebSocket-Accept")
        self.pings = 0
        self.answer_pings = True

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + body)

    def send(self, text):
        self._send_frame(0x1, text.encode())

    def _read(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame in time")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("no frame in time")
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise Closed(None, "connection ended without a close frame")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self, timeout=10):
        """The next text message; pings are answered on the way."""
        deadline = time.monotonic() + timeout
        while True:
            b0, b1 = self._read(2, deadline)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2, deadline))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8, deadline))[0]
            payload = self._read(n, deadline)
            if opcode == 0x9:
                self.pings += 1
                if self.answer_pings:
                    self._send_frame(0xA, payload)
            elif opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if n >= 2 else 1005
                raise Closed(code, payload[2:].decode("utf-8", "replace"))
            elif opcode == 0x1:
                return payload.decode()

    def close(self, code=1000, reason="bye"):
        """The close handshake; the server's close code (None: none)."""
        try:
            self._send_frame(0x8, struct.pack("!H", code) + reason.encode())
            while True:
                self.recv(5)
        except Closed as e:
            return e.code
        except (TimeoutError, OSError):
            return None
        finally:
            self.sock.close()
