// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Data connections and what moves over them: PASV/EPSV, PORT/EPRT,
//! RETR/STOR/APPE, LIST/NLST/MLSD (with wildcards), and `STAT path`, a
//! listing sent on the control connection instead.

use core::mem;
use core::net::SocketAddrV4;

use super::{DataPort, Pending, Phase, Session};
use crate::command::DataType;
use crate::cursor::Cursor;
use crate::glob::{has_wildcard, Glob};
use crate::list::ListFormat;
use crate::outcome::{Failure, Outcome, StoreMode, Transfer};
use crate::path::{check_name, resolve_within, PathError};
use crate::replies::{failure_reply, failure_text, path_error, reply, unexpected};
use crate::reply::{self, put_line, Code, ReplyBuf};

/// Ports below this are refused in PORT/EPRT (RFC 2577 §3: no FTP bounce
/// to the client host's services).
const MIN_ACTIVE_PORT: u16 = 1024;

/// A LIST/NLST/STAT argument whose last name holds a wildcard, split into
/// the directory to list (as typed), the pattern and the NLST prefix; a
/// wildcard in any other name is refused.
fn split_glob(arg: &str) -> Result<Option<(&str, &str, &str)>, Refusal> {
    let (dir, last) = match arg.rfind('/') {
        Some(i) => (&arg[..=i], &arg[i + 1..]),
        None => ("", arg),
    };
    if has_wildcard(dir) {
        return Err(Refusal::Text(Code::FILE_UNAVAILABLE, "Wildcards are allowed in the last name only."));
    }
    Ok(has_wildcard(last).then_some((if dir.is_empty() { "." } else { dir }, last, dir)))
}

impl Session {
    pub(super) fn open_passive(&mut self, extended: bool) -> Outcome<'static> {
        // The app replaces any previous listener.
        self.data = DataPort::None;
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
        self.data = DataPort::Passive;
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

