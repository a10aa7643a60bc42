//! Who may do what: the access policy, kept as one table of data ([`RULES`]).
//!
//! The client is identified by its app name, which the kernel supplies and a
//! process cannot forge. A request is first normalised (a bad path is
//! `BadPath` whoever asks), then classified ([`Class`]) and checked against the
//! client's [`Rule`]. Clients without a rule get only [`Class::Status`].
//!
//! | client | read (open for reading, stat, list) | write (open for writing, mkdir, rmdir, delete, rename) | format |
//! |---|---|---|---|
//! | `http` | `/www` and below | nothing | no |
//! | `ftp`  | everything | everything | yes |
//! | `telemetry` | `/config/telemetry.cfg` only | nothing | no |
//! | `websocket` | `/config/websocket.cfg` only | nothing | no |
//! | anyone else | nothing | nothing | no |
//!
//! `VolumeStatus` and `FreeSpace` are open to every client. Handle operations
//! (read, write, seek, close) need a rule; the volume additionally checks that
//! the handle belongs to the caller and was opened in the right direction.
//! Paths are compared byte for byte after normalisation, so `/WWW` is refused
//! to `http` even though FAT would find `/www` under that name: stricter,
//! never looser.

use crate::{normalize, Error, NormPath, OpenMode, Request};

/// Which paths a rule covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// No path.
    Nothing,
    /// This directory and everything below it (an absolute, normalised path).
    Under(&'static str),
    /// Every path.
    Everything,
}

impl Scope {
    /// True if `path` is inside the scope.
    pub fn contains(self, path: &NormPath) -> bool {
        match self {
            Scope::Nothing => false,
            Scope::Under(dir) => path.is_within(dir),
            Scope::Everything => true,
        }
    }
}

/// What one client may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// App name as reported by the kernel.
    pub client: &'static str,
    /// Paths it may open for reading, stat and list.
    pub read: Scope,
    /// Paths it may create, change, rename or delete.
    pub write: Scope,
    /// Whether it may format the volume.
    pub format: bool,
}

/// The board's policy. Edit this table (and the module docs) to change it.
pub const RULES: &[Rule] = &[
    Rule { client: "http", read: Scope::Under("/www"), write: Scope::Nothing, format: false },
    Rule { client: "ftp", read: Scope::Everything, write: Scope::Everything, format: true },
    // Each reads its own settings file, never another's (ftp.cfg holds a password).
    Rule { client: "telemetry", read: Scope::Under("/config/telemetry.cfg"), write: Scope::Nothing, format: false },
    Rule { client: "websocket", read: Scope::Under("/config/websocket.cfg"), write: Scope::Nothing, format: false },
];

/// The kind of access a request needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// `VolumeStatus`, `FreeSpace`: harmless, open to all.
    Status,
    /// `Read`, `Write`, `Seek`, `Close` on a handle the client got from `Open`.
    Handle,
    /// `Open` for reading, `Stat`, `List`.
    Read,
    /// `Open` for writing or appending, `MakeDir`, `RemoveDir`, `Delete`, `Rename`.
    Write,
    /// `Format`.
    Format,
}

impl Request<'_> {
    /// The access this request needs.
    pub fn class(&self) -> Class {
        match self {
            Request::FreeSpace | Request::VolumeStatus => Class::Status,
            Request::Read { .. } | Request::Write { .. } | Request::Seek { .. } | Request::Close { .. } => {
                Class::Handle
            }
            Request::Open { mode: OpenMode::Read, .. } | Request::Stat { .. } | Request::List { .. } => Class::Read,
            Request::Open { .. }
            | Request::MakeDir { .. }
            | Request::RemoveDir { .. }
            | Request::Delete { .. }
            | Request::Rename { .. } => Class::Write,
            Request::Format { .. } => Class::Format,
        }
    }

    /// The raw paths the request names (none, one, or two for `Rename`).
    pub fn paths(&self) -> [Option<&str>; 2] {
        match *self {
            Request::Open { path, .. }
            | Request::Stat { path }
            | Request::List { path, .. }
            | Request::MakeDir { path }
            | Request::RemoveDir { path }
            | Request::Delete { path } => [Some(path), None],
            Request::Rename { from, to } => [Some(from), Some(to)],
            _ => [None, None],
        }
    }
}

/// Checks `class` on already normalised `paths` for `client` against `rules`.
pub fn check(rules: &[Rule], client: &str, class: Class, paths: &[&NormPath]) -> Result<(), Error> {
    if class == Class::Status {
        return Ok(());
    }
    let rule = rules.iter().find(|r| r.client == client).ok_or(Error::PermissionDenied)?;
    let allowed = match class {
        Class::Status => true,
        Class::Handle => rule.read != Scope::Nothing || rule.write != Scope::Nothing,
        Class::Read => paths.iter().all(|p| rule.read.contains(p)),
        Class::Write => paths.iter().all(|p| rule.write.contains(p)),
        Class::Format => rule.format,
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::PermissionDenied)
    }
}

