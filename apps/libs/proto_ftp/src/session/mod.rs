// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The per-connection FTP session state machine: commands in, [`Outcome`]s and replies out.
//!
//! The session enforces who may do what (login, roles, the anonymous
//! chroot) and where data may go (PORT/EPRT only to the control
//! connection's peer); the app only carries out what it is asked.
//! Completion calls live beside the commands that need them: [`auth`]
//! (login), [`data`] (PASV, PORT, transfers, STAT listings), [`files`]
//! (stat and file operations, MFMT, SITE).

mod auth;
mod data;
mod files;

use core::net::Ipv4Addr;

use crate::command::{parse, verb_of, Command, DataType, EprtArg, EpsvArg, OptsArg, ParseError, Verb};
use crate::list::{Facts, ListFormat};
use crate::outcome::Outcome;
use crate::path::AbsPath;
use crate::replies::{reply, write_feat, write_help, write_opts_mlst, write_rest, write_status};
use crate::reply::{self, Code, ReplyBuf};
use crate::time::DateTime;

pub use auth::Role;
use auth::{Auth, UserName};

/// Where anonymous users are confined (RFC 1635 style read-only access).
pub const ANONYMOUS_ROOT: &str = "/www";

/// What the app allows this session; fixed for the connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The control connection's peer. PORT/EPRT may only name this address
    /// (no FTP bounce, RFC 2577); `None` refuses active mode.
    pub peer: Option<Ipv4Addr>,
    /// `USER anonymous` (or `ftp`) with any password gets read-only access
    /// to [`ANONYMOUS_ROOT`].
    pub anonymous: bool,
    /// The app can set a file's modification time: MFMT is offered.
    pub set_times: bool,
}

/// The completion call the session is waiting for, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    Idle,
    Login,
    Passive {
        extended: bool,
    },
    Active {
        extended: bool,
    },
    Stat(StatFor),
    Fs(FsFor),
    Format,
    Transfer(Phase),
    /// A STAT listing on the control connection; `true` once 213- was sent.
    Status(bool),
}

/// Which command asked for a [`FsOp::Stat`](crate::FsOp::Stat).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StatFor {
    Size,
    Mdtm,
    Mlst,
    Rnfr,
}

/// Which command asked for a non-stat [`FsOp`](crate::FsOp).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FsFor {
    Cwd,
    Dele,
    Mkd,
    Rmd,
    Rnto,
    Mfmt(DateTime),
}

/// Where a transfer is; decides 452 vs 552 and the ABOR replies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Outcome issued, 150 not yet sent.
    Opening,
    /// 150 sent, data moving.
    Streaming,
    /// ABOR received; waiting for the app to stop.
    Aborting,
}

/// How the next transfer's data connection is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DataPort {
    None,
    /// A passive listener is open (PASV/EPSV).
    Passive,
    /// The app connects to the address PORT/EPRT gave.
    Active,
}

/// One control connection's protocol state. Create one per connection.
///
/// Holds the cwd, the path resolved for the current command and a pending
/// RNFR source in fixed buffers, and hands out `&str` views of them. Paths
/// handed to the app are real volume paths; paths in replies are shown
/// from inside the user's root (`/` for anonymous users is [`ANONYMOUS_ROOT`]).
#[derive(Clone)]
pub struct Session {
    options: Options,
    auth: Auth,
    pending: Pending,
    data: DataPort,
    /// `EPSV ALL` seen: PASV, PORT and EPRT are refused from now on (RFC 2428 §4).
    epsv_all: bool,
    data_type: DataType,
    /// `REST` offset for the next transfer command; 0 = none.
    restart: u64,
    facts: Facts,
    failed_logins: u32,
    /// QUIT arrived during a transfer: close once its reply is sent.
    quit: bool,
    /// Every path resolves inside this: `/`, or [`ANONYMOUS_ROOT`].
    root: AbsPath,
    cwd: AbsPath,
    /// The path the current command resolved to.
    target: AbsPath,
    /// Source accepted by RNFR; cleared by whatever command comes next.
    rename_from: Option<AbsPath>,
}

