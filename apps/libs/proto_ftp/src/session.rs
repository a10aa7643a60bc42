//! The per-connection FTP session state machine: commands in, [`Outcome`]s and replies out.

use core::mem;
use core::net::SocketAddrV4;

use crate::command::{parse, Command, DataType, EpsvArg, OptsArg, ParseError};
use crate::cursor::{is_control, Cursor};
use crate::list::{Facts, Kind, ListFormat, Metadata};
use crate::outcome::{Failure, FsOp, Outcome, StoreMode, Transfer};
use crate::path::{resolve, AbsPath};
use crate::replies::{
    failure_reply, path_error, reply, unexpected, write_feat, write_help, write_mlst,
    write_opts_mlst, write_rest, write_status,
};
use crate::reply::{self, put_line, Code, ReplyBuf};
use crate::MAX_USER;

/// A user name checked to fit [`MAX_USER`] and contain no control bytes.
#[derive(Clone)]
struct UserName {
    bytes: [u8; MAX_USER],
    len: usize,
}

impl UserName {
    fn new(name: &str) -> Option<Self> {
        if name.len() > MAX_USER || name.bytes().any(is_control) {
            return None;
        }
        let mut bytes = [0u8; MAX_USER];
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        Some(UserName {
            bytes,
            len: name.len(),
        })
    }

    fn as_str(&self) -> &str {
        // Copied from a `&str`, so always valid.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

/// Login progress; the name lives in the state that needs it.
#[derive(Clone)]
enum Auth {
    NeedUser,
    NeedPass(UserName),
    LoggedIn(UserName),
}

/// The completion call the session is waiting for, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    Idle,
    Login,
    Passive { extended: bool },
    Stat(StatFor),
    Fs(FsFor),
    Transfer(Phase),
}

/// Which command asked for a [`FsOp::Stat`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StatFor {
    Size,
    Mdtm,
    Mlst,
    Rnfr,
}

/// Which command asked for a non-stat [`FsOp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FsFor {
    Cwd,
    Dele,
    Mkd,
    Rmd,
    Rnto,
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

/// Transfer commands before they get a path.
#[derive(Clone, Copy)]
enum TransferKind {
    Retr,
    Stor,
    Appe,
    List(ListFormat),
}

/// One control connection's protocol state. Create one per connection.
///
/// Holds the cwd, the path resolved for the current command and a pending
/// RNFR source in fixed buffers, and hands out `&str` views of them.
#[derive(Clone)]
pub struct Session {
    auth: Auth,
    pending: Pending,
    /// A passive listener is ready for the next transfer (consumed by it).
    passive_open: bool,
    /// `EPSV ALL` seen: PASV is refused from now on (RFC 2428 §4).
    epsv_all: bool,
    data_type: DataType,
    /// `REST` offset for the next transfer command; 0 = none.
    restart: u64,
    facts: Facts,
    failed_logins: u32,
    cwd: AbsPath,
    /// The path the current command resolved to.
    target: AbsPath,
    /// Source accepted by RNFR; cleared by whatever command comes next.
    rename_from: Option<AbsPath>,
}

impl Session {
    /// A fresh session: not logged in, cwd `/`, binary type.
    pub fn new() -> Self {
        Session {
            auth: Auth::NeedUser,
            pending: Pending::Idle,
            passive_open: false,
            epsv_all: false,
            data_type: DataType::Image,
            restart: 0,
            facts: Facts::ALL,
            failed_logins: 0,
            cwd: AbsPath::root(),
            target: AbsPath::root(),
            rename_from: None,
        }
    }

    /// The 220 banner to send when the control connection opens.
    pub fn greeting(out: &mut ReplyBuf) -> &str {
        out.set(Code::SERVICE_READY, "FTP server ready.")
    }

    /// A 421 to send before closing for idle timeout or shutdown.
    pub fn closing(out: &mut ReplyBuf) -> &str {
        out.set(
            Code::SERVICE_UNAVAILABLE,
            "Service closing control connection.",
        )
    }

    /// True once `PASS` was accepted.
    pub fn is_logged_in(&self) -> bool {
        matches!(self.auth, Auth::LoggedIn(_))
    }

    /// The logged-in user, if any.
    pub fn user(&self) -> Option<&str> {
        match &self.auth {
            Auth::LoggedIn(u) => Some(u.as_str()),
            _ => None,
        }
    }

