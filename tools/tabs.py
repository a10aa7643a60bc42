#!/usr/bin/env python3
"""Packs one .tab per app holding every board's build of it, for tockloader:
build/tab/<name>.tab (and <name>-<variant>.tab) with a TBF per board, named
<arch>.<flash>.<ram> so tockloader picks the one built for the addresses of
the board it talks to (every build is at fixed addresses).

  tabs.py --out build/tab build/qemu_twin build/nucleo_h723zg build/qemu_m7

Each board directory is an apps.py output (layout.json, elf/).
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apps import write_if_changed  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("boards", nargs="+")
    args = ap.parse_args()
    builds = {}   # tab name -> list of (elf, tbf name, slot)
    for d in args.boards:
        with open(os.path.join(d, "layout.json")) as fh:
            layout = json.load(fh)
        arch = layout.get("arch")
        if arch is None:
            sys.exit(f"tabs: {d}/layout.json has no arch (rebuild with apps.py)")
        for slot in layout["apps"]:
            entries = [("", slot)] + [(f"-{v['name']}", v) for v in slot.get("variants", [])]
            for suffix, _ in entries:
                elf = os.path.join(d, "elf", f"{slot['name']}{suffix}.{arch}.elf")
                tbf_name = f"{arch}.{slot['flash']:#010x}.{slot['ram']:#010x}"
                builds.setdefault(slot["name"] + suffix, []).append((elf, tbf_name, slot, suffix))
    os.makedirs(args.out, exist_ok=True)
    for tab_name, entries in sorted(builds.items()):
        slot, suffix = entries[0][2], entries[0][3]
        version = next((v.get("version", slot["version"]) for v in slot.get("variants", [])
                        if suffix == f"-{v['name']}"), slot["version"])
        work = os.path.join(args.out, "elf", tab_name)
        os.makedirs(work, exist_ok=True)
        inputs = []
        for elf, tbf_name, _, _ in entries:
            named = os.path.join(work, tbf_name + ".elf")
            with open(elf, "rb") as src:
                write_if_changed(named, src.read())
            inputs.append(f"{named},{tbf_name}")
        tab = os.path.join(args.out, tab_name + ".tab")
        stack = max(e[2]["stack"] for e in entries)
        subprocess.run(["elf2tab", "--deterministic", "--kernel-major", "2", "--kernel-minor", "0",
                        "--app-version", str(version), "-n", slot["name"], "-o", tab + ".new",
                        "--stack", str(stack), "--app-heap", str(slot["heap"]),
                        "--kernel-heap", str(slot["grants"])] + inputs,
                       check=True, stdout=subprocess.DEVNULL)
        with open(tab + ".new", "rb") as fh:
            write_if_changed(tab, fh.read())
        os.remove(tab + ".new")
        print(f"tab: {os.path.relpath(tab)}: " + ", ".join(e[1] for e in entries))


if __name__ == "__main__":
    main()
