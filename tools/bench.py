#!/usr/bin/env python3
"""`make bench`: boots the twin on a tap link in a network namespace (no
QEMU NAT in the path, so the firmware is what is measured), loads it with
real clients, and writes build/bench/results.md and results.json.

Figures are wall-clock on an emulated CPU: compare runs on the same host,
not with the real board. Nothing here is asserted; tests do that.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))
from twin import GUEST_IP, Twin  # noqa: E402

OUT = os.path.join(ROOT, "build", "bench")
DURATION = int(os.environ.get("BENCH_SECONDS", "10"))


def wrk(twin, connections, path):
    # The previous run's connections are still being torn down for a moment;
    # new ones meanwhile would find the server full (503).
    time.sleep(2)
    out = twin.netns_run(["wrk", "-t", "1", "-c", str(connections), "-d", f"{DURATION}s", "--latency", "--timeout", "10s",
                          f"http://{GUEST_IP}{path}"], timeout=DURATION + 30).stdout.decode()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    scale = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}[transfer.group(2)]
    p50 = re.search(r"50%\s+([\d.]+)(\w+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    return {"connections": connections, "requests_per_s": rps,
            "bytes_per_s": float(transfer.group(1)) * scale,
            "latency_p50": p50.group(1) + p50.group(2) if p50 else None,
            "errors": errors.group(0) if errors else None}


FTP_CLIENT = r"""
import ftplib, io, json, sys, time
host, size, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
data = bytes((i * 7 + (i >> 10)) & 0xFF for i in range(size))
ftp = ftplib.FTP(host, user, password, timeout=60)
ftp.voidcmd("TYPE I")
t = time.monotonic(); ftp.storbinary("STOR /bench-upload.bin", io.BytesIO(data), blocksize=32768); up = time.monotonic() - t
got = bytearray()
t = time.monotonic(); ftp.retrbinary("RETR /bench-upload.bin", got.extend, blocksize=32768); down = time.monotonic() - t
ftp.delete("/bench-upload.bin"); ftp.quit()
print(json.dumps({"bytes": size, "upload_s": up, "download_s": down, "intact": bytes(got) == data}))
"""


def ftp(twin, size):
    """One FTP session (Python's ftplib, passive mode): STOR then RETR of
    `size` bytes, through the storage service to the eMMC and back."""
    user, password = twin.ftp_credentials()  # generated at first boot: the image ships none
    out = twin.netns_run([sys.executable, "-c", FTP_CLIENT, GUEST_IP, str(size), user, password],
                         timeout=600).stdout.decode()
    r = json.loads(out.strip().splitlines()[-1])
    return {"bytes": size, "upload_bytes_per_s": size / r["upload_s"], "download_bytes_per_s": size / r["download_s"],
            "intact": r["intact"]}


WS_CLIENT = r"""
import asyncio, json, statistics, sys, time
from websockets.asyncio.client import connect
url, seconds = sys.argv[1], float(sys.argv[2])
RATES = [10, 20, 50, 100]

async def recv_until(ws, kind, pred=lambda m: True, timeout=10):
    while True:
        m = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if m["type"] == kind and pred(m):
            return m

async def collect(ws, seconds, period_ms):
    ups, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            m = json.loads(await asyncio.wait_for(ws.recv(), 2))
        except asyncio.TimeoutError:
            continue
        if m["type"] == "telemetry":
            ups.append(round(m["data"]["uptime"] * 1000))
    steps = [b - a for a, b in zip(ups, ups[1:])]
    lost = sum(s // period_ms - 1 for s in steps if s > period_ms)
    return {"received": len(ups), "lost": lost, "bytes": None}

async def main():
    clients = [await connect(url, open_timeout=10, max_queue=None) for _ in range(8)]
    out = {"rates": []}
    for hz in RATES:
        period = 1000 // hz
        await clients[0].send(json.dumps({"type": "set-telemetry-rate", "hz": hz}))
        await asyncio.gather(*(recv_until(c, "telemetry-rate", lambda m: m["data"]["periodMs"] == period) for c in clients))
        per = await asyncio.gather(*(collect(c, seconds, period) for c in clients))
        out["rates"].append({"hz": hz, "received": [p["received"] for p in per], "lost": sum(p["lost"] for p in per)})
    await clients[0].send(json.dumps({"type": "set-telemetry-rate", "hz": 1}))
    await recv_until(clients[0], "telemetry-rate", lambda m: m["data"]["periodMs"] == 1000)
    rtts, state = [], False
    for i in range(200):
        state = not state
        t = time.perf_counter()
        await clients[0].send(json.dumps({"type": "led-command", "led": "yellow", "state": state}))
        await recv_until(clients[0], "led-status", lambda m: m["data"]["yellowLed"] == state)
        rtts.append((time.perf_counter() - t) * 1000)
    q = statistics.quantiles(rtts, n=100)
    out["led_round_trip_ms"] = {"p50": q[49], "p99": q[98], "n": len(rtts)}
    for c in clients:
        await c.close()
    print(json.dumps(out))

asyncio.run(main())
"""


def websocket(twin):
    """8 clients (the websockets library) at rising telemetry rates, then
    the led-command -> led-status round trip."""
    out = twin.netns_run([sys.executable, "-c", WS_CLIENT, f"ws://{GUEST_IP}:8080/", str(min(DURATION, 10))],
                         timeout=600).stdout.decode()
    r = json.loads(out.strip().splitlines()[-1])
    lossless = [x["hz"] for x in r["rates"] if x["lost"] == 0]
    r["highest_lossless_hz"] = max(lossless) if lossless else None
    per_client = re.search(r"websocket: serving on .*?; (\d+) bytes of PSRAM per client", twin.output)
    r["psram_per_client_bytes"] = int(per_client.group(1)) if per_client else None
    return r


COST_CLIENT = r"""
import ftplib, http.client, io, json, sys, time
host, mode, user, password = sys.argv[1:5]

def instructions():
    c = http.client.HTTPConnection(host, 80, timeout=30)
    c.request("GET", "/api/status")
    n = json.loads(c.getresponse().read())["instructions"]
    c.close()
    return n

def http_get(path, times):
    c = http.client.HTTPConnection(host, 80, timeout=60)
    total = 0
    for _ in range(times):
        c.request("GET", path)
        total += len(c.getresponse().read())
    c.close()
    return total

def run():
    if mode == "idle":
        time.sleep(3)
        return 0
    if mode == "status":
        return 0
    if mode == "http-memory":
        return http_get("/api/bench/65536", 64)
    if mode == "http-emmc":
        return http_get("/bench/1m.bin", 4)
    ftp = ftplib.FTP(host, user, password, timeout=120)
    ftp.voidcmd("TYPE I")
    data = bytes((i * 7 + (i >> 10)) & 0xFF for i in range(2 << 20))
    if mode == "ftp-stor":
        ftp.storbinary("STOR /cost.bin", io.BytesIO(data), blocksize=32768)
    else:
        got = bytearray()
        ftp.retrbinary("RETR /cost.bin", got.extend, blocksize=32768)
        assert bytes(got) == data
    ftp.quit()
    return len(data)

before, t0 = instructions(), time.monotonic()
moved = run()
t1, after = time.monotonic(), instructions()
print(json.dumps({"mode": mode, "bytes": moved, "instructions": after - before, "seconds": t1 - t0}))
"""

WS_COST_CLIENT = r"""
import asyncio, http.client, json, sys, time
from websockets.asyncio.client import connect
host = sys.argv[1]

def instructions():
    c = http.client.HTTPConnection(host, 80, timeout=30)
    c.request("GET", "/api/status")
    n = json.loads(c.getresponse().read())["instructions"]
    c.close()
    return n

async def main():
    async with connect(f"ws://{host}:8080/", open_timeout=30, max_queue=None) as ws:
        await ws.send(json.dumps({"type": "set-telemetry-rate", "hz": 100}))
        before, t0, n = instructions(), time.monotonic(), 0
        while n < 500:
            m = json.loads(await asyncio.wait_for(ws.recv(), 30))
            n += m["type"] == "telemetry"
        t1, after = time.monotonic(), instructions()
        await ws.send(json.dumps({"type": "set-telemetry-rate", "hz": 1}))
    print(json.dumps({"mode": "ws-telemetry", "messages": n, "instructions": after - before, "seconds": t1 - t0}))

asyncio.run(main())
"""


def tlb_flushes(monitor):
    """QEMU's count of softmmu TLB flushes so far (`info jit` on the human
    monitor): the twin's PMP rewritten when the hart changes process flushes
    them, and everything the next process touches is looked up again."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(monitor)
        s.settimeout(0.5)
        s.sendall(b"info jit\n")
        out = b""
        while b"TLB elided flushes" not in out:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    m = re.search(rb"TLB partial flushes\s+(\d+)", out)
    return int(m.group(1)) if m else 0


def costs(image):
    """Instructions per byte (and per telemetry message), deterministic: the
    twin runs with `-icount shift=0`, so the hart's retired-instruction
    counter (sysinfo, in /api/status) counts exactly what the firmware ran.
    What the board does meanwhile anyway (timers, telemetry at 1 Hz, two
    status requests) is measured alone and taken off."""
    tmp = os.path.join(OUT, "costs")
    os.makedirs(tmp, exist_ok=True)
    # A socket path must stay short (108 bytes); the checkout's may not be.
    monitor = os.path.join(tempfile.mkdtemp(prefix="bench-"), "monitor.sock")
    twin = Twin(tmp, flash="flash-product.bin", net="tap", disk_image=image, icount=True,
                qemu_extra=("-monitor", f"unix:{monitor},server,nowait"))
    try:
        for line in ("http: serving on", "storage: mounted FAT volume", "ftp: serving on", "websocket: serving on"):
            twin.expect(line, timeout=120, since_boot=True)
        user, password = twin.ftp_credentials()

        def run(mode):
            out = twin.netns_run([sys.executable, "-c", COST_CLIENT, GUEST_IP, mode, user, password],
                                 timeout=900).stdout.decode()
            return json.loads(out.strip().splitlines()[-1])

        time.sleep(2)
        idle = run("idle")
        status = run("status")
        rate = max(idle["instructions"] - status["instructions"], 0) / idle["seconds"]

        def net(r):
            return r["instructions"] - status["instructions"] - rate * r["seconds"]

        out = {"idle_instructions_per_s": round(rate), "status_pair_instructions": status["instructions"]}
        for mode in ("http-memory", "http-emmc", "ftp-stor", "ftp-retr"):
            flushes = tlb_flushes(monitor)
            r = run(mode)
            flushes = tlb_flushes(monitor) - flushes
            out[mode] = {"bytes": r["bytes"], "instructions": r["instructions"], "seconds": round(r["seconds"], 2),
                         "instructions_per_byte": round(net(r) / r["bytes"], 2),
                         "tlb_flushes_per_mib": round(flushes * 2**20 / r["bytes"])}
        ws = json.loads(twin.netns_run([sys.executable, "-c", WS_COST_CLIENT, GUEST_IP],
                                       timeout=900).stdout.decode().strip().splitlines()[-1])
        out["ws-telemetry"] = {"messages": ws["messages"], "instructions": ws["instructions"],
                               "instructions_per_message": round(net(ws) / ws["messages"])}
        return out
    finally:
        twin.close()
        shutil.rmtree(os.path.dirname(monitor), ignore_errors=True)


# The board's eMMC size (a sparse file): FAT32 then has the board's 4 KiB
# clusters. A 64 MiB FAT32 volume must use 512-byte ones (FAT32 needs 65 525
# clusters at least), so an upload there allocates and links a cluster
# (FAT entries in both FATs) every 512 bytes, which no board does.
BENCH_IMAGE_MIB = 8192


def bench_image(path):
    """The production image plus files to serve: 64 KiB and 1 MiB under
    /www/bench, made by the build's own script, at the eMMC's size."""
    web = os.path.join(OUT, "web")
    shutil.rmtree(web, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "build", "web"), web)
    os.makedirs(os.path.join(web, "bench"))
    for name, size in (("64k.bin", 64 << 10), ("1m.bin", 1 << 20)):
        with open(os.path.join(web, "bench", name), "wb") as fh:
            fh.write(os.urandom(size))
    subprocess.run([os.path.join(ROOT, "tools", "mkimage.sh"), web, path, str(BENCH_IMAGE_MIB),
                    os.path.join(ROOT, "apps", "ftp", "ftp.cfg")], check=True, capture_output=True)
    return path


