"""A booted QEMU twin for system tests: console I/O with timeouts, and
cleanup that always kills QEMU."""
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build", "qemu_twin")
BUILD_M7 = os.path.join(ROOT, "build", "qemu_m7")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import qemu_twin  # noqa: E402


def free_port(taken=()):
    """A host port free now and not in `taken` (ports this twin already
    forwards: the kernel may hand out a port inside a chosen passive range,
    or the same port twice, and QEMU then refuses the second forward)."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in taken:
            return port
    raise RuntimeError("no free host port outside the ones already taken")


def wait_ports_free(ports, timeout=90):
    """Waits until every port can be bound on 127.0.0.1 (a closed
    connection's port stays taken for TIME_WAIT, 60 s), so QEMU can set up
    its forwards."""
    deadline = time.monotonic() + timeout
    for port in ports:
        while True:
            try:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)


def free_port_range(count=10):
    """`count` consecutive host ports that are free now (FTP passive ports
    are forwarded one to one, so each twin needs a range of its own)."""
    rng = random.Random()
    for _ in range(100):
        base = rng.randrange(20000, 60000, count)
        try:
            held = []
            for port in range(base, base + count):
                s = socket.socket()
                held.append(s)
                s.bind(("127.0.0.1", port))
            return range(base, base + count)
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
    raise RuntimeError("no free range of host ports for FTP passive mode")


def set_passive_ports(image, passive):
    """Points /config/ftp.cfg in `image` (a twin's copy) at `passive`."""
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    cfg = subprocess.run(["mtype", "-i", image, "::/config/ftp.cfg"], capture_output=True, env=env)
    if cfg.returncode != 0:
        return False
    line = f"pasv_ports = {passive.start}-{passive.stop - 1}"
    text = re.sub(r"(?m)^pasv_ports\s*=.*$", line, cfg.stdout.decode())
    if line not in text:
        text += f"\n{line}\n"
    tmp = image + ".ftp.cfg"
    with open(tmp, "w") as fh:
        fh.write(text)
    subprocess.run(["mcopy", "-o", "-i", image, tmp, "::/config/ftp.cfg"], check=True, capture_output=True, env=env)
    os.remove(tmp)
    return True


def image_with_files(tmp_dir, files):
    """A copy of the built disk image with `files` ({volume path: bytes or
    text}) written into it, replacing files of the same name."""
    os.makedirs(tmp_dir, exist_ok=True)
    image = os.path.join(tmp_dir, "files.img")
    shutil.copyfile(os.path.join(BUILD, "disk.img"), image)
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    for i, (path, data) in enumerate(files.items()):
        src = os.path.join(tmp_dir, f"file{i}")
        with open(src, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
        subprocess.run(["mcopy", "-o", "-i", image, src, f"::{path}"], check=True, capture_output=True, env=env)
    return image


def image_with_settings(tmp_dir, settings):
    """A copy of the built disk image with `settings` ({name: text}) written
    to /config/<name>, replacing the shipped file of that name."""
    return image_with_files(tmp_dir, {f"/config/{name}": text for name, text in settings.items()})


GUEST_IP = qemu_twin.GUEST_IP
# The FTP app's console line for a password it generated (saved, or for this boot only).
FTP_GENERATED = rb"ftp: no password in /config/ftp\.cfg[^\r\n]*?: user `([^`\r\n]+)`, password `([^`\r\n]+)`"
HOST_IP = "10.0.2.2"        # the test's side of the tap link, inside the namespace
_netns_count = 0


def copy_sparse(src, dst):
    """Copies a disk image keeping its holes (GNU cp skips them without
    reading): an 8 GiB sparse eMMC image stays a few MiB on the host."""
    subprocess.run(["cp", "--sparse=always", src, dst], check=True)


class Twin:
    """One QEMU twin, booted with a fresh copy of the disk image from a
    flash image: `flash-test.bin` (the shared apps and the test probes) by
    default, `flash-product.bin` for the product (with websocket and telemetry),
    or a path (a copy tockloader edited).

    net="user": QEMU's NAT; guest ports in `guest_ports` are forwarded to
    free ports on 127.0.0.1 (`self.ports[guest_port]`).
    net="tap": the twin sits on a tap link inside a network namespace this
    object creates (and deletes); `self.netns_run(argv)` runs a client
    there, which reaches the board at GUEST_IP.
    """

    def __init__(self, tmp_dir, flash="flash-test.bin", disk_image=None, guest_ports=(80, 21, 8080, 81),
                 net="user", passive=None, board="qemu_twin", icount=False, qemu_extra=()):
        global _netns_count
        self.board = board
        if board == "qemu_m7":
            # The Cortex-M7 twin: console only, no disk, no network.
            self.disk, self.ports, self.passive, self.netns = None, {}, None, None
            cmd = qemu_twin.qemu_m7_command(os.path.join(BUILD_M7, flash))
            self._start(tmp_dir, cmd)
            return
        self.disk = os.path.join(tmp_dir, "disk.img")
        copy_sparse(disk_image or os.path.join(BUILD, "disk.img"), self.disk)
        # FTP passive ports are advertised as they are: forwarded one to one.
        # Unless the caller names a range (its image's settings), the twin
        # gets a free one and its copy of the settings file says so, so
        # twins never clash over host ports. The range is chosen first so
        # that the single forwards can keep out of it.
        forwards = []
        self.passive = None
        if net == "user" and 21 in guest_ports:
            if passive is None:
                candidate = free_port_range()
                if set_passive_ports(self.disk, candidate):
                    passive = candidate
                else:
                    # No settings file to change (a blank eMMC): the app's
                    # own range, which an earlier client's port may hold.
                    passive = qemu_twin.PASSIVE_PORTS
                    wait_ports_free(passive)
            self.passive = passive
            forwards += [(p, p) for p in passive]
        self.ports = {}
        if net == "user":
            for g in guest_ports:
                self.ports[g] = free_port(taken=set(self.passive or ()) | set(self.ports.values()))
            forwards = [(h, g) for g, h in self.ports.items()] + forwards
        self.netns = None
        prefix = []
        if net == "tap":
            _netns_count += 1
            self.netns = f"nmtwin{os.getpid()}x{_netns_count}"
            subprocess.run(["ip", "netns", "add", self.netns], check=True)
            for argv in (["ip", "link", "set", "lo", "up"],
                         ["ip", "tuntap", "add", "dev", "tap0", "mode", "tap"],
                         ["ip", "addr", "add", f"{HOST_IP}/24", "dev", "tap0"],
                         ["ip", "link", "set", "tap0", "up"]):
                subprocess.run(["ip", "netns", "exec", self.netns] + argv, check=True)
            prefix = ["ip", "netns", "exec", self.netns]
        flash_path = flash if os.path.isabs(flash) else os.path.join(BUILD, flash)
        cmd = prefix + qemu_twin.qemu_command(flash_path, self.disk, forwards=forwards, net=net, icount=icount,
                                              extra=qemu_extra)
        self._start(tmp_dir, cmd)

    def _start(self, tmp_dir, cmd):
        self.log_path = os.path.join(tmp_dir, "console.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._buf = bytearray()
        self._lock = threading.Condition()
        self._pos = 0
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        while True:
            chunk = self.proc.stdout.read1(4096)
            if not chunk:
                break
            try:
                self._log.write(chunk)
                self._log.flush()
            except ValueError:
                break  # close() ended the log while QEMU was still writing
            with self._lock:
                self._buf += chunk
                self._lock.notify_all()
        with self._lock:
            self._lock.notify_all()

    @property
    def output(self):
        with self._lock:
            return self._buf.decode(errors="replace")

    def expect(self, pattern, timeout=30.0, since_boot=False, diagnose=True):
        """Waits for `pattern` (regex) in console output after the last match
        (or anywhere, with `since_boot`); returns the match, and later
        expects continue after it. Fails with the console tail on timeout."""
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                m = rx.search(self._buf, 0 if since_boot else self._pos)
                if m:
                    self._pos = m.end()
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    tail = self._buf[-3000:].decode(errors="replace")
                    state = "QEMU exited" if self.proc.poll() is not None else f"{timeout:.0f} s passed"
                    break
                self._lock.wait(min(left, 0.5))
        why = self._diagnose() if diagnose else "no diagnosis"
        raise AssertionError(f"{state} waiting for {pattern!r}; {why}\nconsole tail:\n{tail}")

    def _diagnose(self):
        """Whether the kernel still answers (console, network), to tell a
        stuck console from a stuck board when an expectation fails."""
        if self.proc.poll() is not None:
            return f"QEMU exit status {self.proc.returncode}"
        before = len(self._buf)
        try:
            self.send("list")
        except OSError:
            pass
        time.sleep(1.5)
        console = "console answers" if b"PID" in self._buf[before:] else "console silent"
        net = "no HTTP port"
        if 80 in self.ports:
            try:
                with socket.create_connection(("127.0.0.1", self.ports[80]), timeout=3) as s:
                    s.sendall(b"GET /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    s.settimeout(3)
                    net = "HTTP answers" if s.recv(12).startswith(b"HTTP/1.1") else "HTTP silent"
            except OSError as e:
                net = f"HTTP error {e}"
        return f"diagnosis: {console}, {net}"

    def find(self, pattern, timeout=30.0):
        """Waits for `pattern` anywhere in the console output and returns
        the match, without moving where the next expect() starts."""
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                m = rx.search(self._buf)
                if m or time.monotonic() >= deadline or self.proc.poll() is not None:
                    break
                self._lock.wait(min(deadline - time.monotonic(), 0.5))
        if not m:
            raise AssertionError(f"no {pattern!r} on the console; tail:\n{self.output[-2000:]}")
        return m

    def ftp_credentials(self, timeout=60.0):
        """(user, password) of the FTP app: the password its settings lack
        is generated at first boot and printed once on the console
        (apps/ftp/src/credentials.rs); images whose settings set one print
        nothing, and their tests know it."""
        m = self.find(FTP_GENERATED, timeout)
        return m.group(1).decode(), m.group(2).decode()

    def mark(self):
        """Only output after this point counts for the next expect()."""
        with self._lock:
            self._pos = len(self._buf)

    def send(self, line):
        """Types a line on the process console."""
        self.proc.stdin.write(line.encode() + b"\r")
        self.proc.stdin.flush()

    def command(self, line, until, timeout=20.0):
        """Sends a process-console command, waits for `until`, then for the
        console's next prompt, so the next command finds it idle."""
        self.mark()
        self.send(line)
        m = self.expect(until, timeout)
        try:
            self.expect(r"tock\$ ", timeout=5)
        except AssertionError:
            pass
        self._pos = m.end()
        return m

    def alive(self):
        return self.proc.poll() is None

    def url(self, path, guest_port=80):
        """URL of a forwarded guest port on 127.0.0.1 (user networking)."""
        return f"http://127.0.0.1:{self.ports[guest_port]}{path}"

    def netns_run(self, argv, timeout=60, **kw):
        """Runs a client inside the twin's network namespace (tap mode)."""
        return subprocess.run(["ip", "netns", "exec", self.netns] + list(argv), timeout=timeout,
                              capture_output=True, **kw)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        finally:
            self._log.close()
            if self.netns:
                subprocess.run(["ip", "netns", "del", self.netns], check=False)
