"""The FTP app: real clients (Python's ftplib, curl) against the twin.

Module twin (`twin`, test image, a free passive port range, the password
the board generated at first boot): sessions, listings, big files, eight
sessions transferring at once and a refused ninth, passive listeners
sharing six ports, control commands during transfers, curl, bad input,
SITE FORMAT refused without the admin role. Twins of the tests' own (production image, disk images made
here, passive ports of their own so they can run beside the module twin):
long listings, clients vanishing mid-transfer, the volume checked with
fsck.fat and mtools after shutdown, a full disk, missing or partly wrong
settings, and the storage service faulting mid-transfer."""
import ftplib
import os
import re
import socket
import threading
import time

import pytest

from ftp_helpers import (BOARD_IP, boot_own_twin, config_text, curl, epsv_connect, fsck, get, login, make_image,
                         mdir, mread, put, raw_line, reply_code, reset, sendcmd_code, settle_and_close, sha256,
                         vanish)
from http_client import curl as http_get, read_until_quiet, status_json
from twin import free_port_range

@pytest.fixture(scope="module")
def port(twin):
    p = twin.passive
    twin.expect(rf"ftp: serving on 10\.0\.2\.15:21 \(8 sessions, passive ports {p.start}-{p.stop - 1} "
                r"advertised as 127\.0\.0\.1,", timeout=60, since_boot=True)
    return twin.ports[21]


@pytest.fixture(scope="module")
def creds(twin, port):
    """The image ships no password: the one the board printed at first boot."""
    return twin.ftp_credentials()


@pytest.mark.timeout(240)
def test_login_commands_listings_and_big_files(twin, port, creds):
    twin.expect(r"ftp: settings from /config/ftp\.cfg: user user \(from the file\), no admin role, "
                r"no anonymous access", since_boot=True)
    ftp = login(port, *creds)
    assert ftp.welcome.startswith("220 ")
    twin.expect(r"ftp: session \d+: user user logged in")
    assert ftp.sendcmd("SYST") == "215 UNIX Type: L8"
    feat = ftp.sendcmd("FEAT").splitlines()
    assert feat[0].startswith("211-") and feat[-1].startswith("211 ")
    features = {line.strip().split(" ")[0] for line in feat[1:-1]}
    assert {"EPSV", "PASV", "SIZE", "MDTM", "MLST", "REST", "UTF8"} <= features, feat
    assert ftp.pwd() == "/"
    assert ftp.sendcmd("NOOP").startswith("200")

    assert ftp.mkd("/big") == "/big"
    ftp.cwd("big")
    assert ftp.pwd() == "/big"
    one, ten = os.urandom(1 << 20), os.urandom(10 << 20)
    started = time.monotonic()
    assert put(ftp, "one.bin", one).startswith("226")
    put(ftp, "ten.bin", ten)
    assert sha256(get(ftp, "one.bin")) == sha256(one)
    assert sha256(get(ftp, "ten.bin")) == sha256(ten)
    print(f"11 MiB up and down in {time.monotonic() - started:.1f} s")
    assert ftp.size("one.bin") == len(one) and ftp.size("ten.bin") == len(ten)
    assert re.fullmatch(r"213 (19|20)\d{12}", ftp.sendcmd("MDTM ten.bin"))
    assert reply_code(ftp.size, "/big") == 550  # a directory has no transfer size
    assert reply_code(ftp.size, "nothing.bin") == 550

    # Listings: LIST (ls -l), NLST (names), MLSD (RFC 3659 facts).
    assert ftp.mkd("sub") == "/big/sub"
    lines = []
    ftp.retrlines("LIST", lines.append)
    assert any(re.match(rf"-rw-r--r-- 1 ftp ftp +{len(ten)} .* ten\.bin$", line) for line in lines), lines
    assert any(re.match(r"drwxr-xr-x 1 ftp ftp +0 .* sub$", line) for line in lines), lines
    assert sorted(ftp.nlst()) == ["one.bin", "sub", "ten.bin"]
    facts = dict(ftp.mlsd("/big"))
    assert facts["ten.bin"]["type"] == "file" and int(facts["ten.bin"]["size"]) == len(ten)
    assert facts["sub"]["type"] == "dir" and re.fullmatch(r"\d{14}", facts["sub"]["modify"])
    lines = []
    ftp.retrlines("LIST /big/one.bin", lines.append)  # a file lists as itself
    assert len(lines) == 1 and lines[0].endswith(" one.bin") and f" {len(one)} " in lines[0]

    # A listing works under TYPE A too (its lines are CRLF text already).
    assert ftp.sendcmd("TYPE A") == "200 Type set to A."
    assert sorted(ftp.nlst("/big")) == ["one.bin", "sub", "ten.bin"]
    ftp.voidcmd("TYPE I")

    # REST STREAM before RETR and before STOR, and APPE.
    assert get(ftp, "one.bin", rest=123_456) == one[123_456:]
    put(ftp, "resumed.bin", one[:300_000])
    put(ftp, "resumed.bin", one[300_000:], rest=300_000)
    assert sha256(get(ftp, "resumed.bin")) == sha256(one)
    put(ftp, "appended.bin", b"first,")
    put(ftp, "appended.bin", b"second", cmd="APPE")
    assert get(ftp, "appended.bin") == b"first,second"

    # PASV advertises the configured address and a port of the range;
    # EPSV (RFC 2428) by hand, since ftplib uses it only over IPv6.
    resp = ftp.sendcmd("PASV")
    host, pasv_port = ftplib.parse227(resp)
    assert host == "127.0.0.1" and pasv_port in twin.passive, resp
    assert ftp.sendcmd("ABOR").startswith("225")  # listener open, nothing to abort
    with epsv_connect(ftp) as data:
        assert ftp.sendcmd("RETR one.bin").startswith("150")
        chunks = []
        while chunk := data.recv(65536):
            chunks.append(chunk)
    assert ftp.voidresp().startswith("226")
    assert b"".join(chunks) == one

    # Rename, delete, directories.
    assert ftp.rename("one.bin", "uno.bin").startswith("250")
    assert reply_code(ftp.size, "one.bin") == 550
    assert ftp.size("uno.bin") == len(one)
    ftp.cwd("sub")
    assert ftp.pwd() == "/big/sub"
    ftp.voidcmd("CDUP")
    assert ftp.pwd() == "/big"
    assert ftp.rename("uno.bin", "sub/moved.bin").startswith("250")
    assert reply_code(ftp.rmd, "sub") == 550  # not empty
    assert ftp.delete("sub/moved.bin").startswith("250")
    assert reply_code(ftp.delete, "sub/moved.bin") == 550
    assert ftp.rmd("sub").startswith("250")
    for name in ("ten.bin", "resumed.bin", "appended.bin"):
        ftp.delete(name)
    assert ftp.nlst() == []
    ftp.cwd("/")
    assert ftp.rmd("big").startswith("250")
    assert reply_code(ftp.cwd, "/big") == 550
    assert ftp.quit().startswith("221")