impl Session {
    /// A fresh session with default [`Options`]: no anonymous access, no
    /// active mode, no MFMT.
    pub fn new() -> Self {
        Session::with_options(Options::default())
    }

    /// A fresh session: not logged in, cwd `/`, binary type.
    pub fn with_options(options: Options) -> Self {
        Session {
            options,
            auth: Auth::NeedUser,
            pending: Pending::Idle,
            data: DataPort::None,
            epsv_all: false,
            data_type: DataType::Image,
            restart: 0,
            facts: Facts::ALL,
            failed_logins: 0,
            quit: false,
            root: AbsPath::root(),
            cwd: AbsPath::root(),
            target: AbsPath::root(),
            rename_from: None,
        }
    }

    /// The options the session was made with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The 220 banner to send when the control connection opens.
    pub fn greeting(out: &mut ReplyBuf) -> &str {
        out.set(Code::SERVICE_READY, "FTP server ready.")
    }

    /// A 421 to send before closing for idle timeout or shutdown.
    pub fn closing(out: &mut ReplyBuf) -> &str {
        out.set(Code::SERVICE_UNAVAILABLE, "Service closing control connection.")
    }

    /// The current working directory (a real volume path).
    pub fn cwd(&self) -> &AbsPath {
        &self.cwd
    }

    /// The directory every path of this session stays in.
    pub fn root(&self) -> &AbsPath {
        &self.root
    }

    /// The path the most recent file command resolved to (also inside its [`Outcome`]).
    pub fn current_path(&self) -> &AbsPath {
        &self.target
    }

    /// Current `TYPE`: with [`DataType::Ascii`] the app converts line ends
    /// ([`ascii`](crate::ascii)) on RETR and STOR.
    pub fn data_type(&self) -> DataType {
        self.data_type
    }

    /// MLST/MLSD facts selected with `OPTS MLST`.
    pub fn facts(&self) -> Facts {
        self.facts
    }

    /// True between a [`Outcome::Transfer`] and [`Session::transfer_done`].
    pub fn in_transfer(&self) -> bool {
        matches!(self.pending, Pending::Transfer(_))
    }

    /// True while any completion call is outstanding.
    pub fn is_waiting(&self) -> bool {
        self.pending != Pending::Idle
    }

    /// QUIT came during a transfer: once the reply of
    /// [`transfer_done`](Self::transfer_done) (which ends with 221) is
    /// sent, the app closes the connection.
    pub fn quitting(&self) -> bool {
        self.quit
    }

    /// Whether this session offers `verb` (MFMT needs [`Options::set_times`]).
    pub fn offers(&self, verb: Verb) -> bool {
        verb != Verb::Mfmt || self.options.set_times
    }

