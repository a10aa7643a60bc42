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
