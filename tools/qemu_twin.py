#!/usr/bin/env python3
"""The QEMU twin of the NUCLEO-H723ZG: its command line, for `make run` and
for the system tests (which import `qemu_command`).

  qemu_twin.py run --flash FLASH --disk IMG [--http-port N ...]

`run` boots the twin on this terminal (Ctrl-A X leaves), after printing the
URLs of the services forwarded to 127.0.0.1.
"""
import argparse
import os
import shutil
import sys

PASSIVE_PORTS = range(50000, 50010)   # FTP passive data ports (apps/ftp/ftp.cfg), forwarded one to one
GUEST_IP = "10.0.2.15"      # the board's address on QEMU's user network
MAC = "de:ad:be:ef:17:64"   # the original firmware's MAC address


def qemu_command(flash, disk, forwards=(), console="stdio", net="user", extra=(), icount=False):
    """QEMU arguments: the machine boots `flash`, a whole flash image
    (tools/flash_image.py: kernel, apps, settings). `net` is "user" (QEMU's NAT, with `forwards`: a list
    of (host_port, guest_port) TCP forwards on 127.0.0.1), "tap" (a tap
    device named tap0, which the caller creates, e.g. inside a network
    namespace) or None. `console` is "stdio" (tests: plain pipe) or
    "terminal" (make run: -nographic with the Ctrl-A monitor keys).
    `icount`: one virtual nanosecond per instruction (`-icount shift=0`),
    so the guest's retired-instruction counter counts exactly what ran
    (the bench's instructions per byte)."""
    cmd = [shutil.which("qemu-system-riscv32") or "qemu-system-riscv32",
           "-machine", "virt", "-m", "64M", "-bios", flash,
           "-global", "driver=riscv-cpu,property=smepmp,value=true",
           "-global", "virtio-mmio.force-legacy=false",
           "-device", "virtio-rng-device",
           "-semihosting"]
    if icount:
        cmd += ["-icount", "shift=0"]
    if disk:
        cmd += ["-drive", f"if=none,file={disk},format=raw,id=emmc",
                "-device", "virtio-blk-device,drive=emmc"]
    if net == "user":
        fwd = "".join(f",hostfwd=tcp:127.0.0.1:{h}-{GUEST_IP}:{g}" for h, g in forwards)
        cmd += ["-netdev", f"user,id=eth0,net=10.0.2.0/24{fwd}"]
    elif net == "tap":
        cmd += ["-netdev", "tap,id=eth0,ifname=tap0,script=no,downscript=no"]
    if net:
        cmd += ["-device", f"virtio-net-device,netdev=eth0,mac={MAC}"]
    if console == "terminal":
        cmd += ["-nographic"]
    else:
        cmd += ["-display", "none", "-serial", "stdio", "-monitor", "none"]
    return cmd + list(extra)


def qemu_m7_command(flash, console="stdio", extra=()):
    """QEMU arguments of the Cortex-M7 twin (boards/qemu_m7): the mps2-an500
    machine boots `flash` (its vector table at 0); no network, no disk."""
    cmd = [shutil.which("qemu-system-arm") or "qemu-system-arm",
           "-machine", "mps2-an500", "-kernel", flash, "-semihosting"]
    if console == "terminal":
        cmd += ["-nographic"]
    else:
        cmd += ["-display", "none", "-serial", "stdio", "-monitor", "none"]
    return cmd + list(extra)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run")
    run.add_argument("--flash", required=True)
    run.add_argument("--disk", required=True)
    run.add_argument("--http-port", type=int, default=8000)
    run.add_argument("--ws-port", type=int, default=8080)
    run.add_argument("--ftp-port", type=int, default=2121)
    run.add_argument("--layout", help="layout.json of the built apps: only their services are listed")
    args = ap.parse_args()
    apps = set()
    if args.layout:
        import json
        with open(args.layout) as fh:
            apps = {a["name"] for a in json.load(fh)["apps"] if not a["test"]}
    forwards = [(args.http_port, 80), (args.ws_port, 8080), (args.ftp_port, 21)]
    forwards += [(p, p) for p in PASSIVE_PORTS]
    print("NUCLEO-MEM twin: booting QEMU RISC-V virt (Ctrl-A X to quit)")
    if "http" in apps:
        print(f"  dashboard  http://127.0.0.1:{args.http_port}/")
    if "websocket" in apps:
        print(f"  websocket  ws://127.0.0.1:{args.ws_port}/")
    if "ftp" in apps:
        # No default password: the board makes one at first boot and prints
        # it; this copy of the image is fresh, so that is every run.
        print(f"  ftp        ftp://user@127.0.0.1:{args.ftp_port} (password: printed by the board below at first boot;"
              f" passive ports {PASSIVE_PORTS.start}-{PASSIVE_PORTS.stop - 1})")
    print(f"  eMMC image {args.disk} (a copy; the built image stays pristine)")
    print(f"  flash      {args.flash} (kernel + apps; tockloader edits it, see the README)")
    print(flush=True)
    cmd = qemu_command(args.flash, args.disk, forwards, console="terminal")
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    sys.exit(main())
