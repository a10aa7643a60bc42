// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! A scripted client of `Session` shared by the integration tests: owned
//! outcomes, reply checks and the completion calls an app makes.
#![allow(dead_code)]

use core::net::{Ipv4Addr, SocketAddrV4};

use proto_ftp::reply::is_well_formed;
use proto_ftp::{
    DateTime, Failure, FsOp, Kind, ListFormat, Metadata, Options, Outcome, ReplyBuf, Role, Session, StoreMode, Transfer,
};

/// Owned copy of an `Outcome`, so tests can hold it across further calls.
#[derive(Debug, PartialEq, Eq)]
pub enum Got {
    Reply(String),
    Close(String),
    Auth(String, Vec<u8>),
    OpenPassive(bool),
    Retr(String, u64),
    Stor(String, StoreMode),
    List(String, ListFormat),
    /// A filtered listing: path, format, pattern, NLST prefix.
    Glob(String, ListFormat, String, String),
    Active(SocketAddrV4),
    Status(String, Option<(String, String)>),
    Format(Option<String>),
    QuitAfter,
    SetModified(String, DateTime),
    Stat(String),
    ChangeDir(String),
    Delete(String),
    MakeDir(String),
    RemoveDir(String),
    Rename(String, String),
    Abort,
}

pub fn own(o: Outcome<'_>) -> Got {
    match o {
        Outcome::Reply(r) => {
            assert!(is_well_formed(r.as_bytes()), "malformed reply {r:?}");
            Got::Reply(r.to_string())
        }
        Outcome::Close(r) => {
            assert!(is_well_formed(r.as_bytes()), "malformed reply {r:?}");
            Got::Close(r.to_string())
        }
        Outcome::Authenticate { user, pass } => Got::Auth(user.into(), pass.into()),
        Outcome::OpenPassive { extended } => Got::OpenPassive(extended),
        Outcome::Transfer(Transfer::Retr { path, offset }) => Got::Retr(path.into(), offset),
        Outcome::Transfer(Transfer::Stor { path, mode }) => Got::Stor(path.into(), mode),
        Outcome::Transfer(Transfer::List { path, format, glob: None }) => Got::List(path.into(), format),
        Outcome::Transfer(Transfer::List { path, format, glob: Some(g) }) => {
            Got::Glob(path.into(), format, g.pattern().into(), g.prefix().into())
        }
        Outcome::OpenActive { addr } => Got::Active(addr),
        Outcome::StatusListing { path, glob } => {
            Got::Status(path.into(), glob.map(|g| (g.pattern().into(), g.prefix().into())))
        }
        Outcome::Format { label } => Got::Format(label.map(Into::into)),
        Outcome::QuitAfterTransfer => Got::QuitAfter,
        Outcome::Fs(FsOp::SetModified { path, time }) => Got::SetModified(path.into(), time),
        Outcome::Fs(FsOp::Stat { path }) => Got::Stat(path.into()),
        Outcome::Fs(FsOp::ChangeDir { path }) => Got::ChangeDir(path.into()),
        Outcome::Fs(FsOp::Delete { path }) => Got::Delete(path.into()),
        Outcome::Fs(FsOp::MakeDir { path }) => Got::MakeDir(path.into()),
        Outcome::Fs(FsOp::RemoveDir { path }) => Got::RemoveDir(path.into()),
        Outcome::Fs(FsOp::Rename { from, to }) => Got::Rename(from.into(), to.into()),
        Outcome::AbortTransfer => Got::Abort,
    }
}

pub fn checked(r: &str) -> String {
    assert!(is_well_formed(r.as_bytes()), "malformed reply {r:?}");
    r.to_string()
}

pub fn reply(text: &str) -> Got {
    Got::Reply(text.to_string())
}

pub const ADDR: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 7), 50_001);

