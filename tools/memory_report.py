#!/usr/bin/env python3
"""`make memory-report`: every region of every board in the repository,
its size and use, from the link map (kernel ELF symbols, app layout) and
from the running board (its boot report and status API), side by side with
the firmware this project replaces (HARDWARE.md section 1).

  memory_report.py [--json]

Boards: boards/qemu_twin (link map and the running twin) and
boards/nucleo_h723zg (link map only: its internal SRAM, DTCM and AXI, next
to the original firmware's; nothing here was measured on hardware).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))

KIB = 1024

# The replaced firmware, from HARDWARE.md section 1 (its own figures).
ORIGINAL = {
    "kernel flash": "FLASH 0x08000000 896 KiB: application code (kernel and services in one image)",
    "app flash": "(none: one monolithic image)",
    "settings": "FW_DATA 0x080E0000 128 KiB: 64 B of settings",
    "kernel RAM": "DTCM 0x20000000 128 KiB: .data, .bss (FileX sector cache control ~24 KiB), heap, MSP",
    "DMA SRAM": "AXI SRAM 0x24000000 320 KiB: ~151 KiB (ETH pool ~93-96 KiB, HTTP 30 KiB, WS 20 KiB, descriptors 1 KiB)",
    "PSRAM": "0x90000000 8 MiB: 3 x 500 KiB RTOS byte pools (~33 KiB used), FTP pool 100 KiB, 2.5 MiB perf buffer",
}


def llvm_tool(name):
    sysroot = subprocess.check_output(["rustc", "--print", "sysroot"], cwd=ROOT, text=True).strip()
    host = [l.split(": ")[1] for l in subprocess.check_output(["rustc", "-vV"], cwd=ROOT, text=True).splitlines()
            if l.startswith("host")][0]
    return os.path.join(sysroot, "lib", "rustlib", host, "bin", name)


def link_map(elf):
    """Kernel figures from the ELF's linker symbols."""
    out = subprocess.check_output([llvm_tool("llvm-nm"), elf], text=True)
    sym = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            sym[parts[2]] = int(parts[0], 16)
    span = lambda a, b: sym[b] - sym[a]
    return {
        "kernel flash used": span("_stext", "_etext") + span("_srelocate", "_erelocate") + span("_sattributes", "_eattributes"),
        "kernel RAM used": span("_sstack", "_estack") + span("_srelocate", "_erelocate") + span("_szero", "_ezero"),
        "kernel stack": span("_sstack", "_estack"),
        "kernel data+bss": span("_srelocate", "_erelocate") + span("_szero", "_ezero"),
        "DMA statics": span("_sdma", "_sdma_free"),
        "regions": {
            "kernel flash": (sym["_sflash"], sym["_sapps"] - sym["_sflash"]),
            "app flash": (sym["_sapps"], sym["_eapps"] - sym["_sapps"]),
            "settings": (sym["_ssettings"], sym["_esettings"] - sym["_ssettings"]),
            "kernel RAM": (sym["_skram"], sym["_ekram"] - sym["_skram"]),
            "DMA SRAM": (sym["_sdma"], sym["_edma"] - sym["_sdma"]),
            "PSRAM": (sym["_spsram"], sym["_epsram"] - sym["_spsram"]),
        },
    }


UNITS = {"B": 1, "KiB": KIB, "MiB": KIB * KIB}


def size(text):
    num, unit = text.split()
    return round(float(num) * UNITS[unit])


def live(build):
    """Figures the running twin reports: boot map and status API."""
    from twin import Twin
    from http_client import status_json, wait_ready
    with tempfile.TemporaryDirectory() as tmp:
        t = Twin(tmp, flash="flash-product.bin")
        try:
            t.expect(r"http: serving on", timeout=60, since_boot=True)
            wait_ready(t.url("/api/status"))
            status = status_json(t.url("/api/status"))
            boot = t.output
        finally:
            t.close()
    rows = {}
    for m in re.finditer(r"^  (kernel flash|app flash|settings|kernel RAM|DMA SRAM|PSRAM)\s+0x([0-9a-f]{8})\s+(\S+ \S+)\s+(\S+ \S+|-)",
                         boot, re.M):
        rows[m.group(1)] = {"start": int(m.group(2), 16), "size": size(m.group(3)),
                            "boot used": None if m.group(4) == "-" else size(m.group(4))}
    dma = re.search(r"DMA SRAM: rings (.+?), network (.+?) \(.*?\), block (.+?) \(.*?\), rng (.+?)\r?\n", boot)
    return rows, status, dma


# The original firmware's internal SRAM (HARDWARE.md section 1, its figures).
ORIGINAL_SRAM = {
    "DTCM": ("0x20000000 128 KiB", ".data, .bss (FileX sector-cache control ~24 KiB), heap, 1 KiB+ MSP"),
    "AXI SRAM": ("0x24000000 320 KiB", "~151 KiB: ETH packet pool ~93-96 KiB, HTTP pool 30 KiB, "
                 "WS pool 20 KiB, FileX/MMC 1 KiB, perf buffer 4 KiB, descriptors 1 KiB"),
    "SRAM1-4, ITCM": ("0x30000000.., 0x38000000, 0x0", "unused"),
}


