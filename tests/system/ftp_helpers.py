"""Helpers for the FTP system tests: Python's ftplib and curl as clients,
twins of the tests' own (production apps, own disk image, own passive
ports), and host-side checks of a disk image (fsck.fat, mtools)."""
import ftplib
import hashlib
import io
import os
import re
import socket
import struct
import subprocess
import time

from twin import ROOT, Twin

# The login `config_text` writes into the images the tests make. The build's
# image has no password: its twins print one at first boot (Twin.ftp_credentials).
USER, PASSWORD = "user", "pass"
BOARD_IP = "10.0.2.15"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def login(port, user=USER, password=PASSWORD, timeout=30):
    """An ftplib session, logged in, binary mode."""
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", port, timeout=timeout)
    ftp.login(user, password)
    ftp.voidcmd("TYPE I")
    return ftp


def put(ftp, path, data, cmd="STOR", rest=None):
    return ftp.storbinary(f"{cmd} {path}", io.BytesIO(data), blocksize=65536, rest=rest)


def get(ftp, path, rest=None):
    out = io.BytesIO()
    ftp.retrbinary(f"RETR {path}", out.write, blocksize=65536, rest=rest)
    return out.getvalue()


def reply_code(fn, *args):
    """Runs an ftplib call expected to fail; returns the reply's code."""
    try:
        fn(*args)
    except ftplib.all_errors as e:
        m = re.match(r"(\d{3})", str(e))
        assert m, f"not an FTP reply: {e!r}"
        return int(m.group(1))
    raise AssertionError(f"{fn.__name__}{args} did not fail")


def sendcmd_code(ftp, line):
    """Sends one command line; returns (code, text) of its reply, whatever it is."""
    try:
        resp = ftp.sendcmd(line)
    except ftplib.Error as e:
        resp = str(e)
    return int(resp[:3]), resp


def raw_line(ftp, data):
    """Sends raw bytes (which need not be UTF-8) on the control connection
    and reads one reply."""
    ftp.sock.sendall(data)
    return ftp.getmultiline()


def epsv_connect(ftp):
    """EPSV by hand (ftplib only uses it for IPv6): the data socket."""
    resp = ftp.sendcmd("EPSV")
    m = re.match(r"229 .*\(\|\|\|(\d+)\|\)", resp)
    assert m, resp
    return socket.create_connection(("127.0.0.1", int(m.group(1))), timeout=30)


def reset(sock):
    """Closes with RST (SO_LINGER 0): a client that vanished."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def vanish(ftp):
    """The control connection of `ftp` ends with RST, as if the client died."""
    ftp.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    ftp.file.close()
    ftp.sock.close()


def make_image(tmp_dir, config_text, mib=64, fill=None, many=None):
    """A disk image made like the build's (tools/mkimage.sh) with `config_text`
    as /config/ftp.cfg (None: no settings file); `fill` = (name, bytes) is
    copied to / with mtools; `many` = {name: bytes} go to /many."""
    configs = []
    if config_text is not None:
        cfg_dir = os.path.join(tmp_dir, "cfg")
        os.makedirs(cfg_dir, exist_ok=True)
        configs.append(os.path.join(cfg_dir, "ftp.cfg"))
        with open(configs[0], "w") as fh:
            fh.write(config_text)
    img = os.path.join(tmp_dir, "image.img")
    subprocess.run([os.path.join(ROOT, "tools", "mkimage.sh"), os.path.join(ROOT, "build", "web"), img, str(mib), *configs],
                   check=True, capture_output=True)
    if fill:
        name, data = fill
        src = os.path.join(tmp_dir, "fill.bin")
        with open(src, "wb") as fh:
            fh.write(data)
        subprocess.run(["mcopy", "-i", img, src, f"::/{name}"], check=True, capture_output=True,
                       env=dict(os.environ, MTOOLS_SKIP_CHECK="1"))
    if many:
        src = os.path.join(tmp_dir, "many")
        os.makedirs(src, exist_ok=True)
        for name, data in many.items():
            with open(os.path.join(src, name), "wb") as fh:
                fh.write(data)
        env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
        subprocess.run(["mmd", "-i", img, "::/many"], check=True, capture_output=True, env=env)
        subprocess.run(["mcopy", "-i", img, *[os.path.join(src, n) for n in many], "::/many/"], check=True,
                       capture_output=True, env=env)
    return img


def config_text(passive, user=USER, password=PASSWORD, address="127.0.0.1"):
    lines = ["# test settings", f"user = {user}", f"pass = {password}", f"pasv_ports = {passive.start}-{passive.stop - 1}"]
    if address:
        lines.append(f"pasv_address = {address}")
    return "\n".join(lines) + "\n"


def boot_own_twin(tmp_dir, image, passive):
    """A twin of the test's own: production apps (no test apps), `image`,
    only port 21 and the passive range `passive` forwarded (not the module
    twin's 50000-50009, so both can run at once)."""
    t = Twin(tmp_dir, flash="flash-product.bin", disk_image=image, guest_ports=(21,), passive=passive)
    try:
        t.expect(r"ftp: serving on ", timeout=60)
    except BaseException:
        t.close()
        raise
    return t


def settle_and_close(twin, idle=1.5):
    """Lets the storage service go idle (it then leaves the volume clean on
    the device) and stops QEMU."""
    time.sleep(idle)
    twin.close()


def fsck(image):
    out = subprocess.run(["fsck.fat", "-n", image], capture_output=True, text=True, timeout=60)
    return out.returncode, out.stdout + out.stderr


def mread(image, path):
    """A file's bytes as mtools reads them from the image."""
    out = subprocess.run(["mcopy", "-i", image, f"::{path}", "-"], capture_output=True, timeout=60,
                         env=dict(os.environ, MTOOLS_SKIP_CHECK="1"))
    assert out.returncode == 0, f"mcopy {path}: {out.stderr.decode(errors='replace')}"
    return out.stdout


def mdir(image, path="/"):
    out = subprocess.run(["mdir", "-b", "-i", image, f"::{path}"], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, MTOOLS_SKIP_CHECK="1"))
    return out.returncode, out.stdout


def curl(*args, timeout=120):
    out = subprocess.run(["curl", "-sS", "--max-time", str(timeout), *args], capture_output=True, timeout=timeout + 10)
    assert out.returncode == 0, f"curl {args}: {out.stderr.decode(errors='replace')}"
    return out.stdout