def small_window_data(ftp):
    """PASV by hand with a data socket whose receive buffer is small, so a
    download cannot finish into the host's buffers while nobody reads it."""
    host, data_port = ftplib.parse227(ftp.sendcmd("PASV"))
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(60)
    sock.connect(("127.0.0.1", data_port))
    return sock


def control_pending(ftp):
    """Whether a reply waits on the control connection (without reading it)."""
    ftp.sock.setblocking(False)
    try:
        return bool(ftp.sock.recv(1, socket.MSG_PEEK))
    except BlockingIOError:
        return False
    finally:
        ftp.sock.setblocking(True)


@pytest.mark.timeout(240)
def test_eight_sessions_transfer_at_once_and_a_ninth_gets_421(twin, port, creds):
    sessions = [login(port, *creds) for _ in range(8)]
    # All eight are taken: a ninth connection is told so and closed.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as ninth:
        ninth.settimeout(10)
        got = b""
        while chunk := ninth.recv(1024):
            got += chunk
    assert got.startswith(b"421 ") and got.endswith(b"\r\n"), got
    twin.expect(r"ftp: connection from 10\.0\.2\.2 refused: 8 sessions busy \(421\)")

    first = sessions[0]
    first.mkd("/eight")
    big = os.urandom(4 << 20)  # more than every buffer between board and client holds
    put(first, "/eight/big.bin", big)
    uploads = {i: os.urandom(1 << 20) for i in range(4, 8)}
    # Four downloads and four uploads, each started and left half done, so
    # all eight run at the same time.
    conns, heads = {}, {}
    for i, ftp in enumerate(sessions):
        if i < 4:
            conns[i] = small_window_data(ftp)
            assert ftp.sendcmd("RETR /eight/big.bin").startswith("150")
            heads[i] = b""
            while len(heads[i]) < 65536:
                heads[i] += conns[i].recv(65536 - len(heads[i]))
        else:
            conns[i] = ftp.transfercmd(f"STOR /eight/up{i}.bin")
            conns[i].sendall(uploads[i][:65536])
    assert not any(control_pending(ftp) for ftp in sessions), "a transfer ended before all eight ran"
    for i, ftp in enumerate(sessions):
        if i < 4:
            rest = bytearray()
            while chunk := conns[i].recv(65536):
                rest += chunk
            conns[i].close()
            assert sha256(heads[i] + bytes(rest)) == sha256(big), i
        else:
            conns[i].sendall(uploads[i][65536:])
            conns[i].close()
        assert ftp.voidresp().startswith("226"), i
    for i, data in uploads.items():
        assert sha256(get(first, f"/eight/up{i}.bin")) == sha256(data), i
    sessions[1].quit()
    # A freed slot takes the next client.
    late = login(port, *creds)
    for name in ["big.bin"] + [f"up{i}.bin" for i in uploads]:
        late.delete(f"/eight/{name}")
    late.rmd("/eight")
    late.quit()
    for ftp in sessions[:1] + sessions[2:]:
        ftp.quit()


