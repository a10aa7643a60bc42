// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! What a command makes a slot do: each `proto_ftp::Outcome` turned into
//! socket and storage work, and the completion call back to the session.

use alloc::string::String;

use proto_ftp::login::delay_ms;
use proto_ftp::{DateTime, Failure, Kind, ListFormat, Outcome, Role, Session, StoreMode, Transfer};
use proto_storage::stream::{ReadAhead, WriteBehind};
use proto_storage::{Label, OpenMode, Pipelined};
use say::say;
use smoltcp::socket::tcp;

use crate::control::{push, Ctx, Io, Slot, PASSIVE_WAIT_MS};
use crate::store::{self, OwnedFsOp, Store};
use crate::transfer::{self, Mode, Xfer};

/// Failed logins on one connection before it is closed.
const MAX_FAILED_LOGINS: u32 = 3;
/// Label of a volume made by `SITE FORMAT` without one (as the image's).
const DEFAULT_LABEL: &str = "NUCLEOMEM";

/// Unix time at uptime 0: the same base the storage service stamps files
/// with (its `NUCLEO_EPOCH`, 2026-01-01 by default), so listings compare
/// file times with a matching "now".
fn epoch() -> u64 {
    option_env!("NUCLEO_EPOCH").and_then(|s| s.parse().ok()).unwrap_or(1_767_225_600)
}

/// What the session asked for, owning its paths so the session can be
/// called again to complete it.
enum Action {
    None,
    Close,
    Login(Option<Role>, String),
    Passive,
    Active(core::net::SocketAddrV4),
    Transfer(OwnedTransfer),
    Status(String, Option<(String, String)>),
    Fs(OwnedFsOp),
    Format(Option<String>),
    Abort,
}

enum OwnedTransfer {
    Retr { path: String, offset: u64 },
    Stor { path: String, mode: StoreMode },
    List { path: String, format: ListFormat, glob: Option<(String, String)> },
}

impl Slot {
    pub(crate) fn command<T: Pipelined>(&mut self, io: &mut Io<'_>, store: &mut Store<T>, ctx: &Ctx<'_>) {
        if self.line_len == usize::MAX {
            let text = self.session.reject(proto_ftp::ParseError::TooLong, &mut self.reply);
            push(&mut self.out, text);
            return;
        }
        let was_logged_in = self.session.is_logged_in();
        let action = match self.session.handle_line(&self.line[..self.line_len], &mut self.reply) {
            Outcome::Reply(text) => {
                push(&mut self.out, text);
                Action::None
            }
            Outcome::Close(text) => {
                push(&mut self.out, text);
                Action::Close
            }
            Outcome::Authenticate { user, pass } => {
                let config = ctx.config;
                // Without a password nothing matches; both compared in full.
                let ok = config.pass.as_ref().is_some_and(|p| {
                    constant_time_eq(user.as_bytes(), config.user.as_bytes()) & constant_time_eq(pass, p.as_bytes())
                });
                let role = ok.then_some(if config.admin { Role::Admin } else { Role::User });
                Action::Login(role, String::from(user))
            }
            Outcome::OpenPassive { .. } => Action::Passive,
            Outcome::OpenActive { addr } => Action::Active(addr),
            Outcome::Transfer(t) => Action::Transfer(match t {
                Transfer::Retr { path, offset } => OwnedTransfer::Retr { path: path.into(), offset },
                Transfer::Stor { path, mode } => OwnedTransfer::Stor { path: path.into(), mode },
                Transfer::List { path, format, glob } => OwnedTransfer::List {
                    path: path.into(),
                    format,
                    glob: glob.map(|g| (g.pattern().into(), g.prefix().into())),
                },
            }),
            Outcome::StatusListing { path, glob } => {
                Action::Status(path.into(), glob.map(|g| (g.pattern().into(), g.prefix().into())))
            }
            Outcome::Fs(op) => Action::Fs(OwnedFsOp::from_op(&op)),
            Outcome::Format { label } => Action::Format(label.map(String::from)),
            Outcome::AbortTransfer => Action::Abort,
            // Nothing to send: the transfer's end carries 221 (then close).
            Outcome::QuitAfterTransfer => Action::None,
        };
        if !was_logged_in && self.session.role() == Some(Role::Anonymous) {
            say!("ftp: session {}: anonymous login from {} (read-only, /www)", self.id, self.peer_text());
        }
        let now = ctx.now;
        match action {
            Action::None => {}
            Action::Close => self.close_when_sent = true,
            Action::Login(role, user) => self.login(io, role, &user, now),
            Action::Passive => {
                self.drop_data_setup(io, now);
                self.passive_since = Some(now);
                self.open_passive(io, ctx);
            }
            Action::Active(addr) => {
                self.drop_data_setup(io, now);
                self.active = Some(addr);
                let text = self.session.active_ready(&mut self.reply);
                push(&mut self.out, text);
            }
            Action::Transfer(t) => self.start_transfer(t, io, store, ctx),
            Action::Status(path, glob) => self.start_status(path, glob, store, ctx),
            Action::Fs(op) => {
                let text = match &op {
                    OwnedFsOp::Stat(path) => {
                        let result = store::stat(store, path);
                        self.session.stat_done(result, &mut self.reply)
                    }
                    op => {
                        let result = store::fs_op(store, op);
                        self.session.fs_done(result, &mut self.reply)
                    }
                };
                push(&mut self.out, text);
            }
            Action::Format(label) => self.format(label.as_deref(), store, ctx),
            Action::Abort => {
                let result = match (&self.xfer, self.data) {
                    (Some(x), Some(idx)) => x.abort_result(io.sockets.get::<tcp::Socket>(io.pool.handle(idx))),
                    _ => Err(Failure::ConnectionClosed),
                };
                self.stop_transfer(io, store, now);
                let text = self.session.transfer_done(result, &mut self.reply);
                push(&mut self.out, text);
                self.close_if_quitting();
            }
        }
    }

