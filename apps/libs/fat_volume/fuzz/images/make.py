#!/usr/bin/env python3
# Licensed under the Apache License, Version 2.0 or the MIT License.
# SPDX-License-Identifier: Apache-2.0 OR MIT
"""Builds the fuzzer's base images with mkfs.fat and mtools, stored sparse.

Real FAT32 needs 65525+ clusters (33 MiB with 512-byte clusters), almost all
zeros: a `.simg` keeps only the non-zero sectors. Format: b"FATSPARS",
u64 LE sector count, then (u32 LE sector number, 512 bytes) per sector.
Run from anywhere; rewrites the `.simg` files beside this script.
"""
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1", LC_ALL="C.UTF-8")


def run(*args):
    subprocess.run(args, check=True, env=ENV, stdout=subprocess.DEVNULL)


def pattern(n, seed):
    x = (seed * 2654435761) & 0xFFFFFFFF | 1
    out = bytearray(n)
    for i in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i] = x & 0xFF
    return bytes(out)


def put(img, path, data, tmp):
    src = os.path.join(tmp, "src")
    with open(src, "wb") as f:
        f.write(data)
    run("mcopy", "-i", img, src, "::" + path)


def populate(img, tmp, many):
    """Directories, long and Unicode names, files of several clusters, a deleted one."""
    for d in ["/www", "/docs", "/docs/deep", "/docs/deep/er", "/config", "/many"]:
        run("mmd", "-i", img, "::" + d)
    put(img, "/www/index.html", b"<h1>twin</h1>\n", tmp)
    put(img, "/www/app.js", pattern(3000, 1), tmp)
    put(img, "/docs/A long file name with spaces.txt", pattern(2100, 2), tmp)
    put(img, "/docs/Straße.txt", b"unicode\n", tmp)
    put(img, "/docs/deep/er/file.bin", pattern(5000, 3), tmp)
    put(img, "/docs/empty", b"", tmp)
    put(img, "/config/ftp.cfg", b"user=user\npass=pass\n", tmp)
    put(img, "/gone.txt", pattern(1500, 4), tmp)
    run("mdel", "-i", img, "::/gone.txt")
    for i in range(many):
        put(img, "/many/entry number %02d.dat" % i, pattern(100 + 37 * i, 10 + i), tmp)


def sparse(img, out):
    with open(img, "rb") as f:
        data = f.read()
    sectors = len(data) // 512
    with open(out, "wb") as f:
        f.write(b"FATSPARS" + struct.pack("<Q", sectors))
        for s in range(sectors):
            chunk = data[s * 512:(s + 1) * 512]
            if chunk.count(0) != 512:
                f.write(struct.pack("<I", s) + chunk)


def main():
    # name, MiB, mkfs.fat arguments, files in /many
    images = [
        ("fat32", 34, ["-F", "32", "-s", "1", "-n", "FUZZ32", "-i", "46555a32"], 40),
        ("fat16", 8, ["-F", "16", "-s", "1", "-n", "FUZZ16", "-i", "46555a16"], 20),
        ("fat12", 1, ["-F", "12", "-s", "2", "-n", "FUZZ12", "-i", "46555a12"], 12),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, mib, args, many in images:
            img = os.path.join(tmp, name + ".img")
            with open(img, "wb") as f:
                f.truncate(mib << 20)
            run("mkfs.fat", *args, img)
            populate(img, tmp, many)
            subprocess.run(["fsck.fat", "-n", img], check=True, stdout=subprocess.DEVNULL)
            sparse(img, os.path.join(HERE, name + ".simg"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
