//! Arbitrary control-connection bytes through `LineBuffer` + `Session`, with a
//! simulated app whose callbacks succeed or fail as the input says; every
//! reply must be well-formed, and the session's rules must hold whatever
//! happens: anonymous users stay in /www and change nothing, only admins
//! format, active mode only reaches the peer, QUIT during a transfer ends
//! with 221 after it.
#![no_main]

use core::net::{Ipv4Addr, SocketAddrV4};

use libfuzzer_sys::fuzz_target;
use proto_ftp::list::{format_entry, format_listed, MAX_LIST_LINE};
use proto_ftp::reply::is_well_formed;
use proto_ftp::{
    DateTime, Entry, Facts, Failure, Feed, FsOp, Glob, Kind, LineBuffer, ListFormat, Metadata, Options, Outcome,
    ParseError, ReplyBuf, Role, Session, Transfer, MAX_LINE, MAX_PATH, REPLY_CAPACITY,
};

/// Knob bits taken from the first input byte.
const LOGIN_FIRST: u8 = 1;
/// Leave transfers running across lines so ABOR/QUIT/STAT hit a live transfer.
const KEEP_TRANSFER: u8 = 2;
/// Stat results describe a directory instead of a file.
const STAT_DIR: u8 = 4;
/// Reject logins (everything else still succeeds unless FAIL_STORAGE).
const LOGIN_FAILS: u8 = 8;
/// Anonymous access is on.
const ANONYMOUS: u8 = 16;
/// Logins get the admin role.
const ADMIN: u8 = 32;
/// The app can set times (MFMT offered).
const SET_TIMES: u8 = 64;
/// Storage callbacks fail, as the second input byte picks.
const FAIL_STORAGE: u8 = 128;

const PEER: Ipv4Addr = Ipv4Addr::new(192, 168, 7, 1);
const ADDR: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(192, 168, 7, 9), 40_123);

const FAILURES: [Failure; 12] = [
    Failure::NotFound,
    Failure::PermissionDenied,
    Failure::AlreadyExists,
    Failure::NotEmpty,
    Failure::NotADirectory,
    Failure::IsADirectory,
    Failure::NoSpace,
    Failure::BadName,
    Failure::Busy,
    Failure::NoDataConnection,
    Failure::ConnectionClosed,
    Failure::Local,
];

/// The simulated app: knobs, and a failure schedule from the second byte.
struct App {
    knobs: u8,
    fate: u8,
    calls: u32,
}

impl App {
    /// What the next storage callback reports.
    fn result(&mut self) -> Result<(), Failure> {
        self.calls = self.calls.wrapping_add(1);
        if self.knobs & FAIL_STORAGE == 0 || (self.fate >> (self.calls % 8)) & 1 == 0 {
            return Ok(());
        }
        Err(FAILURES[(self.calls as usize + usize::from(self.fate)) % FAILURES.len()])
    }
}

fn check(reply: &str) {
    assert!(reply.len() <= REPLY_CAPACITY);
    assert!(is_well_formed(reply.as_bytes()), "malformed reply {reply:?}");
    // The fallback only appears if a reply overflowed, which must be impossible.
    assert!(!reply.starts_with("451 Reply too long"), "reply overflow");
}

fn check_path(role: Option<Role>, path: &str) {
    assert!(path.starts_with('/') && path.len() <= MAX_PATH, "{path:?}");
    assert!(path == "/" || !path.ends_with('/'), "{path:?}");
    for name in path.split('/').skip(1) {
        assert!(path == "/" || !name.is_empty(), "{path:?}");
        assert!(name != "." && name != "..", "{path:?}");
        assert!(!name.bytes().any(|b| b < 0x20 || b == 0x7f || b == b'\\'), "{path:?}");
    }
    // Anonymous users never reach outside /www.
    if role == Some(Role::Anonymous) {
        assert!(path == "/www" || path.starts_with("/www/"), "{path:?}");
    }
}

fn meta(knobs: u8) -> Metadata {
    Metadata {
        kind: if knobs & STAT_DIR != 0 { Kind::Dir } else { Kind::File },
        size: 1234,
        modified: DateTime::new(2024, 2, 29, 23, 59, 58).unwrap(),
    }
}