    /// A correct login is answered at once; a wrong one after a delay that
    /// grows with this connection's and this peer's failures.
    fn login(&mut self, io: &mut Io<'_>, role: Option<Role>, user: &str, now: u64) {
        if role.is_some() {
            if let Some(peer) = self.peer {
                io.guard.succeeded(peer);
            }
            say!("ftp: session {}: user {} logged in", self.id, user);
            let text = self.session.login_as(role, &mut self.reply);
            push(&mut self.out, text);
            return;
        }
        let mine = self.session.failed_logins() + 1;
        let theirs = self.peer.map_or(mine, |p| io.guard.failed(p, now));
        let delay = delay_ms(mine.max(theirs));
        say!(
            "ftp: failed login for user `{}` from {} ({} from this peer); next answer in {} s",
            user,
            self.peer_text(),
            theirs,
            delay / 1000
        );
        self.answer_at = Some(now + delay);
    }

    /// Answers a waiting PASV/EPSV: 227/229 once a port and a socket are
    /// free, 425 when none was for [`PASSIVE_WAIT_MS`]; true if it answered.
    pub(crate) fn open_passive(&mut self, io: &mut Io<'_>, ctx: &Ctx<'_>) -> bool {
        let Some(since) = self.passive_since else {
            return false;
        };
        let text = match io.pool.open(io.sockets) {
            Some((idx, port)) => {
                self.data = Some(idx);
                self.data_since = ctx.now;
                let addr = core::net::SocketAddrV4::new(ctx.advertised, port);
                self.session.passive_ready(addr, &mut self.reply)
            }
            None if ctx.now >= since + PASSIVE_WAIT_MS => {
                say!(
                    "ftp: session {}: no passive port or data socket free for {} s (425)",
                    self.id,
                    PASSIVE_WAIT_MS / 1000
                );
                self.session.passive_failed(&mut self.reply)
            }
            None => return false,
        };
        self.passive_since = None;
        push(&mut self.out, text);
        true
    }

    /// The held-back 530; the third on a connection closes it.
    pub(crate) fn refuse_login(&mut self) {
        let text = self.session.login_as(None, &mut self.reply);
        push(&mut self.out, text);
        if self.session.failed_logins() >= MAX_FAILED_LOGINS {
            push(&mut self.out, Session::closing(&mut self.reply));
            self.close_when_sent = true;
        }
    }

    /// Forgets the previous PORT address and gives back a passive listener.
    fn drop_data_setup(&mut self, io: &mut Io<'_>, now: u64) {
        self.active = None;
        if let Some(idx) = self.data.take() {
            io.pool.release(io.sockets, idx, false, now);
        }
    }

