"""Replacing the telemetry app with tockloader while the kernel stays
byte-identical: the flash image is edited as a board's flash would be,
then booted, and the new field reaches a WebSocket client."""
import json
import os
import re
import shutil
import subprocess

from twin import BUILD, ROOT, Twin

TOCKLOADER = os.path.join(ROOT, "build", "venv", "bin", "tockloader")
sys_path = os.path.join(ROOT, "tools")
import sys  # noqa: E402
sys.path.insert(0, sys_path)
import swap_app  # noqa: E402


def tockloader(*args, flash):
    out = subprocess.run([TOCKLOADER, *args, *swap_app.tockloader_args(flash)], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout + out.stderr


def versions(listing):
    """{app name: version} from `tockloader list --verbose`."""
    return {n: int(v) for n, v in re.findall(r"Name:\s+(\S+)\s+Version:\s+(\d+)", listing)}


def sample_fields(twin):
    from websockets.sync.client import connect
    with connect(f"ws://127.0.0.1:{twin.ports[8080]}/", open_timeout=10) as ws:
        while True:
            msg = json.loads(ws.recv(timeout=10))
            if msg["type"] == "telemetry":
                return msg["data"]


def test_swap_telemetry_with_tockloader(tmp_path):
    flash = str(tmp_path / "flash.bin")
    shutil.copyfile(os.path.join(BUILD, "flash-product.bin"), flash)
    apps = versions(tockloader("list", "--verbose", flash=flash))
    assert apps == {"http": 1, "ftp": 1, "storage": 1, "sysinfo": 1, "telemetry": 1, "websocket": 1}, apps

    # The tab users get: every board's build; tockloader takes the twin's.
    v2 = os.path.join(ROOT, "build", "tab", "telemetry-v2.tab")
    before, after, listing = swap_app.install(TOCKLOADER, flash, v2)
    assert before == after, "the kernel region changed"
    # tockloader shows the new version of telemetry and left the others.
    assert versions(listing) == dict(apps, telemetry=2), listing
    with open(flash, "rb") as fh, open(os.path.join(BUILD, "flash-product.bin"), "rb") as orig:
        new, old = fh.read(), orig.read()
    assert new[:256 << 10] == old[:256 << 10]
    assert new != old

    twin = Twin(str(tmp_path), flash=flash, guest_ports=(80, 8080))
    try:
        twin.expect(r"telemetry: publishing as `telemetry`", timeout=60)
        twin.expect(r"websocket: serving on ", timeout=60, since_boot=True)
        data = sample_fields(twin)
        assert "restartsTotal" in data and isinstance(data["restartsTotal"], int), data
        assert {"junctionTemp", "uptime", "randomFloat", "randomInt"} <= data.keys()
    finally:
        twin.close()

    # And back: uninstall and install the first build, as a user would.
    tockloader("uninstall", "telemetry", flash=flash)
    gone = versions(tockloader("list", "--verbose", flash=flash))
    assert "telemetry" not in gone and len(gone) == 5, gone
    before, after, listing = swap_app.install(TOCKLOADER, flash, os.path.join(BUILD, "apps", "telemetry.tab"))
    assert before == after
    assert versions(listing) == apps, listing