/// Formats the last component as a listing line in every format, filtered
/// by `glob` when there is one.
fn check_listing(path: &str, glob: Option<&Glob<'_>>, knobs: u8) {
    let name = path.rsplit('/').next().unwrap_or("");
    let entry = Entry { name, meta: meta(knobs) };
    let now = DateTime::new(2024, 6, 1, 0, 0, 0).unwrap();
    let mut buf = [0u8; MAX_LIST_LINE + MAX_PATH];
    for format in [ListFormat::Long, ListFormat::Names, ListFormat::Facts(Facts::ALL)] {
        let line = match glob {
            Some(g) => format_listed(&entry, format, Some(g), &now, &mut buf).ok().flatten(),
            None => format_entry(&entry, format, &now, &mut buf).ok(),
        };
        if let Some(n) = line {
            assert!(buf[..n].ends_with(b"\r\n"));
            assert_eq!(buf[..n - 2].iter().filter(|&&b| b == b'\r' || b == b'\n').count(), 0);
            // A listing line never looks like the end of a STAT reply.
            assert!(!buf[0].is_ascii_digit() || format == ListFormat::Names);
        }
    }
}

/// What the rules forbid the session to ask for, given the role and
/// options it had when the command came.
fn check_allowed(role: Option<Role>, options: &Options, o: &Outcome<'_>) {
    let modifies = matches!(
        o,
        Outcome::Transfer(Transfer::Stor { .. })
            | Outcome::Format { .. }
            | Outcome::Fs(
                FsOp::Delete { .. }
                    | FsOp::MakeDir { .. }
                    | FsOp::RemoveDir { .. }
                    | FsOp::Rename { .. }
                    | FsOp::SetModified { .. }
            )
    );
    assert!(!(role == Some(Role::Anonymous) && modifies), "anonymous asked for {o:?}");
    if matches!(o, Outcome::Format { .. }) {
        assert_eq!(role, Some(Role::Admin));
    }
    if let Outcome::OpenActive { addr } = o {
        assert_eq!(*addr.ip(), PEER, "FTP bounce");
        assert!(addr.port() >= 1024);
    }
    if matches!(o, Outcome::Fs(FsOp::SetModified { .. })) {
        assert!(options.set_times);
    }
    if !matches!(o, Outcome::Reply(_) | Outcome::Close(_)) {
        assert!(role.is_some() || matches!(o, Outcome::Authenticate { .. }), "{o:?} before login");
    }
}

fn finish_transfer(s: &mut Session, out: &mut ReplyBuf, app: &mut App) {
    let quitting = s.quitting();
    let reply = s.transfer_done(app.result(), out);
    check(reply);
    if quitting {
        assert!(reply.ends_with("221 Goodbye.\r\n"), "{reply:?}");
    }
}

fn login_role(knobs: u8) -> Option<Role> {
    if knobs & LOGIN_FAILS != 0 {
        None
    } else if knobs & ADMIN != 0 {
        Some(Role::Admin)
    } else {
        Some(Role::User)
    }
}