@pytest.mark.timeout(120)
def test_passive_listeners_share_six_ports(twin, port, creds):
    """The kernel binds 8 ports per process: 21, 20 (active mode) and 6
    passive ones. Six listeners waiting for their clients hold all six; a
    seventh PASV waits until one of those clients connects, which frees its
    port for the next listener (a connection is told apart by its client's
    port); if none connects, 425 after 10 s."""
    sessions = [login(port, *creds) for _ in range(7)]
    files = {0: os.urandom(300_000), 6: os.urandom(200_000)}
    for i, data in files.items():
        put(sessions[0], f"/shared{i}.bin", data)
    ports = [ftplib.parse227(ftp.sendcmd("PASV"))[1] for ftp in sessions[:6]]
    assert len(set(ports)) == 6 and all(p in twin.passive for p in ports), ports
    # The seventh is not answered while all six wait (NOOP queues behind it) ...
    sessions[6].sock.sendall(b"PASV\r\nNOOP\r\n")
    # ... until session 0's client connects: that port, and only it, is free.
    conns = {0: socket.create_connection(("127.0.0.1", ports[0]), timeout=30)}
    resp = sessions[6].getresp()
    assert ftplib.parse227(resp)[1] == ports[0], resp
    assert sessions[6].getresp() == "200 NOOP ok."
    conns[6] = socket.create_connection(("127.0.0.1", ports[0]), timeout=30)
    # Two connections to one port, each carrying its own session's file.
    for i in (6, 0):
        assert sessions[i].sendcmd(f"RETR /shared{i}.bin").startswith("150")
    for i in (0, 6):
        got = bytearray()
        while chunk := conns[i].recv(65536):
            got += chunk
        conns[i].close()
        assert sha256(bytes(got)) == sha256(files[i]), i
        assert sessions[i].voidresp().startswith("226")
    # Six listeners again, and nobody connects: the seventh PASV gives up.
    ftplib.parse227(sessions[0].sendcmd("PASV"))
    assert sendcmd_code(sessions[6], "PASV") == (425, "425 Can't open passive data connection.")
    twin.expect(r"ftp: session \d+: no passive port or data socket free for 10 s \(425\)")
    for i in files:
        sessions[6].delete(f"/shared{i}.bin")
    for ftp in sessions:
        ftp.quit()


@pytest.mark.timeout(120)
def test_noop_and_abor_are_answered_during_a_transfer(twin, port, creds):
    ftp = login(port, *creds)
    data = os.urandom(4 << 20)
    put(ftp, "/abor.bin", data)
    conn = ftp.transfercmd("RETR /abor.bin")
    try:
        first = conn.recv(65536)
        assert first
        assert ftp.sendcmd("NOOP") == "200 NOOP ok."
        assert sendcmd_code(ftp, "PWD")[0] == 503  # only ABOR, STAT, NOOP, QUIT now
        ftp.sock.sendall(b"ABOR\r\n")
        assert ftp.getline().startswith("426")
        assert ftp.getline().startswith("226")
    finally:
        conn.close()
    assert ftp.sendcmd("NOOP").startswith("200")
    assert sha256(get(ftp, "/abor.bin")) == sha256(data)
    ftp.delete("/abor.bin")
    ftp.quit()


@pytest.mark.timeout(120)
def test_curl_uploads_and_downloads_a_file(twin, port, creds, tmp_path):
    data = os.urandom(700_000)
    src = tmp_path / "up.bin"
    src.write_bytes(data)
    base = f"ftp://{creds[0]}:{creds[1]}@127.0.0.1:{port}"
    curl("--ftp-create-dirs", "-T", str(src), f"{base}/curl/up.bin")
    assert curl(f"{base}/curl/up.bin") == data
    listing = curl(f"{base}/curl/").decode()
    assert re.search(rf" {len(data)} .* up\.bin\r?$", listing, re.M), listing
    ftp = login(port, *creds)
    ftp.delete("/curl/up.bin")
    ftp.rmd("/curl")
    ftp.quit()


