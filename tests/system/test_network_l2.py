"""ARP, ICMP and restart behaviour at layer 2: the twin on a tap link in a
network namespace the test creates; clients run inside it."""
import re
import time

from twin import GUEST_IP


def curl_ns(twin, path, timeout=5):
    out = twin.netns_run(["curl", "-s", "-m", str(timeout), "-o", "/dev/null", "-w", "%{http_code}",
                          f"http://{GUEST_IP}{path}"], timeout=timeout + 5)
    return out.stdout.decode()


def wait_http(twin, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if curl_ns(twin, "/api/status", timeout=2) == "200":
            return time.monotonic()
        time.sleep(0.2)
    raise AssertionError("HTTP did not answer")


def test_ping_and_arp_are_answered_by_the_kernel(tap_twin):
    out = tap_twin.netns_run(["ping", "-c", "3", "-i", "0.2", "-W", "2", GUEST_IP])
    assert out.returncode == 0, out.stdout.decode()
    assert b"3 received" in out.stdout
    out = tap_twin.netns_run(["ping", "-c", "1", "-s", "1400", "-W", "2", GUEST_IP])
    assert out.returncode == 0, "large echo request"
    out = tap_twin.netns_run(["arping", "-c", "2", "-w", "5", "-I", "tap0", GUEST_IP])
    assert out.returncode == 0, out.stdout.decode()
    assert re.search(rb"(?i)de:ad:be:ef:17:64", out.stdout)


def test_http_fault_does_not_affect_ping_and_http_returns(tap_twin):
    wait_http(tap_twin, 30)
    tap_twin.command("fault http", r"fault: process http faulted; restarting it")
    faulted_at = time.monotonic()
    # The kernel keeps answering while the app restarts.
    tap_twin.netns_run(["ip", "neigh", "flush", "dev", "tap0"])
    out = tap_twin.netns_run(["ping", "-c", "2", "-i", "0.2", "-W", "2", GUEST_IP])
    assert out.returncode == 0, out.stdout.decode()
    out = tap_twin.netns_run(["arping", "-c", "1", "-w", "3", "-I", "tap0", GUEST_IP])
    assert out.returncode == 0
    back = wait_http(tap_twin, 15)
    assert back - faulted_at < 10, f"HTTP took {back - faulted_at:.1f} s to return"
    tap_twin.expect(r"http: serving on", timeout=5)
