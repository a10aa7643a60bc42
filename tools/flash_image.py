#!/usr/bin/env python3
"""The twin's flash image: what a NUCLEO-H723ZG's 1 MiB of flash would hold.

  flash_image.py --kernel ELF --apps BIN --out FLASH [--base ADDRESS]

Kernel (256 KiB, from the ELF's load image), app flash (640 KiB: the TBFs
of apps.bin, then erased), settings (128 KiB, erased). QEMU boots it with
`-bios` (the virt machine loads it at 0x80000000, the kernel's entry), and
`tockloader --flash-file` edits its app region as it would a board's flash
(see the README). Erased flash reads 0xFF. The file is rewritten only when
its bytes change, so an image tockloader edited survives an unchanged build.
"""
import argparse
import os
import subprocess
import sys

from apps import sysroot_tool, write_if_changed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLASH_BASE = 0x80000000      # boards/qemu_twin/layout.ld: rom (qemu_m7: 0)
KERNEL_SIZE = 256 << 10
APP_FLASH_SIZE = 640 << 10
SETTINGS_SIZE = 128 << 10
ERASED = 0xFF


def kernel_image(elf, base):
    objcopy = sysroot_tool("llvm-objcopy", ROOT)
    raw = elf + ".raw"
    subprocess.run([objcopy, "-O", "binary", "--gap-fill", "0xff", f"--pad-to={base + KERNEL_SIZE:#x}",
                    elf, raw], check=True)
    with open(raw, "rb") as fh:
        data = fh.read()
    os.remove(raw)
    if len(data) != KERNEL_SIZE:
        sys.exit(f"flash_image: the kernel image is {len(data)} bytes, not its {KERNEL_SIZE}-byte region "
                 f"(does it load outside {base:#x}..{base + KERNEL_SIZE:#x}?)")
    return data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--apps", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--base", type=lambda v: int(v, 0), default=FLASH_BASE, help="flash start address")
    ap.add_argument("--kernel-bin", help="also write the kernel region alone (its attributes end it), to flash it by itself")
    args = ap.parse_args()
    with open(args.apps, "rb") as fh:
        apps = fh.read()
    if len(apps) > APP_FLASH_SIZE:
        sys.exit(f"flash_image: {args.apps} is {len(apps)} bytes, over the {APP_FLASH_SIZE}-byte app flash")
    image = kernel_image(args.kernel, args.base) + apps.ljust(APP_FLASH_SIZE, bytes([ERASED])) + bytes([ERASED]) * SETTINGS_SIZE
    write_if_changed(args.out, image)
    if args.kernel_bin:
        write_if_changed(args.kernel_bin, image[:KERNEL_SIZE])


if __name__ == "__main__":
    main()