@pytest.mark.timeout(120)
def test_a_file_uploaded_by_ftp_is_served_by_http_at_once(twin, port, creds):
    page = b"<!doctype html><title>uploaded</title><p>from FTP</p>\n"
    data = os.urandom(200 * 1024)
    ftp = login(port, *creds)
    ftp.mkd("/www/up")
    put(ftp, "/www/up/index.html", page)
    put(ftp, "/www/up/data.bin", data)
    http = twin.url
    code, _, body = http_get(http("/up/data.bin"))
    assert code == 200 and sha256(body) == sha256(data)
    code, head, body = http_get(http("/up/"))
    assert code == 200 and body == page and "text/html" in head
    # Served again, now from the HTTP server's memory...
    hits = status_json(http("/api/status"))["file_cache"]["hits"]
    assert http_get(http("/up/"))[2] == page
    assert status_json(http("/api/status"))["file_cache"]["hits"] > hits
    # ...yet replaced, renamed and deleted files show at once.
    put(ftp, "/www/up/index.html", page.upper())
    assert http_get(http("/up/"))[2] == page.upper()
    newer = os.urandom(len(data))
    put(ftp, "/www/up/data.bin", newer)
    code, _, body = http_get(http("/up/data.bin"))
    assert code == 200 and sha256(body) == sha256(newer)
    ftp.rename("/www/up/data.bin", "/www/up/moved.bin")
    assert http_get(http("/up/data.bin"))[0] == 404
    code, _, body = http_get(http("/up/moved.bin"))
    assert code == 200 and sha256(body) == sha256(newer)
    ftp.delete("/www/up/moved.bin")
    assert http_get(http("/up/moved.bin"))[0] == 404
    ftp.quit()


@pytest.mark.timeout(120)
def test_bad_input_gets_errors_and_touches_nothing(twin, port, creds):
    ftp = login(port, *creds)
    ftp.mkd("/safe")
    keep = os.urandom(5000)
    put(ftp, "/safe/keep.bin", keep)
    ftp.cwd("/safe")
    before = {d: sorted(ftp.nlst(d)) for d in ("/", "/safe")}

    # Traversal above the root is an error, never clamped to "/".
    for line in ("CWD ../..", "CWD ../../..", "CWD /../..", "SIZE ../../config/ftp.cfg", "MDTM /../safe/keep.bin",
                 "DELE ../../safe/keep.bin", "MKD ../../evil", "RMD /../safe", "RNFR /../config"):
        code, text = sendcmd_code(ftp, line)
        assert code == 550 and "above the root" in text, (line, text)
    for cmd in ("RETR ../../config/ftp.cfg", "STOR ../../evil.bin", "LIST /../..", "NLST ../..", "MLSD /.."):
        assert reply_code(ftp.transfercmd, cmd) == 550, cmd
    assert ftp.pwd() == "/safe"
    # Encoded dots are literal names here: nothing of that name exists.
    for line in ("CWD %2e%2e", "SIZE %2e%2e/%2e%2e/config/ftp.cfg", "RNFR ..%2f..%2fconfig",
                 "DELE %2E%2E%2Fkeep.bin"):
        code, text = sendcmd_code(ftp, line)
        assert code == 550 and "No such file" in text, (line, text)
    assert reply_code(ftp.transfercmd, "RETR %2e%2e/%2e%2e/config/ftp.cfg") == 550
    # Backslashes (a Windows separator) and control bytes are refused.
    assert reply_code(ftp.transfercmd, "RETR ..\\..\\config\\ftp.cfg") == 553
    assert sendcmd_code(ftp, "MKD a\\b")[0] == 553
    assert raw_line(ftp, b"MKD a\x00b\r\n").startswith("553")
    assert raw_line(ftp, b"MKD \xff\xfe\r\n").startswith("501")  # not UTF-8

    # Over-long names: 553, from the session (> 255 bytes) or the storage
    # service (whole path > 255 bytes); 254 bytes under / is the longest.
    assert sendcmd_code(ftp, "MKD /" + "n" * 256)[0] == 553
    assert sendcmd_code(ftp, "MKD /" + "n" * 255)[0] == 553
    assert reply_code(put, ftp, "/" + "s" * 255, b"x") == 553
    assert sendcmd_code(ftp, "MKD " + "d/" * 140)[0] == 553
    longest = "/" + "L" * 254
    put(ftp, longest, b"long name")
    assert get(ftp, longest) == b"long name"
    ftp.delete(longest)
    # A command line over 512 bytes.
    assert sendcmd_code(ftp, "NOOP " + "x" * 600)[0] == 500
    assert sendcmd_code(ftp, "NOOP")[0] == 200

    after = {d: sorted(ftp.nlst(d)) for d in ("/", "/safe")}
    assert after == before
    assert get(ftp, "/safe/keep.bin") == keep
    ftp.delete("/safe/keep.bin")
    ftp.rmd("/safe")
    ftp.quit()

    # Nothing but login before login; a wrong password is 530.
    anon = ftplib.FTP()
    anon.connect("127.0.0.1", port, timeout=20)
    assert sendcmd_code(anon, "SITE FORMAT")[0] == 530
    assert sendcmd_code(anon, "PASV")[0] == 530
    assert sendcmd_code(anon, "USER user")[0] == 331
    assert sendcmd_code(anon, "PASS wrong-password")[0] == 530
    twin.expect(r"ftp: failed login for user `user` from 10\.0\.2\.2 \(\d+ from this peer\); next answer in \d+ s")
    assert sendcmd_code(anon, "USER user")[0] == 331
    assert sendcmd_code(anon, "PASS pass")[0] == 530, "no default password"
    assert sendcmd_code(anon, "USER user")[0] == 331
    assert sendcmd_code(anon, f"PASS {creds[1]}")[0] == 230
    anon.quit()
    # Three failures on one connection close it (each answer a bit later:
    # test_ftp_security checks the delays).
    bad = ftplib.FTP()
    bad.connect("127.0.0.1", port, timeout=30)
    for _ in range(2):
        assert reply_code(bad.login, "user", "nope") == 530
    bad.sendcmd("USER user")
    assert raw_line(bad, b"PASS nope\r\n").startswith("530")
    assert bad.getline().startswith("421")
    assert bad.sock.recv(100) == b""
    bad.close()
    assert "wrong-password" not in twin.output and "nope" not in twin.output


