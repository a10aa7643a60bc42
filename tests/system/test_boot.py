"""Boot of the twin: memory map, an app running from PSRAM, the block
device, and restart of a faulting app while the kernel keeps running."""
import re
import zlib

KIB, MIB = 1024, 1024 * 1024
UNITS = {"B": 1, "KiB": KIB, "MiB": MIB}

PSRAM = (0x81800000, 0x82000000)


def size(text):
    num, unit = text.split()
    return float(num) * UNITS[unit]


def test_banner_and_memory_map(twin):
    out = twin.output
    assert "NUCLEO-MEM twin: Tock 2." in out
    expected = {
        "kernel flash": (0x80000000, 256 * KIB),
        "app flash": (0x80040000, 640 * KIB),
        "settings": (0x800E0000, 128 * KIB),
        "kernel RAM": (0x81000000, 128 * KIB),
        "DMA SRAM": (0x81020000, 320 * KIB),
        "PSRAM": (0x81800000, 8 * MIB),
    }
    for name, (start, length) in expected.items():
        m = re.search(rf"^  {name:<12}  0x([0-9a-f]{{8}})\s+(\S+ \S+)\s+(\S+ \S+|-)\s+\S", out, re.M)
        assert m, f"no memory map row for {name}"
        assert int(m.group(1), 16) == start, name
        assert size(m.group(2)) == length, name
        if m.group(3) != "-":
            assert 0 <= size(m.group(3)) <= length, f"{name} uses more than its budget"
    assert size(re.search(r"kernel flash  0x\S+\s+\S+ \S+\s+(\S+ \S+)", out).group(1)) > 16 * KIB


def test_app_runs_from_psram(twin, layout):
    m = twin.expect(r"sysinfo: hello; memory starts at (0x[0-9a-f]+), stack variable at (0x[0-9a-f]+)\r?\n",
                    since_boot=True)
    start, var = int(m.group(1), 16), int(m.group(2), 16)
    slot = next(a for a in layout["apps"] if a["name"] == "sysinfo")
    assert PSRAM[0] <= start < PSRAM[1]
    assert PSRAM[0] <= var < PSRAM[1], f"stack variable {var:#x} is outside PSRAM"
    assert slot["ram"] <= var < slot["ram"] + slot["ram_size"], "stack variable outside the app's PSRAM slot"
    assert start == slot["ram"], "process memory does not start at its fixed PSRAM address"
    row = re.search(r"^  sysinfo\s+flash (0x\S+)\s.*memory (0x\S+)\s.*\(in PSRAM: (\w+)\)", twin.output, re.M)
    assert row and row.group(3) == "yes"
    assert int(row.group(1), 16) == slot["flash"]


def test_led_changes_are_logged(twin):
    twin.mark()
    first = twin.expect(r"led: green (on|off)", timeout=10).group(1)
    second = twin.expect(r"led: green (on|off)", timeout=10).group(1)
    assert first != second


def test_block_device_reads_sector0_of_the_image(twin):
    with open(twin.disk, "rb") as fh:
        sector0 = fh.read(512)
        fh.seek(0, 2)
        sectors = fh.tell() // 512
    m = re.search(r"blk: block device, (\d+) sectors of 512 B", twin.output)
    assert m and int(m.group(1)) == sectors
    m = twin.expect(r"blk: sector 0 crc32 ([0-9a-f]{8}), first bytes \[([0-9a-f, ]+)\]", since_boot=True)
    assert int(m.group(1), 16) == zlib.crc32(sector0)
    assert bytes(int(b, 16) for b in m.group(2).split(b", ")) == sector0[:16]


def test_faulting_app_is_restarted_and_kernel_keeps_running(twin):
    twin.command("fault sysinfo", r"fault: process sysinfo faulted; restarting it \(restart #1\)")
    twin.expect(r"sysinfo: hello; memory starts at", timeout=10)
    twin.expect(r"led: green (on|off)", timeout=10)
    m = twin.command("list", r"sysinfo\s+\d+\s+\d+\s+(\d+)\s+\d+/\s*\d+\s+(\w+)\r?\n")
    assert m.group(1) == b"1", "restart count"
    assert m.group(2) in (b"Running", b"Yielded")
    assert twin.alive()