    /// Number of rejected logins on this connection (for the app's lockout policy).
    pub fn failed_logins(&self) -> u32 {
        self.failed_logins
    }

    /// The current working directory.
    pub fn cwd(&self) -> &AbsPath {
        &self.cwd
    }

    /// The path the most recent file command resolved to (also inside its [`Outcome`]).
    pub fn current_path(&self) -> &AbsPath {
        &self.target
    }

    /// Current `TYPE`; data is sent unconverted either way.
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

    /// Parses `line` and handles it; parse errors become their reply.
    pub fn handle_line<'a>(&'a mut self, line: &'a [u8], out: &'a mut ReplyBuf) -> Outcome<'a> {
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
        match self.pending {
            Pending::Idle => {}
            Pending::Transfer(_) => return self.during_transfer(cmd, out),
            _ if cmd == Command::Quit => {}
            _ => {
                return reply(
                    out,
                    Code::BAD_SEQUENCE,
                    "Previous command still in progress.",
                )
            }
        }
        if !self.is_logged_in() && !cmd.allowed_before_login() {
            return reply(
                out,
                Code::NOT_LOGGED_IN,
                "Please log in with USER and PASS.",
            );
        }
        match cmd {
            Command::User(name) => self.user_cmd(name, out),
            Command::Pass(pass) => self.pass_cmd(pass, out),
            Command::Quit => self.quit(out),
            Command::Syst => reply(out, Code::SYSTEM_TYPE, "UNIX Type: L8"),
            Command::Feat => {
                let facts = self.facts;
                Outcome::Reply(out.fill(|b| write_feat(b, facts)))
            }
            Command::Opts(OptsArg::Utf8On) => reply(out, Code::OK, "UTF8 mode is always on."),
            Command::Opts(OptsArg::Mlst(list)) => {
                let facts = Facts::parse(list);
                self.facts = facts;
                Outcome::Reply(out.fill(|b| write_opts_mlst(b, facts)))
            }
            Command::Pwd => {
                let cwd = &self.cwd;
                Outcome::Reply(out.fill(|b| {
                    reply::write_quoted_path(
                        b,
                        Code::PATH_CREATED,
                        cwd.as_str(),
                        "is the current directory.",
                    )
                }))
            }
            Command::Cwd(arg) => self.fs_cmd(arg, FsFor::Cwd, |path| FsOp::ChangeDir { path }, out),
            Command::Cdup => self.fs_cmd("..", FsFor::Cwd, |path| FsOp::ChangeDir { path }, out),
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
            Command::Pasv if self.epsv_all => {
                reply(out, Code::BAD_SEQUENCE, "Only EPSV allowed after EPSV ALL.")
            }
            Command::Pasv => self.open_passive(false),
            Command::Epsv(None | Some(EpsvArg::Protocol(1))) => self.open_passive(true),
            Command::Epsv(Some(EpsvArg::Protocol(_))) => reply(
                out,
                Code::BAD_PROTOCOL,
                "Network protocol not supported, use (1)",
            ),
            Command::Epsv(Some(EpsvArg::All)) => {
                self.epsv_all = true;
                reply(out, Code::OK, "EPSV ALL ok.")
            }
            Command::Port | Command::Eprt => reply(
                out,
                Code::NOT_IMPLEMENTED,
                "Active mode not supported; use PASV or EPSV.",
            ),
            Command::List(arg) => self.transfer_cmd(TransferKind::List(ListFormat::Long), arg, out),
            Command::Nlst(arg) => {
                self.transfer_cmd(TransferKind::List(ListFormat::Names), arg, out)
            }
            Command::Mlsd(arg) => {
                let format = ListFormat::Facts(self.facts);
                self.transfer_cmd(TransferKind::List(format), arg, out)
            }
            Command::Retr(arg) => self.transfer_cmd(TransferKind::Retr, Some(arg), out),
            Command::Stor(arg) => self.transfer_cmd(TransferKind::Stor, Some(arg), out),
            Command::Appe(arg) => self.transfer_cmd(TransferKind::Appe, Some(arg), out),
            Command::Mlst(arg) => self.stat_cmd(arg.unwrap_or("."), StatFor::Mlst, out),
            Command::Size(arg) => self.stat_cmd(arg, StatFor::Size, out),
            Command::Mdtm(arg) => self.stat_cmd(arg, StatFor::Mdtm, out),
            Command::Rnfr(arg) => self.stat_cmd(arg, StatFor::Rnfr, out),
            Command::Rnto(arg) => self.rnto_cmd(rename_from, arg, out),
            Command::Dele(arg) => self.fs_cmd(arg, FsFor::Dele, |path| FsOp::Delete { path }, out),
            Command::Mkd(arg) => self.fs_cmd(arg, FsFor::Mkd, |path| FsOp::MakeDir { path }, out),
            Command::Rmd(arg) => self.fs_cmd(arg, FsFor::Rmd, |path| FsOp::RemoveDir { path }, out),
            Command::Rest(offset) => {
                self.restart = offset;
                Outcome::Reply(out.fill(|b| write_rest(b, offset)))
            }
            Command::Noop => reply(out, Code::OK, "NOOP ok."),
            // RFC 959: 225 if a data connection is open but idle, else 226.
            Command::Abor if self.passive_open => {
                reply(out, Code::DATA_OPEN, "No transfer to abort.")
            }
            Command::Abor => reply(out, Code::TRANSFER_COMPLETE, "No transfer to abort."),
            Command::Help => Outcome::Reply(out.fill(write_help)),
            Command::Stat => {
                let this = &*self;
                Outcome::Reply(
                    out.fill(|b| write_status(b, this.user(), this.data_type, this.passive_open)),
                )
            }
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
            // RFC 959 would finish the transfer first; we free resources now.
            Command::Quit => self.quit(out),
            Command::Noop => reply(out, Code::OK, "NOOP ok."),
            Command::Stat => reply(out, Code::SYSTEM_STATUS, "Transfer in progress."),
            _ => reply(
                out,
                Code::BAD_SEQUENCE,
                "Transfer in progress; wait or send ABOR.",
            ),
        }
    }

    fn quit<'a>(&'a mut self, out: &'a mut ReplyBuf) -> Outcome<'a> {
        self.pending = Pending::Idle;
        self.passive_open = false;
        Outcome::Close(out.set(Code::CLOSING, "Goodbye."))
    }

    fn user_cmd<'a>(&'a mut self, name: &str, out: &'a mut ReplyBuf) -> Outcome<'a> {
        let Some(user) = UserName::new(name) else {
            return reply(out, Code::BAD_ARGUMENT, "User name not allowed.");
        };
        // A new USER logs out any current user (RFC 959 allows changing user).
        self.auth = Auth::NeedPass(user);
        self.cwd = AbsPath::root();
        self.restart = 0;
        reply(out, Code::NEED_PASSWORD, "Password required.")
    }

    fn pass_cmd<'a>(&'a mut self, pass: &'a [u8], out: &'a mut ReplyBuf) -> Outcome<'a> {
        match &self.auth {
            Auth::NeedUser => reply(out, Code::BAD_SEQUENCE, "Send USER first."),
            Auth::LoggedIn(_) => reply(out, Code::BAD_SEQUENCE, "Already logged in."),
            Auth::NeedPass(user) => {
                self.pending = Pending::Login;
                Outcome::Authenticate {
                    user: user.as_str(),
                    pass,
                }
            }
        }
    }

    /// Completes [`Outcome::Authenticate`]: 230, or 530 and back to needing USER.
    pub fn login_result<'a>(&mut self, ok: bool, out: &'a mut ReplyBuf) -> &'a str {
        if self.pending != Pending::Login {
            return unexpected(out);
        }
        self.pending = Pending::Idle;
        match (ok, mem::replace(&mut self.auth, Auth::NeedUser)) {
            (true, Auth::NeedPass(user)) => {
                self.auth = Auth::LoggedIn(user);
                self.cwd = AbsPath::root();
                out.set(Code::LOGGED_IN, "User logged in.")
            }
            _ => {
                self.failed_logins = self.failed_logins.saturating_add(1);
                out.set(Code::NOT_LOGGED_IN, "Login incorrect.")
            }
        }
    }

    fn open_passive(&mut self, extended: bool) -> Outcome<'static> {
        // The app replaces any previous listener.
        self.passive_open = false;
        self.pending = Pending::Passive { extended };
        Outcome::OpenPassive { extended }
    }

    /// Completes [`Outcome::OpenPassive`]: 227 with `addr` (the address the
    /// client must connect to) or 229 with its port.
    pub fn passive_ready<'a>(&mut self, addr: SocketAddrV4, out: &'a mut ReplyBuf) -> &'a str {
        let Pending::Passive { extended } = self.pending else {
            return unexpected(out);
        };
        self.pending = Pending::Idle;
        self.passive_open = true;
        if extended {
            out.fill(|b| reply::write_epsv(b, addr.port()))
        } else {
            out.fill(|b| reply::write_pasv(b, addr))
        }
    }

    /// Completes [`Outcome::OpenPassive`] when no listener could be opened: 425.
    pub fn passive_failed<'a>(&mut self, out: &'a mut ReplyBuf) -> &'a str {
        if !matches!(self.pending, Pending::Passive { .. }) {
            return unexpected(out);
        }
        self.pending = Pending::Idle;
        out.set(Code::CANT_OPEN_DATA, "Can't open passive data connection.")
    }

    fn transfer_cmd<'a>(
        &'a mut self,
        kind: TransferKind,
        arg: Option<&str>,
        out: &'a mut ReplyBuf,
    ) -> Outcome<'a> {
        // REST applies to the very next transfer command only, whatever happens to it.
        let offset = mem::take(&mut self.restart);
        if !self.passive_open {
            return reply(out, Code::CANT_OPEN_DATA, "Use PASV or EPSV first.");
        }
        if let Err(e) = resolve(&self.cwd, arg.unwrap_or("."), &mut self.target) {
            return path_error(e, out);
        }
        if matches!(kind, TransferKind::Stor | TransferKind::Appe) && self.target.is_root() {
            return reply(out, Code::BAD_FILE_NAME, "File name not allowed.");
        }
        self.passive_open = false;
        self.pending = Pending::Transfer(Phase::Opening);
        let path = self.target.as_str();
        Outcome::Transfer(match kind {
            TransferKind::Retr => Transfer::Retr { path, offset },
            TransferKind::Stor if offset > 0 => Transfer::Stor {
                path,
                mode: StoreMode::Resume(offset),
            },
            TransferKind::Stor => Transfer::Stor {
                path,
                mode: StoreMode::Replace,
            },
            TransferKind::Appe => Transfer::Stor {
                path,
                mode: StoreMode::Append,
            },
            TransferKind::List(format) => Transfer::List { path, format },
        })
    }

    /// The 150 reply to send once the file or directory is open.
    pub fn transfer_started<'a>(&mut self, out: &'a mut ReplyBuf) -> &'a str {
        if self.pending != Pending::Transfer(Phase::Opening) {
            return unexpected(out);
        }
        self.pending = Pending::Transfer(Phase::Streaming);
        let text = match self.data_type {
            DataType::Ascii => "Opening ASCII mode data connection.",
            DataType::Image => "Opening BINARY mode data connection.",
        };
        out.set(Code::OPENING_DATA, text)
    }

    /// Completes [`Outcome::Transfer`] (or [`Outcome::AbortTransfer`]).
    ///
    /// 226 on success, else the failure's reply; after ABOR, the transfer's
    /// reply (226 or 426) followed by 226 for the ABOR itself (RFC 959 §4.1.3).
    pub fn transfer_done<'a>(
        &mut self,
        result: Result<(), Failure>,
        out: &'a mut ReplyBuf,
    ) -> &'a str {
        let Pending::Transfer(phase) = self.pending else {
            return unexpected(out);
        };
        self.pending = Pending::Idle;
        match (phase, result) {
            (Phase::Aborting, result) => out.fill(|b| {
                let mut c = Cursor::new(b);
                match result {
                    Ok(()) => {
                        put_line(&mut c, Code::TRANSFER_COMPLETE, b' ', "Transfer complete.")?
                    }
                    Err(_) => put_line(&mut c, Code::TRANSFER_ABORTED, b' ', "Transfer aborted.")?,
                }
                put_line(&mut c, Code::TRANSFER_COMPLETE, b' ', "ABOR successful.")?;
                Ok(c.len())
            }),
            (_, Ok(())) => out.set(Code::TRANSFER_COMPLETE, "Transfer complete."),
            (phase, Err(f)) => failure_reply(f, phase == Phase::Streaming, out),
        }
    }

    fn stat_cmd<'a>(&'a mut self, arg: &str, why: StatFor, out: &'a mut ReplyBuf) -> Outcome<'a> {
        if let Err(e) = resolve(&self.cwd, arg, &mut self.target) {
            return path_error(e, out);
        }
        if why == StatFor::Rnfr && self.target.is_root() {
            return reply(
                out,
                Code::FILE_UNAVAILABLE,
                "Cannot rename the root directory.",
            );
        }
        self.pending = Pending::Stat(why);
        Outcome::Fs(FsOp::Stat {
            path: self.target.as_str(),
        })
    }

    /// Completes [`FsOp::Stat`]: 213 (SIZE, MDTM), 250 (MLST), 350 (RNFR) or the failure.
    pub fn stat_done<'a>(
        &mut self,
        result: Result<Metadata, Failure>,
        out: &'a mut ReplyBuf,
    ) -> &'a str {
        let Pending::Stat(why) = self.pending else {
            return unexpected(out);
        };
        self.pending = Pending::Idle;
        let meta = match result {
            Ok(meta) => meta,
            Err(f) => return failure_reply(f, false, out),
        };
        match why {
            // RFC 3659 §4: SIZE is for files; a directory has no transfer size.
            StatFor::Size if meta.kind == Kind::Dir => {
                out.set(Code::FILE_UNAVAILABLE, "Not a regular file.")
            }
            StatFor::Size => out.fill(|b| reply::write_size(b, meta.size)),
            StatFor::Mdtm => out.fill(|b| reply::write_mdtm(b, &meta.modified)),
            StatFor::Mlst => {
                let (path, facts) = (self.target.as_str(), self.facts);
                out.fill(|b| write_mlst(b, path, &meta, facts))
            }
            StatFor::Rnfr => {
                self.rename_from = Some(self.target.clone());
                out.set(Code::PENDING, "Ready for RNTO.")
            }
        }
    }

    fn fs_cmd<'a>(
        &'a mut self,
        arg: &str,
        what: FsFor,
        op: fn(&str) -> FsOp<'_>,
        out: &'a mut ReplyBuf,
    ) -> Outcome<'a> {
        if let Err(e) = resolve(&self.cwd, arg, &mut self.target) {
            return path_error(e, out);
        }
        // Deleting, creating or removing "/" is never meaningful.
        if what != FsFor::Cwd && self.target.is_root() {
            return reply(
                out,
                Code::FILE_UNAVAILABLE,
                "Not allowed on the root directory.",
            );
        }
        self.pending = Pending::Fs(what);
        Outcome::Fs(op(self.target.as_str()))
    }

    fn rnto_cmd<'a>(
        &'a mut self,
        from: Option<AbsPath>,
        arg: &str,
        out: &'a mut ReplyBuf,
    ) -> Outcome<'a> {
        let Some(from) = from else {
            return reply(out, Code::BAD_SEQUENCE, "Send RNFR first.");
        };
        if let Err(e) = resolve(&self.cwd, arg, &mut self.target) {
            return path_error(e, out);
        }
        if self.target.is_root() {
            return reply(
                out,
                Code::FILE_UNAVAILABLE,
                "Not allowed on the root directory.",
            );
        }
        self.pending = Pending::Fs(FsFor::Rnto);
        let from = self.rename_from.insert(from);
        Outcome::Fs(FsOp::Rename {
            from: from.as_str(),
            to: self.target.as_str(),
        })
    }

    /// Completes every [`FsOp`] except `Stat`: 250 (257 for MKD) or the failure.
    pub fn fs_done<'a>(&mut self, result: Result<(), Failure>, out: &'a mut ReplyBuf) -> &'a str {
        let Pending::Fs(what) = self.pending else {
            return unexpected(out);
        };
        self.pending = Pending::Idle;
        self.rename_from = None;
        if let Err(f) = result {
            return failure_reply(f, false, out);
        }
        match what {
            FsFor::Cwd => {
                self.cwd.clone_from(&self.target);
                out.set(Code::FILE_ACTION_OK, "Directory changed.")
            }
            FsFor::Dele => out.set(Code::FILE_ACTION_OK, "File deleted."),
            FsFor::Mkd => {
                let path = self.target.as_str();
                out.fill(|b| reply::write_quoted_path(b, Code::PATH_CREATED, path, "created."))
            }
            FsFor::Rmd => out.set(Code::FILE_ACTION_OK, "Directory removed."),
            FsFor::Rnto => out.set(Code::FILE_ACTION_OK, "Rename successful."),
        }
    }
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}