@pytest.mark.timeout(120)
def test_site_format_is_refused_without_the_admin_role(twin, port, creds):
    """The image's settings give no admin role (test_ftp_security formats
    with it): SITE FORMAT is 550 and the volume keeps its files."""
    ftp = login(port, *creds)
    assert ftp.sendcmd("SITE HELP").startswith("214")
    assert sendcmd_code(ftp, "SITE CHMOD 777 x")[0] == 502
    put(ftp, "/kept.bin", b"still here")
    code, text = sendcmd_code(ftp, "SITE FORMAT")
    assert (code, text) == (550, "550 Permission denied: SITE FORMAT needs the admin role."), text
    assert sendcmd_code(ftp, "SITE FORMAT OTHER")[0] == 550
    assert "formats the volume" not in twin.output
    assert get(ftp, "/kept.bin") == b"still here"
    assert "www" in ftp.nlst("/")
    ftp.delete("/kept.bin")
    ftp.quit()


# ---- twins of the tests' own -------------------------------------------------

# A directory longer than one storage listing page and one 4 KiB chunk.
MANY = {f"{i:03d}-" + "long-name-" * 10 + ".txt": bytes([i % 256]) * i for i in range(240)}


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """A production-image twin with the default settings but its own
    passive ports; the fsck test shuts it down."""
    tmp = str(tmp_path_factory.mktemp("own"))
    ports = free_port_range()
    image = make_image(tmp, config_text(ports), many=MANY)
    t = boot_own_twin(tmp, image, ports)
    t.state = {}
    try:
        yield t
    finally:
        t.close()


@pytest.mark.timeout(60)
def test_long_listings_page_through_the_whole_directory(own):
    ftp = login(own.ports[21])
    assert sorted(ftp.nlst("/many")) == sorted(MANY)
    facts = dict(ftp.mlsd("/many"))
    assert set(facts) == set(MANY)
    assert all(int(facts[n]["size"]) == len(d) for n, d in MANY.items())
    lines = []
    ftp.retrlines("LIST /many", lines.append)
    assert len(lines) == len(MANY) and all(line.split()[-1] in MANY for line in lines)
    ftp.quit()


@pytest.mark.timeout(150)
def test_clients_vanishing_mid_transfer(own):
    port = own.ports[21]
    sent = os.urandom(3 << 20)
    # The whole client vanishes mid-STOR (data and control reset).
    ftp = login(port)
    conn = ftp.transfercmd("STOR /gone.bin")
    conn.sendall(sent[: 1 << 20])
    time.sleep(0.5)
    reset(conn)
    vanish(ftp)
    # Only the data connection breaks mid-STOR. QEMU's user network ends
    # the guest's side of a connection with FIN even when the host's side
    # was reset, and in stream mode EOF ends the file: the server sees a
    # short upload and answers 226 (426 with a real reset, e.g. on a tap).
    ftp = login(port)
    conn = ftp.transfercmd("STOR /cut.bin")
    conn.sendall(sent[: 2 << 20])
    time.sleep(0.5)
    reset(conn)
    code, text = sendcmd_code_after_transfer(ftp)
    assert code in (226, 426), text
    # The server keeps serving; each partial file is a prefix of what was
    # sent, and closed (a file still open would refuse the rename: busy).
    for name in ("gone", "cut"):
        size = ftp.size(f"/{name}.bin")
        assert 0 < size <= len(sent)
        assert get(ftp, f"/{name}.bin") == sent[:size]
        ftp.rename(f"/{name}.bin", f"/{name}-partial.bin")
        own.state[f"/{name}-partial.bin"] = sent[:size]

    whole = os.urandom(4 << 20)
    put(ftp, "/whole.bin", whole)
    # Mid-RETR: the data connection breaks (426), then the whole client.
    conn = ftp.transfercmd("RETR /whole.bin")
    assert conn.recv(65536)
    reset(conn)
    assert reply_code(ftp.voidresp) == 426
    assert ftp.sendcmd("NOOP").startswith("200")
    conn = ftp.transfercmd("RETR /whole.bin")
    assert conn.recv(65536)
    reset(conn)
    vanish(ftp)
    ftp = login(port)
    assert sha256(get(ftp, "/whole.bin")) == sha256(whole)
    ftp.rename("/whole.bin", "/whole-kept.bin")  # closed after both resets
    own.state["/whole-kept.bin"] = whole
    ftp.quit()


