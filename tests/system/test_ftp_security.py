"""Who may log in to the FTP app and what each role may do, with real
clients (Python's ftplib, curl) against twins of the tests' own.

- The build's image ships no password: the board generates one at first
  boot, saves it in /config/ftp.cfg and prints it once; the next boot of
  the same volume reads it and prints nothing.
- Wrong passwords are answered later and later (per connection and per
  peer address) and each is reported on the console, never the password;
  the checks read the console lines, never a clock.
- SITE FORMAT needs the admin role (`admin = yes`).
- Anonymous access is off by default and read-only inside /www when on.
- With no `pasv_address` (the product settings), PASV advertises the
  board's own address: checked on a tap link, where a client can reach it.
"""
import ftplib
import json
import os
import re
import subprocess

import pytest

from ftp_helpers import (PASSWORD, USER, boot_own_twin, config_text, curl, get, login, make_image, mread, put,
                         reply_code, sendcmd_code, settle_and_close, sha256)
from twin import BUILD, GUEST_IP, ROOT, Twin, free_port_range

PRODUCT_CFG = os.path.join(ROOT, "apps", "ftp", "ftp.cfg")


def failed_line(user, peer_count, delay):
    return (rf"ftp: failed login for user `{re.escape(user)}` from 10\.0\.2\.2 \({peer_count} from this peer\); "
            rf"next answer in {delay} s")


@pytest.mark.timeout(240)
def test_generated_password_is_saved_printed_once_and_kept(tmp_path):
    """The twin's image as built: no password in its settings."""
    first = tmp_path / "first"
    first.mkdir()
    t = Twin(str(first), flash="flash-product.bin", disk_image=os.path.join(BUILD, "disk.img"), guest_ports=(21,))
    try:
        t.expect(r"ftp: serving on ", timeout=60)
        user, password = t.ftp_credentials()
        assert user == "user" and re.fullmatch(r"[2-9a-hjkmnp-z]{16}", password), password
        assert reply_code(login, t.ports[21], "user", "pass") == 530, "no default password"
        ftp = login(t.ports[21], user, password)
        assert ftp.pwd() == "/"
        ftp.quit()
        assert t.output.count(password) == 1, "printed exactly once"
    finally:
        settle_and_close(t)
    saved = mread(t.disk, "/config/ftp.cfg").decode()
    assert saved.endswith(f"\npass = {password}\n"), saved
    # Every other line is as it was (the twin's copy has its own pasv_ports).
    shipped = mread(os.path.join(BUILD, "disk.img"), "/config/ftp.cfg").decode()
    kept = [ln for ln in shipped.splitlines() if not ln.startswith("pasv_ports")]
    assert all(ln in saved.splitlines() for ln in kept)
    assert "pasv_address = 127.0.0.1" in saved

    # The next boot of the same volume reads it and prints no password.
    again = tmp_path / "again"
    again.mkdir()
    t2 = Twin(str(again), flash="flash-product.bin", disk_image=t.disk, guest_ports=(21,))
    try:
        t2.expect(r"ftp: serving on ", timeout=60)
        t2.expect(r"ftp: settings from /config/ftp\.cfg: user user \(from the file\)", since_boot=True)
        login(t2.ports[21], user, password).quit()
        assert "no password in" not in t2.output
        assert password not in t2.output
    finally:
        t2.close()


