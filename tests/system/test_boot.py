"""Boot of the twin: memory map, an app running from PSRAM, the block
device, and restart of a faulting app while the kernel keeps running."""
import re
import time
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


def counters(twin):
    """Each process's used-up timeslices and syscalls, from `list`."""
    table = twin.command("list", r"Quanta[\s\S]*?\ntock\$ ").group(0)
    rows = re.findall(rb"^ \d+\s+\S+\s+(\w+)\s+(\d+)\s+(\d+)\s", table, re.M)
    return {name.decode(): (int(q), int(sc)) for name, q, sc in rows}


# The test image's impostor polls the storage service's name every
# millisecond on purpose (to hit the gap while storage restarts).
POLLERS = {"impostor"}


def test_idle_apps_do_not_spin(twin):
    twin.expect(r"psramspy: restarted 1 times", since_boot=True, timeout=30)
    twin.expect(r"ipcprobe: watching psramtest", since_boot=True, timeout=60)
    twin.expect(r"ftp: serving on", since_boot=True, timeout=60)
    assert_idle(twin, {"psramspy", "ipcprobe"})


def assert_idle(twin, expected):
    """An idle app waits in yield. One that spins uses up whole timeslices,
    or (woken by its own traffic) makes syscalls nonstop: either starves
    the others and burns the host's CPU."""
    time.sleep(2)  # start-up work (zeroing socket buffers) is done
    before = counters(twin)
    time.sleep(4)
    after = counters(twin)
    assert before.keys() == after.keys() and expected <= before.keys(), (before, after)
    for n in POLLERS:
        before.pop(n, None)
        after.pop(n, None)
    # A spinner uses up ~100 timeslices of 10 ms a second. An idle app can
    # lose a few too: the twin's timer runs on host time, so a host busy
    # elsewhere can stall the emulated CPU mid-run.
    spinning = {n: after[n][0] - before[n][0] for n in after if after[n][0] - before[n][0] > 40}
    assert not spinning, f"apps using whole timeslices while idle: {spinning}"
    # Idle apps still wake for timers (heartbeat, TCP, sweeps): tens per
    # second. A spinning one makes thousands.
    busy = {n: (after[n][1] - before[n][1]) / 4 for n in after if after[n][1] - before[n][1] > 4 * 200}
    assert not busy, f"apps making syscalls nonstop while idle (per second): {busy}"


def test_faulting_app_is_restarted_and_kernel_keeps_running(twin):
    twin.command("fault sysinfo", r"fault: process sysinfo faulted; restarting it \(restart #1\)")
    twin.expect(r"sysinfo: hello; memory starts at", timeout=10)
    twin.expect(r"led: green (on|off)", timeout=10)
    m = twin.command("list", r"sysinfo\s+\d+\s+\d+\s+(\d+)\s+\d+/\s*\d+\s+(\w+)\r?\n")
    assert m.group(1) == b"1", "restart count"
    assert m.group(2) in (b"Running", b"Yielded")
    assert twin.alive()


def test_crash_loop_is_stopped_and_can_be_booted_again(twin):
    # 19 more faults within the 10 s window (one happened above): stopped.
    for i in range(2, 20):
        twin.command("fault sysinfo", rf"restarting it \(restart #{i}\)")
    twin.command("fault sysinfo", r"fault: process sysinfo faulted 20 times in 10 s: stopped")
    m = twin.command("list", r"sysinfo\s+\d+\s+\d+\s+\d+\s+\d+/\s*\d+\s+(\w+)\r?\n")
    assert m.group(1).startswith(b"Stopped") or m.group(1).startswith(b"Faulted"), m.group(0)
    twin.command("terminate sysinfo", r"tock\$ ")
    twin.command("boot sysinfo", r"sysinfo: hello; memory starts at", timeout=10)
    twin.expect(r"led: green (on|off)", timeout=10)
