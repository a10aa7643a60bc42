#!/usr/bin/env python3
"""Builds the apps of apps/layout.toml for one board.

For every app: computes its fixed flash and PSRAM addresses from the board's
layout, builds it with libtock-rs at those addresses, packs it with elf2tab
into build/<board>/apps/<name>.tab, and assembles the flash images QEMU
loads: apps.bin (the product apps) and apps-test.bin (plus the test apps),
with padding TBFs between slots so the kernel's loader walks all of them.
Writes build/<board>/layout.json for the tests and the memory report.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TBF_HEADER_SIZE = 0x80          # libtock-rs default protected region
KERNEL_RESERVE = 4096           # process control block, upcall queue, grant table


def size(v):
    if isinstance(v, int):
        return v
    v = v.strip().upper()
    mult = {"K": 1 << 10, "M": 1 << 20}.get(v[-1], 1)
    return int(v[:-1] if v[-1] in "KM" else v, 0) * mult


def pow2(n, what):
    if n <= 0 or n & (n - 1):
        sys.exit(f"apps: {what} = {n:#x} is not a power of two")


def align_up(x, a):
    return (x + a - 1) // a * a


def plan(layout, board, with_tests):
    b = layout["boards"][board]
    fbase, flen = b["app_flash"][0], size(b["app_flash"][1])
    rbase, rlen = b["process_psram"][0], size(b["process_psram"][1])
    f, r = fbase, rbase
    slots = []
    for app in layout["app"]:
        if app.get("test") and not with_tests:
            continue
        fs, rs = size(app["flash"]), size(app["psram"])
        pow2(fs, app["name"] + ".flash")
        pow2(rs, app["name"] + ".psram")
        f, r = align_up(f, fs), align_up(r, rs)
        slots.append(dict(name=app["name"], test=bool(app.get("test")),
                          flash=f, flash_size=fs, ram=r, ram_size=rs,
                          heap=size(app.get("heap", "1K")), grants=size(app.get("grants", "1K"))))
        f, r = f + fs, r + rs
    if f > fbase + flen:
        sys.exit(f"apps: app flash overflows its {flen // 1024} KiB budget by {f - fbase - flen} bytes")
    if r > rbase + rlen:
        sys.exit(f"apps: process memory overflows its {rlen // 1024} KiB of PSRAM by {r - rbase - rlen} bytes")
    return b, slots


def sysroot_tool(tool, toolchain_dir):
    sysroot = subprocess.check_output(["rustc", "--print", "sysroot"], cwd=toolchain_dir, text=True).strip()
    host = [l.split(": ")[1] for l in subprocess.check_output(["rustc", "-vV"], cwd=toolchain_dir, text=True).splitlines() if l.startswith("host")][0]
    return os.path.join(sysroot, "lib", "rustlib", host, "bin", tool)


def stack_size(elf, llvm_size):
    out = subprocess.check_output([llvm_size, "-A", elf], text=True)
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] == ".stack":
            return int(parts[1])
    sys.exit(f"apps: {elf} has no .stack section")


def build(slot, board, out_dir, llvm_size):
    apps_dir = os.path.join(ROOT, "apps")
    env = dict(os.environ,
               LIBTOCK_LINKER_FLASH=hex(slot["flash"]),
               LIBTOCK_LINKER_FLASH_LENGTH=hex(slot["flash_size"]),
               LIBTOCK_LINKER_RAM=hex(slot["ram"]),
               LIBTOCK_LINKER_RAM_LENGTH=hex(slot["ram_size"]),
               LIBTOCK_TBF_HEADER_SIZE=hex(TBF_HEADER_SIZE))
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", slot["name"], "--target", board["target"]],
                   cwd=apps_dir, env=env, check=True)
    elf = os.path.join(apps_dir, "target", board["target"], "release", slot["name"])
    stack = stack_size(elf, llvm_size)
    work = os.path.join(out_dir, "elf")
    os.makedirs(work, exist_ok=True)
    named = os.path.join(work, f"{slot['name']}.{board['arch']}.elf")
    with open(elf, "rb") as src, open(named, "wb") as dst:
        dst.write(src.read())
    tab = os.path.join(out_dir, "apps", slot["name"] + ".tab")
    os.makedirs(os.path.dirname(tab), exist_ok=True)
    subprocess.run(["elf2tab", "--deterministic", "--kernel-major", "2", "--kernel-minor", "0",
                    "-n", slot["name"], "-o", tab, "--stack", str(stack),
                    "--app-heap", str(slot["heap"]), "--kernel-heap", str(slot["grants"]),
                    f"{named},{board['arch']}"], check=True, stdout=subprocess.DEVNULL)
    tbf = named[:-len(".elf")] + ".tbf"
    with open(tbf, "rb") as fh:
        data = fh.read()
    version, header_size, total, flags = struct.unpack_from("<HHII", data)
    min_ram = tbf_min_ram(data, header_size)
    if total > slot["flash_size"]:
        sys.exit(f"apps: {slot['name']} is {total} bytes, over its {slot['flash_size']}-byte flash slot")
    if min_ram + KERNEL_RESERVE > slot["ram_size"]:
        sys.exit(f"apps: {slot['name']} needs {min_ram + KERNEL_RESERVE} bytes of PSRAM, over its "
                 f"{slot['ram_size']}-byte slot")
    slot.update(tbf=tbf, tab=tab, tbf_size=total, min_ram=min_ram, stack=stack)
    return data


def tbf_min_ram(data, header_size):
    """minimum_ram_size from the Main (1) or Program (9) TLV."""
    off = 16
    while off + 4 <= header_size:
        t, l = struct.unpack_from("<HH", data, off)
        if t in (1, 9):
            return struct.unpack_from("<I", data, off + 4 + 8)[0]
        off += 4 + align_up(l, 4)
    sys.exit("apps: TBF without a Main or Program header")


def padding_tbf(length):
    """A TBF the loader skips: base header only, not an app."""
    words = struct.pack("<HHII", 2, 16, length, 0)
    checksum = 0
    for (w,) in struct.iter_unpack("<I", words):
        checksum ^= w
    return (words + struct.pack("<I", checksum)).ljust(length, b"\0")


def image(slots, images, base):
    out = bytearray()
    for s in slots:
        gap = s["flash"] - (base + len(out))
        if gap:
            out += padding_tbf(gap)
        out += images[s["name"]]
    return bytes(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--board", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with open(os.path.join(ROOT, "apps", "layout.toml"), "rb") as fh:
        layout = tomllib.load(fh)
    board, slots = plan(layout, args.board, with_tests=True)
    llvm_size = sysroot_tool("llvm-size", os.path.join(ROOT, "apps"))
    images = {s["name"]: build(s, board, args.out, llvm_size) for s in slots}
    base = board["app_flash"][0]
    with open(os.path.join(args.out, "apps.bin"), "wb") as fh:
        fh.write(image([s for s in slots if not s["test"]], images, base))
    with open(os.path.join(args.out, "apps-test.bin"), "wb") as fh:
        fh.write(image(slots, images, base))
    with open(os.path.join(args.out, "layout.json"), "w") as fh:
        json.dump(dict(board=args.board, app_flash=board["app_flash"][0],
                       process_psram=board["process_psram"][0], apps=slots), fh, indent=1)
    for s in slots:
        print(f"apps: {s['name']:<10} flash {s['flash']:#010x} {s['tbf_size']:>7} B of {s['flash_size'] // 1024} KiB"
              f"   PSRAM {s['ram']:#010x} {s['min_ram']:>7} B of {s['ram_size'] // 1024} KiB"
              + ("   (test image only)" if s["test"] else ""))


if __name__ == "__main__":
    main()