pub fn t(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> DateTime {
    DateTime::new(y, mo, d, h, mi, s).unwrap()
}

pub fn file(size: u64) -> Metadata {
    Metadata { kind: Kind::File, size, modified: t(2024, 3, 5, 6, 7, 8) }
}

pub fn dir() -> Metadata {
    Metadata { kind: Kind::Dir, size: 0, modified: t(2001, 2, 3, 4, 5, 6) }
}

pub struct Client {
    pub s: Session,
    pub out: ReplyBuf,
}

impl Client {
    pub fn new() -> Self {
        Client::with(Options::default())
    }

    pub fn with(options: Options) -> Self {
        Client { s: Session::with_options(options), out: ReplyBuf::new() }
    }

    /// Logged in with the role the app gives.
    pub fn as_role(options: Options, role: Role) -> Self {
        let mut c = Client::with(options);
        c.say("USER admin");
        assert!(matches!(c.cmd("PASS pw"), Got::Auth(..)));
        assert_eq!(checked(c.s.login_as(Some(role), &mut c.out)), "230 User logged in.\r\n");
        c
    }

    pub fn active_ready(&mut self) -> String {
        checked(self.s.active_ready(&mut self.out))
    }

    pub fn status_started(&mut self) -> String {
        self.s.status_started(&mut self.out).to_string()
    }

    pub fn status_done(&mut self, r: Result<(), Failure>) -> String {
        self.s.status_done(r, &mut self.out).to_string()
    }

    pub fn format_done(&mut self, r: Result<(), Failure>) -> String {
        checked(self.s.format_done(r, &mut self.out))
    }

    pub fn logged_in() -> Self {
        let mut c = Client::new();
        c.login("alice", "secret");
        c
    }

    pub fn cmd(&mut self, line: &str) -> Got {
        own(self.s.handle_line(line.as_bytes(), &mut self.out))
    }

    pub fn bytes(&mut self, line: &[u8]) -> Got {
        own(self.s.handle_line(line, &mut self.out))
    }

    /// Sends a line that must produce a plain reply; returns its text.
    pub fn say(&mut self, line: &str) -> String {
        match self.cmd(line) {
            Got::Reply(r) => r,
            other => panic!("{line:?} gave {other:?}"),
        }
    }

    /// The reply code of a line that must produce a plain reply.
    pub fn code(&mut self, line: &str) -> u16 {
        let r = self.say(line);
        r[..3].parse().unwrap()
    }

    pub fn login(&mut self, user: &str, pass: &str) {
        assert_eq!(self.cmd(&format!("USER {user}\r\n")), reply("331 Password required.\r\n"));
        assert_eq!(self.cmd(&format!("PASS {pass}\r\n")), Got::Auth(user.into(), pass.into()));
        assert_eq!(self.login_result(true), "230 User logged in.\r\n");
    }

    pub fn login_result(&mut self, ok: bool) -> String {
        checked(self.s.login_result(ok, &mut self.out))
    }

    pub fn pasv(&mut self) {
        assert_eq!(self.cmd("PASV"), Got::OpenPassive(false));
        assert_eq!(self.passive_ready(), "227 Entering Passive Mode (10,0,0,7,195,81).\r\n");
    }

    pub fn passive_ready(&mut self) -> String {
        checked(self.s.passive_ready(ADDR, &mut self.out))
    }

    pub fn stat_done(&mut self, r: Result<Metadata, Failure>) -> String {
        checked(self.s.stat_done(r, &mut self.out))
    }

    pub fn fs_done(&mut self, r: Result<(), Failure>) -> String {
        checked(self.s.fs_done(r, &mut self.out))
    }

    pub fn started(&mut self) -> String {
        checked(self.s.transfer_started(&mut self.out))
    }

    pub fn done(&mut self, r: Result<(), Failure>) -> String {
        checked(self.s.transfer_done(r, &mut self.out))
    }

    pub fn cd(&mut self, path: &str) {
        match self.cmd(&format!("CWD {path}")) {
            Got::ChangeDir(_) => {}
            other => panic!("CWD {path} gave {other:?}"),
        }
        assert_eq!(self.fs_done(Ok(())), "250 Directory changed.\r\n");
    }
}
