"""HTTP features real clients rely on, driven by those clients against the
booted twin: byte ranges and resumed downloads (curl -r / -C -, wget -c),
validators and 304s (wget -N, If-Modified-Since, If-Range), the redirect
of a directory URL without its slash, a wget mirror of the whole site,
HTTP/1.0 and HTTP/1.2 requests, the keep-alive timers, and /metrics
checked by promtool and read back with prometheus_client's parser."""
import email.utils
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import socket
import subprocess
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import boot
from http_client import curl, read_until_quiet, status_json, status_of, wait_ready
from twin import BUILD

ROOT_WEB = os.path.join(os.path.dirname(BUILD), "web")
rng = random.Random(11)
# Larger than the file cache keeps (128 KiB): always read from the eMMC.
BLOB = bytes(rng.getrandbits(8) for _ in range(300 * 1024 + 123))
# Small: kept in memory once served whole.
SMALL = bytes(rng.getrandbits(8) for _ in range(20_000))
# More than all the buffers between the board and a client that stops reading.
LARGE = random.Random(12).randbytes(8 * 1024 * 1024)
NOTES = "".join(f"line {i}: telemetry notes\n" for i in range(2000)).encode()
DOCS_INDEX = b'<!doctype html><title>docs</title><a href="page.html">page</a>\n'
DOCS_PAGE = b"<!doctype html><p>a page beside the docs index</p>\n"


def image_with_tree(tmp, dirs, files):
    """A copy of the built disk image with `dirs` made and `files`
    ({volume path: bytes}) written."""
    image = os.path.join(tmp, "clients.img")
    shutil.copyfile(os.path.join(BUILD, "disk.img"), image)
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    for d in dirs:
        subprocess.run(["mmd", "-i", image, f"::{d}"], check=True, capture_output=True, env=env)
    for i, (path, data) in enumerate(files.items()):
        src = os.path.join(tmp, f"src{i}")
        with open(src, "wb") as fh:
            fh.write(data)
        subprocess.run(["mcopy", "-o", "-i", image, src, f"::{path}"], check=True, capture_output=True, env=env)
    return image


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("clients"))
    image = image_with_tree(tmp, ["/www/docs"], {
        "/www/blob.bin": BLOB,
        "/www/large.bin": LARGE,
        "/www/small.bin": SMALL,
        "/www/notes.txt": NOTES,
        "/www/notes.txt.gz": gzip.compress(NOTES, mtime=0),
        "/www/docs/index.html": DOCS_INDEX,
        "/www/docs/page.html": DOCS_PAGE,
    })
    t = boot(tmp_path_factory, disk_image=image, guest_ports=(80,))
    try:
        t.expect(r"http: serving on", timeout=60, since_boot=True)
        wait_ready(t.url("/api/status"))
        yield t
    finally:
        t.close()


def header(head, name):
    m = re.search(rf"(?im)^{name}: *([^\r\n]*)", head)
    return m.group(1) if m else None


def sha(data):
    return hashlib.sha256(data).hexdigest()


def run(argv, cwd=None, timeout=60):
    return subprocess.run(argv, cwd=cwd, capture_output=True, timeout=timeout)


# ---- byte ranges -------------------------------------------------------------

FILES = {"/blob.bin": BLOB, "/small.bin": SMALL}


@pytest.mark.parametrize("path", ["/blob.bin", "/small.bin"])
def test_curl_range_forms(twin, path):
    data = FILES[path]
    code, full_head, body = curl(twin.url(path))
    assert code == 200 and sha(body) == sha(data)
    assert header(full_head, "accept-ranges") == "bytes"
    etag, n = header(full_head, "etag"), len(data)
    for spec, start, end in (("100-199", 100, 200), ("-500", n - 500, n), (f"{n - 7}-", n - 7, n),
                             ("4000-12345", 4000, 12346), (f"0-{n + 1000}", 0, n)):
        code, head, body = curl("-r", spec, twin.url(path))
        assert code == 206, spec
        assert sha(body) == sha(data[start:end]), spec
        assert header(head, "content-range") == f"bytes {start}-{end - 1}/{n}", spec
        assert header(head, "content-length") == str(end - start), spec
        assert header(head, "etag") == etag, "a part carries the validator of the whole"