@pytest.mark.timeout(240)
def test_a_blank_emmc_gets_a_boot_only_password_with_the_admin_role(tmp_path):
    """No volume, so nothing to save a password on: it is printed for this
    boot only, with the admin role, so SITE FORMAT can make the volume. The
    next boot finds a volume without settings and saves a new one."""
    blank = tmp_path / "blank.img"
    with open(blank, "wb") as fh:
        fh.truncate(34 << 20)
    first = tmp_path / "first"
    first.mkdir()
    t = Twin(str(first), flash="flash-product.bin", disk_image=str(blank), guest_ports=(21,))
    try:
        t.expect(r"ftp: serving on ", timeout=60)
        m = t.expect(r"ftp: no password in /config/ftp\.cfg and no volume to save one on \(.*\); for this boot only, "
                     r"with the admin role: user `user`, password `([^`]+)`", since_boot=True)
        user, password = t.ftp_credentials()
        assert password == m.group(1).decode()
        ftp = login(t.ports[21], user, password)
        assert ftp.sendcmd("SITE FORMAT") == "200 Volume formatted."
        put(ftp, "/after.txt", b"a volume at last")
        ftp.quit()
    finally:
        settle_and_close(t)
    assert mread(t.disk, "/after.txt") == b"a volume at last"
    again = tmp_path / "again"
    again.mkdir()
    t2 = Twin(str(again), flash="flash-product.bin", disk_image=t.disk, guest_ports=(21,))
    try:
        t2.expect(r"ftp: serving on ", timeout=60)
        t2.expect(r"ftp: no /config/ftp\.cfg; default user user", since_boot=True)
        t2.expect(r"ftp: no password in /config/ftp\.cfg; generated one and saved it there", since_boot=True)
        user2, password2 = t2.ftp_credentials()
        assert password2 != password
        assert reply_code(login, t2.ports[21], user, password) == 530
        ftp = login(t2.ports[21], user2, password2)
        assert sendcmd_code(ftp, "SITE FORMAT")[0] == 550, "the admin role was for the blank volume only"
        ftp.quit()
    finally:
        t2.close()


