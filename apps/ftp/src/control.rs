//! Control connections: one slot per control socket on port 21, each with
//! its `proto_ftp::Session`, and the glue from the session's `Outcome`s to
//! sockets and storage.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::net::{Ipv4Addr, SocketAddrV4};

use proto_ftp::reply::Code;
use proto_ftp::{DateTime, Failure, Feed, Kind, LineBuffer, Outcome, ReplyBuf, Session, StoreMode, Transfer};
use proto_storage::{Label, OpenMode, Transport};
use say::say;
use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::tcp;
use smoltcp::wire::IpAddress;

use crate::config::Config;
use crate::data::DataPool;
use crate::store::{self, OwnedFsOp, Store};
use crate::transfer::{self, Step, Xfer, CHUNK};

/// Sessions served at once.
pub const MAX_SESSIONS: usize = 2;
/// Control sockets: the sessions, one that answers 421 when they are busy,
/// and one more so a connection still closing does not leave a new client
/// refused.
pub const CONTROL_SOCKETS: usize = MAX_SESSIONS + 2;
/// Control socket receive buffer: two command lines of `proto_ftp::MAX_LINE`.
const CTL_RX: usize = 1024;
/// Control socket transmit buffer: two of the largest replies (`REPLY_CAPACITY`).
const CTL_TX: usize = 2048;
/// Replies waiting for room in the socket. New commands are read only when
/// it is empty, so it holds at most one command's replies plus a transfer's
/// end (150, 426 + 226): well below this.
const OUT_CAPACITY: usize = 2048;
/// A passive listener no transfer used is given back after this long.
const LISTENER_TIMEOUT_MS: u64 = 120_000;
/// A closing control connection (or a 421 refusal) gets this long to
/// deliver its last reply and finish the FIN handshake.
const CLOSE_TIMEOUT_MS: u64 = 5_000;
/// Failed logins on one connection before it is closed.
const MAX_FAILED_LOGINS: u32 = 3;
/// Label of a volume made by `SITE FORMAT` without one (as the image's).
const DEFAULT_LABEL: &str = "NUCLEOMEM";

pub const PORT: u16 = 21;

/// Unix time at uptime 0: the same base the storage service stamps files
/// with (its `NUCLEO_EPOCH`, 2026-01-01 by default), so listings compare
/// file times with a matching "now".
fn epoch() -> u64 {
    option_env!("NUCLEO_EPOCH").and_then(|s| s.parse().ok()).unwrap_or(1_767_225_600)
}

/// What every slot needs besides its own state.
pub struct Ctx<'a> {
    pub config: &'a Config,
    pub advertised: Ipv4Addr,
    pub now: u64,
    /// Another session has a transfer running (SITE FORMAT waits for it).
    pub busy_elsewhere: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    Listening,
    Active,
    /// Over the session limit: 421 is being sent, then the connection closes.
    Refusing,
    Closing,
}

/// What the session asked for, owning its paths so the session can be
/// called again to complete it.
enum Action {
    None,
    Close,
    Login(bool),
    Passive,
    Transfer(OwnedTransfer),
    Fs(OwnedFsOp),
    Abort,
}

enum OwnedTransfer {
    Retr { path: String, offset: u64 },
    Stor { path: String, mode: StoreMode },
    List { path: String, format: proto_ftp::ListFormat },
}

struct Slot {
    ctl: SocketHandle,
    phase: Phase,
    /// Closing: when it began. Active: when the last command arrived.
    since: u64,
    id: u32,
    peer: Option<IpAddress>,
    lines: LineBuffer,
    line: [u8; proto_ftp::MAX_LINE],
    line_len: usize,
    session: Session,
    reply: ReplyBuf,
    out: Vec<u8>,
    close_when_sent: bool,
    /// The data socket (pool index) this session holds, and since when.
    data: Option<usize>,
    data_since: u64,
    xfer: Option<Xfer>,
    chunk: Box<[u8; CHUNK]>,
}

