"""The NUCLEO-H723ZG build, checked without a board: the kernel fits its
flash sectors and its RAM, the flash image holds the product apps at their
slots, and tockloader swaps the telemetry app in a dump of that flash,
taking the Cortex-M7 build for the board's addresses out of the one .tab
(the kernel sectors untouched). Nothing here runs the board's code: the
Cortex-M7 twin tests (test_m7.py) run the Arm builds."""
import json
import os
import re
import shutil
import subprocess
import sys

from twin import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))
import swap_app  # noqa: E402
from memory_report import llvm_tool  # noqa: E402

NUCLEO = os.path.join(ROOT, "build", "nucleo_h723zg")
TOCKLOADER = os.path.join(ROOT, "build", "venv", "bin", "tockloader")
KIB = 1024


def symbols(elf):
    out = subprocess.check_output([llvm_tool("llvm-nm"), elf], text=True)
    return {p[2]: int(p[0], 16) for p in (l.split() for l in out.splitlines()) if len(p) == 3}


def test_kernel_fits_sectors_0_1_dtcm_and_axi_sram():
    s = symbols(os.path.join(NUCLEO, "kernel.elf"))
    assert 0x0800_0000 <= s["_stext"] < 0x0804_0000
    flash_end = s["_etext"] + (s["_erelocate"] - s["_srelocate"])
    assert flash_end <= 0x0804_0000, f"kernel flash ends at {flash_end:#x}"
    assert 0x2000_0000 <= s["_sstack"] and s["_ezero"] <= 0x2002_0000, "kernel RAM outside DTCM"
    assert 0x2400_0000 <= s["_sdma"] and s["_edma"] == 0x2405_0000
    assert (s["_sapps"], s["_eapps"]) == (0x0804_0000, 0x080E_0000)
    assert (s["_spsram"], s["_epsram"]) == (0x9000_0000, 0x9080_0000)


def listing(flash):
    out = subprocess.run([TOCKLOADER, "list", "--verbose"] + swap_app.tockloader_args(flash, "nucleo_h723zg"),
                         capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def apps_in(text):
    """{name: (version, address)} from `tockloader list --verbose`."""
    found = {}
    for block in text.split("┌")[1:] if "┌" in text else re.split(r"\n(?=\s*Name:)", text):
        name = re.search(r"Name:\s+(\S+)", block)
        version = re.search(r"Version:\s+(\d+)", block)
        addr = re.search(r"Address in Flash:\s+(0x[0-9a-fA-F]+)", block)
        if name and version:
            found[name.group(1)] = (int(version.group(1)), int(addr.group(1), 16) if addr else None)
    return found


def test_image_holds_the_product_apps_and_tockloader_swaps_telemetry(tmp_path):
    with open(os.path.join(NUCLEO, "layout.json")) as fh:
        layout = json.load(fh)
    slots = {a["name"]: a for a in layout["apps"] if a["image"] in (None, "product")}
    flash = str(tmp_path / "flash.bin")
    shutil.copyfile(os.path.join(NUCLEO, "flash.bin"), flash)
    assert os.path.getsize(flash) == 1 << 20, "the H723ZG has 1 MiB of flash"
    apps = apps_in(listing(flash))
    assert {n: v for n, (v, _) in apps.items()} == {n: 1 for n in slots}, apps
    for name, (_, addr) in apps.items():
        if addr is not None:
            assert addr == slots[name]["flash"], (name, hex(addr))

    tab = os.path.join(ROOT, "build", "tab", "telemetry-v2.tab")
    before, after, text = swap_app.install(TOCKLOADER, flash, tab, "nucleo_h723zg")
    assert before == after, "tockloader touched the kernel sectors"
    swapped = apps_in(text)
    assert {n: v for n, (v, _) in swapped.items()} == dict({n: 1 for n in slots}, telemetry=2), swapped
    # The bytes at telemetry's slot are the Cortex-M7 build for this board.
    with open(os.path.join(NUCLEO, "elf", "telemetry-v2.cortex-m7.tbf"), "rb") as fh:
        tbf = fh.read()
    with open(flash, "rb") as fh:
        fh.seek(slots["telemetry"]["flash"] - 0x0800_0000)
        assert fh.read(len(tbf)) == tbf
    # The settings sector (7) stays erased, but for the few bytes tockloader
    # "clears" after the last app to end the app list: app flash is full,
    # so they land at the sector's start (a flash file gets one 0x00; on the
    # board it writes 8 bytes of 0xFF, rewriting sector 7: docs/hardware.md).
    with open(flash, "rb") as fh:
        fh.seek(0xE0000 + 8)
        assert fh.read() == b"\xff" * (128 * KIB - 8)
