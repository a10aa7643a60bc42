#!/usr/bin/env python3
# Licensed under the Apache License, Version 2.0 or the MIT License.
# SPDX-License-Identifier: Apache-2.0 OR MIT
"""Power cuts: SIGKILL the twin's QEMU at random moments during FTP uploads
and overwrites, reboot the same image, and check what survived.

After each cut (rules in docs/architecture.md, "Power cuts"):
- `fsck.fat -n` must find the volume mountable. Allowed: the dirty flag,
  a stale FSInfo free count (a hint by the FAT specification), clusters
  allocated by the upload in flight and not yet in its directory entry
  (space, not data: counted as `leaked`). Anything else is `unmountable`.
- every file whose upload was answered 226 is byte-identical to what was
  sent (`damaged` otherwise);
- the file being written at the cut is its old content, absent, or a
  prefix of the new data (`in_flight_bad` otherwise);
- the next boot mounts the volume.

`make soak` runs 200 cuts and writes build/soak/results.{md,json};
tests/system/test_power_cut.py runs 5 with this module.
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import ftplib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))
from twin import BUILD, Twin, free_port_range, set_passive_ports  # noqa: E402

USER, PASSWORD = "soak", "cut-the-power"
ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1")
# fsck.fat lines that a cut may leave on a volume that is still sound.
BENIGN = [
    re.compile(r"^fsck\.fat \d"),
    re.compile(r"^Dirty bit is set"),
    # The dirty flag (boot sector offset 65) is set in sector 0 only, not in its backup.
    re.compile(r"^There are differences between boot sector and its backup\."),
    re.compile(r"^This is mostly harmless\. Differences: \(offset:original/backup\)"),
    re.compile(r"^  65:0[01]/0[01]$"),
    re.compile(r"^\s*Not automatically fixing this\."),
    re.compile(r"^\s*Automatically removing dirty bit"),
    re.compile(r"^Free cluster summary wrong"),
    # FAT 2 mirrors FAT 1 a few writes later; fsck checks and uses FAT 1.
    re.compile(r"^FATs differ but appear to be intact\."),
    re.compile(r"^\s*Using first FAT\."),
    re.compile(r"^\s*Auto-correcting\."),
    re.compile(r"^\s*$"),
    re.compile(r"^Leaving filesystem unchanged\."),
    re.compile(r"^/?\S.* \d+ files, \d+/\d+ clusters$"),
]
LEAK = [re.compile(r"^Reclaimed \d+ unused clusters")]


def mtools(*argv, **kw):
    return subprocess.run(list(argv), capture_output=True, env=ENV, timeout=60, **kw)


def read_file(image, path):
    """The file's bytes on the image, or None if it is not there."""
    out = mtools("mcopy", "-i", image, f"::{path}", "-")
    return out.stdout if out.returncode == 0 else None


def prepare_image(tmp, passive):
    """A copy of the built disk image with an explicit FTP login and `passive` ports."""
    image = os.path.join(tmp, "soak.img")
    shutil.copyfile(os.path.join(BUILD, "disk.img"), image)
    cfg = os.path.join(tmp, "ftp.cfg")
    with open(cfg, "w") as fh:
        fh.write(f"user = {USER}\npass = {PASSWORD}\npasv_address = 127.0.0.1\n")
    assert mtools("mcopy", "-o", "-i", image, cfg, "::/config/ftp.cfg").returncode == 0
    assert mtools("mmd", "-i", image, "::/soak").returncode == 0
    assert set_passive_ports(image, passive)
    return image


def fsck_verdict(image):
    """('clean' | 'leaked' | 'unmountable', fsck output)."""
    out = subprocess.run(["fsck.fat", "-n", image], capture_output=True, text=True, timeout=120)
    text = out.stdout + out.stderr
    lines = text.splitlines()
    bad = [ln for ln in lines if not any(p.match(ln) for p in BENIGN)]
    # A lost-cluster report comes with the free count it implies; nothing else may.
    leak_lines = [ln for ln in bad if any(p.match(ln) for p in LEAK)]
    other = [ln for ln in bad if ln not in leak_lines and not re.match(r"^\s*\d+ cluster", ln)]
    if other:
        return "unmountable", text
    return ("leaked" if leak_lines else "clean"), text


class Cutter:
    """A file-like source for ftplib that SIGKILLs QEMU once `at` bytes passed."""

    def __init__(self, data, at, twin):
        self.data, self.at, self.twin, self.pos = data, at, twin, 0

    def read(self, n):
        if self.at is not None and self.pos >= self.at:
            self.twin.proc.kill()
            self.at = None
            time.sleep(0.2)
        chunk = self.data[self.pos:self.pos + min(n, 16384)]
        self.pos += len(chunk)
        return chunk


