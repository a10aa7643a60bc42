"""The websocket app (RFC 6455 on port 8080) and the telemetry app, driven
by the `websockets` library and by raw sockets for protocol violations,
while a well-behaved client keeps receiving samples."""
import asyncio
import json
import re
import time

import pytest
from websockets.asyncio.client import connect as aconnect
from websockets.exceptions import InvalidStatus

from conftest import boot
from http_client import curl
from twin import image_with_settings
from ws_client import (BINARY, CLOSE, CONT, PING, PONG, TEXT, RawClient, Watcher, close_code, close_payload,
                       frame, steps)

# Short timers so the ping and stall cases take seconds; one allowed origin.
SETTINGS = """origins = http://allowed.example
ping_interval = 3
pong_timeout = 2
send_timeout = 2
"""
RATE_HZ = 10
PERIOD_MS = 1000 // RATE_HZ


@pytest.fixture(scope="module")
def ws_twin(tmp_path_factory):
    image = image_with_settings(str(tmp_path_factory.mktemp("wsimg")), {"websocket.cfg": SETTINGS})
    t = boot(tmp_path_factory, flash="flash-product.bin", disk_image=image, guest_ports=(80, 8080, 21))
    try:
        t.expect(r"websocket: serving on 10\.0\.2\.15:8080 \(8 clients", timeout=60, since_boot=True)
        t.expect(r"telemetry: publishing as `telemetry`", timeout=30, since_boot=True)
        yield t
    finally:
        t.close()


def url(twin):
    return f"ws://127.0.0.1:{twin.ports[8080]}/"


@pytest.fixture(scope="module")
def watcher(ws_twin):
    """A client that stays connected for the whole module, at RATE_HZ."""
    w = Watcher(url(ws_twin))
    w.send({"type": "set-telemetry-rate", "hz": RATE_HZ})
    deadline = time.monotonic() + 10
    while not any(m["type"] == "telemetry-rate" and m["data"]["periodMs"] == PERIOD_MS for m in w.messages):
        assert time.monotonic() < deadline, w.messages
        time.sleep(0.1)
    ws_twin.expect(rf"telemetry: period set to {PERIOD_MS} ms", since_boot=True)
    try:
        yield w
    finally:
        w.stop()


def assert_no_gap(watcher, since, min_samples):
    """The watcher got every sample since `since`, one period apart (waits
    until `min_samples` periods have passed)."""
    time.sleep(max(0.0, since + (min_samples + 2) * PERIOD_MS / 1000 - time.monotonic()))
    got = watcher.uptimes_since(since)
    assert len(got) >= min_samples, f"only {len(got)} samples"
    assert set(steps(got)) == {PERIOD_MS}, steps(got)


async def collect(ws, n):
    """The next `n` telemetry samples' uptimes, and the other messages."""
    uptimes, others = [], []
    while len(uptimes) < n:
        msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
        (uptimes.append(msg["data"]["uptime"]) if msg["type"] == "telemetry" else others.append(msg))
    return uptimes, others


def test_eight_clients_get_every_sample_and_a_ninth_gets_503(ws_twin, watcher):
    async def run():
        clients = [await aconnect(url(ws_twin), open_timeout=10) for _ in range(7)]
        try:
            with pytest.raises(InvalidStatus) as full:
                await aconnect(url(ws_twin), open_timeout=10)
            assert full.value.response.status_code == 503
            results = await asyncio.gather(*(collect(c, 30) for c in clients))
            for uptimes, others in results:
                assert steps(uptimes) == [PERIOD_MS] * 29, steps(uptimes)
                first = {m["type"]: m for m in others}
                assert first["led-status"]["data"].keys() == {"yellowLed", "redLed"}
                assert first["telemetry-rate"]["data"] == {"hz": float(RATE_HZ), "periodMs": PERIOD_MS}
            # Every client saw the same samples: each run is gap-free
            # (above) and they overlap in time, so over the common span all
            # saw the same ones. Their starts differ by how long the
            # connections took to open.
            first = max(u[0] for u, _ in results)
            last = min(u[-1] for u, _ in results)
            assert first < last, [(u[0], u[-1]) for u, _ in results]
            common = [[x for x in u if first <= x <= last] for u, _ in results]
            assert all(c == common[0] for c in common)
        finally:
            for c in clients:
                await c.close()
    asyncio.run(run())