@pytest.mark.timeout(150)
def test_volume_is_fsck_clean_and_files_identical_after_shutdown(own):
    port = own.ports[21]
    ftp = login(port)
    files = dict(own.state)
    ftp.mkd("/data")
    ftp.mkd("/data/deep")
    ftp.mkd("/data/deep/er")
    for size in (0, 1, 511, 512, 4095, 4096, 4097, 65543, 1 << 20):
        files[f"/data/f{size}.bin"] = os.urandom(size)
    files["/data/deep/er/Mixed Case name.txt"] = b"spaces and case\n" * 100
    files["/data/deep/er/Grüße.txt"] = "nicht nur ASCII\n".encode() * 50
    for path, data in files.items():
        if path.startswith("/data"):
            put(ftp, path, data)
    ftp.rename("/data/f511.bin", "/data/deep/renamed.bin")
    files["/data/deep/renamed.bin"] = files.pop("/data/f511.bin")
    ftp.delete("/data/f512.bin")
    files.pop("/data/f512.bin")
    for path, data in files.items():
        assert ftp.size(path) == len(data), path
    ftp.quit()
    settle_and_close(own)

    code, report = fsck(own.disk)
    assert code == 0, report
    for path, data in files.items():
        assert sha256(mread(own.disk, path)) == sha256(data), path
    code, listing = mdir(own.disk, "/data")
    assert "f512.bin" not in listing and "f511.bin" not in listing


@pytest.mark.timeout(200)
def test_disk_full_is_552_and_the_rest_stays_intact(tmp_path):
    """A 34 MiB volume, mostly taken by a file put there with mtools, and
    settings of its own: another login, no pasv_address (the board's)."""
    ports = free_port_range()
    password = "Zq#8 s3cret!"
    filler = os.urandom(30 << 20)
    image = make_image(str(tmp_path), config_text(ports, user="tester", password=password, address=None),
                       mib=34, fill=("filler.bin", filler))
    t = boot_own_twin(str(tmp_path), image, ports)
    try:
        t.expect(rf"ftp: serving on 10\.0\.2\.15:21 \(8 sessions, passive ports {ports.start}-{ports.stop - 1} "
                 r"advertised as 10\.0\.2\.15,", since_boot=True)
        t.expect(r"ftp: settings from /config/ftp\.cfg: user tester \(from the file\)", since_boot=True)
        port = t.ports[21]
        assert reply_code(login, port) == 530  # the defaults do not apply
        ftp = login(port, "tester", password)
        host, _ = ftplib.parse227(ftp.sendcmd("PASV"))
        assert host == BOARD_IP
        keep = {"/keep1.bin": os.urandom(200_000), "/keep2.bin": os.urandom(50_000)}
        for path, data in keep.items():
            put(ftp, path, data)

        big = os.urandom(8 << 20)
        try:
            put(ftp, "/toobig.bin", big)
            raise AssertionError("an upload larger than the free space succeeded")
        except ftplib.error_perm as e:
            assert str(e).startswith("552"), e
        except OSError:
            # The server reset the data connection while ftplib was sending:
            # the reply is waiting on the control connection.
            assert reply_code(ftp.getresp) == 552
        t.expect(r"ftp: session \d+: transfer failed: NoSpace")
        partial = ftp.size("/toobig.bin")
        assert 0 < partial < len(big)
        assert get(ftp, "/toobig.bin") == big[:partial]
        for path, data in keep.items():
            assert get(ftp, path) == data
        ftp.delete("/toobig.bin")
        keep["/keep3.bin"] = os.urandom(100_000)
        put(ftp, "/keep3.bin", keep["/keep3.bin"])
        ftp.quit()
        assert password not in t.output and "s3cret" not in t.output
    finally:
        settle_and_close(t)
    code, report = fsck(t.disk)
    assert code == 0, report
    assert sha256(mread(t.disk, "/filler.bin")) == sha256(filler)
    for path, data in keep.items():
        assert mread(t.disk, path) == data, path
    assert "toobig" not in mdir(t.disk, "/")[1]


