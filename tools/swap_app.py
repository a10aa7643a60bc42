#!/usr/bin/env python3
"""Installs an app into the twin's flash image with tockloader, as one
would on the board, and proves the kernel was not touched.

  swap_app.py --flash FLASH --tab APP.tab [--board qemu_twin|nucleo_h723zg] [--tockloader PATH]

Hashes the kernel region (the first 256 KiB) before and after `tockloader
install`, fails if it changed, and prints `tockloader list` afterwards.
tockloader replaces an installed app of the same name; the new TBF goes to
the fixed address it was linked for (its slot in apps/layout.toml); from a
tab with several builds (build/tab/) it takes the one for this board.
"""
import argparse
import hashlib
import os
import subprocess
import sys

KERNEL_SIZE = 256 << 10
# How tockloader sees each board's flash file. The twin: its
# qemu_rv32_virt board (a file that starts at 0x80000000). The NUCLEO-H723ZG
# dump: tockloader's nucleof4 board gives a file starting at 0x08000000, with
# the H7's arch and its 128 KiB sectors (the unit an erase takes).
BOARDS = {
    "qemu_twin": ["--board", "qemu_rv32_virt", "--app-address", "0x80040000"],
    "nucleo_h723zg": ["--board", "nucleof4", "--arch", "cortex-m7", "--page-size", "131072",
                      "--app-address", "0x08040000"],
}


def tockloader_args(flash, board="qemu_twin"):
    return ["--flash-file", flash] + BOARDS[board]


def kernel_hash(flash):
    with open(flash, "rb") as fh:
        return hashlib.sha256(fh.read(KERNEL_SIZE)).hexdigest()


def install(tockloader, flash, tab, board="qemu_twin"):
    """Installs `tab`; returns (kernel hash before, after, `list` output)."""
    if not os.path.exists(flash):
        sys.exit(f"swap_app: {flash} does not exist (tockloader would create an empty one)")
    before = kernel_hash(flash)
    subprocess.run([tockloader, "install"] + tockloader_args(flash, board) + [tab], check=True,
                   stdin=subprocess.DEVNULL)
    after = kernel_hash(flash)
    listing = subprocess.run([tockloader, "list", "--verbose"] + tockloader_args(flash, board), check=True,
                             capture_output=True, text=True, stdin=subprocess.DEVNULL).stdout
    return before, after, listing


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flash", required=True)
    ap.add_argument("--tab", required=True)
    ap.add_argument("--board", choices=sorted(BOARDS), default="qemu_twin")
    ap.add_argument("--tockloader", default="tockloader")
    args = ap.parse_args()
    before, after, listing = install(args.tockloader, args.flash, args.tab, args.board)
    print(listing)
    print(f"kernel region sha256 before: {before}")
    print(f"kernel region sha256 after:  {after}")
    if before != after:
        sys.exit("swap_app: the kernel region changed")
    print(f"kernel unchanged; {os.path.basename(args.tab)} installed into {args.flash}. Boot it with `make run` (the twin) or write it to the board.")


if __name__ == "__main__":
    main()