fn drive(s: &mut Session, line: &[u8], out: &mut ReplyBuf, app: &mut App) {
    let knobs = app.knobs;
    let (role, options) = (s.role(), *s.options());
    let outcome = s.handle_line(line, out);
    check_allowed(role, &options, &outcome);
    // Owned copies, so the session can be called again to complete it.
    enum Next {
        Nothing,
        Login,
        Passive,
        Active,
        Transfer(String, Option<(String, String)>),
        Status(String, Option<(String, String)>),
        Stat(String),
        Fs(Vec<String>),
        Format,
        Abort,
        QuitAfter,
    }
    let glob = |g: Option<Glob<'_>>| g.map(|g| (g.pattern().to_owned(), g.prefix().to_owned()));
    let next = match outcome {
        Outcome::Reply(r) | Outcome::Close(r) => {
            check(r);
            Next::Nothing
        }
        Outcome::Authenticate { user, pass: _ } => {
            assert!(!user.bytes().any(|b| b < 0x20));
            Next::Login
        }
        Outcome::OpenPassive { .. } => Next::Passive,
        Outcome::OpenActive { .. } => Next::Active,
        Outcome::Transfer(Transfer::Retr { path, .. } | Transfer::Stor { path, .. }) => {
            Next::Transfer(path.to_owned(), None)
        }
        Outcome::Transfer(Transfer::List { path, glob: g, .. }) => Next::Transfer(path.to_owned(), glob(g)),
        Outcome::StatusListing { path, glob: g } => Next::Status(path.to_owned(), glob(g)),
        Outcome::Fs(FsOp::Stat { path }) => Next::Stat(path.to_owned()),
        Outcome::Fs(FsOp::Rename { from, to }) => Next::Fs(vec![from.to_owned(), to.to_owned()]),
        Outcome::Fs(
            FsOp::ChangeDir { path }
            | FsOp::Delete { path }
            | FsOp::MakeDir { path }
            | FsOp::RemoveDir { path }
            | FsOp::SetModified { path, .. },
        ) => Next::Fs(vec![path.to_owned()]),
        Outcome::Format { .. } => Next::Format,
        Outcome::AbortTransfer => Next::Abort,
        Outcome::QuitAfterTransfer => Next::QuitAfter,
    };
    match next {
        Next::Nothing => {}
        Next::Login => check(s.login_as(login_role(knobs), out)),
        Next::Passive => check(s.passive_ready(ADDR, out)),
        Next::Active => check(s.active_ready(out)),
        Next::Transfer(path, g) => {
            check_path(role, &path);
            let g = g.as_ref().map(|(p, x)| Glob::new(p, x));
            if let Some(g) = &g {
                assert!(!g.pattern().is_empty() && !g.pattern().contains('/'));
            }
            check_listing(&path, g.as_ref(), knobs);
            match app.result() {
                Ok(()) => {
                    check(s.transfer_started(out));
                    if knobs & KEEP_TRANSFER == 0 {
                        finish_transfer(s, out, app);
                    }
                }
                // Opening failed: the error right away.
                Err(f) => check(s.transfer_done(Err(f), out)),
            }
        }
        Next::Status(path, g) => {
            check_path(role, &path);
            let g = g.as_ref().map(|(p, x)| Glob::new(p, x));
            check_listing(&path, g.as_ref(), knobs);
            // The opening 213- line is only a reply with the closing one.
            let mut text = String::new();
            if app.result().is_ok() {
                text += s.status_started(out);
            }
            let r = app.result();
            text += s.status_done(r, out);
            check(&text);
        }
        Next::Stat(path) => {
            check_path(role, &path);
            let r = app.result().map(|()| meta(knobs));
            check(s.stat_done(r, out));
        }
        Next::Fs(paths) => {
            for p in &paths {
                check_path(role, p);
            }
            let r = app.result();
            check(s.fs_done(r, out));
        }
        Next::Format => {
            let r = app.result();
            check(s.format_done(r, out));
        }
        Next::Abort => finish_transfer(s, out, app),
        Next::QuitAfter => {
            assert!(s.quitting() && s.in_transfer());
            if knobs & KEEP_TRANSFER == 0 {
                finish_transfer(s, out, app);
            }
        }
    }
    let cwd = s.cwd().as_str().to_owned();
    check_path(s.role(), &cwd);
}

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, rest)) = data.split_first() else {
        return;
    };
    let Some((&fate, mut input)) = rest.split_first() else {
        return;
    };
    let options = Options { peer: Some(PEER), anonymous: knobs & ANONYMOUS != 0, set_times: knobs & SET_TIMES != 0 };
    let mut app = App { knobs, fate, calls: 0 };
    let mut s = Session::with_options(options);
    let mut out = ReplyBuf::new();
    let mut lines = LineBuffer::new();
    if knobs & LOGIN_FIRST != 0 {
        // A login that works, whatever the other knobs say.
        let mut login = App { knobs: knobs & (ADMIN | STAT_DIR), fate: 0, calls: 0 };
        drive(&mut s, b"USER fuzz\r\n", &mut out, &mut login);
        drive(&mut s, b"PASS fuzz\r\n", &mut out, &mut login);
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
                let line = line.to_vec();
                drive(&mut s, &line, &mut out, &mut app);
            }
        }
    }
    if s.in_transfer() {
        finish_transfer(&mut s, &mut out, &mut app);
    }
});