    /// Opens the file (or checks the listed path), makes the data
    /// connection (passive: taken from the listener; active: connected to
    /// the PORT address), sends 150 and lets the transfer run; otherwise
    /// the error reply.
    fn start_transfer<T: Pipelined>(&mut self, t: OwnedTransfer, io: &mut Io<'_>, store: &mut Store<T>, ctx: &Ctx<'_>) {
        let now = ctx.now;
        let listing = matches!(t, OwnedTransfer::List { .. });
        let mut opened = match (self.data, self.active) {
            (None, None) => Err(Failure::NoDataConnection),
            (Some(idx), _) if io.sockets.get::<tcp::Socket>(io.pool.handle(idx)).state() == tcp::State::Closed => {
                Err(Failure::NoDataConnection)
            }
            _ => open_transfer(store, t, ctx),
        };
        if let (Ok(kind), Some(addr)) = (&opened, self.active.take()) {
            match io.pool.connect(io.sockets, io.cx, addr) {
                Some(idx) => {
                    self.data = Some(idx);
                    self.data_since = now;
                }
                None => {
                    close_handle(store, kind);
                    opened = Err(Failure::NoDataConnection);
                }
            }
        }
        match opened {
            Ok(kind) => {
                let ascii = self.session.data_type() == proto_ftp::DataType::Ascii && !listing;
                let mode = if ascii { Mode::Ascii } else { Mode::Binary };
                self.xfer = Some(Xfer::new(kind, mode, now, ctx.config.data_timeout_ms()));
                let text = self.session.transfer_started(&mut self.reply);
                push(&mut self.out, text);
            }
            Err(f) => {
                self.drop_data_setup(io, now);
                let text = self.session.transfer_done(Err(f), &mut self.reply);
                push(&mut self.out, text);
            }
        }
    }

    /// `STAT path`: the listing goes out on the control connection.
    fn start_status<T: Pipelined>(
        &mut self,
        path: String,
        glob: Option<(String, String)>,
        store: &mut Store<T>,
        ctx: &Ctx<'_>,
    ) {
        let t = OwnedTransfer::List { path, format: ListFormat::Long, glob };
        match open_transfer(store, t, ctx) {
            Ok(kind) => {
                self.xfer = Some(Xfer::new(kind, Mode::Control, ctx.now, ctx.config.data_timeout_ms()));
                let text = self.session.status_started(&mut self.reply);
                push(&mut self.out, text);
            }
            Err(f) => {
                let text = self.session.status_done(Err(f), &mut self.reply);
                push(&mut self.out, text);
            }
        }
    }

    /// Ends the running transfer: closes its storage handle and gives the
    /// data socket back, then replies (226 or the failure).
    pub(crate) fn finish_transfer<T: Pipelined>(
        &mut self,
        io: &mut Io<'_>,
        store: &mut Store<T>,
        mut result: Result<(), Failure>,
        now: u64,
    ) {
        let Some(mut xfer) = self.xfer.take() else { return };
        xfer.release(store);
        self.since = now;
        if xfer.on_control() {
            let text = self.session.status_done(result, &mut self.reply);
            push(&mut self.out, text);
            return;
        }
        if let Some(handle) = xfer.handle() {
            // Closing flushes an upload: its failure is the transfer's.
            if let Err(e) = store.close(handle) {
                if result.is_ok() {
                    result = Err(store::failure(e));
                }
            }
        }
        if let Err(f) = result {
            if xfer.is_upload() || f != Failure::ConnectionClosed {
                say!("ftp: session {}: transfer failed: {:?}", self.id, f);
            }
        }
        if let Some(idx) = self.data.take() {
            // A failed download still ends with a FIN (the reply says it
            // failed); a failed upload is reset, so the client stops sending.
            io.pool.release(io.sockets, idx, result.is_ok() || !xfer.is_upload(), now);
        }
        let text = self.session.transfer_done(result, &mut self.reply);
        push(&mut self.out, text);
        self.close_if_quitting();
    }

    /// Stops the running transfer without a reply (ABOR, session end).
    pub(crate) fn stop_transfer<T: Pipelined>(&mut self, io: &mut Io<'_>, store: &mut Store<T>, now: u64) {
        if let Some(mut xfer) = self.xfer.take() {
            xfer.release(store);
            self.since = now;
            if let Some(handle) = xfer.handle() {
                let _ = store.close(handle);
            }
        }
        self.drop_data_setup(io, now);
    }

