"""What FTP clients people use need from the server, with those clients:
lftp's parallel mirror, FileZilla's pattern (one browsing session idle
while two transfer), active mode (PORT/EPRT) with curl and ftplib on a tap
link in a network namespace, Windows ftp.exe's `mget` (NLST with a
wildcard, then RETR), `STAT path`, TYPE A line ends both ways, QUIT during
a transfer, and HELP.

Two twins of the module's own, product image: `site` on QEMU's user
network (its settings: the test login and pasv_address 127.0.0.1) and
`tap` on a tap link (the product settings: no pasv_address)."""
import ftplib
import hashlib
import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

import pytest

from ftp_helpers import (PASSWORD, USER, boot_own_twin, config_text, curl, get, login, make_image, put, reply_code,
                         sendcmd_code, sha256)
from twin import GUEST_IP, ROOT, Twin, free_port_range


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("site"))
    ports = free_port_range()
    t = boot_own_twin(tmp, make_image(tmp, config_text(ports)), ports)
    try:
        yield t
    finally:
        t.close()


@pytest.fixture(scope="module")
def tap(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("tap"))
    image = make_image(tmp, open(os.path.join(ROOT, "apps", "ftp", "ftp.cfg")).read())
    t = Twin(tmp, flash="flash-product.bin", disk_image=image, net="tap")
    try:
        t.expect(r"ftp: serving on .* active mode to the client's own address,", timeout=60)
        t.creds = t.ftp_credentials()
        yield t
    finally:
        t.close()


def small_window_pasv(ftp):
    """A passive data connection with a small receive buffer, so a download
    cannot end inside the host's buffers while nobody reads it."""
    _, data_port = ftplib.parse227(ftp.sendcmd("PASV"))
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(60)
    sock.connect(("127.0.0.1", data_port))
    return sock


def read_all(sock):
    got = bytearray()
    while chunk := sock.recv(65536):
        got += chunk
    sock.close()
    return bytes(got)


def control_pending(ftp):
    """Whether a reply waits on the control connection (it is not read)."""
    ftp.sock.setblocking(False)
    try:
        return bool(ftp.sock.recv(1, socket.MSG_PEEK))
    except BlockingIOError:
        return False
    finally:
        ftp.sock.setblocking(True)


# ---- lftp, FileZilla's pattern -------------------------------------------------

