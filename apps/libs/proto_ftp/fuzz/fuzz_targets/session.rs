//! Arbitrary control-connection bytes through `LineBuffer` + `Session`, with a
//! simulated app whose callbacks succeed; every reply must be well-formed.
#![no_main]

use core::net::{Ipv4Addr, SocketAddrV4};

use libfuzzer_sys::fuzz_target;
use proto_ftp::list::{format_entry, MAX_LIST_LINE};
use proto_ftp::reply::is_well_formed;
use proto_ftp::{
    DateTime, Entry, Facts, Feed, FsOp, Kind, LineBuffer, ListFormat, Metadata, Outcome,
    ParseError, ReplyBuf, Session, Transfer, MAX_LINE, MAX_PATH, REPLY_CAPACITY,
};

/// Knob bits taken from the first input byte.
const LOGIN_FIRST: u8 = 1;
/// Leave transfers running across lines so ABOR/QUIT/STAT hit a live transfer.
const KEEP_TRANSFER: u8 = 2;
/// Stat results describe a directory instead of a file.
const STAT_DIR: u8 = 4;
/// Reject logins (everything else still succeeds).
const LOGIN_FAILS: u8 = 8;

const ADDR: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(192, 168, 7, 9), 40_123);

fn check(reply: &str) {
    assert!(reply.len() <= REPLY_CAPACITY);
    assert!(
        is_well_formed(reply.as_bytes()),
        "malformed reply {reply:?}"
    );
    // The fallback only appears if a reply overflowed, which must be impossible.
    assert!(!reply.starts_with("451 Reply too long"), "reply overflow");
}

fn check_path(path: &str) {
    assert!(path.starts_with('/') && path.len() <= MAX_PATH, "{path:?}");
    assert!(path == "/" || !path.ends_with('/'), "{path:?}");
    for name in path.split('/').skip(1) {
        assert!(path == "/" || !name.is_empty(), "{path:?}");
        assert!(name != "." && name != "..", "{path:?}");
        assert!(
            !name.bytes().any(|b| b < 0x20 || b == 0x7f || b == b'\\'),
            "{path:?}"
        );
    }
}

fn meta(knobs: u8) -> Metadata {
    Metadata {
        kind: if knobs & STAT_DIR != 0 {
            Kind::Dir
        } else {
            Kind::File
        },
        size: 1234,
        modified: DateTime::new(2024, 2, 29, 23, 59, 58).unwrap(),
    }
}

/// Formats the last component as a listing line in every format.
fn check_listing(path: &str, knobs: u8) {
    let name = path.rsplit('/').next().unwrap_or("");
    let entry = Entry {
        name,
        meta: meta(knobs),
    };
    let now = DateTime::new(2024, 6, 1, 0, 0, 0).unwrap();
    let mut buf = [0u8; MAX_LIST_LINE];
    for format in [
        ListFormat::Long,
        ListFormat::Names,
        ListFormat::Facts(Facts::ALL),
    ] {
        if let Ok(n) = format_entry(&entry, format, &now, &mut buf) {
            assert!(buf[..n].ends_with(b"\r\n"));
            assert_eq!(
                buf[..n - 2]
                    .iter()
                    .filter(|&&b| b == b'\r' || b == b'\n')
                    .count(),
                0
            );
        }
    }
}

fn drive(s: &mut Session, line: &[u8], out: &mut ReplyBuf, knobs: u8) {
    let finish_transfer = match s.handle_line(line, out) {
        Outcome::Reply(r) | Outcome::Close(r) => {
            check(r);
            false
        }
        Outcome::Authenticate { user, pass: _ } => {
            assert!(!user.bytes().any(|b| b < 0x20));
            check(s.login_result(knobs & LOGIN_FAILS == 0, out));
            false
        }
        Outcome::OpenPassive { .. } => {
            check(s.passive_ready(ADDR, out));
            false
        }
        Outcome::Transfer(t) => {
            let path = match t {
                Transfer::Retr { path, .. }
                | Transfer::Stor { path, .. }
                | Transfer::List { path, .. } => path,
            };
            check_path(path);
            check_listing(path, knobs);
            check(s.transfer_started(out));
            knobs & KEEP_TRANSFER == 0
        }
        Outcome::Fs(op) => {
            match op {
                FsOp::Stat { path } => {
                    check_path(path);
                    check(s.stat_done(Ok(meta(knobs)), out));
                }
                FsOp::Rename { from, to } => {
                    check_path(from);
                    check_path(to);
                    check(s.fs_done(Ok(()), out));
                }
                FsOp::ChangeDir { path }
                | FsOp::Delete { path }
                | FsOp::MakeDir { path }
                | FsOp::RemoveDir { path } => {
                    check_path(path);
                    check(s.fs_done(Ok(()), out));
                }
            }
            false
        }
        Outcome::AbortTransfer => true,
    };
    if finish_transfer {
        check(s.transfer_done(Ok(()), out));
    }
    check_path(s.cwd().as_str());
}

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, mut input)) = data.split_first() else {
        return;
    };
    let mut s = Session::new();
    let mut out = ReplyBuf::new();
    let mut lines = LineBuffer::new();
    if knobs & LOGIN_FIRST != 0 {
        drive(&mut s, b"USER fuzz\r\n", &mut out, 0);
        drive(&mut s, b"PASS fuzz\r\n", &mut out, 0);
        assert!(s.is_logged_in());
    }
    while !input.is_empty() {
        let (used, feed) = lines.feed(input);
        assert!(used > 0 && used <= input.len());
        input = &input[used..];
        match feed {
            Feed::NeedMore => assert!(input.is_empty()),
            Feed::TooLong => check(s.reject(ParseError::TooLong, &mut out)),
            Feed::Line(line) => {
                assert!(line.len() < MAX_LINE);
                drive(&mut s, line, &mut out, knobs);
            }
        }
    }
    if s.in_transfer() {
        check(s.transfer_done(Ok(()), &mut out));
    }
});