    /// After QUIT during a transfer, its final reply (with 221) ends the session.
    fn close_if_quitting(&mut self) {
        if self.session.quitting() {
            self.close_when_sent = true;
        }
    }

    /// `SITE FORMAT [label]` by an admin (the session checked the role):
    /// formats the volume through the storage service, with no transfer
    /// running in any session.
    fn format<T: Pipelined>(&mut self, label: Option<&str>, store: &mut Store<T>, ctx: &Ctx<'_>) {
        let result = if ctx.busy_elsewhere {
            Err(Failure::Busy)
        } else {
            match Label::new(label.unwrap_or(DEFAULT_LABEL)) {
                Err(_) => Err(Failure::BadName),
                Ok(label) => {
                    say!("ftp: session {}: user {} formats the volume", self.id, self.session.user().unwrap_or("?"));
                    match store.format(label) {
                        Ok(()) => {
                            say!("ftp: volume formatted");
                            Ok(())
                        }
                        Err(e) => {
                            say!("ftp: format failed: {:?}", e);
                            // A label the volume refuses is the client's error (501).
                            Err(match store::failure(e) {
                                Failure::BadName => Failure::Local,
                                f => f,
                            })
                        }
                    }
                }
            }
        };
        let text = self.session.format_done(result, &mut self.reply);
        push(&mut self.out, text);
    }

    pub(crate) fn peer_text(&self) -> alloc::string::String {
        match self.peer {
            Some(p) => alloc::format!("{}", p),
            None => String::from("?"),
        }
    }
}

/// Opens what a transfer reads or writes.
fn open_transfer<T: Pipelined>(
    store: &mut Store<T>,
    t: OwnedTransfer,
    ctx: &Ctx<'_>,
) -> Result<transfer::Kind, Failure> {
    match t {
        OwnedTransfer::Retr { path, offset } => {
            let handle = store.open(&path, OpenMode::Read).map_err(store::failure)?;
            if offset > 0 {
                // Seek clamps at the end: a REST past it sends nothing.
                if let Err(e) = store.seek(handle, offset) {
                    let _ = store.close(handle);
                    return Err(store::failure(e));
                }
            }
            Ok(transfer::Kind::Retr { handle, start: offset, sent: 0, eof: false, reads: ReadAhead::new() })
        }
        OwnedTransfer::Stor { path, mode } => {
            let open_mode = match mode {
                StoreMode::Replace => OpenMode::Write { create: true, truncate: true },
                StoreMode::Append => OpenMode::Append,
                StoreMode::Resume(_) => OpenMode::Write { create: true, truncate: false },
            };
            let handle = store.open(&path, open_mode).map_err(store::failure)?;
            if let StoreMode::Resume(offset) = mode {
                // FAT has no holes: resuming past the end cannot keep the
                // promise of REST, so it is refused rather than shifted.
                match store.seek(handle, offset) {
                    Ok(at) if at == offset => {}
                    Ok(_) => {
                        let _ = store.close(handle);
                        return Err(Failure::Local);
                    }
                    Err(e) => {
                        let _ = store.close(handle);
                        return Err(store::failure(e));
                    }
                }
            }
            Ok(transfer::Kind::Stor { handle, writes: WriteBehind::new() })
        }
        OwnedTransfer::List { path, format, glob } => {
            let meta = store::stat(store, &path)?;
            let now = DateTime::from_unix(epoch() + ctx.now / 1000).unwrap_or(DateTime::EPOCH);
            let (cursor, single) = match meta.kind {
                Kind::Dir => (Some(0), None),
                // `dir/*` where dir is a file has nothing to match in.
                Kind::File if glob.is_some() => return Err(Failure::NotADirectory),
                Kind::File => {
                    let name = path.rsplit('/').next().unwrap_or("");
                    (None, Some((String::from(name), meta)))
                }
            };
            Ok(transfer::Kind::List { path, format, glob, cursor, single, now })
        }
    }
}

/// Closes the storage handle of a transfer that will not run.
fn close_handle<T: Pipelined>(store: &mut Store<T>, kind: &transfer::Kind) {
    if let transfer::Kind::Retr { handle, .. } | transfer::Kind::Stor { handle, .. } = kind {
        let _ = store.close(*handle);
    }
}

/// Equality whose time does not depend on where the inputs differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() != b.len()) as u8;
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0xff);
    }
    diff == 0
}
