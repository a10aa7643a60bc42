//! The dispatcher end to end: typed clients over an in-process transport, the
//! access policy, malformed messages, volume state changes.

mod common;

use std::collections::BTreeSet;

use common::*;
use fat_volume::StorageServer;
use proto_storage::{
    ClientError, Corruption, Error, Kind, Label, NotMounted, OpenMode, Request, Response, StorageClient, Transport,
    TransportError, Unformatted, VolumeStatus, MAX_DATA, MAX_MESSAGE, MAX_READ, MAX_REPLY,
};

/// A clock stuck at one instant, so listings can check modification times.
#[derive(Clone, Copy)]
struct Fixed(u32);

impl fat_volume::Clock for Fixed {
    fn now(&self) -> u32 {
        self.0
    }
}

type Server = StorageServer<FileDevice, Fixed>;

/// Calls the server directly, as the kernel IPC would, with a fixed identity.
struct Direct<'s> {
    server: &'s mut Server,
    name: &'static str,
    id: u32,
}

impl Transport for Direct<'_> {
    fn call(&mut self, request: &[u8], reply: &mut [u8]) -> Result<usize, TransportError> {
        assert!(request.len() <= MAX_MESSAGE);
        let n = self.server.handle(self.name, self.id, request, reply);
        assert!(n > 0 && n <= MAX_MESSAGE, "reply length {n}");
        Ok(n)
    }
}

fn client<'s>(server: &'s mut Server, name: &'static str, id: u32) -> StorageClient<Direct<'s>> {
    StorageClient::new(Direct { server, name, id })
}

fn denied<T: std::fmt::Debug>(r: Result<T, ClientError>) -> Error {
    r.expect_err("expected an error").storage().expect("a storage error")
}

fn raw(server: &mut Server, name: &str, request: &[u8]) -> Response<'static> {
    let mut reply = vec![0u8; MAX_MESSAGE];
    let n = server.handle(name, 1, request, &mut reply);
    let reply: &'static [u8] = Box::leak(reply.into_boxed_slice());
    Response::parse(&reply[..n]).expect("the server always answers with a valid message")
}

fn server_with_site(dir: &std::path::Path) -> (std::path::PathBuf, Server) {
    let img = fat32_image(dir, "site.img", 40);
    mmd(&img, "/www");
    mmd(&img, "/etc");
    mcopy_in(&img, "/www/index.html", b"<h1>hi</h1>");
    mcopy_in(&img, "/etc/passwd", b"root:x:0:0");
    mcopy_in(&img, "/www/%2e%2e", b"literal");
    let server = StorageServer::new(Some(FileDevice::open(&img)), Fixed(1_700_000_000));
    (img, server)
}

