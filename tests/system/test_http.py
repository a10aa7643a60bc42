"""The HTTP app over the Ethernet switch: pages, JSON status, bad input,
and port isolation (QEMU user networking). Many clients at once on a file
of the eMMC: test_storage.py."""
import re
import socket
import time

from http_client import curl, pattern, raw, read_until_close, status_json, status_of, wait_ready


def test_status_page_etag_and_head(twin):
    twin.expect(r"http: serving on 10\.0\.2\.15:80", timeout=30, since_boot=True)
    code, head, body = wait_ready(twin.url("/"))
    assert code == 200
    assert re.search(r"(?im)^content-type: text/html; charset=utf-8", head)
    assert b"NUCLEO-MEM" in body
    assert re.search(rf"(?im)^content-length: {len(body)}\r?$", head)
    body_full = body
    etag = re.search(r'(?im)^etag: ("[^"]+")', head).group(1)
    code, head, body = curl("-H", f"If-None-Match: {etag}", twin.url("/"))
    assert code == 304 and body == b""
    response = raw(twin.ports[80], b"HEAD /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, rest = response.partition(b"\r\n\r\n")
    assert status_of(response) == 200 and rest == b"", "HEAD carries no body"
    assert re.search(rb"(?im)^content-length: %d\r?$" % len(body_full), head)
    code, _, _ = curl(twin.url("/no/such/file"))
    assert code == 404


def test_api_status_parses_and_counters_move(twin):
    first = status_json(twin.url("/api/status"))
    second = status_json(twin.url("/api/status"))
    names = {p["name"] for p in second["processes"]}
    assert {"sysinfo", "http"} <= names
    http1 = next(p for p in first["processes"] if p["name"] == "http")
    http2 = next(p for p in second["processes"] if p["name"] == "http")
    assert http2["net"]["rx_frames"] > http1["net"]["rx_frames"]
    assert http2["net"]["tx_bytes"] > http1["net"]["tx_bytes"]
    assert http2["net"]["ports"] == 1
    assert second["uptime_ms"] > first["uptime_ms"]
    # The hart's retired-instruction counter (sysinfo command 8): serving
    # one status request alone retires tens of thousands.
    assert isinstance(first["instructions"], int)
    assert second["instructions"] - first["instructions"] > 10_000
    assert second["network"]["rx_frames"] > first["network"]["rx_frames"]
    regions = {r["name"]: r for r in second["memory"]}
    assert set(regions) == {"kernel flash", "app flash", "settings", "kernel RAM", "DMA SRAM", "PSRAM"}
    for r in regions.values():
        assert 0 <= r["used"] <= r["size"], r
    assert regions["PSRAM"]["used"] >= sum(p["memory"]["size"] for p in second["processes"])
    psram = regions["PSRAM"]
    for p in second["processes"]:
        assert psram["start"] <= p["memory"]["start"] < psram["start"] + psram["size"], p["name"]


def test_malformed_requests_get_the_right_status(twin):
    port = twin.ports[80]
    cases = [
        (b"\x00\x01\x02garbage\r\n\r\n", 400),
        (b"GET /" + b"a" * 2000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 3000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(40)) + b"\r\n", 431),
        (b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n", 501),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\n\r\n", 400),  # no Host
        (b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /%2e%2e/x HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ]
    for request, expected in cases:
        response = raw(port, request)
        assert status_of(response) == expected, (request[:40], response[:120])
    response = raw(port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    assert re.search(rb"(?im)^allow: GET, HEAD", response)


def test_pipelined_requests_are_answered_in_order(twin):
    two = b"GET /api/bench/10 HTTP/1.1\r\nHost: x\r\n\r\nGET /api/bench/20 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    response = raw(twin.ports[80], two)
    bodies = re.findall(rb"HTTP/1.1 200 OK\r\n.*?\r\n\r\n", response, re.S)
    assert len(bodies) == 2
    assert response.endswith(pattern(20))
    assert pattern(10) + b"HTTP/1.1 200" in response


def test_slow_headers_time_out_with_408(twin):
    with socket.create_connection(("127.0.0.1", twin.ports[80]), timeout=30) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        start = time.monotonic()
        response = read_until_close(s, 25)
        waited = time.monotonic() - start
    assert status_of(response) == 408, response[:100]
    assert 8 <= waited <= 20, waited


def test_client_vanishing_mid_response_does_not_hurt(twin):
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", twin.ports[80]), timeout=10) as s:
            s.sendall(b"GET /api/bench/16000000 HTTP/1.1\r\nHost: x\r\n\r\n")
            got = s.recv(10000)
            assert got.startswith(b"HTTP/1.1 200")
    code, _, body = curl(twin.url("/api/bench/100000"))
    assert code == 200 and body == pattern(100000)


def test_port_isolation(twin):
    twin.expect(r"netprobe: send from bound udp/7777: (\S+)\r?\n", since_boot=True)
    out = twin.output
    assert "netprobe: bind tcp/80: refused (RESERVE)" in out
    assert "netprobe: bind udp/7777: Ok(())" in out
    assert "netprobe: send from unbound udp/9999: Err(INVALID)" in out
    assert "netprobe: send from bound udp/7777: Ok(())" in out
    # A transmit batch: all three records taken (3 x 52 bytes: 2 + 50 + pad), one refused.
    twin.expect(r"netprobe: malformed batch: (\S+)\r?\n", since_boot=True)
    out = twin.output
    assert "netprobe: batch of 3 records (156 bytes): Ok((156, 1))" in out
    assert "netprobe: malformed batch: Err(SIZE)" in out
    before = status_json(twin.url("/api/status"))
    # Guest port 81 is bound by nobody: the kernel resets the connection.
    for _ in range(3):
        assert raw(twin.ports[81], b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=3) == b""
    after = status_json(twin.url("/api/status"))
    assert after["network"]["rx_unbound"] >= before["network"]["rx_unbound"] + 3
    probe = lambda s: next(p for p in s["processes"] if p["name"] == "netprobe")
    assert probe(after)["net"]["rx_frames"] == probe(before)["net"]["rx_frames"]
    assert probe(after)["net"]["tx_refused"] == 2
    assert probe(after)["net"]["tx_frames"] == 3
    # The probe holds only UDP 7777: it may see ARP replies (every process
    # with a port learns neighbours), never another port's traffic.
    kinds = set(re.findall(r"netprobe: received frame #\d+: (\S+)", twin.output))
    assert kinds <= {"arp", "udp/7777"}, kinds


def test_connection_over_the_limit_gets_503(twin):
    port = twin.ports[80]
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(16)]
    try:
        time.sleep(1.0)  # let the server see all 16 as active
        response = raw(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
        assert status_of(response) == 503, response[:100]
        assert re.search(rb"(?im)^retry-after: \d+", response)
    finally:
        for s in idle:
            s.close()
    time.sleep(1.0)
    code, _, _ = curl(twin.url("/api/status"))
    assert code == 200