@pytest.mark.timeout(240)
def test_the_8_gib_emmc_formats_within_a_client_timeout(tmp_path):
    """The board's whole eMMC, blank (a sparse image: holes stay holes on
    the host). SITE FORMAT answers before a client's usual 20 s timeout,
    the volume's free count is made at its first mount (fatfs formats with
    none; counting it later stalled the first /api/status 9 s), and the
    volume is right for fsck.fat and mtools."""
    blank = tmp_path / "blank-8g.img"
    with open(blank, "wb") as fh:
        fh.truncate(8 << 30)
    (tmp_path / "twin").mkdir()
    t = Twin(str(tmp_path / "twin"), flash="flash-product.bin", disk_image=str(blank), guest_ports=(21, 80))
    try:
        t.expect(r"ftp: serving on ", timeout=60)
        user, password = t.ftp_credentials()
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", t.ports[21], timeout=20)
        ftp.login(user, password)
        assert ftp.sendcmd("SITE FORMAT") == "200 Volume formatted."
        put(ftp, "/big-volume.txt", b"on 8 GiB")
        ftp.quit()
        out = subprocess.run(["curl", "-s", "-S", "-m", "20", f"http://127.0.0.1:{t.ports[80]}/api/status"],
                             capture_output=True, check=True)
        volume = json.loads(out.stdout)["volume"]
        assert volume["mounted"] and volume["total_bytes"] > 8_500_000_000, volume
        assert volume["total_bytes"] - volume["free_bytes"] < 1 << 20, volume
    finally:
        settle_and_close(t)
    assert os.stat(t.disk).st_blocks * 512 < 64 << 20, "the image stayed sparse"
    check = subprocess.run(["fsck.fat", "-n", t.disk], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0 and "Free cluster summary" not in check.stdout, check.stdout + check.stderr
    assert mread(t.disk, "/big-volume.txt") == b"on 8 GiB"


SECRET = "S3cret, not echoed!"


@pytest.mark.timeout(240)
def test_wrong_passwords_are_counted_and_answered_later_and_later(tmp_path):
    ports = free_port_range()
    t = boot_own_twin(str(tmp_path), make_image(str(tmp_path), config_text(ports, password=SECRET)), ports)
    try:
        port = t.ports[21]
        # Connection 1: two failures, 1 s then 2 s before each 530.
        a = ftplib.FTP()
        a.connect("127.0.0.1", port, timeout=30)
        for n, delay in ((1, 1), (2, 2)):
            assert reply_code(a.login, "user", f"wrong-{n}") == 530
            t.expect(failed_line("user", n, delay), timeout=10)
        # Connection 2 from the same peer: the peer's count goes on (3, 4 s),
        # then the connection's own third failure closes it.
        b = ftplib.FTP()
        b.connect("127.0.0.1", port, timeout=30)
        assert reply_code(b.login, "intruder", "guess") == 530
        t.expect(failed_line("intruder", 3, 4), timeout=10)
        a.sendcmd("USER user")
        assert sendcmd_code(a, "PASS wrong-3")[0] == 530
        t.expect(failed_line("user", 4, 8), timeout=10)
        assert reply_code(a.getresp) == 421  # three on connection a
        # The delay stops growing at 8 s.
        assert reply_code(b.login, "user", "guess-2") == 530
        t.expect(failed_line("user", 5, 8), timeout=15)
        # The right password is answered at once and clears the peer's count.
        b.sendcmd("USER user")
        assert b.sendcmd(f"PASS {SECRET}").startswith("230")
        t.expect(r"ftp: session \d+: user user logged in")
        b.quit()
        c = ftplib.FTP()
        c.connect("127.0.0.1", port, timeout=30)
        assert reply_code(c.login, "user", "again-wrong") == 530
        t.expect(failed_line("user", 1, 1), timeout=10)
        c.close()
        out = t.output
        assert len(re.findall(r"ftp: failed login for user", out)) == 6
        for secret in ("wrong-1", "wrong-2", "wrong-3", "guess", "again-wrong", SECRET):
            assert secret not in out, secret
    finally:
        t.close()


@pytest.mark.timeout(180)
def test_site_format_works_for_the_admin_role_only(tmp_path):
    ports = free_port_range()
    image = make_image(str(tmp_path), config_text(ports) + "admin = yes\n")
    t = boot_own_twin(str(tmp_path), image, ports)
    try:
        t.expect(r"ftp: settings from /config/ftp\.cfg: user user \(from the file\), admin role", since_boot=True)
        ftp = login(t.ports[21])
        assert "admin" in ftp.sendcmd("STAT")
        assert sendcmd_code(ftp, "SITE FORMAT bad*label")[0] == 501
        put(ftp, "/doomed.bin", b"soon gone")
        assert "doomed.bin" in ftp.nlst("/")
        assert ftp.sendcmd("SITE FORMAT") == "200 Volume formatted."
        t.expect(r"ftp: session \d+: user user formats the volume")
        t.expect(r"ftp: volume formatted")
        assert ftp.nlst("/") == []
        data = os.urandom(100_000)
        ftp.mkd("/fresh")
        put(ftp, "/fresh/new.bin", data)
        assert get(ftp, "/fresh/new.bin") == data
        ftp.quit()
        # The running server keeps its settings (the file went with the volume).
        login(t.ports[21]).quit()
    finally:
        t.close()


@pytest.fixture(scope="module")
def anonymous_twin(tmp_path_factory):
    """Product image, settings with `anonymous = yes`; no admin role."""
    tmp = str(tmp_path_factory.mktemp("anon"))
    ports = free_port_range()
    t = boot_own_twin(tmp, make_image(tmp, config_text(ports) + "anonymous = yes\n"), ports)
    t.expect(r"ftp: serving on .* anonymous read-only in /www,", since_boot=True)
    try:
        yield t
    finally:
        t.close()


@pytest.mark.timeout(120)
def test_anonymous_is_off_by_default(tmp_path):
    ports = free_port_range()
    t = boot_own_twin(str(tmp_path), make_image(str(tmp_path), open(PRODUCT_CFG).read()), ports)
    try:
        t.expect(r"ftp: serving on .* anonymous off,", since_boot=True)
        for name in ("anonymous", "ftp"):
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", t.ports[21], timeout=30)
            assert sendcmd_code(ftp, f"USER {name}") == (331, "331 Password required.")
            assert sendcmd_code(ftp, "PASS guest@example.org")[0] == 530
            ftp.close()
        # curl's anonymous login is refused too.
        out = subprocess.run(["curl", "-sS", "--max-time", "30", f"ftp://127.0.0.1:{t.ports[21]}/"],
                             capture_output=True, timeout=40)
        assert out.returncode != 0 and b"530" in out.stderr + out.stdout, out
    finally:
        t.close()


@pytest.mark.timeout(180)
def test_anonymous_reads_www_and_changes_nothing(anonymous_twin):
    t = anonymous_twin
    port = t.ports[21]
    index = mread(t.disk, "/www/index.html")
    # curl logs in as anonymous by itself.
    assert curl(f"ftp://127.0.0.1:{port}/index.html") == index
    listing = curl(f"ftp://127.0.0.1:{port}/").decode()
    assert re.search(r" index\.html\r?$", listing, re.M), listing
    t.expect(r"ftp: session \d+: anonymous login from 10\.0\.2\.2 \(read-only, /www\)")

    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", port, timeout=30)
    assert ftp.login("anonymous", "someone@example.org").startswith("230")
    ftp.voidcmd("TYPE I")
    assert ftp.pwd() == "/"
    names = ftp.nlst()
    assert "index.html" in names and "config" not in names and "www" not in names, names
    assert get(ftp, "/index.html") == index
    assert ftp.size("index.html") == len(index)
    assert re.fullmatch(r"213 \d{14}", ftp.sendcmd("MDTM index.html"))
    assert "index.html" in dict(ftp.mlsd("/"))
    # Nothing outside /www, however it is asked for.
    for line in ("CWD ..", "CWD /../config", "SIZE ../config/ftp.cfg", "MDTM /../config/ftp.cfg"):
        code, text = sendcmd_code(ftp, line)
        assert code == 550 and "above the root" in text, (line, text)
    assert reply_code(get, ftp, "/config/ftp.cfg") == 550  # that is /www/config/ftp.cfg
    assert reply_code(get, ftp, "../config/ftp.cfg") == 550
    # Nothing changes.
    for fn, args in ((put, (ftp, "/new.txt", b"x")), (put, (ftp, "/index.html", b"defaced")),
                     (put, (ftp, "/index.html", b"more", "APPE")), (ftp.delete, ("index.html",)),
                     (ftp.mkd, ("d",)), (ftp.rmd, ("assets",)), (ftp.rename, ("index.html", "x.html"))):
        assert reply_code(fn, *args) == 550, fn
    for line in ("SITE FORMAT", "SITE HELP", "RNTO x"):
        assert sendcmd_code(ftp, line)[0] == 550, line
    assert "anonymous, read-only" in ftp.sendcmd("STAT")
    ftp.quit()
    assert mread(t.disk, "/www/index.html") == index

    # The user `ftp` is anonymous too; the configured user is not confined.
    ftp = login(port, "ftp", "x")
    assert ftp.pwd() == "/" and "index.html" in ftp.nlst()
    ftp.quit()
    full = login(port, USER, PASSWORD)
    assert "www" in full.nlst("/") and "config" in full.nlst("/")
    full.quit()


@pytest.mark.timeout(180)
def test_pasv_advertises_the_board_address_without_pasv_address(tmp_path):
    """The product settings (no pasv_address) on a tap link: the address
    in 227 is the board's own, and a client that uses it gets the file."""
    image = make_image(str(tmp_path), open(PRODUCT_CFG).read())
    t = Twin(str(tmp_path), flash="flash-product.bin", disk_image=image, net="tap")
    try:
        t.expect(r"tock\$ ", timeout=60)
        t.expect(rf"ftp: serving on {re.escape(GUEST_IP)}:21 \(8 sessions, passive ports 50000-50009 advertised as "
                 rf"{re.escape(GUEST_IP)},", timeout=60, since_boot=True)
        user, password = t.ftp_credentials()
        data = os.urandom(200_000)
        src = tmp_path / "up.bin"
        src.write_bytes(data)
        base = f"ftp://{user}:{password}@{GUEST_IP}"
        # curl connects to the address PASV names (--disable-epsv: PASV, not EPSV).
        up = t.netns_run(["curl", "-sS", "-v", "--max-time", "60", "--disable-epsv", "-T", str(src), f"{base}/up.bin"],
                         timeout=90)
        assert up.returncode == 0, up.stderr.decode()
        assert re.search(rb"< 227 Entering Passive Mode \(10,0,2,15,\d+,\d+\)", up.stderr), up.stderr.decode()
        down = t.netns_run(["curl", "-sS", "--max-time", "60", "--disable-epsv", f"{base}/up.bin"], timeout=90)
        assert down.returncode == 0 and sha256(down.stdout) == sha256(data), down.stderr.decode()
    finally:
        t.close()


def test_the_product_settings_set_no_password_and_no_pasv_address():
    text = open(PRODUCT_CFG).read()
    keys = [ln.split("=")[0].strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert "pass" not in keys and "pasv_address" not in keys, keys
    assert ("admin", "anonymous") == tuple(k for k in keys if k in ("admin", "anonymous"))
    twin_cfg = os.path.join(BUILD, "config", "ftp.cfg")
    assert open(twin_cfg).read().startswith(text)
    assert "\npasv_address = 127.0.0.1\n" in open(twin_cfg).read()