#[test]
fn http_reads_only_under_www() {
    let dir = tempfile::tempdir().unwrap();
    let (img, mut server) = server_with_site(dir.path());
    let mut http = client(&mut server, "http", 10);
    let h = http.open("/www/index.html", OpenMode::Read).unwrap();
    let mut buf = [0u8; 64];
    let n = http.read(h, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"<h1>hi</h1>");
    assert_eq!(http.read(h, &mut buf), Ok(0));
    http.close(h).unwrap();
    assert_eq!(http.stat("/www").unwrap().kind, Kind::Dir);
    assert_eq!(http.stat("//www/./index.html").unwrap().size, 11);
    let mut listed = Vec::new();
    assert_eq!(http.list("/www", 0, |e| listed.push(e.name.to_string())), Ok(None));
    assert_eq!(listed.len(), 2);
    // No percent-decoding below HTTP: `%2e%2e` is just a name.
    let h = http.open("/www/%2e%2e", OpenMode::Read).unwrap();
    http.close(h).unwrap();

    use Error::{BadPath, PermissionDenied};
    assert_eq!(denied(http.open("/etc/passwd", OpenMode::Read)), PermissionDenied);
    assert_eq!(denied(http.open("/www/../etc/passwd", OpenMode::Read)), PermissionDenied);
    assert_eq!(denied(http.open("/www/../../etc/passwd", OpenMode::Read)), BadPath);
    assert_eq!(denied(http.open("/../www/index.html", OpenMode::Read)), BadPath);
    assert_eq!(denied(http.open("/www/..\\..\\etc", OpenMode::Read)), BadPath);
    assert_eq!(denied(http.open("www/index.html", OpenMode::Read)), BadPath);
    assert_eq!(denied(http.open("/www/a\0b", OpenMode::Read)), BadPath);
    assert_eq!(denied(http.stat("/")), PermissionDenied);
    assert_eq!(denied(http.list("/", 0, |_| {})), PermissionDenied);
    assert_eq!(denied(http.open("/www/new.html", W)), PermissionDenied);
    assert_eq!(denied(http.open("/www/index.html", OpenMode::Append)), PermissionDenied);
    assert_eq!(denied(http.mkdir("/www/d")), PermissionDenied);
    assert_eq!(denied(http.delete("/www/index.html")), PermissionDenied);
    assert_eq!(denied(http.rmdir("/www")), PermissionDenied);
    assert_eq!(denied(http.rename("/www/index.html", "/www/x")), PermissionDenied);
    assert_eq!(denied(http.format(Label::EMPTY)), PermissionDenied);
    assert!(http.free_space().is_ok());
    assert!(matches!(http.status(), Ok(VolumeStatus::Mounted { .. })));
    let (device, result) = server.shutdown();
    assert!(device.is_some() && result.is_ok());
    assert_clean(&img);
    assert_eq!(mcopy_out(&img, "/www/index.html"), b"<h1>hi</h1>");
}

#[test]
fn strangers_get_status_only_and_handles_stay_private() {
    let dir = tempfile::tempdir().unwrap();
    let (_img, mut server) = server_with_site(dir.path());
    let h = client(&mut server, "http", 10).open("/www/index.html", OpenMode::Read).unwrap();
    let mut other = client(&mut server, "sysinfo", 30);
    assert!(other.status().is_ok());
    assert!(other.free_space().is_ok());
    assert_eq!(denied(other.stat("/www")), Error::PermissionDenied);
    assert_eq!(denied(other.read(h, &mut [0u8; 8])), Error::PermissionDenied);
    // ftp may use handles, but not http's.
    let mut ftp = client(&mut server, "ftp", 20);
    assert_eq!(denied(ftp.read(h, &mut [0u8; 8])), Error::BadHandle);
    assert_eq!(denied(ftp.close(h)), Error::BadHandle);
    // Same app name, another process: still not its handle.
    let mut http2 = client(&mut server, "http", 11);
    assert_eq!(denied(http2.read(h, &mut [0u8; 8])), Error::BadHandle);
    // The owner's handle dies with its process.
    assert_eq!(server.volume().unwrap().open_files(), 1);
    server.client_gone(10);
    assert_eq!(server.volume().unwrap().open_files(), 0);
    let mut http = client(&mut server, "http", 10);
    assert_eq!(denied(http.read(h, &mut [0u8; 8])), Error::BadHandle);
}