pub struct Server {
    slots: Vec<Slot>,
    pool: DataPool,
    next_id: u32,
}

impl Server {
    pub fn new(sockets: &mut SocketSet<'static>, pasv_ports: (u16, u16)) -> Server {
        let slots = (0..CONTROL_SOCKETS)
            .map(|_| {
                let rx = tcp::SocketBuffer::new(alloc::vec![0u8; CTL_RX].leak());
                let tx = tcp::SocketBuffer::new(alloc::vec![0u8; CTL_TX].leak());
                let mut socket = tcp::Socket::new(rx, tx);
                // Replies go out as soon as they are written.
                socket.set_nagle_enabled(false);
                Slot {
                    ctl: sockets.add(socket),
                    phase: Phase::Listening,
                    since: 0,
                    id: 0,
                    peer: None,
                    lines: LineBuffer::new(),
                    line: [0; proto_ftp::MAX_LINE],
                    line_len: 0,
                    session: Session::new(),
                    reply: ReplyBuf::new(),
                    out: Vec::with_capacity(OUT_CAPACITY),
                    close_when_sent: false,
                    data: None,
                    data_since: 0,
                    xfer: None,
                    // Zeroed on the heap, never staged on the stack.
                    chunk: alloc::vec![0u8; CHUNK].into_boxed_slice().try_into().expect("CHUNK bytes"),
                }
            })
            .collect();
        let pool = DataPool::new(sockets, pasv_ports);
        Server { slots, pool, next_id: 0 }
    }

    /// Whether a control socket has a new connection waiting to be taken.
    pub fn connection_waiting(&self, sockets: &SocketSet<'static>) -> bool {
        self.slots.iter().any(|s| {
            s.phase == Phase::Listening
                && matches!(sockets.get::<tcp::Socket>(s.ctl).state(), tcp::State::Established | tcp::State::CloseWait)
        })
    }

    pub fn set_pasv_ports(&mut self, sockets: &mut SocketSet<'static>, ports: (u16, u16)) {
        // Only when nothing holds a data socket (called before a session starts).
        if self.slots.iter().all(|s| s.data.is_none()) {
            self.pool = DataPool::new(sockets, ports);
        }
    }

    /// Advances every connection and transfer; `true` if anything happened.
    pub fn service<T: Transport>(
        &mut self,
        sockets: &mut SocketSet<'static>,
        store: &mut Store<T>,
        config: &Config,
        advertised: Ipv4Addr,
        now: u64,
    ) -> bool {
        let mut progressed = self.pool.service(sockets, now);
        for i in 0..self.slots.len() {
            let active = self.slots.iter().filter(|s| s.phase == Phase::Active).count();
            let busy_elsewhere = self.slots.iter().enumerate().any(|(j, s)| j != i && s.xfer.is_some());
            let ctx = Ctx { config, advertised, now, busy_elsewhere };
            let slot = &mut self.slots[i];
            if slot.phase == Phase::Listening {
                let socket = sockets.get_mut::<tcp::Socket>(slot.ctl);
                if !socket.is_open() {
                    let _ = socket.listen(PORT);
                    continue;
                }
                if matches!(socket.state(), tcp::State::Listen | tcp::State::SynReceived) {
                    continue;
                }
                self.next_id = self.next_id.wrapping_add(1);
                slot.accept(socket, self.next_id, active >= MAX_SESSIONS, now);
                progressed = true;
                continue;
            }
            progressed |= slot.service(sockets, &mut self.pool, store, &ctx);
        }
        progressed
    }

    /// Milliseconds until some connection or transfer times out.
    pub fn next_deadline(&self, now: u64, config: &Config) -> u64 {
        let idle_ms = config.idle_timeout_ms();
        let slots = self.slots.iter().filter_map(|s| s.deadline(idle_ms)).min().map_or(u64::MAX, |d| d.saturating_sub(now));
        slots.min(self.pool.next_deadline(now))
    }
}

