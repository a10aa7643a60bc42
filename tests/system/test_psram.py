"""PSRAM grants: taken until refused, checked, freed and taken again; the
heap grows into them; another process cannot touch them; restarts give
them back, and the MPU bookkeeping survives restarts (kernel patch 0002)."""
import re

from http_client import status_json, wait_ready

GRANT_RE = r"psramtest: (\d+) grants, patterns ok: (\w+); holding (\d+) bytes in (\d+) grants\r?\n"


def psramtest(status):
    return next(p for p in status["processes"] if p["name"] == "psramtest")


def pool_used(status):
    """PSRAM in use beyond the process blocks: the grant pool."""
    psram = next(r for r in status["memory"] if r["name"] == "PSRAM")
    return psram["used"] - sum(p["memory"]["size"] for p in status["processes"])


def check_run(twin, limit):
    """One run of psramtest, from its start line to `ready`; `limit` is the
    board's grants per process."""
    m = twin.expect(r"psramtest: heap (\d+) bytes in (\d+) regions, vector ok: (\w+)\r?\n", timeout=30)
    assert m.group(3) == b"true"
    assert int(m.group(2)) >= 2, "the heap grew into a PSRAM grant"
    assert int(m.group(1)) > 300 * 1024
    refused = twin.expect(r"psramtest: grant (\d+) refused: (\w+)\r?\n", timeout=10)
    assert refused.group(2) == b"BUSY", "refused for want of MPU regions"
    m = twin.expect(GRANT_RE, timeout=10)
    assert m.group(2) == b"true"
    held, count = int(m.group(3)), int(m.group(4))
    assert count == limit, "the heap's grant and the app's own fill the limit"
    twin.expect(r"psramtest: free grant \d+: Ok\(\(\)\)", timeout=10)
    twin.expect(r"psramtest: regrant at 0x[0-9a-f]+", timeout=10)
    twin.expect(r"psramtest: after free and regrant, patterns ok: true", timeout=10)
    twin.expect(r"psramtest: ready", timeout=10)
    return held, count


def test_grants_accounting_isolation_and_return(twin):
    m = twin.expect(r"psramtest: start 0; limits (\d+) bytes in (\d+) grants\r?\n", timeout=60, since_boot=True)
    limit = int(m.group(2))
    assert limit >= 2, "room for the heap's grant and at least one of the app's"
    held, count = check_run(twin, limit)
    grants = [int(a, 16) for a in re.findall(r"psramtest: grant \d+ at (0x[0-9a-f]+)", twin.output)]
    assert all(0x81C00000 <= a < 0x82000000 for a in grants), "grants come from the PSRAM grant pool"

    # Another process reading the grant faults and is restarted.
    twin.expect(r"psramspy: reading psramtest's grant at (0x[0-9a-f]+)\r?\n", timeout=20, since_boot=True)
    twin.expect(r"fault: process psramspy faulted; restarting it", timeout=10, since_boot=True)
    twin.expect(r"psramspy: restarted 1 times; not probing again", timeout=10, since_boot=True)
    assert "READ SUCCEEDED" not in twin.output

    # The accounting matches what the app took, in the API and the console.
    wait_ready(twin.url("/api/status"))
    s = status_json(twin.url("/api/status"))
    p = psramtest(s)
    assert (p["memory"]["psram_grant_bytes"], p["memory"]["psram_grants"]) == (held, count)
    assert pool_used(s) == sum(q["memory"]["psram_grant_bytes"] for q in s["processes"])
    twin.command("process psramtest", rf"PSRAM grants: {count} \({held} bytes\)")

    # Restarts: each run maps its regions afresh (without kernel patch 0002
    # the second restart finds the MPU tracking slots full of stale entries).
    for restart in (1, 2):
        twin.command("fault psramtest", rf"fault: process psramtest faulted; restarting it \(restart #{restart}\)")
        twin.expect(rf"psramtest: start {restart};", timeout=10)
        assert check_run(twin, limit) == (held, count)

    # After the third restart it takes nothing: everything is back in the pool.
    twin.command("fault psramtest", r"restarting it \(restart #3\)")
    twin.expect(r"psramtest: restart 3: holding no grants", timeout=10)
    s = status_json(twin.url("/api/status"))
    assert (psramtest(s)["memory"]["psram_grant_bytes"], psramtest(s)["memory"]["psram_grants"]) == (0, 0)
    assert pool_used(s) == sum(q["memory"]["psram_grant_bytes"] for q in s["processes"] if q["name"] != "psramtest")
    twin.command("process psramtest", r"PSRAM grants: 0 \(0 bytes\)")