#[test]
fn ftp_does_everything_and_pages_long_listings() {
    let dir = tempfile::tempdir().unwrap();
    let (img, mut server) = server_with_site(dir.path());
    let mut ftp = client(&mut server, "ftp", 20);
    ftp.mkdir("/up").unwrap();
    let mut expected = BTreeSet::new();
    for i in 0..300 {
        // Mix short and very long names so pages hold different counts.
        let name =
            if i % 3 == 0 { format!("{i:03}{}", " long name ünïcode".repeat(12)) } else { format!("f{i}.txt") };
        let h = ftp.open(&format!("/up/{name}"), W).unwrap();
        ftp.write_all(h, name.as_bytes()).unwrap();
        ftp.close(h).unwrap();
        expected.insert(name);
    }
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut cursor = Some(0);
    while let Some(c) = cursor {
        cursor = ftp
            .list("/up", c, |e| {
                assert_eq!(e.meta.kind, Kind::File);
                assert_eq!(e.meta.size, e.name.len() as u64);
                assert_eq!(e.meta.modified, 1_700_000_000);
                seen.push(e.name.to_string());
            })
            .unwrap();
        pages += 1;
    }
    assert!(pages > 3, "{pages} pages");
    assert_eq!(seen.len(), 300, "no entry lost or repeated");
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), expected);

    // Large upload through the protocol, then download it again.
    let data = pattern(1 << 20, 77);
    let h = ftp.open("/up/big.bin", W).unwrap();
    ftp.write_all(h, &data).unwrap();
    ftp.close(h).unwrap();
    let h = ftp.open("/up/big.bin", OpenMode::Read).unwrap();
    assert_eq!(ftp.seek(h, 1000), Ok(1000));
    let mut back = vec![0u8; 1000];
    let mut buf = [0u8; MAX_DATA];
    loop {
        let n = ftp.read(h, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        back.extend_from_slice(&buf[..n]);
    }
    ftp.close(h).unwrap();
    assert_eq!(back[1000..], data[1000..]);

    ftp.rename("/up/big.bin", "/www/big.bin").unwrap();
    assert_eq!(denied(ftp.rmdir("/up")), Error::NotEmpty);
    assert_eq!(denied(ftp.delete("/up")), Error::IsADirectory);
    assert_eq!(denied(ftp.stat("/up/big.bin")), Error::NotFound);
    let free = ftp.free_space().unwrap();
    assert!(free.free_bytes < free.total_bytes);
    match ftp.status().unwrap() {
        VolumeStatus::Mounted { label, stats } => {
            assert_eq!(label.as_str(), "TEST");
            assert!(stats.device_writes > 0 && stats.cache_hits > stats.cache_misses);
        }
        other => panic!("{other:?}"),
    }
    let (_, result) = server.shutdown();
    result.unwrap();
    assert_clean(&img);
    assert_eq!(sha256(&mcopy_out(&img, "/www/big.bin")), sha256(&data));
}

#[test]
fn malformed_messages_get_error_replies() {
    let dir = tempfile::tempdir().unwrap();
    let (_img, mut server) = server_with_site(dir.path());
    let cases: &[(&[u8], Error)] = &[
        (b"", Error::BadRequest),
        (b"GET / HTTP/1.1\r\n\r\n", Error::BadRequest),
        (b"SQ\x02", Error::BadRequest),
        (b"SQ\x02\x06\x05\x00/ww", Error::BadRequest),
        (b"SQ\x02\x0d\x00", Error::BadRequest),
        (b"SQ\x01\x0d", Error::Unsupported),
        (b"SQ\x02\x63", Error::Unsupported),
        (b"SQ\x02\x02\x01\x00\x00\x00\x00\x00", Error::BadRequest),
    ];
    for (bytes, want) in cases {
        for name in ["http", "ftp", "nobody"] {
            assert_eq!(raw(&mut server, name, bytes), Response::Error(*want), "{bytes:?}");
        }
    }
    let oversized = vec![0x53u8; MAX_MESSAGE + 1];
    assert_eq!(raw(&mut server, "ftp", &oversized), Response::Error(Error::BadRequest));
    // Pseudo-random messages with a valid header: always a valid reply, never a panic.
    for seed in 0..2000u32 {
        let mut msg = b"SQ\x02".to_vec();
        msg.extend(pattern((seed % 40) as usize + 1, seed));
        let resp = raw(&mut server, if seed % 2 == 0 { "ftp" } else { "http" }, &msg);
        if let Response::Error(e) = resp {
            assert_ne!(e, Error::Io, "{msg:?}");
        }
    }
    // A reply buffer too small for anything gets nothing.
    let mut tiny = [0u8; 3];
    assert_eq!(server.handle("ftp", 1, b"SQ\x02\x0d", &mut tiny), 0);
    // One just big enough for an error gets the error.
    let mut small = [0u8; 5];
    let n = server.handle("ftp", 1, b"SQ\x02\x0d", &mut small);
    assert_eq!(Response::parse(&small[..n]), Ok(Response::Error(Error::BadRequest)));
    // A read asking for more than the reply buffer holds fails cleanly.
    let mut ftp = client(&mut server, "ftp", 20);
    let h = ftp.open("/www/index.html", OpenMode::Read).unwrap();
    let mut req = [0u8; 64];
    let n = Request::Read { handle: h, max_len: proto_storage::ReadLen::MAX }.emit(&mut req).unwrap();
    let mut reply = [0u8; 100];
    let m = server.handle("ftp", 20, &req[..n], &mut reply);
    assert_eq!(Response::parse(&reply[..m]), Ok(Response::Error(Error::BadRequest)));
}