@pytest.mark.timeout(120)
def test_settings_file_missing_or_partly_wrong_means_documented_defaults(tmp_path):
    """Without /config/ftp.cfg: user `user` with a generated password
    (saved in a new settings file), ports 50000-50009, the board's address.
    With bad lines: each is reported and its default applies."""
    ports = free_port_range()  # forwarded, unused: only replies are checked
    missing = tmp_path / "missing"
    missing.mkdir()
    image = make_image(str(missing), None, mib=34)
    t = boot_own_twin(str(missing), image, ports)
    try:
        t.expect(r"ftp: no /config/ftp\.cfg; default user user and passive ports, no admin role, "
                 r"no anonymous access", since_boot=True)
        t.expect(r"ftp: serving on 10\.0\.2\.15:21 \(8 sessions, passive ports 50000-50009 advertised as "
                 r"10\.0\.2\.15, active mode to the client's own address, anonymous off, "
                 r"timeouts idle 300 s, data 60 s\)", since_boot=True)
        user, password = t.ftp_credentials()
        assert user == "user"
        assert reply_code(login, t.ports[21]) == 530  # no default password
        ftp = login(t.ports[21], user, password)
        host, pasv_port = ftplib.parse227(ftp.sendcmd("PASV"))
        assert host == BOARD_IP and 50000 <= pasv_port <= 50009
        ftp.quit()
    finally:
        settle_and_close(t)
    # The new settings file holds the password, and only that.
    saved = mread(t.disk, "/config/ftp.cfg").decode()
    assert re.search(rf"(?m)^pass = {re.escape(password)}$", saved), saved
    assert [ln for ln in saved.splitlines() if ln and not ln.startswith("#")] == [f"pass = {password}"]

    partly = tmp_path / "partly"
    partly.mkdir()
    text = "\n".join(["# comment", "user = ", "pass = other pw", "pasv_ports = 80-90", "colour = blue",
                      "no equals sign", "pasv_address = 300.1.2.3", "idle_timeout = 0", "data_timeout = 5 min", ""])
    image = make_image(str(partly), text, mib=34)
    t = boot_own_twin(str(partly), image, ports)
    try:
        for line, problem in ((2, "bad user value"), (4, "bad pasv_ports value"), (5, "unknown key"),
                              (6, "expected `key = value`"), (7, "bad pasv_address value"),
                              (8, "bad idle_timeout value"), (9, "bad data_timeout value")):
            t.expect(rf"ftp: /config/ftp\.cfg line {line}: {re.escape(problem)}.*; ignored", since_boot=True)
        t.expect(r"ftp: settings from /config/ftp\.cfg: user user \(the default\), no admin role",
                 since_boot=True)
        t.expect(r"passive ports 50000-50009 advertised as 10\.0\.2\.15, .*timeouts idle 300 s, data 60 s\)",
                 since_boot=True)
        assert reply_code(login, t.ports[21]) == 530  # "pass" is nobody's password
        login(t.ports[21], "user", "other pw").quit()
        assert "other pw" not in t.output and "no password in" not in t.output
    finally:
        t.close()


@pytest.mark.timeout(150)
def test_silent_clients_time_out_and_free_their_sessions(tmp_path):
    """A client that goes silent without FIN or RST (a pulled cable) holds
    neither a session nor an open file for ever: `idle_timeout` and
    `data_timeout` from the settings (short here) end them with 421 and 426."""
    ports = free_port_range()
    image = make_image(str(tmp_path), config_text(ports) + "idle_timeout = 4\ndata_timeout = 2\n")
    t = boot_own_twin(str(tmp_path), image, ports)
    try:
        t.expect(r"ftp: serving on .* timeouts idle 4 s, data 2 s\)", since_boot=True)
        port = t.ports[21]
        ftp = login(port)
        # More than every buffer on the way (smoltcp, slirp, host sockets) holds.
        data = os.urandom(8 << 20)
        put(ftp, "/big.bin", data)
        # A download whose client stops reading: nothing moves, 426.
        _, pasv_port = ftplib.parse227(ftp.sendcmd("PASV"))
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", pasv_port))
        assert ftp.sendcmd("RETR /big.bin").startswith("150")
        # (The 426 waits for data_timeout, 2 s here: the default 60 s would
        # outlast ftplib's 30 s timeout and fail this call.)
        assert reply_code(ftp.voidresp) == 426
        stalled.close()
        assert ftp.sendcmd("NOOP").startswith("200")
        # The stalled download's file was closed: it can be renamed.
        ftp.rename("/big.bin", "/big-kept.bin")

        # All eight sessions go silent; a ninth client is refused while they last.
        others = [login(port) for _ in range(7)]
        assert reply_code(login, port) == 421
        for session in [ftp] + others:
            session.sock.settimeout(20)
            assert reply_code(session.getresp) == 421
        t.expect(r"ftp: session \d+ idle for 4 s; closing", since_boot=True)
        # Their slots are free again.
        ftp = login(port)
        assert sha256(get(ftp, "/big-kept.bin")) == sha256(data)
        ftp.quit()
    finally:
        t.close()


class Watched:
    """A file object that sets an event once `mark` bytes were read from it."""

    def __init__(self, data, mark):
        self.data, self.pos, self.mark = data, 0, mark
        self.passed = threading.Event()

    def read(self, n):
        chunk = self.data[self.pos:self.pos + n]
        self.pos += len(chunk)
        if self.pos >= self.mark:
            self.passed.set()
        return chunk