def test_samples_carry_the_original_fields_exactly(ws_twin, watcher):
    client = RawClient(ws_twin.ports[8080])
    try:
        sample = client.next_message("telemetry")
        raw = json.dumps(sample)
        data = sample["data"]
        assert {"junctionTemp", "uptime", "randomFloat", "randomInt"} <= data.keys()
        assert 37.5 <= data["junctionTemp"] <= 42.5 and round(data["junctionTemp"], 1) == data["junctionTemp"]
        assert 0 <= data["randomFloat"] <= 99.99 and round(data["randomFloat"], 2) == data["randomFloat"]
        assert isinstance(data["randomInt"], int) and 0 <= data["randomInt"] <= 1000
        assert all(isinstance(v, int) for v in data["heapKiB"].values()) and "websocket" in data["heapKiB"]
        assert data["psramFreeKiB"] > 0
        # No float noise such as 73.209999084472656 anywhere.
        assert not re.search(r"\d\.\d{4,}", raw), raw
    finally:
        client.close()


def test_uptime_follows_the_kernel_clock_without_drift(ws_twin, watcher):
    """Each sample's uptime is a multiple of the period and, read against
    the kernel's own uptime (/api/status), never drifts."""
    offsets = []
    for _ in range(5):
        before = json.loads(curl("-s", ws_twin.url("/api/status"))[2])["uptime_ms"]
        t0 = time.monotonic()
        time.sleep(1.5)
        got = [(a, u) for a, u in watcher.samples if a >= t0]
        assert got, "no samples"
        for a, u in got:
            assert round(u * 1000) % PERIOD_MS == 0, u
        # Kernel uptime at arrival, estimated from the status reading.
        offsets += [u * 1000 - (before + (a - t0) * 1000) for a, u in got]
    spread = max(offsets) - min(offsets)
    assert spread < 1000, f"sample uptime vs kernel uptime moved by {spread:.0f} ms"


def test_led_command_reaches_every_client_and_the_kernel(ws_twin, watcher):
    async def run():
        clients = [await aconnect(url(ws_twin), open_timeout=10) for _ in range(4)]
        try:
            for c in clients:
                await collect(c, 1)
            ws_twin.mark()
            await clients[2].send(json.dumps({"type": "led-command", "led": "red", "state": True}))
            for c in clients:
                while True:
                    msg = json.loads(await asyncio.wait_for(c.recv(), 10))
                    if msg["type"] == "led-status":
                        assert msg["data"]["redLed"] is True
                        break
            ws_twin.expect(r"led: red on", timeout=10)
            await clients[0].send(json.dumps({"type": "led-command", "led": "red", "state": False}))
            ws_twin.expect(r"led: red off", timeout=10)
        finally:
            for c in clients:
                await c.close()
    asyncio.run(run())
    deadline = time.monotonic() + 5
    while not any(m["type"] == "led-status" and m["data"]["redLed"] is False for m in watcher.messages):
        assert time.monotonic() < deadline, "the watcher never heard the LED go off"
        time.sleep(0.1)


def test_bad_messages_get_errors_and_keep_the_connection(ws_twin, watcher):
    t0 = time.monotonic()
    client = RawClient(ws_twin.ports[8080])
    try:
        cases = [
            ("{not json", "bad-json"),
            ("[1,2,3]", "bad-message"),
            ('{"type":"reboot"}', "unknown-type"),
            ('{"type":"led-command","led":"green","state":true}', "bad-field"),
            ('{"type":"led-command","led":"red","state":"on"}', "bad-field"),
            ('{"type":"set-telemetry-rate","hz":1000}', "out-of-range"),
        ]
        for text, code in cases:
            client.send(frame(TEXT, text))
            assert client.next_message("error")["data"]["code"] == code, text
        client.send(frame(BINARY, b"\x00\x01"))
        assert client.next_message("error")["data"]["code"] == "binary-unsupported"
        client.send(frame(TEXT, '{"type":"get-led-status"}'))
        assert client.next_message("led-status")
    finally:
        client.close()
    assert_no_gap(watcher, t0, 5)


def test_fragmented_text_with_an_interleaved_ping(ws_twin, watcher):
    t0 = time.monotonic()
    client = RawClient(ws_twin.ports[8080])
    try:
        client.send(frame(TEXT, '{"type":"get-', fin=False) + frame(PING, b"mid") +
                    frame(CONT, 'led-st', fin=False))
        assert client.next_of(PONG) == b"mid"
        client.send(frame(CONT, 'atus"}', fin=True))
        assert client.next_message("led-status")
    finally:
        client.close()
    assert_no_gap(watcher, t0, 5)


def test_ping_gets_a_pong_with_the_same_payload(ws_twin, watcher):
    client = RawClient(ws_twin.ports[8080])
    try:
        for payload in (b"", b"x", bytes(range(125))):
            client.send(frame(PING, payload))
            assert client.next_of(PONG) == payload
    finally:
        client.close()


def test_close_handshake_echoes_the_code(ws_twin, watcher):
    client = RawClient(ws_twin.ports[8080])
    client.send(frame(CLOSE, close_payload(1000, b"bye")))
    assert client.closed_with()[0] == 1000
    client = RawClient(ws_twin.ports[8080])
    client.send(frame(CLOSE, close_payload(4321)))
    assert client.closed_with()[0] == 4321
    client = RawClient(ws_twin.ports[8080])
    client.send(frame(CLOSE, close_payload(1005)))
    assert client.closed_with()[0] == 1002, "1005 may not be sent on the wire"