#[test]
fn large_reads_come_whole_in_one_reply() {
    let dir = tempfile::tempdir().unwrap();
    let (img, _) = server_with_site(dir.path());
    // Not a multiple of 16 KiB: the last read is short, then end of file.
    let body: Vec<u8> = (0..40_000u32).map(|i| (i * 7 % 251) as u8).collect();
    mcopy_in(&img, "/www/big.bin", &body);
    let mut server: Server = StorageServer::new(Some(FileDevice::open(&img)), Fixed(0));
    let h = client(&mut server, "http", 10).open("/www/big.bin", OpenMode::Read).unwrap();
    let mut req = [0u8; 64];
    let n = Request::Read { handle: h, max_len: proto_storage::ReadLen::MAX }.emit(&mut req).unwrap();
    let mut got = Vec::new();
    let mut reply = vec![0u8; MAX_REPLY];
    loop {
        let m = server.handle("http", 10, &req[..n], &mut reply);
        let Ok(Response::Data(data)) = Response::parse(&reply[..m]) else { panic!("not data") };
        if data.is_empty() {
            break;
        }
        assert!(data.len() == MAX_READ || got.len() + data.len() == body.len(), "whole reads but the last");
        got.extend_from_slice(data.as_bytes());
    }
    assert_eq!(got, body);
    // A read over 4 KiB into a small reply buffer is refused, not cut.
    let h = client(&mut server, "http", 10).open("/www/big.bin", OpenMode::Read).unwrap();
    let n = Request::Read { handle: h, max_len: proto_storage::ReadLen::MAX }.emit(&mut req).unwrap();
    let mut small = vec![0u8; MAX_MESSAGE];
    let m = server.handle("http", 10, &req[..n], &mut small);
    assert_eq!(Response::parse(&small[..m]), Ok(Response::Error(Error::BadRequest)));
}