def kernel_costs():
    """System call and IPC round-trip cost, as the test image's `ipcprobe`
    measures them at boot (against `psramtest`)."""
    tmp = os.path.join(OUT, "kernel")
    os.makedirs(tmp, exist_ok=True)
    twin = Twin(tmp, flash="flash-test.bin", guest_ports=())
    try:
        rt = twin.expect(r"ipcprobe: \d+ round trips to \w+, (\d+) us each\r?\n", timeout=120, since_boot=True)
        sc = twin.expect(r"ipcprobe: a system call takes (\d+) ns\r?\n", timeout=60)
        return {"ipc_round_trip_us": int(rt.group(1)), "syscall_ns": int(sc.group(1))}
    finally:
        twin.close()


def format_8gib():
    """`SITE FORMAT` of a blank 8 GiB eMMC (a sparse image), as the FTP
    client sees it, and the first `/api/status` after it (the first that
    asks for the free space)."""
    import ftplib
    import urllib.request
    tmp = os.path.join(OUT, "format")
    os.makedirs(tmp, exist_ok=True)
    blank = os.path.join(tmp, "blank-8g.img")
    with open(blank, "wb") as fh:
        fh.truncate(8 << 30)
    twin = Twin(tmp, flash="flash-product.bin", disk_image=blank, guest_ports=(21, 80))
    try:
        twin.expect(r"ftp: serving on ", timeout=60, since_boot=True)
        user, password = twin.ftp_credentials()
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", twin.ports[21], timeout=120)
        ftp.login(user, password)
        start = time.monotonic()
        reply = ftp.sendcmd("SITE FORMAT")
        formatted = time.monotonic() - start
        ftp.quit()
        start = time.monotonic()
        with urllib.request.urlopen(f"http://127.0.0.1:{twin.ports[80]}/api/status", timeout=120) as r:
            volume = json.load(r)["volume"]
        first_status = time.monotonic() - start
    finally:
        twin.close()
        os.remove(twin.disk)
        os.remove(blank)
    return {"reply": reply, "format_s": round(formatted, 2), "first_status_s": round(first_status, 2),
            "total_bytes": volume.get("total_bytes"), "free_bytes": volume.get("free_bytes")}