@pytest.mark.timeout(300)
def test_lftp_mirrors_a_tree_both_ways_with_three_transfers_at_once(site, tmp_path):
    src = tmp_path / "tree"
    files = {}
    for i in range(15):
        rel = ["top", "a", "a/b", "a/b/c", "d e"][i % 5] + f"/file {i}.bin"
        data = os.urandom(30_000 + i * 25_000)
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
        files[rel] = hashlib.sha256(data).hexdigest()
    (src / "empty dir").mkdir()
    before = len(site.output)
    script = (f"set cmd:fail-exit yes; set net:max-retries 2; set net:timeout 30; "
              f"open -u {USER},{PASSWORD} -p {site.ports[21]} 127.0.0.1; "
              f"mirror -R --parallel=3 '{src}' /mirror; mirror --parallel=3 /mirror '{tmp_path}/back'; bye")
    out = subprocess.run(["lftp", "-c", script], capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stdout + out.stderr
    for rel, digest in files.items():
        assert hashlib.sha256((tmp_path / "back" / rel).read_bytes()).hexdigest() == digest, rel
    assert (tmp_path / "back" / "empty dir").is_dir()
    # lftp opened (at least) three sessions for its three transfers at once.
    logins = re.findall(r"ftp: session \d+: user user logged in", site.output[before:])
    assert len(logins) >= 3, logins
    assert "421" not in out.stdout + out.stderr


@pytest.mark.timeout(180)
def test_three_sessions_two_transferring_while_one_stays_idle(site):
    """FileZilla's pattern: a browsing session that sends nothing while two
    transfer sessions move files; it answers again afterwards."""
    browse = login(site.ports[21])
    browse.mkd("/fz")
    payloads = {"up": os.urandom(2 << 20), "down": os.urandom(2 << 20)}
    put(browse, "/fz/down.bin", payloads["down"])
    errors, results = [], {}

    def transfer(kind):
        try:
            ftp = login(site.ports[21])
            if kind == "up":
                put(ftp, "/fz/up.bin", payloads["up"])
            else:
                results["down"] = get(ftp, "/fz/down.bin")
            ftp.quit()
        except Exception as e:  # reported below
            errors.append(f"{kind}: {e!r}")

    threads = [threading.Thread(target=transfer, args=(k,)) for k in payloads]
    for th in threads:
        th.start()
    for th in threads:
        th.join(150)
    assert not any(th.is_alive() for th in threads) and not errors, errors
    assert sha256(results["down"]) == sha256(payloads["down"])
    # The idle session is still there.
    assert browse.sendcmd("NOOP").startswith("200")
    assert sorted(browse.nlst("/fz")) == ["down.bin", "up.bin"]
    assert sha256(get(browse, "/fz/up.bin")) == sha256(payloads["up"])
    for name in payloads:
        browse.delete(f"/fz/{name}.bin")
    browse.rmd("/fz")
    browse.quit()


# ---- active mode ---------------------------------------------------------------

ACTIVE_CLIENT = r"""
import ftplib, io, json, sys
host, user, password, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
data = bytes((i * 13 + (i >> 8)) & 0xFF for i in range(size))
ftp = ftplib.FTP(host, user, password, timeout=60)
ftp.set_pasv(False)  # PORT with this host's own address
ftp.voidcmd("TYPE I")
ftp.storbinary("STOR /active.bin", io.BytesIO(data))
got = bytearray()
ftp.retrbinary("RETR /active.bin", got.extend)
names = ftp.nlst("/")
codes = {}
for line in ("PORT 10,0,2,3,195,80", "PORT 127,0,0,1,195,80", "EPRT |1|10.0.2.99|50000|", "PORT 10,0,2,2,0,25"):
    try:
        codes[line] = ftp.sendcmd(line)
    except ftplib.Error as e:
        codes[line] = str(e)
try:
    after = ftp.sendcmd("RETR /active.bin")
except ftplib.Error as e:
    after = str(e)
ftp.delete("/active.bin")
ftp.quit()
print(json.dumps({"intact": bytes(got) == data, "names": names, "codes": codes, "after": after}))
"""


@pytest.mark.timeout(180)
def test_active_mode_with_port_and_eprt_only_to_the_client(tap, tmp_path):
    user, password = tap.creds
    # ftplib in active mode: PORT to itself, both directions, a listing.
    out = tap.netns_run([sys.executable, "-c", ACTIVE_CLIENT, GUEST_IP, user, password, str(700_000)], timeout=120)
    assert out.returncode == 0, out.stderr.decode()
    r = json.loads(out.stdout.decode().strip().splitlines()[-1])
    assert r["intact"] and "active.bin" in r["names"], r
    # Another host, even the board's NAT view of this one, is refused (no FTP bounce) ...
    for line, reply in r["codes"].items():
        assert reply.startswith("501 "), (line, reply)
    # ... and nothing was set up to connect anywhere.
    assert r["after"].startswith("425 Use PORT"), r["after"]

    # curl: EPRT (its default with -P) and PORT (--disable-eprt).
    data = os.urandom(500_000)
    src = tmp_path / "c.bin"
    src.write_bytes(data)
    base = f"ftp://{user}:{password}@{GUEST_IP}"
    for flags, sent in ((["-P", "-"], b"> EPRT |1|10.0.2.2|"), (["-P", "-", "--disable-eprt"], b"> PORT 10,0,2,2,")):
        up = tap.netns_run(["curl", "-sS", "-v", "--max-time", "60", *flags, "-T", str(src), f"{base}/c.bin"],
                           timeout=90)
        assert up.returncode == 0 and sent in up.stderr, up.stderr.decode()
        assert b"< 200 " in up.stderr
        down = tap.netns_run(["curl", "-sS", "--max-time", "60", *flags, f"{base}/c.bin"], timeout=90)
        assert down.returncode == 0 and sha256(down.stdout) == sha256(data), down.stderr.decode()
    tap.expect(r"ftp: session \d+: user user logged in")


@pytest.mark.timeout(120)
def test_active_mode_through_qemu_nat_is_refused(site):
    """Through QEMU's user network the client announces 127.0.0.1 while the
    board sees it as 10.0.2.2: the address check refuses it, as a NAT
    without an FTP helper breaks active mode anywhere (docs/ftp.md)."""
    ftp = login(site.ports[21])
    ftp.set_pasv(False)
    assert reply_code(get, ftp, "/nothing.bin") == 501
    ftp.set_pasv(True)
    assert ftp.sendcmd("NOOP").startswith("200")
    ftp.quit()


# ---- listings --------------------------------------------------------------------

@pytest.mark.timeout(180)
def test_wildcards_in_nlst_and_list_and_an_mget(site):
    ftp = login(site.ports[21])
    ftp.mkd("/glob")
    ftp.mkd("/glob/sub")
    files = {"/glob/a.txt": b"a", "/glob/B.TXT": b"bb", "/glob/c.bin": b"ccc", "/glob/a1.txt": b"dddd",
             "/glob/sub/d.txt": b"eeeee", "/glob/sub/e.log": b"ffffff"}
    for path, data in files.items():
        put(ftp, path, data)
    ftp.cwd("/glob")
    assert sorted(ftp.nlst("*.txt")) == ["B.TXT", "a.txt", "a1.txt"]  # FAT names: case ignored
    assert ftp.nlst("?.bin") == ["c.bin"]
    assert sorted(ftp.nlst("a*")) == ["a.txt", "a1.txt"]
    assert ftp.nlst("*.none") == []
    # With a directory part, names come back with it, ready for RETR.
    assert ftp.nlst("sub/*.txt") == ["sub/d.txt"]
    assert ftp.nlst("/glob/sub/*") in (["/glob/sub/d.txt", "/glob/sub/e.log"], ["/glob/sub/e.log", "/glob/sub/d.txt"])
    lines = []
    ftp.retrlines("LIST *.bin", lines.append)
    assert len(lines) == 1 and re.match(r"-rw-r--r-- 1 ftp ftp +3 .* c\.bin$", lines[0]), lines
    # Windows ftp.exe's `mget *.txt`: NLST with the pattern, then RETR each name.
    got = {name: get(ftp, name) for name in ftp.nlst("*.txt")}
    assert got == {"a.txt": b"a", "B.TXT": b"bb", "a1.txt": b"dddd"}
    got = {name: get(ftp, name) for name in ftp.nlst("sub/*.txt")}
    assert got == {"sub/d.txt": b"eeeee"}
    # Wildcards only in the last name.
    assert reply_code(ftp.nlst, "*/d.txt") == 550
    ftp.cwd("/")
    for path in files:
        ftp.delete(path)
    ftp.rmd("/glob/sub")
    ftp.rmd("/glob")
    ftp.quit()


@pytest.mark.timeout(180)
def test_stat_path_lists_on_the_control_connection(site):
    ftp = login(site.ports[21])
    ftp.mkd("/stat")
    # More than one 4 KiB chunk of listing lines.
    names = {f"entry-{i:03d}-" + "x" * 40 + ".dat": bytes(i) for i in range(90)}
    for name, data in names.items():
        put(ftp, f"/stat/{name}", data)
    reply = ftp.sendcmd("STAT /stat")
    lines = reply.split("\n")
    assert lines[0] == "213-Status of /stat:" and lines[-1] == "213 End of status.", (lines[0], lines[-1])
    listed = {}
    for line in lines[1:-1]:
        m = re.match(r"-rw-r--r-- 1 ftp ftp +(\d+) .* (\S+)$", line)
        assert m, line
        listed[m.group(2)] = int(m.group(1))
    assert listed == {n: len(d) for n, d in names.items()}
    one = ftp.sendcmd("STAT /stat/entry-005-" + "x" * 40 + ".dat").split("\n")
    assert len(one) == 3 and one[1].endswith(" entry-005-" + "x" * 40 + ".dat") and " 5 " in one[1], one
    assert len(ftp.sendcmd("STAT /stat/entry-00?-*").split("\n")) == 2 + 10
    assert sendcmd_code(ftp, "STAT /stat/missing")[0] == 550
    # STAT without a path is still the session's status; no data connection was used.
    assert ftp.sendcmd("STAT").startswith("211-")
    for name in names:
        ftp.delete(f"/stat/{name}")
    ftp.rmd("/stat")
    ftp.quit()


# ---- TYPE A ------------------------------------------------------------------------

def ascii_retr(ftp, path):
    """RETR in TYPE A, the bytes as they cross the network."""
    ftp.voidcmd("TYPE A")
    conn = ftp.transfercmd(f"RETR {path}")
    data = read_all(conn)
    ftp.voidresp()
    ftp.voidcmd("TYPE I")
    return data


def ascii_stor(ftp, path, data):
    """STOR in TYPE A of bytes as they would cross the network."""
    ftp.voidcmd("TYPE A")
    conn = ftp.transfercmd(f"STOR {path}")
    conn.sendall(data)
    conn.close()
    ftp.voidresp()
    ftp.voidcmd("TYPE I")


@pytest.mark.timeout(180)
def test_type_a_converts_line_ends_both_ways(site, tmp_path):
    ftp = login(site.ports[21])
    lf_text = b"".join(b"line %d: some text to fill the chunk\n" % i for i in range(5000))  # ~180 KB, many chunks
    put(ftp, "/lf.txt", lf_text)
    crlf_text = lf_text.replace(b"\n", b"\r\n")
    # RETR: LF becomes CRLF on the wire; a file already in CRLF is not doubled.
    assert sha256(ascii_retr(ftp, "/lf.txt")) == sha256(crlf_text)
    put(ftp, "/crlf.txt", b"a\r\nb\r\n")
    assert ascii_retr(ftp, "/crlf.txt") == b"a\r\nb\r\n"
    # STOR: CRLF becomes LF on the volume; a lone CR stays.
    ascii_stor(ftp, "/up.txt", crlf_text)
    assert sha256(get(ftp, "/up.txt")) == sha256(lf_text)
    ascii_stor(ftp, "/odd.txt", b"x\r\ny\r\n\r\nlone\rcr\r\nend\r")
    assert get(ftp, "/odd.txt") == b"x\ny\n\nlone\rcr\nend\r"
    # ftplib's own ASCII calls and curl --use-ascii agree.
    ftp.storlines("STOR /lines.txt", io.BytesIO(b"one\ntwo\nthree\n"))
    assert get(ftp, "/lines.txt") == b"one\ntwo\nthree\n"
    got = []
    ftp.retrlines("RETR /lines.txt", got.append)
    assert got == ["one", "two", "three"]
    base = f"ftp://{USER}:{PASSWORD}@127.0.0.1:{site.ports[21]}"
    assert curl("--use-ascii", f"{base}/lines.txt") == b"one\ntwo\nthree\n"  # curl turns CRLF back into LF
    # SIZE is the stored size in either TYPE (ftplib's nlst() leaves TYPE A
    # set and scripts call size() next); REST into converted text is refused.
    ftp.voidcmd("TYPE A")
    assert ftp.size("/lf.txt") == len(lf_text)
    ftp.sendcmd("REST 100")
    assert reply_code(ftp.transfercmd, "RETR /lf.txt") == 550
    ftp.voidcmd("TYPE I")
    assert ftp.size("/lf.txt") == len(lf_text)
    for name in ("lf", "crlf", "up", "odd", "lines"):
        ftp.delete(f"/{name}.txt")
    ftp.quit()


# ---- QUIT during a transfer --------------------------------------------------------

@pytest.mark.timeout(180)
def test_quit_during_a_transfer_lets_it_finish_first(site):
    ftp = login(site.ports[21])
    big = os.urandom(4 << 20)
    put(ftp, "/quit.bin", big)
    # Download: QUIT after the first 64 KiB; the rest still comes, then 226, then 221.
    conn = small_window_pasv(ftp)
    assert ftp.sendcmd("RETR /quit.bin").startswith("150")
    head = conn.recv(65536)
    ftp.sock.sendall(b"QUIT\r\n")
    assert not control_pending(ftp), "QUIT was answered before the transfer ended"
    assert sha256(head + read_all(conn)) == sha256(big)
    assert ftp.getline().startswith("226")
    assert ftp.getline().startswith("221")
    assert ftp.sock.recv(100) == b""
    ftp.close()
    # Upload: QUIT midway, then the rest of the file; it is stored whole.
    ftp = login(site.ports[21])
    conn = ftp.transfercmd("STOR /quit-up.bin")
    conn.sendall(big[:1 << 20])
    ftp.sock.sendall(b"QUIT\r\n")
    conn.sendall(big[1 << 20:])
    conn.close()
    assert ftp.getline().startswith("226")
    assert ftp.getline().startswith("221")
    ftp.close()
    check = login(site.ports[21])
    assert sha256(get(check, "/quit-up.bin")) == sha256(big)
    check.delete("/quit.bin")
    check.delete("/quit-up.bin")
    check.quit()


@pytest.mark.timeout(180)
def test_downloads_whose_clients_stop_reading_give_their_storage_reads_back(site):
    """Three TYPE I downloads whose clients stop reading hold storage reads
    their sockets have no room for (the transport has three for all
    transfers). A fourth download must not wait for them to time out
    (60 s): they give their reads back after a second and ask them again,
    from the first byte not sent, once their clients read on."""
    ftp = login(site.ports[21])
    # More than all the buffers between the board and a client that stops reading.
    big = os.urandom(8 << 20)
    put(ftp, "/stall.bin", big)
    stalled = []
    try:
        for _ in range(3):
            session = login(site.ports[21])
            conn = small_window_pasv(session)
            assert session.sendcmd("RETR /stall.bin").startswith("150")
            stalled.append((session, conn, conn.recv(65536)))
        time.sleep(6)
        started = time.monotonic()
        assert sha256(get(ftp, "/stall.bin")) == sha256(big)
        assert time.monotonic() - started < 20
        for session, conn, head in stalled:
            assert sha256(head + read_all(conn)) == sha256(big), "a released download resumed at the right byte"
            assert session.getline().startswith("226")
    finally:
        for session, conn, _ in stalled:
            conn.close()
            session.close()
    ftp.delete("/stall.bin")
    ftp.quit()


# ---- HELP --------------------------------------------------------------------------

@pytest.mark.timeout(60)
def test_help_lists_what_is_implemented_and_nothing_else(site):
    ftp = login(site.ports[21])
    help_lines = ftp.sendcmd("HELP").split("\n")
    assert help_lines[0].startswith("214-") and help_lines[-1] == "214 Help OK."
    verbs = " ".join(help_lines[1:-1]).split()
    assert {"RETR", "STOR", "PORT", "EPRT", "PASV", "EPSV", "STAT", "SITE", "MLSD", "SIZE"} <= set(verbs), verbs
    # Bare, each gets its own reply (often 501: no argument); listings come
    # before PASV/EPSV, so none starts a transfer (425: no data connection).
    for verb in sorted(verbs, key=lambda v: v in ("PASV", "EPSV")):
        if verb == "QUIT":
            continue
        code, text = sendcmd_code(ftp, verb)
        assert code not in (500, 502), (verb, text)
    for verb in ("AUTH", "STOU", "REIN", "MFMT"):  # recognised, not offered
        assert verb not in verbs
        assert sendcmd_code(ftp, f"{verb} x")[0] == 502, verb
    assert ftp.sendcmd("SITE HELP").startswith("214 SITE FORMAT")
    assert "MFMT" not in ftp.sendcmd("FEAT")
    ftp.quit()
