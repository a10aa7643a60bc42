"""The live layer as a user meets it: the dashboard in headless Chromium
against the twin, and what faults of the telemetry and websocket apps do
to clients, HTTP and FTP."""
import ftplib
import json
import os
import shutil
import tempfile
import time

import pytest

from conftest import boot
from http_client import curl
from twin import ROOT, image_with_files
from ws_client import Watcher

SHOTS = os.path.join(ROOT, "build", "test-output")


# Over the HTTP app's 128 KiB in-memory limit: every request for it goes
# through the storage service, 50 IPC round trips each.
BIG = bytes((i * 131 + (i >> 9)) & 0xFF for i in range(200 << 10))


@pytest.fixture(scope="module")
def live_twin(tmp_path_factory):
    image = image_with_files(str(tmp_path_factory.mktemp("liveimg")), {"/www/big.bin": BIG})
    t = boot(tmp_path_factory, flash="flash-product.bin", disk_image=image, guest_ports=(80, 8080, 21))
    try:
        t.expect(r"websocket: serving on ", timeout=60, since_boot=True)
        t.expect(r"telemetry: publishing as `telemetry`", timeout=30, since_boot=True)
        yield t
    finally:
        t.close()


def test_idle_product_apps_do_not_spin(live_twin):
    from test_boot import assert_idle
    live_twin.expect(r"ftp: serving on", since_boot=True, timeout=60)
    assert_idle(live_twin, {"http", "ftp", "storage", "websocket", "telemetry", "sysinfo"})