def nucleo(build):
    """The NUCLEO-H723ZG's figures from its kernel's link map."""
    lm = link_map(os.path.join(build, "kernel.elf"))
    r = lm["regions"]
    return {
        "kernel flash": {"size": r["kernel flash"][1], "used": lm["kernel flash used"]},
        "DTCM": {"size": r["kernel RAM"][1], "used": lm["kernel RAM used"],
                 "stack": lm["kernel stack"], "data+bss": lm["kernel data+bss"]},
        "AXI SRAM": {"size": r["DMA SRAM"][1], "used": lm["DMA statics"]},
        "PSRAM": {"size": r["PSRAM"][1]},
        "regions": {k: {"start": v[0], "size": v[1]} for k, v in r.items()},
    }


def main():
    as_json = "--json" in sys.argv
    build = os.path.join(ROOT, "build", "qemu_twin")
    with open(os.path.join(build, "layout.json")) as fh:
        layout = json.load(fh)
    lm = link_map(os.path.join(build, "kernel.elf"))
    rows, status, dma = live(build)
    api = {r["name"]: r for r in status["memory"]}
    lm["app flash used"] = sum(a["tbf_size"] for a in layout["apps"] if not a["test"])
    report = {"board": "qemu_twin", "link_map": {k: v for k, v in lm.items() if k != "regions"},
              "regions": {}, "processes": {}, "dma": dma.groups() if dma else None}
    for name, (start, length) in lm["regions"].items():
        report["regions"][name] = {"start": start, "size": length, "boot": rows.get(name), "api_used": api[name]["used"],
                                   "api_size": api[name]["size"]}
    for p in status["processes"]:
        slot = next((a for a in layout["apps"] if a["name"] == p["name"]), None)
        report["processes"][p["name"]] = {"memory": p["memory"], "flash": p["flash"],
                                          "layout": {"flash_slot": slot["flash_size"], "psram_slot": slot["ram_size"]} if slot else None}
    report["nucleo_h723zg"] = nucleo(os.path.join(ROOT, "build", "nucleo_h723zg"))
    if as_json:
        print(json.dumps(report, indent=1))
        return
    kib = lambda b: f"{b / KIB:.1f} KiB" if b < KIB * KIB else f"{b / KIB / KIB:.1f} MiB"
    print("Memory report: qemu_twin (same budgets as the NUCLEO-H723ZG; the real board is not in the repository yet)\n")
    print(f"{'region':<13} {'base':<11} {'size':>9} {'used (link)':>12} {'used (live)':>12}   original firmware")
    link_used = {"kernel flash": lm["kernel flash used"], "kernel RAM": lm["kernel RAM used"],
                 "DMA SRAM": lm["DMA statics"], "app flash": lm["app flash used"]}
    for name, r in report["regions"].items():
        lu = link_used.get(name)
        print(f"{name:<13} {r['start']:#010x} {kib(r['size']):>9} {kib(lu) if lu is not None else '-':>12} "
              f"{kib(r['api_used']):>12}   {ORIGINAL[name]}")
    print()
    print(f"kernel RAM (link map): stack {kib(lm['kernel stack'])}, data+bss {kib(lm['kernel data+bss'])}")
    if dma:
        print(f"DMA SRAM (live): rings {dma.group(1)}, network {dma.group(2)}, block {dma.group(3)}, rng {dma.group(4)}"
              f" (link map: statics {kib(lm['DMA statics'])}; the rest is carved at boot)")
    print("\nprocesses (PSRAM):")
    for name, p in report["processes"].items():
        m = p["memory"]
        slot = p["layout"]
        print(f"  {name:<10} block {kib(m['size']):>10} of slot {kib(slot['psram_slot']) if slot else '?':>10}; "
              f"app {kib(m['app'])}, kernel-held {kib(m['kernel'])}, PSRAM grants {kib(m['psram_grant_bytes'])}; "
              f"flash {kib(p['flash']['size'])} of slot {kib(slot['flash_slot']) if slot else '?'}")

    n = report["nucleo_h723zg"]
    print("\nNUCLEO-H723ZG internal SRAM (link map of boards/nucleo_h723zg; not measured on hardware)\n")
    print(f"{'memory':<14} {'size':>9} {'this kernel':>12}   original firmware")
    print(f"{'DTCM':<14} {kib(n['DTCM']['size']):>9} {kib(n['DTCM']['used']):>12}   {ORIGINAL_SRAM['DTCM'][1]}")
    print(f"{'':<14} {'':>9} {'':>12}   (this kernel: stack {kib(n['DTCM']['stack'])}, data+bss {kib(n['DTCM']['data+bss'])})")
    print(f"{'AXI SRAM':<14} {kib(n['AXI SRAM']['size']):>9} {kib(n['AXI SRAM']['used']):>12}   {ORIGINAL_SRAM['AXI SRAM'][1]}")
    print(f"{'SRAM1-4, ITCM':<14} {'':>9} {'unused':>12}   {ORIGINAL_SRAM['SRAM1-4, ITCM'][1]}")
    print(f"{'kernel flash':<14} {kib(n['kernel flash']['size']):>9} {kib(n['kernel flash']['used']):>12}   "
          f"{ORIGINAL['kernel flash']}")
    print("(AXI SRAM: the board's DMA buffers are all link-time statics, so this is all it uses; process "
          "memory and network queues are in PSRAM)")


if __name__ == "__main__":
    main()