def status(twin):
    out = twin.netns_run(["curl", "-s", "-m", "5", f"http://{GUEST_IP}/api/status"]).stdout
    return json.loads(out)


def main():
    os.makedirs(OUT, exist_ok=True)
    only = os.environ.get("BENCH_ONLY")  # e.g. websocket: one part, for quick iterations
    results = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "duration_s": DURATION, "http": {}}
    twin = Twin(OUT, flash="flash-product.bin", net="tap", disk_image=bench_image(os.path.join(OUT, "bench.img")))
    if only == "websocket":
        try:
            twin.expect(r"websocket: serving on", timeout=60, since_boot=True)
            print(json.dumps(websocket(twin), indent=1))
        finally:
            twin.close()
        return
    if only == "format":
        twin.close()
        print(json.dumps(format_8gib(), indent=1))
        return
    if only == "costs":
        twin.close()
        print(json.dumps(costs(os.path.join(OUT, "bench.img")), indent=1))
        return
    if only == "http":
        try:
            twin.expect(r"storage: mounted FAT volume", timeout=60, since_boot=True)
            time.sleep(1)
            small = {c: wrk(twin, c, "/api/bench/64")["requests_per_s"] for c in (1, 8)}
            rows = {"64KiB": "/api/bench/65536", "file 64KiB": "/bench/64k.bin", "1MiB": "/api/bench/1048576",
                    "file 1MiB": "/bench/1m.bin"}
            out = {k: [round(wrk(twin, c, u)["bytes_per_s"] / 2**20, 2) for c in (1, 4)] for k, u in rows.items()}
            print(json.dumps({"small requests/s": small, **out}, indent=1))
        finally:
            twin.close()
        return
    if only == "ftp":
        try:
            twin.expect(r"ftp: serving on", timeout=60, since_boot=True)
            twin.expect(r"storage: mounted FAT volume", timeout=60, since_boot=True)
            print(json.dumps([ftp(twin, size) for size in (1 << 20, 10 << 20)], indent=1))
        finally:
            twin.close()
        return
    try:
        twin.expect(r"http: serving on", timeout=60, since_boot=True)
        twin.expect(r"storage: mounted FAT volume", timeout=60, since_boot=True)
        time.sleep(1)
        results["http"]["small"] = [wrk(twin, c, "/api/bench/64") for c in (1, 8, 16)]
        results["http"]["64KiB"] = [wrk(twin, c, "/api/bench/65536") for c in (1, 8, 16)]
        results["http"]["file 64KiB"] = [wrk(twin, c, "/bench/64k.bin") for c in (1, 8, 16)]
        # The same size generated: the file rows' yardstick (64 KiB files are
        # served from the HTTP app's file cache after the first read; 1 MiB
        # ones, larger than it, from the eMMC every time).
        results["http"]["1MiB"] = [wrk(twin, c, "/api/bench/1048576") for c in (1, 4, 8)]
        results["http"]["file 1MiB"] = [wrk(twin, c, "/bench/1m.bin") for c in (1, 4, 8)]
        twin.expect(r"ftp: serving on", timeout=60, since_boot=True)
        results["ftp"] = [ftp(twin, size) for size in (1 << 20, 10 << 20)]
        twin.expect(r"websocket: serving on", timeout=60, since_boot=True)
        results["websocket"] = websocket(twin)
        s = status(twin)
        results["memory"] = {r["name"]: {"size": r["size"], "used": r["used"]} for r in s["memory"]}
        results["processes"] = {p["name"]: p["memory"] for p in s["processes"]}
        results["net_drops"] = {p["name"]: {"rx_dropped": p["net"]["rx_dropped"], "tx_dropped": p["net"]["tx_dropped"]}
                                for p in s["processes"] if "net" in p}
        dma = re.search(r"DMA SRAM: rings (.+?), network (.+?) \(.*?\), block (.+?) \(", twin.output)
        results["dma_sram"] = {"rings": dma.group(1), "network": dma.group(2), "block": dma.group(3)} if dma else {}
    finally:
        twin.close()
    results["kernel"] = kernel_costs()
    results["format"] = format_8gib()
    results["costs"] = costs(os.path.join(OUT, "bench.img"))
    with open(os.path.join(OUT, "results.json"), "w") as fh:
        json.dump(results, fh, indent=1)
    write_markdown(results)
    print(open(os.path.join(OUT, "results.md")).read())


