// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Metadata and file operations (SIZE, MDTM, MLST, RNFR/RNTO, CWD, DELE,
//! MKD, RMD, MFMT) and `SITE`.

use super::{FsFor, Pending, Role, Session, StatFor};
use crate::command::SiteCmd;
use crate::list::{Kind, Metadata};
use crate::outcome::{Failure, FsOp, Outcome};
use crate::path::{resolve_within, AbsPath};
use crate::replies::{failure_reply, path_error, reply, unexpected, write_mfmt, write_mlst};
use crate::reply::{self, Code, ReplyBuf};

impl Session {
    pub(super) fn stat_cmd<'a>(&'a mut self, arg: &str, why: StatFor, out: &'a mut ReplyBuf) -> Outcome<'a> {
        if let Err(e) = resolve_within(&self.root, &self.cwd, arg, &mut self.target) {
            return path_error(e, out);
        }
        if why == StatFor::Rnfr && self.target.is_root() {
            return reply(out, Code::FILE_UNAVAILABLE, "Cannot rename the root directory.");
        }
        self.pending = Pending::Stat(why);
        Outcome::Fs(FsOp::Stat { path: self.target.as_str() })
    }

    /// Completes [`FsOp::Stat`]: 213 (SIZE, MDTM), 250 (MLST), 350 (RNFR) or the failure.
    pub fn stat_done<'a>(&mut self, result: Result<Metadata, Failure>, out: &'a mut ReplyBuf) -> &'a str {
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
            StatFor::Size if meta.kind == Kind::Dir => out.set(Code::FILE_UNAVAILABLE, "Not a regular file."),
            StatFor::Size => out.fill(|b| reply::write_size(b, meta.size)),
            StatFor::Mdtm => out.fill(|b| reply::write_mdtm(b, &meta.modified)),
            StatFor::Mlst => {
                let (path, facts) = (self.shown(&self.target), self.facts);
                out.fill(|b| write_mlst(b, path, &meta, facts))
            }
            StatFor::Rnfr => {
                self.rename_from = Some(self.target.clone());
                out.set(Code::PENDING, "Ready for RNTO.")
            }
        }
    }

    pub(super) fn fs_cmd<'a>(&'a mut self, arg: &str, what: FsFor, out: &'a mut ReplyBuf) -> Outcome<'a> {
        if let Err(e) = resolve_within(&self.root, &self.cwd, arg, &mut self.target) {
            return path_error(e, out);
        }
        // Deleting, creating, removing or stamping "/" is never meaningful.
        if what != FsFor::Cwd && self.target.is_root() {
            return reply(out, Code::FILE_UNAVAILABLE, "Not allowed on the root directory.");
        }
        self.pending = Pending::Fs(what);
        let path = self.target.as_str();
        Outcome::Fs(match what {
            FsFor::Cwd => FsOp::ChangeDir { path },
            FsFor::Dele => FsOp::Delete { path },
            FsFor::Mkd => FsOp::MakeDir { path },
            FsFor::Rmd => FsOp::RemoveDir { path },
            FsFor::Mfmt(time) => FsOp::SetModified { path, time },
            // RNTO is asked through `rnto_cmd` only, never here.
            FsFor::Rnto => FsOp::Rename { from: path, to: path },
        })
    }

    pub(super) fn rnto_cmd<'a>(&'a mut self, from: Option<AbsPath>, arg: &str, out: &'a mut ReplyBuf) -> Outcome<'a> {
        let Some(from) = from else {
            return reply(out, Code::BAD_SEQUENCE, "Send RNFR first.");
        };
        if let Err(e) = resolve_within(&self.root, &self.cwd, arg, &mut self.target) {
            return path_error(e, out);
        }
        if self.target.is_root() {
            return reply(out, Code::FILE_UNAVAILABLE, "Not allowed on the root directory.");
        }
        self.pending = Pending::Fs(FsFor::Rnto);
        let from = self.rename_from.insert(from);
        Outcome::Fs(FsOp::Rename { from: from.as_str(), to: self.target.as_str() })
    }

    /// Completes every [`FsOp`] except `Stat`: 250 (257 for MKD, 213 for
    /// MFMT) or the failure.
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
                let path = self.shown(&self.target);
                out.fill(|b| reply::write_quoted_path(b, Code::PATH_CREATED, path, "created."))
            }
            FsFor::Rmd => out.set(Code::FILE_ACTION_OK, "Directory removed."),
            FsFor::Rnto => out.set(Code::FILE_ACTION_OK, "Rename successful."),
            FsFor::Mfmt(time) => {
                let path = self.shown(&self.target);
                out.fill(|b| write_mfmt(b, &time, path))
            }
        }
    }

    pub(super) fn site_cmd<'a>(&'a mut self, site: SiteCmd<'a>, out: &'a mut ReplyBuf) -> Outcome<'a> {
        match site {
            SiteCmd::Help => {
                reply(out, Code::HELP, "SITE FORMAT [label]: erase the volume and make an empty FAT one (admin role).")
            }
            SiteCmd::Format(_) if self.role() != Some(Role::Admin) => {
                reply(out, Code::FILE_UNAVAILABLE, "Permission denied: SITE FORMAT needs the admin role.")
            }
            SiteCmd::Format(label) => {
                self.pending = Pending::Format;
                Outcome::Format { label }
            }
        }
    }

    /// Completes [`Outcome::Format`]: 200; `Busy` (another session is
    /// transferring) is 450, `BadName` (a label the volume refuses) 501.
    pub fn format_done<'a>(&mut self, result: Result<(), Failure>, out: &'a mut ReplyBuf) -> &'a str {
        if self.pending != Pending::Format {
            return unexpected(out);
        }
        self.pending = Pending::Idle;
        match result {
            Ok(()) => out.set(Code::OK, "Volume formatted."),
            Err(Failure::Busy) => out.set(Code::FILE_BUSY, "Another session is transferring; try again later."),
            Err(Failure::BadName) => {
                out.set(Code::BAD_ARGUMENT, "Bad volume label (up to 11 of A-Z 0-9 and FAT's symbols).")
            }
            Err(f) => failure_reply(f, false, out),
        }
    }
}