def test_cached_file_ranges_come_from_memory(twin):
    curl(twin.url("/small.bin"))  # served whole: now in memory
    before = status_json(twin.url("/api/status"))["file_cache"]["hits"]
    code, head, body = curl("-r", "1000-2999", twin.url("/small.bin"))
    after = status_json(twin.url("/api/status"))["file_cache"]["hits"]
    assert code == 206 and body == SMALL[1000:3000]
    assert after == before + 1, "the range was cut from the cached copy"


def test_range_requests_get_the_identity_representation(twin):
    code, head, body = curl("-H", "Accept-Encoding: gzip", twin.url("/notes.txt"))
    assert code == 200 and header(head, "content-encoding") == "gzip" and gzip.decompress(body) == NOTES
    gz_etag = header(head, "etag")
    _, head, _ = curl(twin.url("/notes.txt"))
    identity_etag = header(head, "etag")
    code, head, body = curl("-H", "Accept-Encoding: gzip", "-r", "10-109", twin.url("/notes.txt"))
    assert code == 206 and body == NOTES[10:110]
    assert header(head, "content-encoding") is None
    assert header(head, "etag") == identity_etag != gz_etag
    assert header(head, "vary") == "Accept-Encoding"


def test_unsatisfiable_and_multiple_ranges(twin):
    code, head, body = curl("-r", f"{len(SMALL)}-", twin.url("/small.bin"))
    assert code == 416
    assert header(head, "content-range") == f"bytes */{len(SMALL)}"
    assert body == b"416 Range Not Satisfiable\n"
    # Several ranges: the whole file (RFC 9110 allows ignoring Range).
    code, head, body = curl("-r", "0-9,20-29", twin.url("/small.bin"))
    assert code == 200 and body == SMALL
    # HEAD ignores Range and tells the length.
    code, head, _ = curl("-I", "-r", "0-9", twin.url("/blob.bin"))
    assert code == 200 and header(head, "content-length") == str(len(BLOB))


def test_if_range(twin):
    _, head, _ = curl(twin.url("/blob.bin"))
    etag, modified = header(head, "etag"), header(head, "last-modified")
    assert modified and email.utils.parsedate_to_datetime(modified)
    for validator, expected in ((etag, 206), ('"stale"', 200), (f"W/{etag}", 200),
                                (modified, 206), ("Thu, 01 Jan 1970 00:00:00 GMT", 200)):
        code, _, body = curl("-r", "300-399", "-H", f"If-Range: {validator}", twin.url("/blob.bin"))
        assert code == expected, validator
        assert sha(body) == sha(BLOB[300:400] if code == 206 else BLOB), validator


@pytest.mark.parametrize("path, cut", [("/blob.bin", 123_457), ("/small.bin", 777)])
def test_curl_resumes_a_partial_download(twin, tmp_path, path, cut):
    data = FILES[path]
    out = tmp_path / "part"
    out.write_bytes(data[:cut])
    r = run(["curl", "-s", "-S", "-m", "30", "-C", "-", "-o", str(out), twin.url(path)])
    assert r.returncode == 0, r.stderr
    assert sha(out.read_bytes()) == sha(data)
    # Resuming a complete file: curl reads the 416 as "already complete".
    r = run(["curl", "-s", "-S", "-m", "30", "-C", "-", "-o", str(out), twin.url(path)])
    assert r.returncode == 0, r.stderr
    assert sha(out.read_bytes()) == sha(data)


