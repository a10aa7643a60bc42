"""The IPC channel, seen from processes (the test image's `ipcprobe`
against `psramtest`), and what happens to a peer when a service restarts."""
import re


def test_ipc_checks_pass(twin):
    m = twin.expect(r"ipcprobe: (\d+) checks, (\d+) failed\r?\n", since_boot=True, timeout=60)
    failed = re.findall(r"ipcprobe: check (.*): FAILED \((.*)\)", twin.output)
    assert int(m.group(2)) == 0, failed
    passed = re.findall(r"ipcprobe: check (.*): ok", twin.output)
    assert len(passed) == int(m.group(1)) >= 18
    for name in ("a full inbox is reported", "the sender's app name", "a publication arrives",
                 "the block device refuses this app", "a live service's name is refused"):
        assert name in passed, name


def test_peer_of_a_restarted_service_gets_an_error_then_the_new_instance(twin):
    m = twin.expect(r"ipcprobe: watching psramtest \(handle (\d+)\)\r?\n", since_boot=True, timeout=60)
    old = m.group(1).decode()
    twin.command("fault psramtest", r"fault: process psramtest faulted; restarting it")
    m = twin.expect(r"ipcprobe: psramtest handle (\d+) is gone: (\w+)\r?\n", timeout=20)
    assert m.group(1).decode() == old
    assert m.group(2) == b"NODEVICE"
    m = twin.expect(r"ipcprobe: psramtest is back as handle (\d+) \(new handle: (\w+), answers: (\w+)\)\r?\n",
                    timeout=30)
    assert m.group(1).decode() != old
    assert m.group(2) == b"true" and m.group(3) == b"true"
    assert twin.alive()


def test_an_impostor_cannot_take_the_storage_service_even_while_it_restarts(twin):
    """The board gives `storage` (and `telemetry`) to one app: the test
    image's `impostor` is refused, above all in the gap while the real
    service restarts; FTP and HTTP keep using the real one."""
    import ftplib
    from http_client import curl, wait_ready
    twin.expect(r"impostor: register `storage` while it runs: refused \(RESERVE\)", since_boot=True, timeout=60)
    twin.expect(r"impostor: register `telemetry`: refused \(RESERVE\)", since_boot=True, timeout=10)
    # The impostor polls every millisecond; a restart can fall between two
    # looks under load, so fault until it has caught the name free 3 times.
    seen = 0
    for attempt in range(10):
        twin.command("fault storage", r"fault: process storage faulted; restarting it")
        m = twin.expect(r"impostor: storage (is gone|restarted unseen) \(gap (\d+)\); register `storage`: (.*?)\r?\n",
                        timeout=20)
        assert m.group(3) == b"refused (RESERVE)", m.group(0)
        if m.group(1) == b"is gone":
            seen += 1
            twin.expect(rf"impostor: storage is back \(gap {m.group(2).decode()}\)", timeout=20)
        # ("restarted unseen": the new storage was already registered.)
        if seen == 3:
            break
    assert seen == 3, "the impostor never saw storage's name free"
    assert "REGISTERED" not in twin.output
    # The real service answers: HTTP serves the eMMC's page, FTP lists files.
    wait_ready(twin.url("/index.html"))
    code, _, body = curl(twin.url("/index.html"))
    assert code == 200 and b"NUCLEO-MEM" in body and b"<script" in body, body[:200]
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", twin.ports[21], timeout=20)
    ftp.login(*twin.ftp_credentials())
    assert "/www" in ftp.nlst("/") or "www" in ftp.nlst("/")
    ftp.quit()
