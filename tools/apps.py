#!/usr/bin/env python3
"""Builds the apps of apps/layout.toml for one board.

For every app: computes its fixed flash and PSRAM addresses from the board's
layout, builds it with libtock-rs at those addresses, packs it with elf2tab
into build/<board>/apps/<name>.tab (variants into
build/<board>/apps/variants/<name>-<variant>.tab), and assembles the app
flash images: apps.bin (the product image) and apps-test.bin (the shared
apps and the test probes), with padding TBFs between slots so the kernel's
loader walks all of them. Writes build/<board>/layout.json for the tests
and the memory report. Outputs are rewritten only when their bytes change,
so a flash image built from them (and edited by tockloader) is not rebuilt
by an unchanged build.
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
TOCKLOADER_RAM_WINDOW = 0x200000  # tockloader ignores fixed-address TBFs whose RAM starts past this


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


IMAGES = ("product", "test")


def plan(layout, board):
    """Slots of every app: the shared ones first, then each image's own
    apps from where the shared ones end (see apps/layout.toml)."""
    b = layout["boards"][board]
    fbase, flen = b["app_flash"][0], size(b["app_flash"][1])
    rbase, rlen = b["process_psram"][0], size(b["process_psram"][1])
    slots = []

    def place(apps, f, r, image):
        for app in apps:
            fs, rs = size(app["flash"]), size(app["psram"])
            pow2(fs, app["name"] + ".flash")
            pow2(rs, app["name"] + ".psram")
            f, r = align_up(f, fs), align_up(r, rs)
            if image != "test" and r > rbase + TOCKLOADER_RAM_WINDOW:
                # Such a TBF is skipped by tockloader: no install or swap (of the product image) would find a slot.
                sys.exit(f"apps: {app['name']}'s PSRAM block starts {(r - rbase) // 1024} KiB into process "
                         f"memory; tockloader only places apps starting within {TOCKLOADER_RAM_WINDOW // 1024} KiB")
            slots.append(dict(name=app["name"], image=image, test=image == "test",
                              flash=f, flash_size=fs, ram=r, ram_size=rs,
                              heap=size(app.get("heap", "1K")), grants=size(app.get("grants", "1K")),
                              version=app.get("version", 1), variants=app.get("variant", [])))
            f, r = f + fs, r + rs
        if f > fbase + flen:
            sys.exit(f"apps: the {image or 'shared'} apps overflow the {flen // 1024} KiB of app flash "
                     f"by {f - fbase - flen} bytes")
        if r > rbase + rlen:
            sys.exit(f"apps: the {image or 'shared'} apps overflow the {rlen // 1024} KiB of process PSRAM "
                     f"by {r - rbase - rlen} bytes")
        return f, r

    for app in layout["app"]:
        if app.get("image") not in (None,) + IMAGES:
            sys.exit(f"apps: {app['name']}: image must be one of {IMAGES}")
    if "apps" in b:
        # A board that runs a chosen few (the Cortex-M7 twin): one image,
        # in the manifest's order.
        chosen = [a for a in layout["app"] if a["name"] in b["apps"]]
        missing = set(b["apps"]) - {a["name"] for a in chosen}
        if missing:
            sys.exit(f"apps: {board} lists unknown apps {sorted(missing)}")
        place([dict(a, variant=[]) for a in chosen], fbase, rbase, None)
        return b, slots
    f, r = place([a for a in layout["app"] if "image" not in a], fbase, rbase, None)
    for image in IMAGES:
        place([a for a in layout["app"] if a.get("image") == image], f, r, image)
    return b, slots


def in_image(slot, image):
    return slot["image"] in (None, image)


def write_if_changed(path, data):
    """Writes `data` unless the file already holds it (keeps its mtime)."""
    try:
        with open(path, "rb") as fh:
            if fh.read() == data:
                return
    except FileNotFoundError:
        pass
    with open(path, "wb") as fh:
        fh.write(data)


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


def build(slot, board, out_dir, llvm_size, variant=None):
    """Builds `slot`'s app (or its `variant`) and packs its .tab; returns
    the TBF's bytes."""
    apps_dir = os.path.join(ROOT, "apps")
    env = dict(os.environ,
               LIBTOCK_LINKER_FLASH=hex(slot["flash"]),
               LIBTOCK_LINKER_FLASH_LENGTH=hex(slot["flash_size"]),
               LIBTOCK_LINKER_RAM=hex(slot["ram"]),
               LIBTOCK_LINKER_RAM_LENGTH=hex(slot["ram_size"]),
               LIBTOCK_TBF_HEADER_SIZE=hex(TBF_HEADER_SIZE))
    features = ["--features", ",".join(variant["features"])] if variant and variant.get("features") else []
    # Variants build into a target directory of their own, so the main
    # build's artefacts stay as they are (and are not rebuilt next time).
    target_dir = os.path.join(apps_dir, "target", "variants") if variant else os.path.join(apps_dir, "target")
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", slot["name"], "--target", board["target"],
                    "--target-dir", target_dir] + features,
                   cwd=apps_dir, env=env, check=True)
    elf = os.path.join(target_dir, board["target"], "release", slot["name"])
    stack = stack_size(elf, llvm_size)
    suffix = f"-{variant['name']}" if variant else ""
    work = os.path.join(out_dir, "elf")
    os.makedirs(work, exist_ok=True)
    named = os.path.join(work, f"{slot['name']}{suffix}.{board['arch']}.elf")
    with open(elf, "rb") as src:
        write_if_changed(named, src.read())
    tab_dir = os.path.join(out_dir, "apps", "variants") if variant else os.path.join(out_dir, "apps")
    tab = os.path.join(tab_dir, slot["name"] + suffix + ".tab")
    os.makedirs(tab_dir, exist_ok=True)
    version = variant.get("version", slot["version"]) if variant else slot["version"]
    tmp_tab = tab + ".new"
    subprocess.run(["elf2tab", "--deterministic", "--kernel-major", "2", "--kernel-minor", "0",
                    "--app-version", str(version),
                    "-n", slot["name"], "-o", tmp_tab, "--stack", str(stack),
                    "--app-heap", str(slot["heap"]), "--kernel-heap", str(slot["grants"]),
                    f"{named},{board['arch']}"], check=True, stdout=subprocess.DEVNULL)
    with open(tmp_tab, "rb") as fh:
        write_if_changed(tab, fh.read())
    os.remove(tmp_tab)
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
    if variant:
        variant.update(tab=tab, tbf_size=total, version=version)
    else:
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
    """A TBF the loader skips: base header only, not an app; the rest is
    erased flash (0xFF), as tockloader writes its own padding."""
    words = struct.pack("<HHII", 2, 16, length, 0)
    checksum = 0
    for (w,) in struct.iter_unpack("<I", words):
        checksum ^= w
    return (words + struct.pack("<I", checksum)).ljust(length, b"\xff")


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
    board, slots = plan(layout, args.board)
    llvm_size = sysroot_tool("llvm-size", os.path.join(ROOT, "apps"))
    images = {}
    for s in slots:
        images[s["name"]] = build(s, board, args.out, llvm_size)
        for v in s["variants"]:
            build(s, board, args.out, llvm_size, variant=v)
    base = board["app_flash"][0]
    if "apps" in board:
        write_if_changed(os.path.join(args.out, "apps.bin"), image(slots, images, base))
    else:
        write_if_changed(os.path.join(args.out, "apps.bin"),
                         image([s for s in slots if in_image(s, "product")], images, base))
        write_if_changed(os.path.join(args.out, "apps-test.bin"),
                         image([s for s in slots if in_image(s, "test")], images, base))
    write_if_changed(os.path.join(args.out, "layout.json"),
                     json.dumps(dict(board=args.board, arch=board["arch"], app_flash=board["app_flash"][0],
                                     app_flash_size=size(board["app_flash"][1]),
                                     process_psram=board["process_psram"][0], apps=slots), indent=1).encode())
    for s in slots:
        where = {None: "", "product": "   (product image only)", "test": "   (test image only)"}[s["image"]]
        print(f"apps: {s['name']:<10} flash {s['flash']:#010x} {s['tbf_size']:>7} B of {s['flash_size'] // 1024} KiB"
              f"   PSRAM {s['ram']:#010x} {s['min_ram']:>7} B of {s['ram_size'] // 1024} KiB" + where)
        for v in s["variants"]:
            print(f"apps:   variant {v['name']}: {v['tbf_size']} B, version {v['version']} ({os.path.relpath(v['tab'], ROOT)})")


if __name__ == "__main__":
    main()