impl Slot {
    /// When this connection must be looked at again without traffic.
    /// An idle session (no command, no transfer) is closed with 421 after
    /// `idle_ms` (`idle_timeout`; RFC 959 sets no limit): that bounds how
    /// long a client that vanished without FIN or RST holds one of the two
    /// session slots.
    fn deadline(&self, idle_ms: u64) -> Option<u64> {
        match self.phase {
            Phase::Listening => None,
            Phase::Refusing | Phase::Closing => Some(self.since + CLOSE_TIMEOUT_MS),
            Phase::Active if self.close_when_sent => Some(self.since + CLOSE_TIMEOUT_MS),
            Phase::Active => Some(match (&self.xfer, self.data) {
                (Some(x), _) => x.deadline(),
                (None, Some(_)) => (self.since + idle_ms).min(self.data_since + LISTENER_TIMEOUT_MS),
                (None, None) => self.since + idle_ms,
            }),
        }
    }

    fn accept(&mut self, socket: &mut tcp::Socket, id: u32, full: bool, now: u64) {
        self.id = id;
        self.since = now;
        self.peer = socket.remote_endpoint().map(|e| e.addr);
        self.lines.reset();
        self.line_len = 0;
        self.session = Session::new();
        self.out.clear();
        self.close_when_sent = false;
        self.data = None;
        self.xfer = None;
        if full {
            if let Some(peer) = self.peer {
                say!("ftp: connection from {} refused: {} sessions busy (421)", peer, MAX_SESSIONS);
            }
            let text = self.reply.set(Code::SERVICE_UNAVAILABLE, "Too many sessions; try again later.");
            push(&mut self.out, text);
            self.close_when_sent = true;
            self.phase = Phase::Refusing;
        } else {
            push(&mut self.out, Session::greeting(&mut self.reply));
            self.phase = Phase::Active;
        }
        flush(&mut self.out, socket);
    }

    fn service<T: Transport>(
        &mut self,
        sockets: &mut SocketSet<'static>,
        pool: &mut DataPool,
        store: &mut Store<T>,
        ctx: &Ctx<'_>,
    ) -> bool {
        let now = ctx.now;
        if self.phase == Phase::Closing {
            let socket = sockets.get_mut::<tcp::Socket>(self.ctl);
            if crate::data::closed_enough(socket) || now >= self.since + CLOSE_TIMEOUT_MS {
                socket.abort();
                self.phase = Phase::Listening;
                return true;
            }
            return false;
        }
        let mut progressed = flush(&mut self.out, sockets.get_mut::<tcp::Socket>(self.ctl));

        // The client reset or closed the control connection: end the session.
        let (state, may_recv) = {
            let socket = sockets.get::<tcp::Socket>(self.ctl);
            (socket.state(), socket.may_recv())
        };
        if state == tcp::State::Closed {
            self.end_session(sockets, pool, store, now, false);
            return true;
        }
        if !may_recv {
            self.end_session(sockets, pool, store, now, true);
            return true;
        }
        if self.close_when_sent {
            // The last reply is out (then close), or the client does not read it.
            if self.out.is_empty() || now >= self.since + CLOSE_TIMEOUT_MS {
                let graceful = self.out.is_empty();
                self.end_session(sockets, pool, store, now, graceful);
                return true;
            }
            return progressed;
        }

        // One command per pass, and only once earlier replies are handed over.
        if self.out.is_empty() && self.read_line(sockets) {
            self.since = now;
            self.command(sockets, pool, store, ctx);
            progressed = true;
        }

        if let Some(xfer) = self.xfer.as_mut() {
            let idx = self.data.expect("a transfer holds a data socket");
            let socket = sockets.get_mut::<tcp::Socket>(pool.handle(idx));
            match xfer.step(socket, store, &mut self.chunk, self.peer, now) {
                Step::Idle => {}
                Step::Progress => progressed = true,
                Step::Done(result) => {
                    self.finish_transfer(sockets, pool, store, result, now);
                    progressed = true;
                }
            }
        } else if let Some(idx) = self.data {
            if now >= self.data_since + LISTENER_TIMEOUT_MS {
                pool.release(sockets, idx, false, now);
                self.data = None;
            }
        }

        let idle_ms = ctx.config.idle_timeout_ms();
        if self.xfer.is_none() && !self.close_when_sent && now >= self.since + idle_ms {
            say!("ftp: session {} idle for {} s; closing", self.id, idle_ms / 1000);
            push(&mut self.out, Session::closing(&mut self.reply));
            self.close_when_sent = true;
            self.since = now;
            progressed = true;
        }
        progressed |= flush(&mut self.out, sockets.get_mut::<tcp::Socket>(self.ctl));
        progressed
    }