#[test]
fn unmounted_states_and_explicit_format() {
    let dir = tempfile::tempdir().unwrap();
    // No device at all.
    let mut none: Server = StorageServer::new(None, Fixed(0));
    assert_eq!(client(&mut none, "ftp", 1).status(), Ok(VolumeStatus::NotMounted(NotMounted::NoDevice)));
    assert_eq!(denied(client(&mut none, "ftp", 1).stat("/")), Error::NotMounted);
    assert_eq!(denied(client(&mut none, "ftp", 1).format(Label::EMPTY)), Error::NotMounted);

    // A blank device: reported, never formatted by itself.
    let img = blank_image(dir.path(), "blank.img", 40);
    let mut server: Server = StorageServer::new(Some(FileDevice::open(&img)), Fixed(0));
    let status = client(&mut server, "http", 2).status().unwrap();
    assert_eq!(status, VolumeStatus::NotMounted(NotMounted::Unformatted(Unformatted::NoBootSignature)));
    assert_eq!(denied(client(&mut server, "ftp", 1).free_space()), Error::NotMounted);
    assert_eq!(denied(client(&mut server, "ftp", 1).open("/a", W)), Error::NotMounted);
    assert!(std::fs::read(&img).unwrap().iter().all(|&b| b == 0), "nothing written");
    assert_eq!(denied(client(&mut server, "http", 2).format(Label::EMPTY)), Error::PermissionDenied);
    client(&mut server, "ftp", 1).format(Label::new("FRESH").unwrap()).unwrap();
    let mut ftp = client(&mut server, "ftp", 1);
    assert!(matches!(ftp.status(), Ok(VolumeStatus::Mounted { label, .. }) if label.as_str() == "FRESH"));
    let h = ftp.open("/a.txt", W).unwrap();
    ftp.write_all(h, b"after format").unwrap();
    // Formatting a mounted volume wipes it and invalidates every handle.
    ftp.format(Label::new("AGAIN").unwrap()).unwrap();
    assert_eq!(denied(ftp.write(h, b"x")), Error::BadHandle);
    assert_eq!(denied(ftp.stat("/a.txt")), Error::NotFound);
    let h = ftp.open("/b.txt", W).unwrap();
    ftp.write_all(h, b"kept").unwrap();
    ftp.close(h).unwrap();
    let (_, result) = server.shutdown();
    result.unwrap();
    assert_clean(&img);
    assert_eq!(mcopy_out(&img, "/b.txt"), b"kept");

    // A corrupt image: named in the status, fixed only by an explicit format.
    let img = fat32_image(dir.path(), "corrupt.img", 40);
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new().write(true).open(&img).unwrap();
        f.seek(SeekFrom::Start(13)).unwrap();
        f.write_all(&[6]).unwrap();
    }
    let mut server: Server = StorageServer::new(Some(FileDevice::open(&img)), Fixed(0));
    assert_eq!(server.status(), VolumeStatus::NotMounted(NotMounted::Corrupt(Corruption::SectorsPerCluster)));
    assert_eq!(denied(client(&mut server, "ftp", 1).list("/", 0, |_| {})), Error::NotMounted);
    client(&mut server, "ftp", 1).format(Label::EMPTY).unwrap();
    assert!(matches!(server.status(), VolumeStatus::Mounted { .. }));
    let (_, result) = server.shutdown();
    result.unwrap();
    assert_clean(&img);
}

#[test]
fn settled_volume_is_clean_on_the_device_while_still_mounted() {
    let dir = tempfile::tempdir().unwrap();
    let (img, mut server) = server_with_site(dir.path());
    {
        let mut ftp = client(&mut server, "ftp", 7);
        let h = ftp.open("/www/new.txt", OpenMode::Write { create: true, truncate: true }).unwrap();
        ftp.write_all(h, &pattern(20_000, 3)).unwrap();
        // Open file: nothing to settle yet.
        assert!(!ftp.transport().server.settle());
        ftp.close(h).unwrap();
    }
    // Written and closed: the image is flushed but still marked dirty.
    let (clean, report) = fsck(&img);
    assert!(!clean, "rust-fatfs marks a written volume dirty: {report}");
    assert!(server.settle(), "settles once nothing is open");
    // Without unmounting: the device alone is clean and holds the file.
    assert_clean(&img);
    assert_eq!(mcopy_out(&img, "/www/new.txt"), pattern(20_000, 3));
    assert!(!server.settle(), "nothing changed since");
    // Still serving after settling.
    let mut http = client(&mut server, "http", 8);
    let h = http.open("/www/new.txt", OpenMode::Read).unwrap();
    let mut buf = [0u8; 100];
    assert_eq!(http.read(h, &mut buf).unwrap(), 100);
    assert_eq!(&buf[..], &pattern(20_000, 3)[..100]);
}

#[test]
fn volume_left_dirty_by_a_crash_is_made_clean_by_the_next_settle() {
    let dir = tempfile::tempdir().unwrap();
    let (img, mut server) = server_with_site(dir.path());
    {
        let mut ftp = client(&mut server, "ftp", 7);
        let h = ftp.open("/www/crash.txt", OpenMode::Write { create: true, truncate: true }).unwrap();
        ftp.write_all(h, &pattern(50_000, 5)).unwrap();
        ftp.close(h).unwrap();
    }
    // The service dies without unmounting: dirty flag set, FSInfo stale.
    std::mem::forget(server);
    let (clean, report) = fsck(&img);
    assert!(!clean, "a crashed volume is not clean: {report}");
    // The restarted service settles it even before anything changes.
    let mut server = StorageServer::new(Some(FileDevice::open(&img)), Fixed(1_700_000_000));
    assert!(server.settle(), "a volume found dirty is settled");
    assert_clean(&img);
    assert_eq!(mcopy_out(&img, "/www/crash.txt"), pattern(50_000, 5));
    assert!(!server.settle(), "clean since");
}