def ws_url(twin):
    return f"ws://127.0.0.1:{twin.ports[8080]}/"


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    profile = tempfile.mkdtemp(prefix="chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={profile}", "--window-size=1280,1400"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"),
                              options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(what, predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def text(driver, css):
    els = driver.find_elements("css selector", css)
    return els[0].text if els else None


def test_dashboard_is_live_in_a_real_browser(live_twin, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    page = live_twin.url(f"/?ws={ws_url(live_twin)}")
    browser.get(page)
    wait_for("connected", lambda: text(browser, "#conn-state") == "connected")
    # Telemetry values and a chart that moves.
    wait_for("a temperature", lambda: (text(browser, '[data-field="junctionTemp"]') or "–") != "–")
    temp = float(text(browser, '[data-field="junctionTemp"]').split()[0])
    assert 37.5 <= temp <= 42.5
    count = lambda: int(text(browser, "#telemetry-count") or 0)
    first = wait_for("samples", lambda: count() >= 2 and count())
    charts = browser.find_elements("css selector", '[data-chart="uptime"] canvas')
    assert charts, "no uptime chart"
    before = browser.execute_script("return arguments[0].toDataURL()", charts[0])
    wait_for("more samples", lambda: count() >= first + 3)
    after = browser.execute_script("return arguments[0].toDataURL()", charts[0])
    assert before != after, "the chart did not move"
    # Every numeric field has a chart, nested ones too.
    for field in ("randomFloat", "randomInt", "psramFreeKiB", "heapKiB.websocket"):
        assert browser.find_elements("css selector", f'[data-chart="{field}"]'), field
    # An LED click round-trips to the kernel; the button shows the confirmed state.
    button = wait_for("LED buttons", lambda: browser.find_elements("css selector", '#led-yellow[data-state="off"]'))[0]
    live_twin.mark()
    ActionChains(browser).move_to_element(button).click().perform()
    live_twin.expect(r"led: yellow on", timeout=10)
    wait_for("confirmed state", lambda: browser.find_element("css selector", "#led-yellow").get_attribute("aria-pressed") == "true")
    # The process table and storage figures from /api/status.
    wait_for("process rows", lambda: browser.find_elements("css selector", '#processes tr[data-process="telemetry"]'))
    for name in ("http", "ftp", "storage", "websocket", "sysinfo"):
        assert browser.find_elements("css selector", f'#processes tr[data-process="{name}"]'), name
    wait_for("volume", lambda: browser.find_element("css selector", "#storage").get_attribute("data-volume") == "mounted")
    # The rate control, confirmed by the server.
    rate = browser.find_element("css selector", "#rate-input")
    rate.clear()
    rate.send_keys("5")
    browser.find_element("css selector", "#rate-set").click()
    wait_for("rate 5 Hz", lambda: browser.find_element("css selector", "#rate-current").get_attribute("data-hz") == "5")
    live_twin.expect(r"telemetry: period set to 200 ms", timeout=10)
    # The log stays bounded and clears.
    assert len(browser.find_elements("css selector", "#log .log-line")) <= 200
    browser.find_element("css selector", "#log-clear").click()
    assert len(browser.find_elements("css selector", "#log .log-line")) <= 1
    os.makedirs(SHOTS, exist_ok=True)
    browser.save_screenshot(os.path.join(SHOTS, "dashboard.png"))
    print(f"screenshot: {os.path.join(SHOTS, 'dashboard.png')}")
    # Nothing the page did raised an error.
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    # Back to 1 Hz for the tests that follow.
    rate.clear()
    rate.send_keys("1")
    browser.find_element("css selector", "#rate-set").click()
    live_twin.expect(r"telemetry: period set to 1000 ms", timeout=10)


def test_dashboard_reconnects_after_the_websocket_app_faults(live_twin, browser):
    browser.get(live_twin.url(f"/?ws={ws_url(live_twin)}"))
    wait_for("connected", lambda: text(browser, "#conn-state") == "connected")
    live_twin.command("fault websocket", r"fault: process websocket faulted; restarting it")
    wait_for("disconnected", lambda: text(browser, "#conn-state") != "connected", timeout=15)
    # The back-off starts at 3 s.
    wait_for("connected again", lambda: text(browser, "#conn-state") == "connected", timeout=30)
    n = int(text(browser, "#telemetry-count"))
    wait_for("samples again", lambda: int(text(browser, "#telemetry-count")) > n, timeout=10)


def ftp_session(twin):
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", twin.ports[21], timeout=20)
    ftp.login(*twin.ftp_credentials())
    return ftp


def test_telemetry_fault_is_a_gap_for_clients_and_nothing_for_http_or_ftp(live_twin):
    watcher = Watcher(ws_url(live_twin))
    ftp = ftp_session(live_twin)
    try:
        # At 10 Hz, so that even a quick restart leaves samples out.
        watcher.send({"type": "set-telemetry-rate", "hz": 10})
        live_twin.expect(r"telemetry: period set to 100 ms", timeout=10)
        t_rate = time.monotonic()
        wait_for("samples at 10 Hz", lambda: len(watcher.uptimes_since(t_rate + 0.3)) >= 5, timeout=10)
        live_twin.command("fault telemetry", r"fault: process telemetry faulted; restarting it")
        t_fault = time.monotonic()
        live_twin.expect(r"telemetry: publishing as `telemetry`", timeout=30)
        # HTTP and FTP did not notice.
        code, _, body = curl(live_twin.url("/api/status"))
        assert code == 200 and json.loads(body)["processes"]
        assert ftp.pwd() == "/"
        assert ftp.nlst("/config")
        wait_for("samples after the restart", lambda: watcher.uptimes_since(t_fault + 0.5), timeout=10)
        assert watcher.closed is None, f"the client was disconnected: {watcher.closed}"
        before = [u for a, u in watcher.samples if a < t_fault]
        after = watcher.uptimes_since(t_fault + 0.5)
        assert after[0] - before[-1] > 0.1, f"no gap: {before[-3:]} then {after[:3]}"
        # The new instance samples at its settings' rate, and clients hear it.
        live_twin.expect(r"websocket: telemetry restarted; following its new instance", since_boot=True, timeout=10)
        wait_for("the rate of the new instance", lambda: any(
            m["type"] == "telemetry-rate" and m["data"]["periodMs"] == 1000 for m in watcher.messages), timeout=10)
    finally:
        watcher.stop()
        ftp.close()


def test_websocket_fault_disconnects_clients_who_reconnect_and_http_ftp_carry_on(live_twin):
    watcher = Watcher(ws_url(live_twin))
    ftp = ftp_session(live_twin)
    try:
        wait_for("samples", lambda: len(watcher.samples) >= 1, timeout=10)
        live_twin.command("fault websocket", r"fault: process websocket faulted; restarting it")
        live_twin.expect(r"websocket: serving on ", timeout=30)
        code, _, _ = curl(live_twin.url("/api/status"))
        assert code == 200
        assert ftp.pwd() == "/"
        # The old connection is gone (its stack died with the process).
        probe = time.monotonic()
        while watcher.closed is None and time.monotonic() - probe < 30:
            try:
                watcher.ws.ping(timeout=2)
            except Exception:
                pass
            time.sleep(0.5)
        assert watcher.closed is not None
        again = wait_for("a new connection", lambda: _connect(ws_url(live_twin)), timeout=30)
        try:
            wait_for("samples on it", lambda: len(again.samples) >= 1, timeout=10)
        finally:
            again.stop()
    finally:
        watcher.stop()
        ftp.close()


def _connect(url):
    try:
        return Watcher(url)
    except Exception:
        return None


def test_no_upcall_is_dropped_under_load(live_twin):
    """Samples at 100 Hz to 8 clients, HTTP reading a file from the eMMC
    (IPC replies) and an FTP upload at once: the kernel raises each
    upcall once until its queue is read empty, so no process's task queue
    overflows (a dropped IPC, network or alarm upcall can stall an app)."""
    import hashlib
    import http.client
    import io
    import threading
    watchers = [Watcher(ws_url(live_twin)) for _ in range(8)]
    errors = []
    stop = time.monotonic() + 15

    def http_load():
        conn = http.client.HTTPConnection("127.0.0.1", live_twin.ports[80], timeout=60)
        try:
            while time.monotonic() < stop:
                conn.request("GET", "/big.bin")
                body = conn.getresponse().read()
                if hashlib.sha256(body).digest() != hashlib.sha256(BIG).digest():
                    errors.append("bad body")
        except Exception as e:
            errors.append(repr(e))
        finally:
            conn.close()

    def ftp_load():
        try:
            ftp = ftp_session(live_twin)
            data = bytes(range(256)) * 8192
            while time.monotonic() < stop:
                ftp.storbinary("STOR /load.bin", io.BytesIO(data))
            ftp.delete("/load.bin")
            ftp.quit()
        except Exception as e:
            errors.append(repr(e))

    try:
        watchers[0].send({"type": "set-telemetry-rate", "hz": 100})
        live_twin.expect(r"telemetry: period set to 10 ms", timeout=10)
        threads = [threading.Thread(target=http_load) for _ in range(4)] + [threading.Thread(target=ftp_load)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors[:3]
        assert all(len(w.samples) > 500 for w in watchers), [len(w.samples) for w in watchers]
        watchers[0].send({"type": "set-telemetry-rate", "hz": 1})
        live_twin.expect(r"telemetry: period set to 1000 ms", timeout=10)
    finally:
        for w in watchers:
            w.stop()
    for name in ("http", "ftp", "storage", "websocket", "telemetry", "sysinfo"):
        m = live_twin.command(f"process {name}", r"Dropped Upcall Count: (\d+)\s*\r?\n")
        assert int(m.group(1)) == 0, f"{name} dropped {m.group(1).decode()} upcalls"
