"""The Cortex-M7 twin (QEMU mps2-an500, boards/qemu_m7): the thumbv7em
builds of the apps with all process memory in external RAM behind the
patched MPU (kernel-patches/0004): placement, PSRAM grants and their
isolation, IPC, faults and restarts. QEMU models no caches, so this proves
the MPU layout and permissions, not cache behaviour."""
import re

import pytest

from twin import Twin

PSRAM = range(0x6000_0000, 0x6080_0000)
PROCESS_BLOCKS = range(0x6000_0000, 0x6040_0000)
GRANT_POOL = range(0x6040_0000, 0x6080_0000)


@pytest.fixture(scope="module")
def m7(tmp_path_factory):
    t = Twin(str(tmp_path_factory.mktemp("m7")), flash="flash.bin", board="qemu_m7")
    try:
        t.expect(r"tock\$ ", timeout=60)
        yield t
    finally:
        t.close()


def test_boot_memory_map_and_mpu(m7):
    out = m7.output
    assert "NUCLEO-MEM Cortex-M7 twin" in out
    for name, start, size in (("kernel flash", 0x0, "256 KiB"), ("app flash", 0x40000, "640 KiB"),
                              ("kernel RAM", 0x20000000, "128 KiB"), ("PSRAM", 0x60000000, "8 MiB")):
        assert re.search(rf"(?m)^  {name}\s+{start:#010x}\s+{size}", out), name
    m = re.search(r"mpu: (\d+) regions: 2 for the kernel", out)
    assert m and int(m.group(1)) >= 8, out[:2000]


def test_every_process_lives_in_external_ram(m7):
    rows = re.findall(r"(?m)^  (\w+)\s+flash (0x[0-9a-f]+) .*? memory (0x[0-9a-f]+) .*\(in PSRAM: (\w+)\)", m7.output)
    names = {r[0] for r in rows}
    assert {"sysinfo", "psramtest", "psramspy", "ipcprobe"} <= names, rows
    for name, flash, memory, in_psram in rows:
        assert in_psram == "yes" and int(memory, 16) in PROCESS_BLOCKS, name
        assert int(flash, 16) in range(0x40000, 0xE0000), name
    m = m7.expect(r"sysinfo: hello; memory starts at (0x[0-9a-f]+), stack variable at (0x[0-9a-f]+)\r?\n", since_boot=True)
    assert int(m.group(1), 16) in PROCESS_BLOCKS and int(m.group(2), 16) in PROCESS_BLOCKS


def test_psram_grants_and_their_isolation(m7):
    m7.expect(r"psramtest: \d+ grants, patterns ok: true", timeout=60, since_boot=True)
    m7.expect(r"psramtest: after free and regrant, patterns ok: true", timeout=30, since_boot=True)
    grants = [int(a, 16) for a in re.findall(r"psramtest: grant \d+ at (0x[0-9a-f]+)", m7.output)]
    assert grants and all(a in GRANT_POOL for a in grants), grants
    # The MPU's regions bound the grants: the one asked for past them is refused.
    assert re.search(r"psramtest: grant \d+ refused: BUSY", m7.output)
    # Another process reading the grant faults (MemManage) and is restarted.
    m7.expect(r"psramspy: reading psramtest's grant at (0x[0-9a-f]+)", timeout=30, since_boot=True)
    m7.expect(r"fault: process psramspy faulted; restarting it", timeout=20, since_boot=True)
    m7.expect(r"psramspy: restarted 1 times; not probing again", timeout=20, since_boot=True)
    assert "READ SUCCEEDED" not in m7.output


def test_ipc_checks_pass(m7):
    m = m7.expect(r"ipcprobe: (\d+) checks, (\d+) failed\r?\n", since_boot=True, timeout=120)
    failed = re.findall(r"ipcprobe: check (.*): FAILED \((.*)\)", m7.output)
    assert int(m.group(2)) == 0, failed
    assert int(m.group(1)) >= 18


def test_a_faulting_process_restarts_with_its_memory_in_external_ram(m7):
    m7.expect(r"psramtest: ready", since_boot=True, timeout=60)
    m7.command("fault psramtest", r"fault: process psramtest faulted; restarting it \(restart #1\)")
    m7.expect(r"psramtest: start 1;", timeout=20)
    m7.expect(r"psramtest: \d+ grants, patterns ok: true", timeout=60)
    m7.command("process psramtest", r"PSRAM grants: \d+ \(\d+ bytes\)")
    assert m7.alive(), "the kernel survived the fault"
    m7.command("list", r"psramtest\s+\d+\s+\d+\s+1\s")
