"""A booted QEMU twin for system tests: console I/O with timeouts, and
cleanup that always kills QEMU."""
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build", "qemu_twin")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import qemu_twin  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Twin:
    """One QEMU twin, booted with a fresh copy of the disk image."""

    def __init__(self, tmp_dir, apps="apps-test.bin", disk_image=None, guest_ports=(80, 21, 8080), net=True):
        self.disk = os.path.join(tmp_dir, "disk.img")
        shutil.copyfile(disk_image or os.path.join(BUILD, "disk.img"), self.disk)
        self.ports = {g: free_port() for g in guest_ports}
        cmd = qemu_twin.qemu_command(os.path.join(BUILD, "kernel.elf"), os.path.join(BUILD, apps),
                                    self.disk, forwards=[(h, g) for g, h in self.ports.items()], net=net)
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
            self._log.write(chunk)
            self._log.flush()
            with self._lock:
                self._buf += chunk
                self._lock.notify_all()
        with self._lock:
            self._lock.notify_all()

    @property
    def output(self):
        with self._lock:
            return self._buf.decode(errors="replace")

    def expect(self, pattern, timeout=30.0, since_boot=False):
        """Waits for `pattern` (regex) in console output after the last match
        (or anywhere, with `since_boot`); returns the match. Fails with the
        console tail on timeout."""
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                m = rx.search(self._buf, 0 if since_boot else self._pos)
                if m:
                    if not since_boot:
                        self._pos = m.end()
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    tail = self._buf[-3000:].decode(errors="replace")
                    state = "QEMU exited" if self.proc.poll() is not None else f"{timeout:.0f} s passed"
                    raise AssertionError(f"{state} waiting for {pattern!r}; console tail:\n{tail}")
                self._lock.wait(min(left, 0.5))

    def mark(self):
        """Only output after this point counts for the next expect()."""
        with self._lock:
            self._pos = len(self._buf)

    def send(self, line):
        """Types a line on the process console."""
        self.proc.stdin.write(line.encode() + b"\r")
        self.proc.stdin.flush()

    def command(self, line, until, timeout=10.0):
        """Sends a process-console command and waits for `until`."""
        self.mark()
        self.send(line)
        return self.expect(until, timeout)

    def alive(self):
        return self.proc.poll() is None

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        finally:
            self._log.close()
