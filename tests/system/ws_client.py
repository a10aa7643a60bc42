"""WebSocket helpers for the system tests.

Well-behaved clients are the `websockets` library's (nobody here wrote
it). Protocol violations need a raw socket: `RawClient` does the opening
handshake by hand and sends frames built byte by byte (RFC 6455 §5.2)."""
import base64
import hashlib
import json
import os
import socket
import struct
import threading
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE, PING, PONG, CONT = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


def frame(opcode, payload=b"", fin=True, mask=True, rsv=0, length=None):
    """A client frame; `length` overrides the announced payload length."""
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    m = 0x80 if mask else 0
    if n < 126:
        head += bytes([m | n])
    elif n < 1 << 16:
        head += bytes([m | 126]) + struct.pack(">H", n)
    else:
        head += bytes([m | 127]) + struct.pack(">Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def close_payload(code, reason=b""):
    return struct.pack(">H", code) + reason


class RawClient:
    """A TCP connection that did the upgrade by hand."""

    def __init__(self, port, headers=None, rcvbuf=None, timeout=10):
        self.sock = socket.socket()
        if rcvbuf:
            # Before connecting, so the advertised window stays small.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.buf = b""
        key = base64.b64encode(os.urandom(16))
        fields = {"Host": "board", "Upgrade": "websocket", "Connection": "Upgrade",
                  "Sec-WebSocket-Key": key.decode(), "Sec-WebSocket-Version": "13"}
        fields.update(headers or {})
        request = "GET / HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items() if v is not None)
        self.sock.sendall(request.encode() + b"\r\n")
        head = self._read_head()
        self.status = int(head.split(b" ", 2)[1])
        self.head = head.decode(errors="replace")
        if self.status == 101:
            want = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
            assert f"Sec-WebSocket-Accept: {want}" in self.head, self.head

    def _read_head(self):
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        return head

    def send(self, data):
        self.sock.sendall(data)

    def _need(self, n, deadline):
        while len(self.buf) < n:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk

    def read_frame(self, timeout=10):
        """(fin, opcode, payload) of the next server frame."""
        deadline = time.monotonic() + timeout
        self._need(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        assert b1 & 0x80 == 0, "server frames are never masked"
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._need(4, deadline)
            n, off = struct.unpack(">H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10, deadline)
            n, off = struct.unpack(">Q", self.buf[2:10])[0], 10
        self._need(off + n, deadline)
        payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
        return bool(b0 & 0x80), b0 & 0x0F, payload

    def next_of(self, opcode, timeout=10, skip_telemetry=True):
        """The next frame with `opcode`, skipping telemetry samples."""
        deadline = time.monotonic() + timeout
        while True:
            fin, op, payload = self.read_frame(max(0.1, deadline - time.monotonic()))
            if op == opcode:
                return payload
            if op == TEXT and skip_telemetry and json.loads(payload)["type"] in ("telemetry", "telemetry-rate"):
                continue
            if op == CLOSE and opcode != CLOSE:
                raise AssertionError(f"server closed: {close_code(payload)}")
            if op != TEXT:
                raise AssertionError(f"unexpected frame {op:#x} {payload[:40]!r}")
            if not skip_telemetry:
                return payload

    def next_message(self, kind, timeout=10):
        """The next text message of `kind` (its JSON)."""
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self.next_of(TEXT, max(0.1, deadline - time.monotonic()), skip_telemetry=False))
            if msg["type"] == kind:
                return msg

    def closed_with(self, timeout=10):
        """The code and reason of the server's Close, after which TCP ends."""
        payload = self.next_of(CLOSE, timeout)
        code = close_code(payload)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                self.sock.settimeout(1)
                if not self.sock.recv(4096):
                    return code
            except socket.timeout:
                continue
            except ConnectionResetError:
                return code
        raise AssertionError(f"TCP still open after Close {code}")

    def close(self):
        self.sock.close()


def close_code(payload):
    if len(payload) < 2:
        return None, b""
    return struct.unpack(">H", payload[:2])[0], payload[2:]


class Watcher:
    """A well-behaved client (the websockets library) in a thread, recording
    the uptime of every telemetry sample it gets."""

    def __init__(self, url):
        from websockets.sync.client import connect
        self.ws = connect(url, open_timeout=10, close_timeout=2)
        self.samples = []          # (arrival monotonic time, uptime)
        self.messages = []
        self.closed = None
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while not self._stop:
                try:
                    text = self.ws.recv(timeout=0.5)
                except TimeoutError:
                    continue
                msg = json.loads(text)
                if msg["type"] == "telemetry":
                    self.samples.append((time.monotonic(), msg["data"]["uptime"]))
                else:
                    self.messages.append(msg)
        except Exception as e:  # connection closed: recorded for the test
            self.closed = e

    def send(self, message):
        self.ws.send(json.dumps(message))

    def uptimes_since(self, t):
        return [u for (a, u) in self.samples if a >= t]

    def stop(self):
        self._stop = True
        self.thread.join(timeout=5)
        try:
            self.ws.close()
        except Exception:
            pass


def steps(uptimes):
    """Differences between consecutive uptimes, in milliseconds."""
    return [round((b - a) * 1000) for a, b in zip(uptimes, uptimes[1:])]
