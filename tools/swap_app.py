#!/usr/bin/env python3
"""Installs an app into the twin's flash image with tockloader, as one
would on the board, and proves the kernel was not touched.

  swap_app.py --flash FLASH --tab APP.tab [--tockloader PATH]

Hashes the kernel region (the first 256 KiB) before and after `tockloader
install`, fails if it changed, and prints `tockloader list` afterwards.
tockloader replaces an installed app of the same name; the new TBF goes to
the fixed address it was linked for (its slot in apps/layout.toml).
"""
import argparse
import hashlib
import os
import subprocess
import sys

KERNEL_SIZE = 256 << 10
APP_ADDRESS = 0x80040000
# tockloader's qemu_rv32_virt board: a flash file that starts at 0x80000000.
BOARD = "qemu_rv32_virt"


def tockloader_args(flash):
    return ["--flash-file", flash, "--board", BOARD, "--app-address", f"{APP_ADDRESS:#x}"]


def kernel_hash(flash):
    with open(flash, "rb") as fh:
        return hashlib.sha256(fh.read(KERNEL_SIZE)).hexdigest()


def install(tockloader, flash, tab):
    """Installs `tab`; returns (kernel hash before, after, `list` output)."""
    if not os.path.exists(flash):
        sys.exit(f"swap_app: {flash} does not exist (tockloader would create an empty one)")
    before = kernel_hash(flash)
    subprocess.run([tockloader, "install"] + tockloader_args(flash) + [tab], check=True,
                   stdin=subprocess.DEVNULL)
    after = kernel_hash(flash)
    listing = subprocess.run([tockloader, "list", "--verbose"] + tockloader_args(flash), check=True,
                             capture_output=True, text=True, stdin=subprocess.DEVNULL).stdout
    return before, after, listing


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flash", required=True)
    ap.add_argument("--tab", required=True)
    ap.add_argument("--tockloader", default="tockloader")
    args = ap.parse_args()
    before, after, listing = install(args.tockloader, args.flash, args.tab)
    print(listing)
    print(f"kernel region sha256 before: {before}")
    print(f"kernel region sha256 after:  {after}")
    if before != after:
        sys.exit("swap_app: the kernel region changed")
    print(f"kernel unchanged; {os.path.basename(args.tab)} installed into {args.flash}. Boot it with `make run`.")


if __name__ == "__main__":
    main()
