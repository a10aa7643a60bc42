"""Helpers for talking HTTP to the twin with clients nobody here wrote
(curl, Python's http.client) and with raw sockets for malformed input."""
import hashlib
import json
import socket
import subprocess
import time


def pattern(n):
    """The body of /api/bench/<n> (see apps/http/src/routes.rs)."""
    return bytes(((i * 31) ^ (i >> 8)) & 0xFF for i in range(n))


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def curl(*args, timeout=20):
    """Runs curl; returns (status code, headers text, body bytes)."""
    out = subprocess.run(["curl", "-s", "-S", "-m", str(timeout), "-D", "-", *args],
                         capture_output=True, timeout=timeout + 5)
    if out.returncode != 0:
        raise AssertionError(f"curl {args} failed: {out.stderr.decode(errors='replace')}")
    head, _, body = out.stdout.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.decode(errors="replace"), body


def wait_ready(url, timeout=30):
    """Waits until the server answers at all."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            return curl(url, timeout=3)
        except AssertionError as e:
            last = e
            time.sleep(0.3)
    raise AssertionError(f"server not answering at {url}: {last}")


def status_json(url):
    code, _, body = curl(url)
    assert code == 200
    return json.loads(body)


def raw(port, data, timeout=10.0, host="127.0.0.1"):
    """Sends `data` on a new connection and reads until the server closes
    it or `timeout` passes; returns what was read."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(data)
        return read_until_close(s, timeout)


def read_until_close(s, timeout):
    s.settimeout(0.5)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def status_of(response):
    """The status code of a raw response (0 if there is none)."""
    if not response.startswith(b"HTTP/1."):
        return 0
    return int(response.split(b" ", 2)[1])


def read_until_quiet(sock, quiet=0.7):
    """Everything `sock` receives until nothing came for `quiet` seconds
    (or the peer closed)."""
    sock.settimeout(quiet)
    got = b""
    try:
        while chunk := sock.recv(65536):
            got += chunk
    except socket.timeout:
        pass
    return got
