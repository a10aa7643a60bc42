"""The eMMC volume through the storage service, seen over HTTP: files of
a site served byte-identical (long names, directories, gzip siblings,
validators, many clients at once), paths that try to leave /www, and
volumes that cannot be mounted (blank, corrupt): reported, the built-in
page served, and the image left exactly as it was."""
import gzip
import hashlib
import http.client
import os
import re
import shutil
import subprocess
import threading
import urllib.parse

import pytest

from http_client import curl, raw, status_of, wait_ready, status_json
from twin import ROOT, Twin

SECRET = "pass = marker-7f3a"
JS = ("// dashboard script\n" + "function tick(n) { return n + 1; }\n" * 400).encode()
LONG_NAME = "Telemetry Log From The Lab, Week 47.txt"


def build_image(tmp, files, configs=()):
    """A FAT32 image made by the build's own script, with `files`
    ({relative path: bytes}) under /www."""
    web = os.path.join(tmp, "web")
    for rel, data in files.items():
        path = os.path.join(web, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
    cfg_paths = []
    for name, text in configs:
        p = os.path.join(tmp, name)
        with open(p, "w") as fh:
            fh.write(text)
        cfg_paths.append(p)
    img = os.path.join(tmp, "site.img")
    subprocess.run([os.path.join(ROOT, "tools", "mkimage.sh"), web, img, "64", *cfg_paths],
                   check=True, capture_output=True)
    return img


def boot(tmp, image):
    t = Twin(tmp, disk_image=image, guest_ports=(80,))
    try:
        t.expect(r"tock\$ ", timeout=60)
        t.expect(r"http: serving on", timeout=60, since_boot=True)
    except BaseException:
        t.close()
        raise
    return t


def digest(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("site"))
    files = {
        "index.html": b"<!doctype html><title>site</title><p>served from the eMMC</p>\n",
        "big.bin": os.urandom(64 * 1024),
        "app.js": JS,
        "app.js.gz": gzip.compress(JS, mtime=0),
        "docs/index.html": b"<p>docs index</p>\n",
        LONG_NAME: b"week 47: 21.5 C average\n" * 50,
        "empty.txt": b"",
    }
    image = build_image(tmp, files, configs=[("ftp.cfg", SECRET + "\n")])
    t = boot(tmp, image)
    t.files = files
    try:
        yield t
    finally:
        t.close()


def get(twin, path, *headers):
    args = []
    for h in headers:
        args += ["-H", h]
    return curl(*args, twin.url(path))


def test_files_are_served_byte_identical(site):
    wait_ready(site.url("/"))
    for path, name in (("/", "index.html"), ("/big.bin", "big.bin"), ("/docs/", "docs/index.html"),
                       ("/" + urllib.parse.quote(LONG_NAME), LONG_NAME), ("/empty.txt", "empty.txt")):
        code, head, body = get(site, path)
        assert code == 200, path
        assert body == site.files[name], path
        assert re.search(rf"(?im)^content-length: {len(body)}\r?$", head), path
    _, head, _ = get(site, "/")
    assert re.search(r"(?im)^content-type: text/html", head)
    _, head, _ = get(site, "/big.bin")
    assert re.search(r"(?im)^content-type: application/octet-stream", head)
    code, _, _ = get(site, "/docs/missing.html")
    assert code == 404


def test_gzip_sibling_and_validators(site):
    code, head, body = get(site, "/app.js", "Accept-Encoding: gzip")
    assert code == 200
    assert re.search(r"(?im)^content-encoding: gzip\r?$", head)
    assert re.search(r"(?im)^content-type: (text|application)/javascript", head)
    assert re.search(r"(?im)^vary: accept-encoding\r?$", head)
    assert gzip.decompress(body) == JS
    gz_etag = re.search(r'(?im)^etag: ("[^"]+")', head).group(1)
    code, head, body = get(site, "/app.js")
    assert code == 200 and body == JS
    assert not re.search(r"(?im)^content-encoding:", head)
    etag = re.search(r'(?im)^etag: ("[^"]+")', head).group(1)
    assert etag != gz_etag, "each representation has its own validator"
    code, _, body = get(site, "/app.js", f"If-None-Match: {etag}")
    assert code == 304 and body == b""
    code, _, body = get(site, "/app.js", f"If-None-Match: {gz_etag}")
    assert code == 200 and body == JS, "the gzip validator does not match the identity variant"


@pytest.mark.parametrize("target", [
    "/../config/ftp.cfg",
    "/%2e%2e/config/ftp.cfg",
    "/%2E%2E%2Fconfig%2Fftp.cfg",
    "/docs/../../config/ftp.cfg",
    "/..%5cconfig%5cftp.cfg",
    "//config/ftp.cfg",
    "/www/../../config/ftp.cfg",
])
def test_paths_cannot_leave_the_site(site, target):
    response = raw(site.ports[80], f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert status_of(response) in (400, 403, 404), response[:200]
    assert SECRET.encode() not in response


def run_clients(clients, work):
    """Runs `work(results)` in `clients` threads; returns the results."""
    results = {"ok": 0, "bad": []}
    lock = threading.Lock()

    def record(good, what):
        with lock:
            if good:
                results["ok"] += 1
            else:
                results["bad"].append(what)

    threads = [threading.Thread(target=work, args=(record,)) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    return results


def test_16_clients_make_2000_requests_for_a_64k_file(site):
    expected = site.files["big.bin"]
    port = site.ports[80]

    def keep_alive_client(record):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(2000 // 16):
            try:
                conn.request("GET", "/big.bin")
                resp = conn.getresponse()
                body = resp.read()
                record(resp.status == 200 and body == expected, body[:80])
            except (OSError, http.client.HTTPException) as e:
                record(False, repr(e))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.close()

    results = run_clients(16, keep_alive_client)
    assert not results["bad"], f"{len(results['bad'])} failed, e.g. {results['bad'][:3]}"
    assert results["ok"] == 2000
    # The switch raises its frames upcall once per empty queue seen, so the
    # app's task queue never overflows (a dropped IPC or alarm upcall stalls it).
    m = site.command("process http", r"Dropped Upcall Count: (\d+)\s*\r?\n")
    assert int(m.group(1)) == 0


def test_16_clients_on_new_connections_are_never_reset(site):
    # A connection per request (curl): the server frees a slot as soon as a
    # client is done, so new clients find one listening (no reset).
    expected = site.files["big.bin"]

    def curl_client(record):
        for _ in range(6):
            try:
                code, _, body = curl(site.url("/big.bin"), timeout=60)
                record(code == 200 and body == expected, code)
            except AssertionError as e:
                record(False, str(e)[-80:])

    results = run_clients(16, curl_client)
    assert results["bad"] == [] and results["ok"] == 16 * 6


def test_small_files_are_served_from_memory_after_the_first_time(site):
    before = status_json(site.url("/api/status"))["file_cache"]
    for _ in range(3):
        code, _, body = get(site, "/docs/")
        assert code == 200 and body == site.files["docs/index.html"]
    after = status_json(site.url("/api/status"))["file_cache"]
    assert after["hits"] >= before["hits"] + 2
    assert 0 < after["bytes"] <= after["budget"]


def test_status_reports_the_mounted_volume(site):
    volume = status_json(site.url("/api/status"))["volume"]
    assert volume["mounted"] is True
    assert volume["detail"] == "NUCLEOMEM"
    assert 60 << 20 < volume["total_bytes"] <= 64 << 20
    assert 0 < volume["free_bytes"] < volume["total_bytes"]


def blank_image(tmp):
    img = os.path.join(tmp, "blank.img")
    with open(img, "wb") as fh:
        fh.truncate(64 << 20)
    return img


def bad_sector_size_image(tmp):
    img = os.path.join(tmp, "corrupt.img")
    shutil.copyfile(os.path.join(ROOT, "build", "qemu_twin", "disk.img"), img)
    with open(img, "r+b") as fh:
        fh.seek(11)            # BPB: bytes per sector
        fh.write((1024).to_bytes(2, "little"))
    return img


@pytest.mark.parametrize("make,reason", [
    (blank_image, "no boot signature in sector 0"),
    (bad_sector_size_image, "bytes per sector is not 512"),
])
def test_unmountable_volume_is_reported_and_left_alone(tmp_path, make, reason):
    image = make(str(tmp_path))
    before = digest(image)
    t = boot(str(tmp_path), image)
    try:
        t.expect(rf"storage: volume NOT mounted: {re.escape(reason)}; nothing was changed", since_boot=True)
        code, _, body = wait_ready(t.url("/"))
        assert code == 200 and b"NUCLEO-MEM" in body, "the built-in page stands in for the site"
        code, _, _ = curl(t.url("/big.bin"))
        assert code == 503
        volume = status_json(t.url("/api/status"))["volume"]
        assert volume == {"mounted": False, "detail": reason, "total_bytes": None, "free_bytes": None}
        assert t.alive()
    finally:
        t.close()
    assert digest(t.disk) == before, "the twin changed an unmountable volume"