    /// Takes one command line from the socket into `line`; true if one is complete.
    fn read_line(&mut self, sockets: &mut SocketSet<'static>) -> bool {
        let socket = sockets.get_mut::<tcp::Socket>(self.ctl);
        loop {
            if !socket.can_recv() {
                return false;
            }
            let lines = &mut self.lines;
            let line = &mut self.line;
            let line_len = &mut self.line_len;
            let got = socket.recv(|data| {
                let (used, feed) = lines.feed(data);
                let got = match feed {
                    Feed::NeedMore => false,
                    Feed::Line(l) => {
                        line[..l.len()].copy_from_slice(l);
                        *line_len = l.len();
                        true
                    }
                    Feed::TooLong => {
                        // Marked by a length no line can have.
                        *line_len = usize::MAX;
                        true
                    }
                };
                (used, got)
            });
            match got {
                Ok(true) => return true,
                Ok(false) => continue,
                Err(_) => return false,
            }
        }
    }

    fn command<T: Transport>(
        &mut self,
        sockets: &mut SocketSet<'static>,
        pool: &mut DataPool,
        store: &mut Store<T>,
        ctx: &Ctx<'_>,
    ) {
        if self.line_len == usize::MAX {
            let text = self.session.reject(proto_ftp::ParseError::TooLong, &mut self.reply);
            push(&mut self.out, text);
            return;
        }
        if let Some(arg) = site_argument(&self.line[..self.line_len]) {
            let arg = String::from_utf8_lossy(arg).into_owned();
            self.site(&arg, store, ctx);
            return;
        }
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
                let ok = constant_time_eq(user.as_bytes(), ctx.config.user.as_bytes())
                    & constant_time_eq(pass, ctx.config.pass.as_bytes());
                if ok {
                    say!("ftp: session {}: user {} logged in", self.id, user);
                } else {
                    say!("ftp: session {}: login failed for user {}", self.id, user);
                }
                Action::Login(ok)
            }
            Outcome::OpenPassive { .. } => Action::Passive,
            Outcome::Transfer(t) => Action::Transfer(match t {
                Transfer::Retr { path, offset } => OwnedTransfer::Retr { path: path.into(), offset },
                Transfer::Stor { path, mode } => OwnedTransfer::Stor { path: path.into(), mode },
                Transfer::List { path, format } => OwnedTransfer::List { path: path.into(), format },
            }),
            Outcome::Fs(op) => Action::Fs(OwnedFsOp::from_op(&op)),
            Outcome::AbortTransfer => Action::Abort,
        };
        let now = ctx.now;
        match action {
            Action::None => {}
            Action::Close => self.close_when_sent = true,
            Action::Login(ok) => {
                let text = self.session.login_result(ok, &mut self.reply);
                push(&mut self.out, text);
                if !ok && self.session.failed_logins() >= MAX_FAILED_LOGINS {
                    push(&mut self.out, Session::closing(&mut self.reply));
                    self.close_when_sent = true;
                }
            }
            Action::Passive => {
                if let Some(idx) = self.data.take() {
                    pool.release(sockets, idx, false, now);
                }
                let text = match pool.open(sockets) {
                    Some((idx, port)) => {
                        self.data = Some(idx);
                        self.data_since = now;
                        self.session.passive_ready(SocketAddrV4::new(ctx.advertised, port), &mut self.reply)
                    }
                    None => self.session.passive_failed(&mut self.reply),
                };
                push(&mut self.out, text);
            }
            Action::Transfer(t) => self.start_transfer(t, sockets, pool, store, ctx),
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
            Action::Abort => {
                let result = match (&self.xfer, self.data) {
                    (Some(x), Some(idx)) => x.abort_result(sockets.get::<tcp::Socket>(pool.handle(idx))),
                    _ => Err(Failure::ConnectionClosed),
                };
                self.stop_transfer(sockets, pool, store, now);
                let text = self.session.transfer_done(result, &mut self.reply);
                push(&mut self.out, text);
            }
        }
    }

    /// Opens the file (or checks the listed path) and, if that works,
    /// sends 150 and lets the transfer run; otherwise the error reply.
    fn start_transfer<T: Transport>(
        &mut self,
        t: OwnedTransfer,
        sockets: &mut SocketSet<'static>,
        pool: &mut DataPool,
        store: &mut Store<T>,
        ctx: &Ctx<'_>,
    ) {
        let now = ctx.now;
        let opened = match self.data {
            None => Err(Failure::NoDataConnection),
            Some(idx) if sockets.get::<tcp::Socket>(pool.handle(idx)).state() == tcp::State::Closed => {
                Err(Failure::NoDataConnection)
            }
            Some(_) => open_transfer(store, t, ctx),
        };
        match opened {
            Ok(kind) => {
                self.xfer = Some(Xfer::new(kind, now, ctx.config.data_timeout_ms()));
                let text = self.session.transfer_started(&mut self.reply);
                push(&mut self.out, text);
            }
            Err(f) => {
                if let Some(idx) = self.data.take() {
                    pool.release(sockets, idx, false, now);
                }
                let text = self.session.transfer_done(Err(f), &mut self.reply);
                push(&mut self.out, text);
            }
        }
    }

    /// Ends the running transfer: closes its storage handle and gives the
    /// data socket back, then replies (226 or the failure).
    fn finish_transfer<T: Transport>(
        &mut self,
        sockets: &mut SocketSet<'static>,
        pool: &mut DataPool,
        store: &mut Store<T>,
        mut result: Result<(), Failure>,
        now: u64,
    ) {
        let Some(xfer) = self.xfer.take() else { return };
        self.since = now;
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
            pool.release(sockets, idx, result.is_ok() || !xfer.is_upload(), now);
        }
        let text = self.session.transfer_done(result, &mut self.reply);
        push(&mut self.out, text);
    }

    /// Stops the running transfer without a reply (ABOR, session end).
    fn stop_transfer<T: Transport>(
        &mut self,
        sockets: &mut SocketSet<'static>,
        pool: &mut DataPool,
        store: &mut Store<T>,
        now: u64,
    ) {
        if let Some(xfer) = self.xfer.take() {
            self.since = now;
            if let Some(handle) = xfer.handle() {
                let _ = store.close(handle);
            }
        }
        if let Some(idx) = self.data.take() {
            pool.release(sockets, idx, false, now);
        }
    }

    /// Ends the session: stops any transfer, closes the control connection
    /// (gracefully unless it was reset).
    fn end_session<T: Transport>(
        &mut self,
        sockets: &mut SocketSet<'static>,
        pool: &mut DataPool,
        store: &mut Store<T>,
        now: u64,
        graceful: bool,
    ) {
        self.stop_transfer(sockets, pool, store, now);
        let socket = sockets.get_mut::<tcp::Socket>(self.ctl);
        self.out.clear();
        self.since = now;
        if graceful {
            socket.close();
            self.phase = Phase::Closing;
        } else {
            socket.abort();
            self.phase = Phase::Listening;
        }
    }

    /// `SITE FORMAT [label]`: formats the volume through the storage
    /// service (logged in, no transfer running anywhere).
    fn site<T: Transport>(&mut self, arg: &str, store: &mut Store<T>, ctx: &Ctx<'_>) {
        let (sub, rest) = arg.trim().split_once(' ').unwrap_or((arg.trim(), ""));
        let text = if !self.session.is_logged_in() {
            self.reply.set(Code::NOT_LOGGED_IN, "Please log in with USER and PASS.")
        } else if self.session.is_waiting() {
            self.reply.set(Code::BAD_SEQUENCE, "Transfer in progress; wait or send ABOR.")
        } else if sub.eq_ignore_ascii_case("HELP") {
            self.reply.set(Code::HELP, "SITE FORMAT [label]: erase the volume and make an empty FAT one.")
        } else if !sub.eq_ignore_ascii_case("FORMAT") {
            self.reply.set(Code::NOT_IMPLEMENTED, "SITE command not implemented; try SITE HELP.")
        } else if ctx.busy_elsewhere {
            self.reply.set(Code::FILE_BUSY, "Another session is transferring; try again later.")
        } else {
            let label = if rest.trim().is_empty() { DEFAULT_LABEL } else { rest.trim() };
            match Label::new(label) {
                Err(_) => self.reply.set(Code::BAD_ARGUMENT, "Bad volume label (up to 11 of A-Z 0-9 and FAT's symbols)."),
                Ok(label) => {
                    say!("ftp: session {}: user {} formats the volume", self.id, self.session.user().unwrap_or("?"));
                    match store.format(label) {
                        Ok(()) => {
                            say!("ftp: volume formatted");
                            self.reply.set(Code::OK, "Volume formatted.")
                        }
                        Err(e) => {
                            say!("ftp: format failed: {:?}", e);
                            let code = match store::failure(e) {
                                Failure::PermissionDenied => Code::FILE_UNAVAILABLE,
                                _ => Code::LOCAL_ERROR,
                            };
                            self.reply.set(code, "Format failed.")
                        }
                    }
                }
            }
        };
        push(&mut self.out, text);
    }
}