    /// PORT/EPRT: only to the control connection's own host, never below
    /// port 1024, never after `EPSV ALL`.
    pub(super) fn open_active<'a>(
        &'a mut self,
        addr: SocketAddrV4,
        extended: bool,
        out: &'a mut ReplyBuf,
    ) -> Outcome<'a> {
        if self.epsv_all {
            return reply(out, Code::BAD_SEQUENCE, "Only EPSV allowed after EPSV ALL.");
        }
        let Some(peer) = self.options.peer else {
            return reply(out, Code::NOT_IMPLEMENTED, "Active mode not available; use PASV.");
        };
        if *addr.ip() != peer {
            return reply(out, Code::BAD_ARGUMENT, "Data connections go only to your own address (no FTP bounce).");
        }
        if addr.port() < MIN_ACTIVE_PORT {
            return reply(out, Code::BAD_ARGUMENT, "Data port below 1024 refused.");
        }
        self.data = DataPort::None;
        self.pending = Pending::Active { extended };
        Outcome::OpenActive { addr }
    }

    /// Completes [`Outcome::OpenActive`]: 200.
    pub fn active_ready<'a>(&mut self, out: &'a mut ReplyBuf) -> &'a str {
        let Pending::Active { extended } = self.pending else {
            return unexpected(out);
        };
        self.pending = Pending::Idle;
        self.data = DataPort::Active;
        out.set(Code::OK, if extended { "EPRT command successful." } else { "PORT command successful." })
    }

    pub(super) fn list_cmd<'a>(
        &'a mut self,
        format: ListFormat,
        arg: Option<&'a str>,
        out: &'a mut ReplyBuf,
    ) -> Outcome<'a> {
        let arg = arg.unwrap_or(".");
        // MLSD lists a directory, never a pattern (RFC 3659 §7.1).
        let split = match format {
            ListFormat::Facts(_) => Ok(None),
            ListFormat::Long | ListFormat::Names => split_glob(arg),
        };
        let split = match split {
            Ok(split) => split,
            Err(refusal) => return reply_outcome(refusal, out),
        };
        let (dir, glob) = match split {
            Some((dir, pattern, prefix)) => (dir, Some((pattern, prefix))),
            None => (arg, None),
        };
        if let Err(reply) = self.start_transfer(dir, Moves::Listing, glob.map(|g| g.0)) {
            return reply_outcome(reply, out);
        }
        let glob = glob.map(|(pattern, prefix)| Glob::new(pattern, prefix));
        Outcome::Transfer(Transfer::List { path: self.target.as_str(), format, glob })
    }

    pub(super) fn retr_cmd<'a>(&'a mut self, arg: &str, out: &'a mut ReplyBuf) -> Outcome<'a> {
        let offset = self.restart;
        if let Err(reply) = self.start_transfer(arg, Moves::Download, None) {
            return reply_outcome(reply, out);
        }
        Outcome::Transfer(Transfer::Retr { path: self.target.as_str(), offset })
    }

    pub(super) fn stor_cmd<'a>(&'a mut self, arg: &str, append: bool, out: &'a mut ReplyBuf) -> Outcome<'a> {
        let offset = self.restart;
        if let Err(reply) = self.start_transfer(arg, Moves::Upload, None) {
            return reply_outcome(reply, out);
        }
        let mode = match (append, offset) {
            (true, _) => StoreMode::Append,
            (false, 0) => StoreMode::Replace,
            (false, n) => StoreMode::Resume(n),
        };
        Outcome::Transfer(Transfer::Stor { path: self.target.as_str(), mode })
    }

    /// The checks every transfer command shares; on success the data port
    /// is taken and the session waits for the transfer's completion.
    fn start_transfer(&mut self, arg: &str, moves: Moves, pattern: Option<&str>) -> Result<(), Refusal> {
        // REST applies to the very next transfer command only, whatever happens to it.
        let offset = mem::take(&mut self.restart);
        if self.data == DataPort::None {
            return Err(Refusal::Text(Code::CANT_OPEN_DATA, "Use PORT, EPRT, PASV or EPSV first."));
        }
        // An offset into converted text names no byte of the file.
        if offset > 0 && self.data_type == DataType::Ascii && moves != Moves::Listing {
            return Err(Refusal::Text(Code::FILE_UNAVAILABLE, "Restart is not available in ASCII mode; use TYPE I."));
        }
        self.resolve_listed(arg, pattern)?;
        if moves == Moves::Upload && self.target.is_root() {
            return Err(Refusal::Text(Code::BAD_FILE_NAME, "File name not allowed."));
        }
        self.data = DataPort::None;
        self.pending = Pending::Transfer(Phase::Opening);
        Ok(())
    }

    /// Resolves `arg` into the target; with a `pattern`, also checks it is
    /// one valid name.
    fn resolve_listed(&mut self, arg: &str, pattern: Option<&str>) -> Result<(), Refusal> {
        if let Some(pattern) = pattern {
            check_name(pattern).map_err(Refusal::Path)?;
        }
        resolve_within(&self.root, &self.cwd, arg, &mut self.target).map_err(Refusal::Path)
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
    /// reply (226 or 426) followed by 226 for the ABOR itself (RFC 959 §4.1.3);
    /// after a QUIT during the transfer, 221 as well.
    pub fn transfer_done<'a>(&mut self, result: Result<(), Failure>, out: &'a mut ReplyBuf) -> &'a str {
        let Pending::Transfer(phase) = self.pending else {
            return unexpected(out);
        };
        self.pending = Pending::Idle;
        let quit = self.quit;
        out.fill(|b| {
            let mut c = Cursor::new(b);
            match (phase, result) {
                (Phase::Aborting, result) => {
                    match result {
                        Ok(()) => put_line(&mut c, Code::TRANSFER_COMPLETE, b' ', "Transfer complete.")?,
                        Err(_) => put_line(&mut c, Code::TRANSFER_ABORTED, b' ', "Transfer aborted.")?,
                    }
                    put_line(&mut c, Code::TRANSFER_COMPLETE, b' ', "ABOR successful.")?;
                }
                (_, Ok(())) => put_line(&mut c, Code::TRANSFER_COMPLETE, b' ', "Transfer complete.")?,
                (phase, Err(f)) => {
                    let (code, text) = failure_text(f, phase == Phase::Streaming);
                    put_line(&mut c, code, b' ', text)?;
                }
            }
            if quit {
                put_line(&mut c, Code::CLOSING, b' ', "Goodbye.")?;
            }
            Ok(c.len())
        })
    }

    /// `STAT path`: a listing on the control connection.
    pub(super) fn status_cmd<'a>(&'a mut self, arg: &'a str, out: &'a mut ReplyBuf) -> Outcome<'a> {
        let (dir, glob) = match split_glob(arg) {
            Ok(Some((dir, pattern, prefix))) => (dir, Some(Glob::new(pattern, prefix))),
            Ok(None) => (arg, None),
            Err(refusal) => return reply_outcome(refusal, out),
        };
        if let Err(refusal) = self.resolve_listed(dir, glob.map(|g| g.pattern())) {
            return reply_outcome(refusal, out);
        }
        self.pending = Pending::Status(false);
        Outcome::StatusListing { path: self.target.as_str(), glob }
    }

    /// The `213-` line that opens a STAT listing.
    pub fn status_started<'a>(&mut self, out: &'a mut ReplyBuf) -> &'a str {
        if self.pending != Pending::Status(false) {
            return unexpected(out);
        }
        self.pending = Pending::Status(true);
        let path = self.shown(&self.target);
        out.fill(|b| {
            let mut c = Cursor::new(b);
            c.str("213-Status of ")?;
            c.text(path)?;
            c.str(":\r\n")?;
            Ok(c.len())
        })
    }

    /// Completes [`Outcome::StatusListing`]: the error (before `213-`), or
    /// the `213` line that ends the listing.
    pub fn status_done<'a>(&mut self, result: Result<(), Failure>, out: &'a mut ReplyBuf) -> &'a str {
        let Pending::Status(started) = self.pending else {
            return unexpected(out);
        };
        self.pending = Pending::Idle;
        match (started, result) {
            (_, Ok(())) => out.set(Code::FILE_STATUS, "End of status."),
            (true, Err(_)) => out.set(Code::FILE_STATUS, "End of status; the listing is incomplete."),
            (false, Err(f)) => failure_reply(f, false, out),
        }
    }
}

/// What a transfer moves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Moves {
    Download,
    Upload,
    Listing,
}

/// Why a command was refused before anything was asked of the app.
pub(super) enum Refusal {
    Path(PathError),
    Text(Code, &'static str),
}

pub(super) fn reply_outcome(refusal: Refusal, out: &mut ReplyBuf) -> Outcome<'_> {
    match refusal {
        Refusal::Path(e) => path_error(e, out),
        Refusal::Text(code, text) => reply(out, code, text),
    }
}