@pytest.mark.parametrize("data, code", [
    (frame(TEXT, b'{"a":"\xce\xba\xe1\xbd\xb9\xed\xa0\x80', fin=False), 1007),   # fails fast, before the end
    (frame(TEXT, b"\xff"), 1007),
    (frame(TEXT, "{}", mask=False), 1002),
    (frame(TEXT, "{}", rsv=2), 1002),
    (frame(0x3, b"x"), 1002),                                  # reserved opcode
    (frame(PING, b"p" * 126), 1002),                           # control frame too long
    (frame(PING, b"p", fin=False), 1002),                      # fragmented control frame
    (frame(CONT, b"x"), 1002),                                 # continuation without a message
    (frame(TEXT, b"", length=5000)[:8], 1009),                 # over the 4096-byte limit, from the header
    (frame(TEXT, b"a" * 3000, fin=False) + frame(CONT, b"a" * 1200), 1009),
])
def test_violations_close_with_the_right_code(ws_twin, watcher, data, code):
    t0 = time.monotonic()
    client = RawClient(ws_twin.ports[8080])
    client.send(data)
    assert client.closed_with()[0] == code
    assert_no_gap(watcher, t0, 3)


def test_two_frames_in_one_segment_and_one_frame_byte_by_byte(ws_twin, watcher):
    client = RawClient(ws_twin.ports[8080])
    try:
        client.send(frame(TEXT, '{"type":"get-led-status"}') + frame(TEXT, '{"type":"get-telemetry-rate"}'))
        assert client.next_message("led-status")
        assert client.next_message("telemetry-rate")["data"]["periodMs"] == PERIOD_MS
        for byte in frame(TEXT, '{"type":"get-led-status"}'):
            client.send(bytes([byte]))
            time.sleep(0.02)
        assert client.next_message("led-status")
    finally:
        client.close()


def test_handshake_rules(ws_twin, watcher):
    port = ws_twin.ports[8080]
    ok = RawClient(port, {"upgrade": "WebSocket", "CONNECTION": "keep-alive, Upgrade",
                          "Origin": "http://allowed.example"})
    assert ok.status == 101
    ok.close()
    assert RawClient(port, {"Origin": None}).status == 101, "non-browser clients send no Origin"
    bad = RawClient(port, {"Origin": "http://evil.example"})
    assert bad.status == 403
    old = RawClient(port, {"Sec-WebSocket-Version": "8"})
    assert old.status == 426 and re.search(r"(?im)^sec-websocket-version: 13\r?$", old.head), old.head
    assert RawClient(port, {"Sec-WebSocket-Key": None}).status == 400
    assert RawClient(port, {"Sec-WebSocket-Key": "c2hvcnQ="}).status == 400
    assert RawClient(port, {"Upgrade": None}).status == 400


def test_idle_client_is_pinged_and_dropped_without_a_pong(ws_twin, watcher):
    client = RawClient(ws_twin.ports[8080])
    ping = client.next_of(PING, timeout=10)
    client.send(frame(PONG, ping))
    second = client.next_of(PING, timeout=10)
    assert second != ping, "each ping has its own payload"
    # No pong this time: closed after pong_timeout.
    ws_twin.mark()
    assert client.closed_with(timeout=10)[0] == 1008
    ws_twin.expect(r"websocket: closing a client: 1008 pong timeout", timeout=5)


def test_client_that_stops_reading_is_closed_and_others_keep_their_rate(ws_twin, watcher):
    ws_twin.mark()
    t0 = time.monotonic()
    # A small receive window, and never a read; pings make the server owe
    # it pongs faster than samples alone would (QEMU's user network buffers
    # a lot between the guest and this socket).
    stuck = RawClient(ws_twin.ports[8080], rcvbuf=2048)
    stuck.sock.settimeout(0.5)
    ping = frame(PING, b"p" * 125)
    deadline = time.monotonic() + 60
    while "send queue full" not in ws_twin.output[ws_twin._pos:] and time.monotonic() < deadline:
        try:
            stuck.send(ping * 20)
        except OSError:
            time.sleep(0.1)
    ws_twin.expect(r"websocket: closing a client: 1008 send queue full", timeout=5)
    assert_no_gap(watcher, t0, 10)
    # Its slot is back: 8 clients fit again (the watcher and 7 more), 9 do not.
    time.sleep(4)
    stuck.close()

    async def run():
        clients = [await aconnect(url(ws_twin), open_timeout=10) for _ in range(7)]
        try:
            with pytest.raises(InvalidStatus):
                await aconnect(url(ws_twin), open_timeout=10)
        finally:
            for c in clients:
                await c.close()
    asyncio.run(run())