/// Opens what a transfer reads or writes.
fn open_transfer<T: Transport>(store: &mut Store<T>, t: OwnedTransfer, ctx: &Ctx<'_>) -> Result<transfer::Kind, Failure> {
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
            Ok(transfer::Kind::Retr { handle, eof: false })
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
            Ok(transfer::Kind::Stor { handle })
        }
        OwnedTransfer::List { path, format } => {
            let meta = store::stat(store, &path)?;
            let now = DateTime::from_unix(epoch() + ctx.now / 1000).unwrap_or(DateTime::EPOCH);
            let (cursor, single) = match meta.kind {
                Kind::Dir => (Some(0), None),
                Kind::File => {
                    let name = path.rsplit('/').next().unwrap_or("");
                    (None, Some((String::from(name), meta)))
                }
            };
            Ok(transfer::Kind::List { path, format, cursor, single, now })
        }
    }
}

/// The argument of a `SITE` line (possibly empty), or `None` for other commands.
fn site_argument(line: &[u8]) -> Option<&[u8]> {
    let verb = line.get(..4)?;
    if !verb.eq_ignore_ascii_case(b"SITE") {
        return None;
    }
    match line.get(4) {
        None => Some(&[]),
        Some(b' ') => Some(&line[5..]),
        Some(_) => None,
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

/// Queues reply text; a client that lets replies pile up past
/// [`OUT_CAPACITY`] loses the excess (it is not reading anyway).
fn push(out: &mut Vec<u8>, text: &str) {
    let room = OUT_CAPACITY.saturating_sub(out.len());
    out.extend_from_slice(&text.as_bytes()[..text.len().min(room)]);
}

/// Hands queued replies to the socket; true if any went.
fn flush(out: &mut Vec<u8>, socket: &mut tcp::Socket) -> bool {
    if out.is_empty() || !socket.may_send() {
        return false;
    }
    let n = socket.send_slice(out).unwrap_or(0);
    out.drain(..n);
    n > 0
}
