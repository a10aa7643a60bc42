"""PSRAM grants come back to the pool as soon as their process can no
longer use them: terminated from the console, or stopped after a crash
loop (its identifier stays until it is booted again, so a sweep by
identifier alone kept them held)."""
import re

from http_client import status_json, wait_ready

POOL = r"PSRAM grants: (\d+) \((\d+) bytes\); grant pool: (\d+) of (\d+) bytes in use"


def pool(twin, name):
    """(grants, bytes held by `name`, pool bytes in use) from the console."""
    m = twin.command(f"process {name}", POOL)
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def test_terminated_and_crash_looping_processes_give_their_grants_back(twin):
    twin.expect(r"psramtest: \d+ grants, patterns ok: true; holding (\d+) bytes", since_boot=True, timeout=60)
    twin.expect(r"psramtest: ready", since_boot=True, timeout=30)
    wait_ready(twin.url("/api/status"))
    # FTP takes its data sockets' grant once the storage service answered.
    twin.expect(r"ftp: serving on", since_boot=True, timeout=60)
    s = status_json(twin.url("/api/status"))
    held = {p["name"]: p["memory"]["psram_grant_bytes"] for p in s["processes"]}
    assert held["psramtest"] > 0 and held["http"] > 0 and held["ftp"] > 0, held
    grants, nbytes, used = pool(twin, "psramtest")
    assert nbytes == held["psramtest"] and used == sum(held.values())

    # Terminated: the grants are back at once, and the figures say so.
    twin.command("terminate psramtest", r"tock\$ ")
    grants, nbytes, after = pool(twin, "psramtest")
    assert (grants, nbytes) == (0, 0)
    assert after == used - held["psramtest"]
    s = status_json(twin.url("/api/status"))
    p = next(p for p in s["processes"] if p["name"] == "psramtest")
    assert p["memory"]["psram_grant_bytes"] == 0 and p["state"] != "running"

    # Stopped after a crash loop: the same.
    for i in range(1, 20):
        twin.command("fault http", rf"restarting it \(restart #{i}\)")
    twin.command("fault http", r"fault: process http faulted 20 times in 10 s: stopped")
    grants, nbytes, stopped = pool(twin, "http")
    assert (grants, nbytes) == (0, 0)
    assert stopped == after - held["http"]
    assert stopped == held["ftp"], "only FTP's data sockets hold a grant in the test image now"

    # Booted again, each takes its grants anew from the pool.
    twin.command("terminate http", r"tock\$ ")
    twin.command("boot http", r"http: serving on", timeout=20)
    twin.expect(r"http: keeping files up to \d+ KiB in memory", timeout=20)
    grants, nbytes, again = pool(twin, "http")
    assert grants >= 1 and again == nbytes + held["ftp"]