/// Normalises the request's paths (`BadPath` on failure) and checks the policy.
pub fn authorize(rules: &[Rule], client: &str, request: &Request<'_>) -> Result<(), Error> {
    let [a, b] = request.paths();
    let a = a.map(normalize).transpose()?;
    let b = b.map(normalize).transpose()?;
    let mut paths: [&NormPath; 2] = [&NormPath::ROOT; 2];
    let mut n = 0;
    for p in [a.as_ref(), b.as_ref()].into_iter().flatten() {
        paths[n] = p;
        n += 1;
    }
    check(rules, client, request.class(), &paths[..n])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Chunk, Handle, Label, ReadLen};

    const R: OpenMode = OpenMode::Read;
    const W: OpenMode = OpenMode::Write { create: true, truncate: true };

    #[test]
    fn policy_table() {
        let ok = Ok(());
        let denied = Err(Error::PermissionDenied);
        let bad = Err(Error::BadPath);
        let h = Handle(1);
        let cases: &[(&str, Request<'_>, Result<(), Error>)] = &[
            // http: read-only, /www only.
            ("http", Request::Open { path: "/www/index.html", mode: R }, ok),
            ("http", Request::Open { path: "/www", mode: R }, ok),
            ("http", Request::Open { path: "//www/./a/../b", mode: R }, ok),
            ("http", Request::Stat { path: "/www" }, ok),
            ("http", Request::List { path: "/www/img", cursor: 0 }, ok),
            ("http", Request::List { path: "/", cursor: 0 }, denied),
            ("http", Request::Stat { path: "/etc" }, denied),
            ("http", Request::Open { path: "/www/../etc/passwd", mode: R }, denied),
            ("http", Request::Open { path: "/www/../../etc", mode: R }, bad),
            ("http", Request::Open { path: "/wwwx/a", mode: R }, denied),
            ("http", Request::Open { path: "/WWW/a", mode: R }, denied),
            ("http", Request::Open { path: "/www/%2e%2e/x", mode: R }, ok),
            ("http", Request::Open { path: "/www/a", mode: W }, denied),
            ("http", Request::Open { path: "/www/a", mode: OpenMode::Append }, denied),
            ("http", Request::MakeDir { path: "/www/d" }, denied),
            ("http", Request::RemoveDir { path: "/www/d" }, denied),
            ("http", Request::Delete { path: "/www/a" }, denied),
            ("http", Request::Rename { from: "/www/a", to: "/www/b" }, denied),
            ("http", Request::Format { label: Label::EMPTY }, denied),
            ("http", Request::Read { handle: h, max_len: ReadLen::MAX }, ok),
            ("http", Request::Close { handle: h }, ok),
            ("http", Request::FreeSpace, ok),
            ("http", Request::VolumeStatus, ok),
            // ftp: everything.
            ("ftp", Request::Open { path: "/etc/x", mode: W }, ok),
            ("ftp", Request::Open { path: "/", mode: R }, ok),
            ("ftp", Request::Rename { from: "/a", to: "/www/a" }, ok),
            ("ftp", Request::Rename { from: "/a", to: "/../a" }, bad),
            ("ftp", Request::Delete { path: "/a\\b" }, bad),
            ("ftp", Request::Format { label: Label::EMPTY }, ok),
            ("ftp", Request::Write { handle: h, data: Chunk::prefix(b"x") }, ok),
            // telemetry and websocket: their own settings file, read only.
            ("telemetry", Request::Open { path: "/config/telemetry.cfg", mode: R }, ok),
            ("telemetry", Request::Open { path: "/config/ftp.cfg", mode: R }, denied),
            ("telemetry", Request::Open { path: "/config/telemetry.cfg", mode: W }, denied),
            ("telemetry", Request::List { path: "/config", cursor: 0 }, denied),
            ("websocket", Request::Open { path: "/config/websocket.cfg", mode: R }, ok),
            ("websocket", Request::Open { path: "/config/telemetry.cfg", mode: R }, denied),
            ("websocket", Request::Open { path: "/config/websocket.cfg/../ftp.cfg", mode: R }, denied),
            // strangers: status only.
            ("sysinfo", Request::VolumeStatus, ok),
            ("sysinfo", Request::FreeSpace, ok),
            ("sysinfo", Request::Stat { path: "/www" }, denied),
            ("sysinfo", Request::Open { path: "/www/a", mode: R }, denied),
            ("sysinfo", Request::Seek { handle: h, offset: 0 }, denied),
            ("sysinfo", Request::Format { label: Label::EMPTY }, denied),
            ("", Request::Stat { path: "/" }, denied),
            ("HTTP", Request::Stat { path: "/www" }, denied),
            ("ftp2", Request::Stat { path: "/" }, denied),
        ];
        for (client, req, want) in cases {
            assert_eq!(authorize(RULES, client, req), *want, "{client} {req:?}");
        }
    }

    #[test]
    fn rename_needs_both_paths_in_scope() {
        const RULES: &[Rule] =
            &[Rule { client: "up", read: Scope::Under("/"), write: Scope::Under("/incoming"), format: false }];
        let ok = |from, to| authorize(RULES, "up", &Request::Rename { from, to });
        assert_eq!(ok("/incoming/a", "/incoming/b"), Ok(()));
        assert_eq!(ok("/incoming/a", "/www/a"), Err(Error::PermissionDenied));
        assert_eq!(ok("/www/a", "/incoming/a"), Err(Error::PermissionDenied));
        assert_eq!(authorize(RULES, "up", &Request::Stat { path: "/anything" }), Ok(()));
    }

    #[test]
    fn scopes() {
        let p = normalize("/www/a").unwrap();
        assert!(Scope::Everything.contains(&p));
        assert!(!Scope::Nothing.contains(&p));
        assert!(Scope::Under("/www").contains(&p));
        assert!(Scope::Under("/").contains(&p));
        assert!(!Scope::Under("/www/a/b").contains(&p));
    }
}
