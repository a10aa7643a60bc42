"""`make memory-report`: its link-map figures agree with what the running
twin reports, region by region."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_memory_report_matches_the_running_twin():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "memory_report.py"), "--json"],
                         capture_output=True, timeout=180, check=True)
    r = json.loads(out.stdout)
    lm, regions = r["link_map"], r["regions"]
    assert regions["kernel flash"]["api_used"] == lm["kernel flash used"]
    assert regions["kernel RAM"]["api_used"] == lm["kernel RAM used"]
    assert regions["app flash"]["api_used"] == lm["app flash used"]
    assert lm["DMA statics"] <= regions["DMA SRAM"]["api_used"] <= regions["DMA SRAM"]["size"]
    for name, reg in regions.items():
        assert reg["api_size"] == reg["size"], name
        assert reg["boot"] and reg["boot"]["start"] == reg["start"], name
        assert reg["boot"]["size"] == reg["size"], name
    for b in (regions["kernel flash"], regions["kernel RAM"]):
        # The boot log prints sizes to a tenth of a KiB.
        assert abs(b["boot"]["boot used"] - b["api_used"]) <= 52
    budgets = {"kernel flash": 256 << 10, "app flash": 640 << 10, "settings": 128 << 10,
               "kernel RAM": 128 << 10, "DMA SRAM": 320 << 10, "PSRAM": 8 << 20}
    assert {k: v["size"] for k, v in regions.items()} == budgets
    for name, p in r["processes"].items():
        assert p["layout"], f"{name} has no slot in apps/layout.toml"
        assert p["memory"]["size"] <= p["layout"]["psram_slot"]
        assert p["flash"]["size"] <= p["layout"]["flash_slot"]


def test_memory_report_shows_the_nucleo_internal_sram():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "memory_report.py"), "--json"],
                         capture_output=True, timeout=180, check=True)
    n = json.loads(out.stdout)["nucleo_h723zg"]
    assert {k: v["size"] for k, v in n["regions"].items()} == {
        "kernel flash": 256 << 10, "app flash": 640 << 10, "settings": 128 << 10,
        "kernel RAM": 128 << 10, "DMA SRAM": 320 << 10, "PSRAM": 8 << 20}
    assert 0 < n["kernel flash"]["used"] <= n["kernel flash"]["size"]
    assert n["DTCM"]["stack"] + n["DTCM"]["data+bss"] == n["DTCM"]["used"] <= 128 << 10
    # The original firmware's network pools alone took ~151 KiB of AXI SRAM.
    assert n["AXI SRAM"]["used"] < 151 << 10
