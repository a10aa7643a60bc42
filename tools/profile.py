#!/usr/bin/env python3
"""`make profile`: where the twin's instructions go while it moves data.

Exact, not sampled: the product image boots on a tap link under
`-icount shift=0` with QEMU logging every translated block (`in_asm`) and
no block chaining (`nochain`); for the workload only, QEMU's GDB stub turns
on the log of every block executed (`exec`). Blocks times their
instructions, named from the kernel's and the apps' ELF symbols, give the
instructions each function ran. Copy routines (memcpy, memmove,
process-slice copies) are also charged to the function that ran last
before them (their caller, as near as a block trace tells).

PROFILE_PATH picks the workload (a smaller cousin of the bench's cost
paths, to keep the log to a few hundred MB): http-memory (4 x 64 KiB
generated), http-emmc (256 KiB of a 1 MiB file, a range request), ftp-retr,
ftp-stor (256 KiB). Written to build/profile/<path>.md.
"""
import bisect
import collections
import glob
import os
import re
import socket
import subprocess
import sys
import time
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from twin import BUILD, GUEST_IP, Twin  # noqa: E402
import bench  # noqa: E402

OUT = os.path.join(ROOT, "build", "profile")
# Kernel functions each system call of a class enters once, by their short
# names (`short`), to count the calls of each process by class.
SYSCALL_CLASSES = {"kernel::grant::allow_ro": "allow read-only", "kernel::grant::allow_rw": "allow read-write",
                   "kernel::grant::subscribe": "subscribe", "::set_yielded_state": "yield"}
COPIES = re.compile(r"memcpy|memmove|memset|copy_from_slice|copy_to_slice|copy_within")


class Gdb:
    """The few GDB remote-protocol packets a sampler needs."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        for _ in range(100):
            try:
                self.s.connect(path)
                break
            except OSError:
                time.sleep(0.1)
        self.buf = b""
        self.s.sendall(b"+")
        self.ask("QStartNoAckMode")
        # QEMU stops the machine when a debugger attaches: let it run.
        self.ask("?")
        self.send("c")

    def packet(self):
        while True:
            m = re.search(rb"\$([^#]*)#..", self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m.group(1)
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def send(self, data):
        body = data.encode()
        self.s.sendall(b"$" + body + b"#" + b"%02x" % (sum(body) & 0xFF))

    def ask(self, data):
        self.send(data)
        return self.packet()

    def monitor(self, command):
        """Runs a QEMU monitor command with the machine stopped."""
        self.s.sendall(b"\x03")
        self.packet()  # the stop reply
        reply = self.ask("qRcmd," + command.encode().hex())
        self.send("c")
        return reply


class Symbols:
    """Function names of the kernel and every app image, by address."""

    def __init__(self):
        self.starts, self.names = [], []
        images = [("kernel", os.path.join(BUILD, "kernel.elf"))]
        # The product image is profiled: the test image's probes share its
        # apps' addresses and would take their names.
        with open(os.path.join(ROOT, "apps", "layout.toml"), "rb") as fh:
            test_only = {a["name"] for a in tomllib.load(fh)["app"] if a.get("image") == "test"}
        for elf in glob.glob(os.path.join(ROOT, "build", "tab", "elf", "*", "rv32imac.*.elf")):
            if elf.split(os.sep)[-2] not in test_only:
                images.append((elf.split(os.sep)[-2], elf))
        rows = []
        for image, path in images:
            out = subprocess.run(["nm", "-n", "-C", "--defined-only", path], capture_output=True, text=True).stdout
            for line in out.splitlines():
                parts = line.split(" ", 2)
                if len(parts) == 3 and parts[1] in "tTwW" and not parts[2].startswith((".L", "$")):
                    rows.append((int(parts[0], 16), image, parts[2]))
        rows.sort()
        for addr, image, name in rows:
            self.starts.append(addr)
            self.names.append((image, name))

    def name(self, addr):
        i = bisect.bisect_right(self.starts, addr) - 1
        return self.names[i] if i >= 0 else ("?", hex(addr))


def short(name):
    """A demangled Rust name without its generic arguments and hash."""
    name = re.sub(r"::h[0-9a-f]{16}$", "", name)
    while True:
        new = re.sub(r"<[^<>]*>", "", name)
        if new == name:
            return name
        name = new


PROFILE_CLIENT = r"""
import ftplib, http.client, io, sys
host, mode, user, password = sys.argv[1:5]
data = bytes((i * 7 + (i >> 10)) & 0xFF for i in range(256 << 10))
if mode == "setup":
    ftp = ftplib.FTP(host, user, password, timeout=120)
    ftp.storbinary("STOR /profile.bin", io.BytesIO(data))
    ftp.quit()