@pytest.mark.timeout(240)
def test_storage_faulting_mid_transfer_is_a_4xx_not_a_hang(tmp_path):
    ports = free_port_range()
    image = make_image(str(tmp_path), config_text(ports))
    t = boot_own_twin(str(tmp_path), image, ports)
    try:
        port = t.ports[21]
        # Meanwhile, a second session starts a listing and never connects
        # to the data port: 425 once the server's 30 s wait is over.
        stray = login(port, timeout=60)
        stray.sendcmd("PASV")
        assert stray.sendcmd("LIST /").startswith("150")
        ftp = login(port)
        results = {}

        # STOR: the storage service faults while 10 MB come in.
        src = Watched(os.urandom(10 << 20), 2 << 20)

        def upload():
            try:
                results["stor"] = ftp.storbinary("STOR /fault-up.bin", src, blocksize=65536)
            except ftplib.all_errors as e:
                results["stor"] = e

        th = threading.Thread(target=upload)
        th.start()
        assert src.passed.wait(60), "upload did not start"
        t.command("fault storage", r"fault: process storage faulted")
        th.join(60)
        assert not th.is_alive(), "STOR hung after the storage service faulted"
        outcome = results["stor"]
        if isinstance(outcome, OSError):  # data connection reset while sending
            outcome = _reply_after(ftp)
        assert re.match(r"4\d\d", str(outcome)), outcome
        t.expect(r"storage: mounted FAT volume", timeout=30)

        # Once the service is back, the next transfer works.
        data = os.urandom(6 << 20)
        _retry(lambda: put(ftp, "/after.bin", data))
        assert sha256(get(ftp, "/after.bin")) == sha256(data)

        # RETR: the service faults while 6 MB go out.
        got = bytearray()
        passed = threading.Event()

        def sink(chunk):
            got.extend(chunk)
            if len(got) >= (1 << 20):
                passed.set()

        def download():
            try:
                results["retr"] = ftp.retrbinary("RETR /after.bin", sink, blocksize=65536)
            except ftplib.all_errors as e:
                results["retr"] = e

        th = threading.Thread(target=download)
        th.start()
        assert passed.wait(60), "download did not start"
        t.command("fault storage", r"fault: process storage faulted")
        th.join(60)
        assert not th.is_alive(), "RETR hung after the storage service faulted"
        assert re.match(r"4\d\d", str(results["retr"])), results["retr"]
        assert bytes(got) == data[:len(got)] and len(got) < len(data)
        t.expect(r"storage: mounted FAT volume", timeout=30)
        assert sha256(_retry(lambda: get(ftp, "/after.bin"))) == sha256(data)
        ftp.quit()
        assert reply_code(stray.getresp) == 425
        assert stray.sendcmd("NOOP").startswith("200")
        stray.quit()
    finally:
        settle_and_close(t)
    code, report = fsck(t.disk)
    assert code == 0, report
    assert mread(t.disk, "/after.bin") == data


def sendcmd_code_after_transfer(ftp):
    """(code, text) of the reply that ends the current transfer."""
    try:
        resp = ftp.voidresp()
    except ftplib.Error as e:
        resp = str(e)
    return int(resp[:3]), resp


def _reply_after(ftp):
    """The reply that ended a transfer whose data connection broke."""
    try:
        return ftp.getresp()
    except ftplib.Error as e:
        return e


def _retry(fn, timeout=30):
    """Retries `fn` while it fails with a 4xx (the storage service is
    coming back); returns its result."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except ftplib.error_temp:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_a_transfer_waiting_for_storage_holds_up_no_other_session(twin, port, creds):
    """A download whose next chunks the storage service does not answer (it
    is stopped from the console) waits for them, while another session is
    answered meanwhile; once the service runs again the download finishes,
    every byte right."""
    first, second = login(port, *creds), login(port, *creds)
    data = os.urandom(1 << 20)
    put(first, "/held.bin", data)
    conn = small_window_data(first)
    assert first.sendcmd("RETR /held.bin").startswith("150")
    got = b""
    while len(got) < 65536:
        got += conn.recv(65536)
    twin.command("stop storage", r"Process storage stopped")
    try:
        # What was read before the stop drains; then the download waits.
        got += read_until_quiet(conn)
        assert len(got) < len(data), "the whole file was out before the stop"
        second.sock.settimeout(3)
        assert second.sendcmd("NOOP").startswith("200")
        assert second.sendcmd("TYPE I").startswith("200")
    finally:
        twin.command("start storage", r"Process storage resumed")
    conn.settimeout(30)
    while chunk := conn.recv(65536):
        got += chunk
    conn.close()
    assert first.voidresp().startswith("226")
    assert sha256(got) == sha256(data)
    second.sock.settimeout(30)
    assert sha256(get(second, "/held.bin")) == sha256(data)
    first.quit()
    second.quit()