def test_wget_continues_a_partial_download(twin, tmp_path):
    (tmp_path / "blob.bin").write_bytes(BLOB[:200_001])
    r = run(["wget", "-c", twin.url("/blob.bin")], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert b"206 Partial Content" in r.stderr
    assert sha((tmp_path / "blob.bin").read_bytes()) == sha(BLOB)
    r = run(["wget", "-c", twin.url("/blob.bin")], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert b"already fully retrieved" in r.stderr
    assert sha((tmp_path / "blob.bin").read_bytes()) == sha(BLOB)


# ---- validators --------------------------------------------------------------

def test_wget_timestamping_downloads_once(twin, tmp_path):
    _, head, _ = curl("-I", twin.url("/notes.txt"))
    modified = email.utils.parsedate_to_datetime(header(head, "last-modified")).timestamp()
    r = run(["wget", "-N", twin.url("/notes.txt")], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    path = tmp_path / "notes.txt"
    assert path.read_bytes() == NOTES
    assert os.path.getmtime(path) == modified, "wget dates the file by Last-Modified"
    r = run(["wget", "-N", twin.url("/notes.txt")], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert b"304 Not Modified" in r.stderr and b"Omitting download" in r.stderr, r.stderr
    assert b"saved" not in r.stderr
    assert os.path.getmtime(path) == modified and path.read_bytes() == NOTES


def test_if_modified_since_and_the_304_header_set(twin):
    _, ok, _ = curl(twin.url("/notes.txt"))
    modified = header(ok, "last-modified")
    code, head, body = curl("-H", f"If-Modified-Since: {modified}", twin.url("/notes.txt"))
    assert code == 304 and body == b""
    for name in ("etag", "vary", "cache-control", "last-modified"):
        assert header(head, name) == header(ok, name), name
    for name in ("content-length", "content-type", "content-encoding"):
        assert header(head, name) is None, name
    code, _, body = curl("-H", "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT", twin.url("/notes.txt"))
    assert code == 200 and body == NOTES
    # If-None-Match wins: a stale tag gets the file even with a current date.
    code, _, body = curl("-H", f"If-Modified-Since: {modified}", "-H", 'If-None-Match: "stale"',
                         twin.url("/notes.txt"))
    assert code == 200 and body == NOTES


# ---- directories and the whole site -------------------------------------------

def test_directory_without_slash_redirects(twin, tmp_path):
    code, head, _ = curl(twin.url("/docs?x=1&y"))
    assert code == 301 and header(head, "location") == "/docs/?x=1&y"
    out = tmp_path / "docs.html"
    r = run(["curl", "-s", "-S", "-L", "-o", str(out), "-w", "%{http_code} %{num_redirects}", twin.url("/docs")])
    assert r.returncode == 0 and r.stdout == b"200 1", (r.stdout, r.stderr)
    assert out.read_bytes() == DOCS_INDEX
    # wget follows it, so the index's relative link resolves under /docs/
    # (served without the redirect, it would point at /page.html).
    r = run(["wget", "-r", "-np", "-nH", "-e", "robots=off", "-P", "w", twin.url("/docs")], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert b"Location: /docs/ [following]" in r.stderr
    assert re.search(rb"--  http://[^/]+/docs/page\.html\n", r.stderr), r.stderr
    assert (tmp_path / "w" / "docs" / "page.html").read_bytes() == DOCS_PAGE


def snapshot_tree(top):
    files = {}
    for base, _, names in os.walk(top):
        for name in names:
            path = os.path.join(base, name)
            files[os.path.relpath(path, top)] = (os.path.getmtime(path), open(path, "rb").read())
    return files


def test_wget_mirror_of_the_site(twin, tmp_path):
    argv = ["wget", "--mirror", "-np", "-nH", "-e", "robots=off", "-P", str(tmp_path), twin.url("/")]
    r = run(argv, timeout=120)
    assert r.returncode == 0, r.stderr
    got = snapshot_tree(tmp_path)
    assert {"index.html", "app.css", "app.js", "vendor/uPlot.min.css", "vendor/uPlot.iife.min.js"} <= set(got)
    for rel, (_, data) in got.items():
        with open(os.path.join(ROOT_WEB, rel), "rb") as fh:
            assert sha(data) == sha(fh.read()), rel
    # Again: index.html is not modified (304). wget does not recurse into an
    # HTML file it did not download, so a third run compares by HEAD
    # (Last-Modified and length) and walks every link: nothing is newer.
    r = run(argv, timeout=120)
    assert r.returncode == 0, r.stderr
    assert b"304 Not Modified" in r.stderr
    r = run(argv + ["--no-if-modified-since"], timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count(b"not retrieving") == len(got), r.stderr
    assert snapshot_tree(tmp_path) == got


# ---- HTTP/1.0, newer minors, keep-alive timers --------------------------------

def read_response(s, timeout=10):
    """Reads one response with a Content-Length body; returns (head, body)."""
    s.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        assert chunk, f"closed before a full head: {buf!r}"
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?im)^content-length: *(\d+)", head).group(1))
    while len(body) < length:
        chunk = s.recv(65536)
        assert chunk, "closed mid-body"
        body += chunk
    assert len(body) == length, "nothing after the body"
    return head.decode(), body


def closed_by_server(s, timeout):
    """Whether the server closes `s` within `timeout` without sending anything."""
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_http10_request_gets_a_delimited_body_and_a_close(twin):
    with socket.create_connection(("127.0.0.1", twin.ports[80]), timeout=10) as s:
        s.sendall(b"GET /small.bin HTTP/1.0\r\n\r\n")
        head, body = read_response(s)
        assert status_of(head.encode()) == 200 and sha(body) == sha(SMALL)
        assert header(head, "connection") == "close"
        assert header(head, "transfer-encoding") is None
        assert closed_by_server(s, 10)


def test_http10_keep_alive_and_http12(twin):
    with socket.create_connection(("127.0.0.1", twin.ports[80]), timeout=10) as s:
        for _ in range(2):
            s.sendall(b"GET /notes.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            head, body = read_response(s)
            assert status_of(head.encode()) == 200 and body == NOTES
            assert header(head, "connection") == "keep-alive"
        # A newer 1.x minor is served as HTTP/1.1: persistent by default.
        s.sendall(b"GET /small.bin HTTP/1.2\r\nHost: x\r\n\r\n")
        head, body = read_response(s)
        assert status_of(head.encode()) == 200 and body == SMALL
        assert header(head, "connection") == "keep-alive"


def test_slow_second_request_on_a_kept_alive_connection(twin):
    """The head timeout (10 s) counts from the head's first byte, not from
    the previous response: 6 s idle plus 6 s of head is answered."""
    with socket.create_connection(("127.0.0.1", twin.ports[80]), timeout=10) as s:
        s.sendall(b"GET /small.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        read_response(s)
        time.sleep(6)
        s.sendall(b"GET /notes.txt HTTP/1.1\r\nHo")
        time.sleep(6)
        s.sendall(b"st: x\r\n\r\n")
        head, body = read_response(s)
        assert status_of(head.encode()) == 200, head
        assert body == NOTES


def test_idle_kept_alive_connection_closes_without_408(twin):
    with socket.create_connection(("127.0.0.1", twin.ports[80]), timeout=10) as s:
        s.sendall(b"GET /small.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        read_response(s)
        # The idle timeout is 15 s; nothing may come before the close.
        assert closed_by_server(s, 30)


# ---- storage off the critical path ----------------------------------------------

def test_a_download_waiting_for_storage_holds_up_no_other_connection(twin):
    """A download whose next chunks the storage service does not answer (it
    is stopped from the console) waits for them, while other connections
    are answered from memory meanwhile; once the service runs again the
    download finishes, every byte right."""
    # Served whole once, a file is kept in memory. The storage service may
    # announce its idle settle (300 ms after boot's last request), which
    # empties the cache: past that, fetched again, it stays.
    for pause in (0.6, 0):
        for _ in range(2):
            assert curl(twin.url("/small.bin"))[2] == SMALL
        time.sleep(pause)
    s = socket.socket()
    # A small window: the board cannot send far ahead of what is read here.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    s.connect(("127.0.0.1", twin.ports[80]))
    s.settimeout(10)
    try:
        s.sendall(b"GET /blob.bin HTTP/1.1\r\nHost: board\r\nConnection: close\r\n\r\n")
        got = b""
        while len(got) < 64 * 1024:
            chunk = s.recv(65536)
            assert chunk, "closed early"
            got += chunk
        twin.command("stop storage", r"Process storage stopped")
        try:
            # What the board had read and sent before the stop drains; then
            # the download waits on the storage service.
            got += read_until_quiet(s)
            stalled_at = len(got)
            head_len = got.index(b"\r\n\r\n") + 4
            assert stalled_at < head_len + len(BLOB), "the whole file was out before the stop"
            # Meanwhile: a file kept in memory, a generated body.
            code, _, body = curl(twin.url("/small.bin"), timeout=3)
            assert code == 200 and body == SMALL
            code, _, body = curl(twin.url("/api/bench/100000"), timeout=3)
            assert code == 200 and len(body) == 100_000
        finally:
            twin.command("start storage", r"Process storage resumed")
        s.settimeout(20)
        while chunk := s.recv(65536):
            got += chunk
    finally:
        s.close()
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert len(body) == len(BLOB) and sha(body) == sha(BLOB)


def test_clients_that_stop_reading_give_their_storage_reads_back(twin):
    """Three downloads whose clients stop reading hold storage reads the
    socket has no room for; the storage transport has three for all
    connections. Another download must not wait for the stalled ones to be
    dropped (30 s): they give their reads back after a second and ask them
    again when their clients read on; every body comes out whole."""
    stalled = []
    try:
        for _ in range(3):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", twin.ports[80]))
            s.settimeout(10)
            s.sendall(b"GET /large.bin HTTP/1.1\r\nHost: board\r\nConnection: close\r\n\r\n")
            got = s.recv(65536)
            assert got.startswith(b"HTTP/1.1 200"), got[:100]
            stalled.append([s, got])
        # Until every buffer on the way (the host's socket buffers take MiBs) is full.
        time.sleep(6)
        started = time.monotonic()
        code, _, body = curl(twin.url("/blob.bin"), timeout=15)
        assert code == 200 and sha(body) == sha(BLOB)
        assert time.monotonic() - started < 15
        for entry in stalled:
            s, got = entry
            s.settimeout(20)
            while chunk := s.recv(65536):
                got += chunk
            entry[1] = got
    finally:
        for s, _ in stalled:
            s.close()
    for _, got in stalled:
        head, _, body = got.partition(b"\r\n\r\n")
        assert len(body) == len(LARGE) and sha(body) == sha(LARGE), "a released download resumed at the right byte"


@pytest.mark.timeout(90)
def test_a_response_that_waited_for_storage_is_sent_whole_before_the_close(twin):
    """/api/status asks the storage service for the volume's figures; with
    the service stopped each ask waits for its reply timeout. The response
    then goes out whole to an HTTP/1.0 client (closed after it): the close
    timer starts when the response is ready, not when the request came
    (it did, and the connection was reset 1.3 KiB in)."""
    twin.command("stop storage", r"Process storage stopped")
    try:
        code, head, body = curl(twin.url("/api/status"), "--http1.0", timeout=40)
    finally:
        twin.command("start storage", r"Process storage resumed")
    assert code == 200
    length = re.search(r"(?im)^content-length: (\d+)", head)
    assert length and int(length.group(1)) == len(body), head
    status = json.loads(body)
    assert status["volume"]["mounted"] is False and "not answering" in status["volume"]["detail"], status["volume"]


# ---- /metrics -----------------------------------------------------------------

def scrape(twin):
    code, head, body = curl(twin.url("/metrics"))
    assert code == 200
    assert header(head, "content-type") == "text/plain; version=0.0.4; charset=utf-8"
    text = body.decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return text, samples


def test_metrics_pass_promtool(twin):
    text, _ = scrape(twin)
    r = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True, timeout=30)
    assert r.returncode == 0, (r.stdout + r.stderr).decode()
    assert r.stdout.strip() == b"" and r.stderr.strip() == b"", (r.stdout + r.stderr).decode()
    for family in ("tock_uptime_seconds", "tock_process_state", "tock_process_restarts_total",
                   "tock_process_memory_block_bytes", "tock_process_app_bytes", "tock_process_kernel_bytes",
                   "tock_process_psram_grants", "tock_process_psram_grant_bytes",
                   "tock_process_network_rx_frames_total", "tock_process_network_tx_bytes_total",
                   "tock_process_network_rx_dropped_frames_total", "tock_switch_rx_frames_total",
                   "tock_switch_tx_dropped_frames_total", "tock_memory_region_size_bytes",
                   "tock_memory_region_used_bytes", "storage_volume_mounted", "storage_volume_size_bytes",
                   "storage_volume_free_bytes", "http_requests_total", "http_file_cache_used_bytes",
                   "http_file_cache_size_bytes", "http_file_cache_hits_total"):
        assert f"\n# TYPE {family} " in text, family


def test_metrics_agree_with_api_status(twin):
    before = status_json(twin.url("/api/status"))
    _, m = scrape(twin)
    after = status_json(twin.url("/api/status"))
    assert before["uptime_ms"] / 1000 <= m[("tock_uptime_seconds", ())] <= after["uptime_ms"] / 1000
    for p in after["processes"]:
        if p["name"] not in ("http", "ftp", "storage", "sysinfo"):
            continue  # the PSRAM probes change their grants as they run
        label = (("process", p["name"]),)
        assert m[("tock_process_memory_block_bytes", label)] == p["memory"]["size"]
        assert m[("tock_process_restarts_total", label)] == p["restarts"]
        assert m[("tock_process_psram_grants", label)] == p["memory"]["psram_grants"]
        assert m[("tock_process_psram_grant_bytes", label)] == p["memory"]["psram_grant_bytes"]
        assert m[("tock_process_ports", label)] == p["net"]["ports"]
        states = {s: m[("tock_process_state", (("process", p["name"]), ("state", s)))]
                  for s in ("running", "yielded", "stopped", "faulted", "terminated")}
        assert sum(states.values()) == 1
        assert states["stopped"] == states["faulted"] == states["terminated"] == 0
    for r in after["memory"]:
        assert m[("tock_memory_region_size_bytes", (("region", r["name"]),))] == r["size"]
    assert m[("storage_volume_mounted", ())] == 1 and after["volume"]["mounted"]
    assert m[("storage_volume_size_bytes", ())] == after["volume"]["total_bytes"]
    assert m[("http_file_cache_size_bytes", ())] == after["file_cache"]["budget"]
    assert after["network"]["rx_frames"] >= m[("tock_switch_rx_frames_total", ())] >= before["network"]["rx_frames"]


def test_request_counters_by_status_class(twin):
    _, first = scrape(twin)
    for _ in range(3):
        assert curl(twin.url("/no/such/file"))[0] == 404
    assert curl(twin.url("/docs"))[0] == 301
    assert curl("-r", "0-1", twin.url("/small.bin"))[0] == 206
    _, second = scrape(twin)

    def delta(code):
        key = ("http_requests_total", (("code", code),))
        return second[key] - first[key]

    # The first scrape's own response is counted after it was written.
    assert (delta("2xx"), delta("3xx"), delta("4xx"), delta("5xx")) == (2, 1, 3, 0)
