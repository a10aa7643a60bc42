# Licensed under the Apache License, Version 2.0 or the MIT License.
# SPDX-License-Identifier: Apache-2.0 OR MIT
"""A volume the storage service keeps dying on does not take the file
service down: after 3 deaths inside volume code in a row the service leaves
the volume alone and reports it faulty (console, HTTP /api/status, FTP
errors) instead of crash-looping until the kernel stops it; deaths while it
is idle do not count; a reboot with a replaced volume brings it back.

No volume found by fuzzing still makes the volume code fault (those bugs are
fixed), so the deaths are console faults landed while the service is inside
volume code for certain: mounting a large volume left dirty, whose free
clusters it must count (several seconds on the twin), and which it never
gets to finish. The kernel side (the restart note) and what the service
does after a death are the same whatever killed it."""
import hashlib
import os
import subprocess

from ftp_helpers import get, login, put, sendcmd_code
from http_client import curl, status_json, wait_ready
from twin import Twin, free_port_range, set_passive_ports

FAULTY = "faulty: the service restarted 3 times in a row while using this volume"
ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1")


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def dirty_large_image(tmp, passive):
    """512 MiB of one-sector clusters (a million FAT entries to count),
    marked dirty as a crash leaves it, with a site and an FTP login."""
    img = os.path.join(tmp, "dirty.img")
    with open(img, "wb") as fh:
        fh.truncate(512 << 20)
    subprocess.run(["mkfs.fat", "-F", "32", "-s", "1", "-n", "DIRTY", img], check=True, capture_output=True)
    files = {"/www/index.html": b"<h1>on the dirty volume</h1>\n", "/config/ftp.cfg": b"user = user\npass = pass\n"}
    for d in ("/www", "/config"):
        subprocess.run(["mmd", "-i", img, f"::{d}"], check=True, capture_output=True, env=ENV)
    for i, (path, data) in enumerate(files.items()):
        src = os.path.join(tmp, f"src{i}")
        with open(src, "wb") as fh:
            fh.write(data)
        subprocess.run(["mcopy", "-i", img, src, f"::{path}"], check=True, capture_output=True, env=ENV)
    assert set_passive_ports(img, passive)
    with open(img, "r+b") as fh:
        fh.seek(0x41)                 # FAT32 BPB status byte: bit 0 "dirty"
        flags = fh.read(1)[0]
        fh.seek(0x41)
        fh.write(bytes([flags | 1]))
    return img


def test_a_volume_the_service_dies_on_is_reported_faulty_not_crash_looped(tmp_path):
    passive = free_port_range()
    image = dirty_large_image(str(tmp_path), passive)
    before = digest(image)
    t = Twin(str(tmp_path), disk_image=image, guest_ports=(80, 21), passive=passive)
    try:
        t.expect(r"tock\$ ", timeout=60)
        # Each instance dies while it counts the free clusters of the mount
        # (its line is printed with the note already saying "inside").
        t.expect(r"storage: mounting the volume\r?\n", timeout=60, since_boot=True)
        for restart in range(1, 4):
            t.command("fault storage", rf"fault: process storage faulted; restarting it \(restart #{restart}\)")
            assert "storage: mounted" not in t.output, "the mount ended before the fault: no death inside"
            if restart < 3:
                t.expect(rf"storage: mounting the volume \(died inside volume code {restart} of 3 times in a row\)",
                         timeout=30)
        m = t.expect(r"storage: volume NOT mounted: (.*?); the service leaves it alone", timeout=30)
        assert m.group(1).decode() == FAULTY
        # Not a crash loop: the service stays up and answers with clear errors.
        assert "faulted 20 times" not in t.output
        code, _, body = wait_ready(t.url("/"))
        assert code == 200 and b"NUCLEO-MEM" in body, "the built-in page stands in for the site"
        volume = status_json(t.url("/api/status"))["volume"]
        assert volume == {"mounted": False, "detail": FAULTY, "total_bytes": None, "free_bytes": None}
        # FTP starts once storage answers; it cannot read its settings from a
        # faulty volume, so it prints a password valid for this boot only.
        t.expect(r"ftp: serving on", timeout=60, since_boot=True)
        user, password = t.ftp_credentials()
        assert "for this boot only" in t.output
        ftp = login(t.ports[21], user, password)
        for line in ("SIZE /www/index.html", "MKD /new", "DELE /www/index.html"):
            code, text = sendcmd_code(ftp, line)
            assert 400 <= code < 600, (line, text)
        ftp.quit()
        # A death outside volume code (the faulty service is idle) keeps the verdict.
        t.command("fault storage", r"fault: process storage faulted; restarting it \(restart #4\)")
        t.expect(rf"storage: volume NOT mounted: {FAULTY}", timeout=30)
        assert "storage: mounted" not in t.output
        assert t.alive()
    finally:
        t.close()
    assert digest(t.disk) == before, "the service wrote to a volume it calls faulty"


def test_after_a_reboot_with_a_replaced_volume_the_service_is_back(tmp_path):
    """The restart notes live in kernel RAM: a reboot forgets the verdict,
    and idle deaths never make one."""
    t = Twin(str(tmp_path), guest_ports=(80, 21))
    try:
        t.expect(r"storage: mounted FAT volume", timeout=60, since_boot=True)
        for restart in range(1, 5):
            t.command("fault storage", rf"restarting it \(restart #{restart}\)")
            t.expect(r"storage: mounted FAT volume", timeout=30)
        ftp = login(t.ports[21], *t.ftp_credentials())
        data = os.urandom(100_000)
        put(ftp, "/back.bin", data)
        assert get(ftp, "/back.bin") == data
        ftp.quit()
        code, _, _ = curl(t.url("/index.html"))
        assert code == 200
    finally:
        t.close()