def write_markdown(r):
    kib = lambda b: f"{b / 1024:.1f} KiB"
    lines = [f"# Benchmarks ({r['date']}, {r['duration_s']} s per run, QEMU twin on a tap link)", "",
             "## HTTP (wrk, keep-alive)", "",
             "| resource | connections | requests/s | throughput | p50 latency | errors |",
             "|---|---|---|---|---|---|"]
    for name, rows in r["http"].items():
        for row in rows:
            lines.append(f"| {name} | {row['connections']} | {row['requests_per_s']:.0f} | "
                         f"{row['bytes_per_s'] / 1024 / 1024:.2f} MiB/s | {row['latency_p50']} | {row['errors'] or '-'} |")
    lines += ["", "`/api/bench/N` is generated in the HTTP app (network path only); `file` rows are read",
              "through the storage service (a 64 KiB file from the HTTP app's file cache after the",
              "first read; a 1 MiB one, larger than the cache, from the eMMC every time).", "",
              "## FTP (Python ftplib, passive, one session: STOR then RETR)", "",
              "| size | upload | download | intact |", "|---|---|---|---|"]
    for row in r.get("ftp", []):
        lines.append(f"| {row['bytes'] / 1024 / 1024:.0f} MiB | {row['upload_bytes_per_s'] / 1024 / 1024:.2f} MiB/s | "
                     f"{row['download_bytes_per_s'] / 1024 / 1024:.2f} MiB/s | {row['intact']} |")
    w = r.get("websocket")
    if w:
        lines += ["", "## WebSocket (8 clients, the websockets library)", "",
                  "| telemetry rate | samples per client | lost (all clients) |", "|---|---|---|"]
        for x in w["rates"]:
            lines.append(f"| {x['hz']} Hz | {min(x['received'])}-{max(x['received'])} | {x['lost']} |")
        rt = w["led_round_trip_ms"]
        lines += ["", f"- highest rate delivered to all 8 clients with no sample lost: {w['highest_lossless_hz']} Hz",
                  f"- `led-command` -> `led-status` round trip ({rt['n']} commands, 8 clients connected): "
                  f"p50 {rt['p50']:.1f} ms, p99 {rt['p99']:.1f} ms",
                  f"- PSRAM per client (heap taken per slot at start, as the app reports it): "
                  f"{w['psram_per_client_bytes']} bytes"]
    k = r.get("kernel", {})
    if k:
        lines += ["", "## Kernel (test image, `ipcprobe`)", "",
                  f"- a system call (`command` to no driver): {k['syscall_ns'] / 1000:.1f} us",
                  f"- an IPC request/reply round trip between two processes: {k['ipc_round_trip_us']} us"]
    f = r.get("format")
    if f:
        lines += ["", "## Formatting the 8 GiB eMMC (FTP `SITE FORMAT`, blank sparse image)", "",
                  f"- `SITE FORMAT` answered in {f['format_s']} s (`{f['reply']}`), the mount and its free-cluster "
                  f"count included",
                  f"- the first `/api/status` after it: {f['first_status_s']} s; volume {f['total_bytes']} bytes, "
                  f"{f['free_bytes']} free"]
    c = r.get("costs", {})
    if c:
        lines += ["", "## CPU cost (instructions retired, QEMU `-icount shift=0`: deterministic)", "",
                  "| path | bytes | instructions per byte | QEMU TLB flushes per MiB (twin only) |",
                  "|---|---|---|---|"]
        for name in ("http-memory", "http-emmc", "ftp-stor", "ftp-retr"):
            x = c[name]
            lines.append(f"| {name} | {x['bytes']} | {x['instructions_per_byte']} | {x.get('tlb_flushes_per_mib', '-')} |")
        w = c["ws-telemetry"]
        lines += ["", f"- a telemetry sample to one WebSocket client (100 Hz): {w['instructions_per_message']} "
                  f"instructions per message, sampling included",
                  f"- the board idle (timers, telemetry at 1 Hz): {c['idle_instructions_per_s']} instructions/s "
                  f"(taken off the figures above); a pair of `/api/status` reads: {c['status_pair_instructions']}",
                  "- 100 Mbit/s at 550 MHz leaves ~44 Cortex-M7 cycles per byte (docs/performance.md)"]
    drops = {n: d for n, d in r.get("net_drops", {}).items() if d["rx_dropped"] or d["tx_dropped"]}
    lines += ["", "Frames the Ethernet switch dropped over all runs (a process's queue full): "
              + (", ".join(f"{n} rx {d['rx_dropped']} tx {d['tx_dropped']}" for n, d in drops.items()) or "none")]
    lines += ["", "## Internal SRAM used by the network path", ""]
    for k, v in r.get("dma_sram", {}).items():
        lines.append(f"- DMA SRAM, {k}: {v}")
    for name, m in r.get("memory", {}).items():
        lines.append(f"- {name}: {kib(m['used'])} of {kib(m['size'])}")
    lines += ["", "## Process memory (PSRAM)", ""]
    for name, m in r.get("processes", {}).items():
        lines.append(f"- {name}: block {kib(m['size'])}, app {kib(m['app'])}, kernel-held {kib(m['kernel'])}, "
                     f"PSRAM grants {kib(m['psram_grant_bytes'])}")
    with open(os.path.join(OUT, "results.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