    /// Parses `line` and handles it; parse errors become their reply.
    pub fn handle_line<'a>(&'a mut self, line: &'a [u8], out: &'a mut ReplyBuf) -> Outcome<'a> {
        if verb_of(line).is_some_and(|v| !self.offers(v)) {
            return Outcome::Reply(self.reject(ParseError::NotImplemented, out));
        }
        match parse(line) {
            Ok(cmd) => self.handle(cmd, out),
            Err(err) => Outcome::Reply(self.reject(err, out)),
        }
    }

    /// Replies to a line that failed to parse (or [`Feed::TooLong`](crate::Feed::TooLong)).
    pub fn reject<'a>(&mut self, err: ParseError, out: &'a mut ReplyBuf) -> &'a str {
        // A bad line is still "a command other than RNTO".
        self.rename_from = None;
        out.set(err.code(), err.text())
    }

    /// Handles one parsed command.
    pub fn handle<'a>(&'a mut self, cmd: Command<'a>, out: &'a mut ReplyBuf) -> Outcome<'a> {
        // RNFR's source only survives until the next command (RFC 959 §4.1.3).
        let rename_from = self.rename_from.take();
        if matches!(cmd, Command::Mfmt(..)) && !self.offers(Verb::Mfmt) {
            return Outcome::Reply(self.reject(ParseError::NotImplemented, out));
        }
        match self.pending {
            Pending::Idle => {}
            Pending::Transfer(_) => return self.during_transfer(cmd, out),
            _ if cmd == Command::Quit => {}
            _ => return reply(out, Code::BAD_SEQUENCE, "Previous command still in progress."),
        }
        if !self.is_logged_in() && !cmd.allowed_before_login() {
            return reply(out, Code::NOT_LOGGED_IN, "Please log in with USER and PASS.");
        }
        if self.role() == Some(Role::Anonymous) && cmd.modifies() {
            return reply(out, Code::FILE_UNAVAILABLE, "Permission denied: anonymous access is read-only.");
        }
        match cmd {
            Command::User(name) => self.user_cmd(name, out),
            Command::Pass(pass) => self.pass_cmd(pass, out),
            Command::Quit => self.quit(out),
            Command::Syst => reply(out, Code::SYSTEM_TYPE, "UNIX Type: L8"),
            Command::Feat => {
                let (facts, mfmt) = (self.facts, self.offers(Verb::Mfmt));
                Outcome::Reply(out.fill(|b| write_feat(b, facts, mfmt)))
            }
            Command::Opts(OptsArg::Utf8On) => reply(out, Code::OK, "UTF8 mode is always on."),
            Command::Opts(OptsArg::Mlst(list)) => {
                let facts = Facts::parse(list);
                self.facts = facts;
                Outcome::Reply(out.fill(|b| write_opts_mlst(b, facts)))
            }
            Command::Pwd => {
                let cwd = self.cwd.relative_to(&self.root);
                Outcome::Reply(
                    out.fill(|b| reply::write_quoted_path(b, Code::PATH_CREATED, cwd, "is the current directory.")),
                )
            }
            Command::Cwd(arg) => self.fs_cmd(arg, FsFor::Cwd, out),
            Command::Cdup => self.fs_cmd("..", FsFor::Cwd, out),
            Command::Type(t) => {
                self.data_type = t;
                let text = match t {
                    DataType::Ascii => "Type set to A.",
                    DataType::Image => "Type set to I.",
                };
                reply(out, Code::OK, text)
            }
            Command::Mode => reply(out, Code::OK, "Mode set to S."),
            Command::Stru => reply(out, Code::OK, "Structure set to F."),
            Command::Pasv if self.epsv_all => reply(out, Code::BAD_SEQUENCE, "Only EPSV allowed after EPSV ALL."),
            Command::Pasv => self.open_passive(false),
            Command::Epsv(None | Some(EpsvArg::Protocol(1))) => self.open_passive(true),
            Command::Epsv(Some(EpsvArg::Protocol(_))) | Command::Eprt(EprtArg::Protocol(_)) => {
                reply(out, Code::BAD_PROTOCOL, "Network protocol not supported, use (1)")
            }
            Command::Epsv(Some(EpsvArg::All)) => {
                self.epsv_all = true;
                reply(out, Code::OK, "EPSV ALL ok.")
            }
            Command::Port(addr) => self.open_active(addr, false, out),
            Command::Eprt(EprtArg::V4(addr)) => self.open_active(addr, true, out),
            Command::List(arg) => self.list_cmd(ListFormat::Long, arg, out),
            Command::Nlst(arg) => self.list_cmd(ListFormat::Names, arg, out),
            Command::Mlsd(arg) => {
                let format = ListFormat::Facts(self.facts);
                self.list_cmd(format, arg, out)
            }
            Command::Retr(arg) => self.retr_cmd(arg, out),
            Command::Stor(arg) => self.stor_cmd(arg, false, out),
            Command::Appe(arg) => self.stor_cmd(arg, true, out),
            Command::Mlst(arg) => self.stat_cmd(arg.unwrap_or("."), StatFor::Mlst, out),
            // The stored size in either TYPE (see the README: not the ASCII transfer size).
            Command::Size(arg) => self.stat_cmd(arg, StatFor::Size, out),
            Command::Mdtm(arg) => self.stat_cmd(arg, StatFor::Mdtm, out),
            Command::Rnfr(arg) => self.stat_cmd(arg, StatFor::Rnfr, out),
            Command::Rnto(arg) => self.rnto_cmd(rename_from, arg, out),
            Command::Dele(arg) => self.fs_cmd(arg, FsFor::Dele, out),
            Command::Mkd(arg) => self.fs_cmd(arg, FsFor::Mkd, out),
            Command::Rmd(arg) => self.fs_cmd(arg, FsFor::Rmd, out),
            Command::Mfmt(time, arg) => self.fs_cmd(arg, FsFor::Mfmt(time), out),
            Command::Rest(offset) => {
                self.restart = offset;
                Outcome::Reply(out.fill(|b| write_rest(b, offset)))
            }
            Command::Noop => reply(out, Code::OK, "NOOP ok."),
            // RFC 959: 225 if a data connection is open but idle, else 226.
            Command::Abor if self.data == DataPort::Passive => reply(out, Code::DATA_OPEN, "No transfer to abort."),
            Command::Abor => reply(out, Code::TRANSFER_COMPLETE, "No transfer to abort."),
            Command::Help => {
                let this = &*self;
                Outcome::Reply(out.fill(|b| write_help(b, |v| this.offers(v))))
            }
            Command::Stat(None) => {
                let this = &*self;
                let data = match this.data {
                    DataPort::None => " No data connection",
                    DataPort::Passive => " Passive listener open",
                    DataPort::Active => " Active data connection set up (PORT)",
                };
                Outcome::Reply(out.fill(|b| write_status(b, this.user(), this.role(), this.data_type, data)))
            }
            Command::Stat(Some(arg)) => self.status_cmd(arg, out),
            Command::Site(site) => self.site_cmd(site, out),
            Command::Allo => reply(out, Code::SUPERFLUOUS, "ALLO not needed."),
        }
    }

    /// While data moves only ABOR, STAT, NOOP and QUIT make sense.
    fn during_transfer<'a>(&'a mut self, cmd: Command<'a>, out: &'a mut ReplyBuf) -> Outcome<'a> {
        match cmd {
            Command::Abor => {
                self.pending = Pending::Transfer(Phase::Aborting);
                Outcome::AbortTransfer
            }
            // RFC 959 §4.1.1: the transfer completes, then QUIT is answered.
            Command::Quit => {
                self.quit = true;
                Outcome::QuitAfterTransfer
            }
            Command::Noop => reply(out, Code::OK, "NOOP ok."),
            Command::Stat(None) => reply(out, Code::SYSTEM_STATUS, "Transfer in progress."),
            _ => reply(out, Code::BAD_SEQUENCE, "Transfer in progress; wait or send ABOR."),
        }
    }

    fn quit<'a>(&'a mut self, out: &'a mut ReplyBuf) -> Outcome<'a> {
        self.pending = Pending::Idle;
        self.data = DataPort::None;
        Outcome::Close(out.set(Code::CLOSING, "Goodbye."))
    }

    /// `path` (a real path) as this session's user sees it.
    fn shown<'p>(&self, path: &'p AbsPath) -> &'p str {
        path.relative_to(&self.root)
    }
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl UserName {
    /// RFC 1635's names for anonymous access.
    fn is_anonymous(&self) -> bool {
        let name = self.as_str();
        name.eq_ignore_ascii_case("anonymous") || name.eq_ignore_ascii_case("ftp")
    }
}