def one_cut(image, rng, expected, tmp, passive):
    """Boots `image`, uploads until a random cut, kills QEMU; returns the record."""
    t = Twin(tmp, disk_image=image, guest_ports=(21,), passive=passive)
    record = {"mounted": False}
    in_flight = None
    try:
        m = t.expect(r"storage: (mounted FAT volume|volume NOT mounted[^\r\n]*)", timeout=120, since_boot=True)
        record["mounted"] = m.group(1).startswith(b"mounted")
        t.expect(r"ftp: serving on", timeout=60, since_boot=True)
        if not record["mounted"]:
            return record, t.disk
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", t.ports[21], timeout=30)
        ftp.login(USER, PASSWORD)
        ftp.voidcmd("TYPE I")
        ops = rng.randint(1, 6)
        cut_op = rng.randrange(ops)
        for i in range(ops):
            name = f"/soak/f{rng.randrange(8)}.bin"   # new files and overwrites
            data = os.urandom(rng.choice([700, 5000, 70_000, 300_000, 1_500_000]))
            # The cut lands inside this upload, or just after its 226.
            at = rng.randrange(len(data) + 1) if i == cut_op and rng.random() < 0.8 else None
            in_flight = (name, expected.get(name), data)
            try:
                ftp.storbinary(f"STOR {name}", Cutter(data, at, t), blocksize=16384)
            except ftplib.all_errors:
                break
            expected[name] = data          # answered 226
            in_flight = None
            if i == cut_op:
                # Between uploads: the cut falls while the service settles (or after).
                time.sleep(rng.uniform(0, 0.6))
                t.proc.kill()
                break
    finally:
        t.proc.kill()
        t.close()
    record["in_flight"] = in_flight
    return record, t.disk


def check(image, expected, in_flight):
    """Compares the image with what was acknowledged; updates `expected` to the disk."""
    damaged = []
    for name, data in sorted(expected.items()):
        if in_flight and name == in_flight[0]:
            continue
        got = read_file(image, name)
        if got != data:
            damaged.append({"file": name, "want": len(data), "got": None if got is None else len(got)})
    outcome = None
    if in_flight:
        name, old, new = in_flight
        got = read_file(image, name)
        if got is None:
            outcome = "absent"
        elif old is not None and got == old:
            outcome = "old"
        elif new[:len(got)] == got:
            outcome = "complete" if len(got) == len(new) else "prefix"
        else:
            outcome = "bad"
        if got is None:
            expected.pop(name, None)
        else:
            expected[name] = got
    return damaged, outcome


def soak(cuts, seed, out_dir=None, log=print):
    rng = random.Random(seed)
    work = tempfile.mkdtemp(prefix="soak-")
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
    passive = free_port_range()
    image = prepare_image(work, passive)
    expected = {}
    results = {"cuts": 0, "seed": seed, "unmountable": 0, "not_mounted_at_boot": 0, "leaked": 0,
               "damaged_closed_files": 0, "in_flight": {}, "failures": []}
    start = time.monotonic()
    try:
        for n in range(cuts):
            tmp = os.path.join(work, f"cut{n}")
            os.makedirs(tmp)
            record, disk = one_cut(image, rng, expected, tmp, passive)
            results["cuts"] += 1
            if not record["mounted"]:
                results["not_mounted_at_boot"] += 1
                results["failures"].append({"cut": n, "what": "the boot after the last cut did not mount"})
            verdict, text = fsck_verdict(disk)
            if verdict == "unmountable":
                results["unmountable"] += 1
                keep = os.path.join(out_dir or work, f"unmountable-{n}.img")
                shutil.copyfile(disk, keep)
                results["failures"].append({"cut": n, "what": "fsck", "fsck": text[-2000:], "image": keep})
            elif verdict == "leaked":
                results["leaked"] += 1
            damaged, outcome = check(disk, expected, record.get("in_flight"))
            if damaged:
                results["damaged_closed_files"] += len(damaged)
                results["failures"].append({"cut": n, "what": "damaged closed files", "files": damaged})
            if outcome:
                results["in_flight"][outcome] = results["in_flight"].get(outcome, 0) + 1
                if outcome == "bad":
                    results["failures"].append({"cut": n, "what": "file in flight is neither old, absent nor a prefix",
                                                "file": record["in_flight"][0]})
            log(f"soak: cut {n + 1}/{cuts}: fsck {verdict}, in flight {outcome or '-'}, "
                f"damaged {len(damaged)}, files {len(expected)}")
            # The next boot is the same image, as left by the cut.
            shutil.copyfile(disk, image)
            shutil.rmtree(tmp)
    finally:
        results["seconds"] = round(time.monotonic() - start, 1)
        if out_dir:
            write_results(out_dir, results)
        shutil.rmtree(work, ignore_errors=True)
    return results


def write_results(out_dir, r):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w") as fh:
        json.dump(r, fh, indent=2)
    flights = ", ".join(f"{k} {v}" for k, v in sorted(r["in_flight"].items())) or "none"
    lines = [
        "# Power-cut soak", "",
        f"QEMU killed with SIGKILL during FTP uploads and overwrites, the same image rebooted (seed {r['seed']}).", "",
        "| what | count |", "|---|---|",
        f"| cuts | {r['cuts']} |",
        f"| unmountable images (fsck.fat -n) | {r['unmountable']} |",
        f"| boots that did not mount | {r['not_mounted_at_boot']} |",
        f"| images with leaked clusters (space only) | {r['leaked']} |",
        f"| damaged closed files (answered 226) | {r['damaged_closed_files']} |",
        f"| files in flight: {flights} | {sum(r['in_flight'].values())} |",
        f"| time | {r['seconds']} s |", "",
    ]
    for f in r["failures"]:
        lines.append(f"- cut {f['cut']}: {f['what']}: {json.dumps({k: v for k, v in f.items() if k not in ('cut', 'what')})[:500]}")
    with open(os.path.join(out_dir, "results.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cuts", type=int, default=200)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "soak"))
    a = ap.parse_args()
    r = soak(a.cuts, a.seed, a.out)
    print(open(os.path.join(a.out, "results.md")).read())
    bad = r["unmountable"] + r["damaged_closed_files"] + r["not_mounted_at_boot"] + r["in_flight"].get("bad", 0)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