elif mode.startswith("http"):
    c = http.client.HTTPConnection(host, 80, timeout=60)
    total = 0
    if mode == "http-open":
        # A request's fixed cost on a file: 100 one-byte ranges (its
        # "bytes" are requests: per byte means per request here).
        for _ in range(100):
            c.request("GET", "/bench/1m.bin", headers={"Range": "bytes=0-0"})
            total += len(c.getresponse().read())
    for _ in range(4 if mode == "http-memory" else 1 if mode == "http-emmc" else 0):
        if mode == "http-memory":
            c.request("GET", "/api/bench/65536")
        else:
            c.request("GET", "/bench/1m.bin", headers={"Range": "bytes=0-262143"})
        total += len(c.getresponse().read())
    print(total)
else:
    ftp = ftplib.FTP(host, user, password, timeout=120)
    if mode == "ftp-stor":
        ftp.storbinary("STOR /profile-up.bin", io.BytesIO(data))
    else:
        got = bytearray()
        ftp.retrbinary("RETR /profile.bin", got.extend)
        assert bytes(got) == data
    ftp.quit()
    print(len(data))
"""


def blocks(log):
    """For every block executed: (instructions per translated block by
    guest address, the blocks that wait for an interrupt, its address)."""
    sizes, waits, pc, n, wfi = {}, set(), None, 0, False
    for line in log:
        if line.startswith("IN:"):
            pc, n, wfi = None, 0, False
        elif line.startswith("0x") and ":  " in line:
            if pc is None:
                pc = int(line.split(":", 1)[0], 16)
            n += 1
            wfi |= line.split()[2:3] == ["wfi"]
        elif not line.strip() and pc is not None:
            sizes[pc] = n
            if wfi:
                waits.add(pc)
            pc = None
        elif line.startswith("Trace "):
            yield sizes, waits, int(line.split("[", 1)[1].split("/")[1], 16)


def main():
    path = os.environ.get("PROFILE_PATH", "http-emmc")
    os.makedirs(OUT, exist_ok=True)
    sock = os.path.join(OUT, "gdb.sock")
    log_path = os.path.join(OUT, "qemu.log")
    for f in (sock, log_path):
        if os.path.exists(f):
            os.remove(f)
    image = bench.bench_image(os.path.join(OUT, "bench.img"))
    twin = Twin(OUT, flash="flash-product.bin", net="tap", disk_image=image, icount=True,
                qemu_extra=["-gdb", f"unix:{sock},server=on,wait=off", "-d", "in_asm,nochain", "-D", log_path])
    try:
        for line in ("http: serving on", "storage: mounted FAT volume", "ftp: serving on"):
            twin.expect(line, timeout=300, since_boot=True)
        user, password = twin.ftp_credentials()
        gdb = Gdb(sock)
        client = lambda mode: twin.netns_run([sys.executable, "-c", PROFILE_CLIENT, GUEST_IP, mode, user, password],
                                             timeout=1800).stdout.decode().strip()
        if path == "ftp-retr":
            client("setup")
        time.sleep(1)
        gdb.monitor("log in_asm,nochain,exec")
        moved = int(client(path).splitlines()[-1])
        gdb.monitor("log in_asm,nochain")
    finally:
        twin.close()
    syms = Symbols()
    names = {}
    per_function = collections.Counter()
    per_image = collections.Counter()
    copies = collections.Counter()
    calls = collections.Counter()
    entries = set(syms.starts)
    sites = collections.Counter()
    site_calls = collections.Counter()
    caller = ("?", "?")
    site = prev_pc = None
    # Switches between processes (the kernel's own blocks in between do
    # not count): on the twin each one rewrites the PMP, a QEMU TLB flush.
    switches = collections.Counter()
    last_app = None
    # System calls by the process that made them: entries into the
    # kernel's handlers of each class, charged to the process that ran last.
    by_process = collections.Counter()
    # PROFILE_LINES=<part of a function name>: its instructions by source
    # line (addr2line over the blocks it ran), for work inlined into it.
    lines_of = os.environ.get("PROFILE_LINES")
    block_counts = collections.Counter()
    total = idle = 0
    with open(log_path, errors="replace") as log:
        for sizes, waits, pc in blocks(log):
            n = sizes.get(pc, 1)
            if pc in waits:
                idle += n
                continue
            if pc not in names:
                image, name = syms.name(pc)
                names[pc] = (image, short(name), bool(COPIES.search(name)))
            image, name, is_copy = names[pc]
            if image != "kernel" and image != last_app:
                if last_app is not None:
                    switches[(last_app, image)] += 1
                last_app = image
            total += n
            if lines_of and lines_of in name:
                block_counts[(image, pc)] += n
            per_image[image] += n
            per_function[(image, name)] += n
            if pc in entries:
                calls[(image, name)] += 1
                if image == "kernel" and name in SYSCALL_CLASSES:
                    by_process[(last_app, SYSCALL_CLASSES[name])] += 1
            if is_copy:
                copies[(image, name) + caller] += n
                if pc in entries and not names.get(prev_pc, (0, 0, True))[2]:
                    site = (image, name, prev_pc)
                    site_calls[site] += 1
                sites[site] += n
            else:
                caller = (image, name)
            prev_pc = pc
    os.remove(log_path)
    pct = lambda k: f"{100 * k / max(total, 1):.1f} %"
    per_byte = lambda k: f"{k / max(moved, 1):.2f}"
    lines = [f"# Profile: {path}, {moved} bytes ({time.strftime('%Y-%m-%d %H:%M')})", "",
             f"Every instruction the twin ran while the client moved the bytes: {total} "
             f"({per_byte(total)} per byte, the board's idle work included; the bench takes that off). "
             f"Blocks waiting for an interrupt (`wfi`) are left out: {idle} instructions.", "",
             "## By image", "", "| image | instructions per byte | share |", "|---|---|---|"]
    lines += [f"| {k} | {per_byte(v)} | {pct(v)} |" for k, v in per_image.most_common()]
    lines += ["", "## By function (top 50)", "", "| image | function | per byte | share |", "|---|---|---|---|"]
    lines += [f"| {i} | `{f}` | {per_byte(v)} | {pct(v)} |" for (i, f), v in per_function.most_common(50)]
    lines += ["", "## Calls (top 40)", "",
              "Entries into each function (its first block executed), per KiB moved: "
              "how often per-packet and per-message work runs.", "",
              "| image | function | calls per KiB | instructions per call |", "|---|---|---|---|"]
    lines += [f"| {i} | `{f}` | {1024 * c / max(moved, 1):.2f} | {per_function[(i, f)] / c:.0f} |"
              for (i, f), c in calls.most_common(40)]
    lines += ["", "## Copy routines by caller (top 25)", "", "| image | copy | called from | per byte |",
              "|---|---|---|---|"]
    lines += [f"| {i} | `{f}` | {ci}: `{cf}` | {per_byte(v)} |" for (i, f, ci, cf), v in copies.most_common(25)]
    lines += ["", "## Process switches", "",
              "From one process to another (kernel work in between not counted), per KiB moved.", "",
              "| from | to | per KiB |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {1024 * c / max(moved, 1):.2f} |" for (a, b), c in switches.most_common(12)]
    lines += ["", "## System calls by process (some classes)", "",
              "Allows (and unallows: the same call), subscribes and yields, per KiB moved.", "",
              "| process | class | per KiB |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {1024 * c / max(moved, 1):.2f} |" for (a, b), c in sorted(by_process.items())]
    lines += ["", "## Copy call sites (top 25)", "",
              "The block that called a copy routine, how often per KiB moved, and the instructions each call "
              "ran: short calls are struct moves, long ones data.", "",
              "| image | copy | call site (block) | calls per KiB | instructions per call | per byte |",
              "|---|---|---|---|---|---|"]
    for (i, f, at), v in sites.most_common(25):
        where = f"{names[at][1]} @ {at:#x}" if at in names else "?"
        c = max(site_calls[(i, f, at)], 1)
        lines.append(f"| {i} | `{f}` | `{where}` | {1024 * c / max(moved, 1):.2f} | {v / c:.0f} | {per_byte(v)} |")
    with open(os.path.join(OUT, f"{path}.calls.txt"), "w") as fh:
        for (i, f), c in calls.most_common():
            fh.write(f"{1024 * c / max(moved, 1):9.3f} {per_function[(i, f)] / c:8.0f} {i} {f}\n")
    if block_counts:
        per_line = collections.Counter()
        for (image, pc), n in block_counts.items():
            elf = os.path.join(BUILD, "kernel.elf") if image == "kernel" else glob.glob(
                os.path.join(ROOT, "build", "tab", "elf", image, "rv32imac.*.elf"))[0]
            out = subprocess.run(["addr2line", "-e", elf, "-i", hex(pc)], capture_output=True, text=True).stdout
            # The innermost inlined frame first: the line the work is on.
            where = out.splitlines()[0] if out else "?"
            per_line[(image, re.sub(r"^.*/(apps|capsules|chips|boards|third_party|\.cargo)/", r"\1/", where))] += n
        lines += ["", f"## Lines of `{lines_of}` (top 30)", "", "| image | line | per byte |", "|---|---|---|"]
        lines += [f"| {i} | `{w}` | {per_byte(v)} |" for (i, w), v in per_line.most_common(30)]
    with open(os.path.join(OUT, f"{path}.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