#[test]
fn generation_counts_the_changes_readers_can_see() {
    let dir = tempfile::tempdir().unwrap();
    let (_img, mut server) = server_with_site(dir.path());
    let g0 = server.generation();
    {
        // Reading changes nothing.
        let mut http = client(&mut server, "http", 10);
        let h = http.open("/www/index.html", OpenMode::Read).unwrap();
        let mut buf = [0u8; 64];
        http.read(h, &mut buf).unwrap();
        http.close(h).unwrap();
        http.stat("/www/index.html").unwrap();
    }
    assert_eq!(server.generation(), g0);
    {
        // A write counts once its file is closed.
        let mut ftp = client(&mut server, "ftp", 20);
        let h = ftp.open("/www/new.html", OpenMode::Write { create: true, truncate: true }).unwrap();
        ftp.write(h, b"new").unwrap();
    }
    assert_eq!(server.generation(), g0, "an upload still open is not visible yet");
    {
        let mut ftp = client(&mut server, "ftp", 20);
        let h = ftp.open("/www/other.html", OpenMode::Write { create: true, truncate: true }).unwrap();
        ftp.close(h).unwrap();
    }
    let g1 = server.generation();
    assert_ne!(g1, g0);
    {
        let mut ftp = client(&mut server, "ftp", 20);
        ftp.mkdir("/www/d").unwrap();
        ftp.rename("/www/other.html", "/www/d/other.html").unwrap();
        ftp.delete("/www/d/other.html").unwrap();
        ftp.rmdir("/www/d").unwrap();
    }
    assert_eq!(server.generation(), g1.wrapping_add(4));
    // A client that goes away with a file open for writing: closed, counted.
    server.client_gone(20);
    assert_eq!(server.generation(), g1.wrapping_add(5));
}

#[test]
fn a_faulty_volume_is_left_alone_until_formatted() {
    let dir = tempfile::tempdir().unwrap();
    let img = fat32_image(dir.path(), "faulty.img", 40);
    mcopy_in(&img, "/kept.txt", b"kept");
    let before = std::fs::read(&img).unwrap();
    let mut server = StorageServer::faulty(FileDevice::open(&img), Fixed(1_700_000_000), 3);
    let mut ftp = client(&mut server, "ftp", 5);
    let faulty = VolumeStatus::NotMounted(NotMounted::Faulty { restarts: 3 });
    assert_eq!(ftp.status(), Ok(faulty));
    assert_eq!(denied(ftp.stat("/kept.txt")), Error::NotMounted);
    assert_eq!(denied(ftp.open("/kept.txt", OpenMode::Read)), Error::NotMounted);
    assert_eq!(denied(ftp.list("/", 0, |_| {})), Error::NotMounted);
    assert_eq!(denied(ftp.mkdir("/new")), Error::NotMounted);
    assert_eq!(denied(ftp.free_space()), Error::NotMounted);
    server.settle();
    let (device, _) = server.shutdown();
    drop(device);
    assert!(std::fs::read(&img).unwrap() == before, "a faulty volume was written to");
    // Format only writes: it brings the service back on the same device.
    let mut server = StorageServer::faulty(FileDevice::open(&img), Fixed(1_700_000_000), 3);
    let mut ftp = client(&mut server, "ftp", 5);
    ftp.format(Label::new("FRESH").unwrap()).unwrap();
    assert!(matches!(ftp.status(), Ok(VolumeStatus::Mounted { .. })));
    let h = ftp.open("/new.txt", OpenMode::Write { create: true, truncate: true }).unwrap();
    ftp.write_all(h, b"new").unwrap();
    ftp.close(h).unwrap();
    drop(server.shutdown());
    assert_clean(&img);
    assert_eq!(mcopy_out(&img, "/new.txt"), b"new");
}
