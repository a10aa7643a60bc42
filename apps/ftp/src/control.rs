//! Control connections: one slot per control socket on port 21, each with
//! its `proto_ftp::Session`; the slot's life (accept, read, reply, close)
//! is here, what each command makes it do is in [`crate::dispatch`].

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::net::{Ipv4Addr, SocketAddrV4};

use proto_ftp::login::LoginGuard;
use proto_ftp::reply::Code;
use proto_ftp::{Feed, LineBuffer, Options, ReplyBuf, Session};
use proto_storage::stream::Share;
use proto_storage::Pipelined;
use say::say;
use smoltcp::iface::{Context, SocketHandle, SocketSet};
use smoltcp::socket::tcp;
use smoltcp::wire::IpAddress;

use crate::config::Config;
use crate::data::DataPool;
use crate::store::Store;
use crate::transfer::{Step, Xfer, CHUNK};

/// Sessions served at once: lftp's `mirror --parallel=3` and FileZilla
/// (one browsing and two transfer connections) need 3 or 4; the firmware
/// this replaces took 4.
pub const MAX_SESSIONS: usize = 8;
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
/// end (150, 426 + 226 + 221): well below this.
pub(crate) const OUT_CAPACITY: usize = 2048;
/// A passive listener no transfer used is given back after this long.
pub(crate) const LISTENER_TIMEOUT_MS: u64 = 120_000;
/// PASV/EPSV with no passive port or data socket free waits this long for
/// one (a port frees as soon as a waiting client connects, milliseconds
/// after its 227) before answering 425.
pub(crate) const PASSIVE_WAIT_MS: u64 = 10_000;
/// A closing control connection (or a 421 refusal) gets this long to
/// deliver its last reply and finish the FIN handshake.
const CLOSE_TIMEOUT_MS: u64 = 5_000;

pub const PORT: u16 = 21;

/// What every slot needs besides its own state.
pub struct Ctx<'a> {
    pub config: &'a Config,
    pub advertised: Ipv4Addr,
    pub now: u64,
    /// Another session has a transfer running (SITE FORMAT waits for it).
    pub busy_elsewhere: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Phase {
    Listening,
    Active,
    /// Over the session limit: 421 is being sent, then the connection closes.
    Refusing,
    Closing,
}

pub(crate) struct Slot {
    pub(crate) ctl: SocketHandle,
    pub(crate) phase: Phase,
    /// Closing: when it began. Active: when the last command arrived.
    pub(crate) since: u64,
    pub(crate) id: u32,
    pub(crate) peer: Option<Ipv4Addr>,
    lines: LineBuffer,
    pub(crate) line: [u8; proto_ftp::MAX_LINE],
    pub(crate) line_len: usize,
    pub(crate) session: Session,
    pub(crate) reply: ReplyBuf,
    pub(crate) out: Vec<u8>,
    pub(crate) close_when_sent: bool,
    /// The data socket (pool index) this session holds, and since when.
    pub(crate) data: Option<usize>,
    pub(crate) data_since: u64,
    /// Where PORT/EPRT said the next data connection goes.
    pub(crate) active: Option<SocketAddrV4>,
    pub(crate) xfer: Option<Xfer>,
    pub(crate) chunk: Box<[u8; CHUNK]>,
    /// A failed login's 530 is held back until then (ms): the delay grows
    /// with the failures of this connection and of its peer.
    pub(crate) answer_at: Option<u64>,
    /// PASV/EPSV waiting (since then) for a passive port or socket to free.
    pub(crate) passive_since: Option<u64>,
}

pub struct Server {
    slots: Vec<Slot>,
    pool: DataPool,
    guard: LoginGuard,
    next_id: u32,
    /// Port 20 is bound: PORT/EPRT are offered.
    active_mode: bool,
    /// The storage requests in flight, shared by the transfers.
    share: Share,
}

impl Server {
    pub fn new(sockets: &mut SocketSet<'static>, pasv_ports: (u16, u16), active_mode: bool) -> Server {
        let slots = (0..CONTROL_SOCKETS)
            .map(|_| {
                let rx = tcp::SocketBuffer::new(alloc::vec![0u8; CTL_RX].leak());
                let tx = tcp::SocketBuffer::new(alloc::vec![0u8; CTL_TX].leak());
                let mut socket = tcp::Socket::new(rx, tx);
                // Replies go out as soon as they are written.
                socket.set_nagle_enabled(false);
                // Listening before "serving on" is said: a client that
                // connects at once must not meet a reset.
                let _ = socket.listen(PORT);
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
                    active: None,
                    xfer: None,
                    // Zeroed on the heap, never staged on the stack.
                    chunk: alloc::vec![0u8; CHUNK].into_boxed_slice().try_into().expect("CHUNK bytes"),
                    answer_at: None,
                    passive_since: None,
                }
            })
            .collect();
        let pool = DataPool::new(sockets, pasv_ports);
        Server { slots, pool, guard: LoginGuard::new(), next_id: 0, active_mode, share: Share::default() }
    }

    /// Whether a control socket has a new connection waiting to be taken.
    pub fn connection_waiting(&self, sockets: &SocketSet<'static>) -> bool {
        self.slots.iter().any(|s| {
            s.phase == Phase::Listening
                && matches!(sockets.get::<tcp::Socket>(s.ctl).state(), tcp::State::Established | tcp::State::CloseWait)
        })
    }

    /// A new passive range (only while no data socket is in use).
    pub fn set_pasv_ports(&mut self, ports: (u16, u16)) -> bool {
        self.pool.set_ports(ports)
    }

    /// Advances every connection and transfer; `true` if anything happened.
    pub fn service<T: Pipelined>(
        &mut self,
        sockets: &mut SocketSet<'static>,
        cx: &mut Context,
        store: &mut Store<T>,
        config: &Config,
        advertised: Ipv4Addr,
        mut now: u64,
    ) -> bool {
        let mut progressed = self.pool.service(sockets, now);
        self.share.next_pass();
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
                slot.accept(socket, self.next_id, active >= MAX_SESSIONS, config, self.active_mode, now);
                progressed = true;
                continue;
            }
            let mut io = Io {
                sockets: &mut *sockets,
                cx: &mut *cx,
                pool: &mut self.pool,
                guard: &mut self.guard,
                share: &mut self.share,
            };
            progressed |= slot.service(&mut io, store, &ctx);
            // It may have waited for storage: the next session's timers
            // start from the time after.
            if let Some(after) = store.transport().now_if_waited() {
                now = after;
            }
        }
        progressed
    }

    /// After the switch refused a frame: transfers take turns (see `DataPool::take_turns`).
    pub fn take_turns(&mut self, sockets: &mut SocketSet<'static>) {
        self.pool.take_turns(sockets);
    }

    /// Milliseconds until some connection or transfer times out.
    pub fn next_deadline(&self, now: u64, config: &Config) -> u64 {
        let idle_ms = config.idle_timeout_ms();
        let contended = self.share.contended();
        let slots = self
            .slots
            .iter()
            .filter_map(|s| s.deadline(idle_ms, contended))
            .min()
            .map_or(u64::MAX, |d| d.saturating_sub(now));
        slots.min(self.pool.next_deadline(now))
    }
}

/// The sockets, the interface and the state slots share.
pub(crate) struct Io<'s> {
    pub(crate) sockets: &'s mut SocketSet<'static>,
    pub(crate) cx: &'s mut Context,
    pub(crate) pool: &'s mut DataPool,
    pub(crate) guard: &'s mut LoginGuard,
    pub(crate) share: &'s mut Share,
}

impl Slot {
    /// When this connection must be looked at again without traffic.
    /// An idle session (no command, no transfer) is closed with 421 after
    /// `idle_ms` (`idle_timeout`; RFC 959 sets no limit): that bounds how
    /// long a client that vanished without FIN or RST holds a session slot.
    fn deadline(&self, idle_ms: u64, contended: bool) -> Option<u64> {
        match self.phase {
            Phase::Listening => None,
            Phase::Refusing | Phase::Closing => Some(self.since + CLOSE_TIMEOUT_MS),
            Phase::Active if self.close_when_sent => Some(self.since + CLOSE_TIMEOUT_MS),
            // A port frees with network traffic; this is only the give-up time.
            Phase::Active if self.passive_since.is_some() => self.passive_since.map(|s| s + PASSIVE_WAIT_MS),
            Phase::Active => Some(match (&self.xfer, self.data, self.answer_at) {
                (_, _, Some(at)) => at,
                (Some(x), _, _) => x.deadline(contended),
                (None, Some(_), _) => (self.since + idle_ms).min(self.data_since + LISTENER_TIMEOUT_MS),
                (None, None, _) => self.since + idle_ms,
            }),
        }
    }

    fn accept(&mut self, socket: &mut tcp::Socket, id: u32, full: bool, config: &Config, active_mode: bool, now: u64) {
        self.id = id;
        self.since = now;
        self.peer = socket.remote_endpoint().map(|e| match e.addr {
            IpAddress::Ipv4(a) => a,
        });
        self.lines.reset();
        self.line_len = 0;
        // The peer is what PORT/EPRT may name: the session refuses any other
        // host. No MFMT: the storage protocol cannot set a file's time yet.
        let peer = self.peer.filter(|_| active_mode);
        self.session = Session::with_options(Options { peer, anonymous: config.anonymous, set_times: false });
        self.out.clear();
        self.close_when_sent = false;
        self.data = None;
        self.active = None;
        self.xfer = None;
        self.answer_at = None;
        self.passive_since = None;
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

    fn service<T: Pipelined>(&mut self, io: &mut Io<'_>, store: &mut Store<T>, ctx: &Ctx<'_>) -> bool {
        let now = ctx.now;
        if self.phase == Phase::Closing {
            let socket = io.sockets.get_mut::<tcp::Socket>(self.ctl);
            if crate::data::closed_enough(socket) || now >= self.since + CLOSE_TIMEOUT_MS {
                socket.abort();
                self.phase = Phase::Listening;
                return true;
            }
            return false;
        }
        let mut progressed = flush(&mut self.out, io.sockets.get_mut::<tcp::Socket>(self.ctl));

        // The client reset or closed the control connection: end the session,
        // unless it sent QUIT during a transfer, which finishes first.
        let (state, may_recv) = {
            let socket = io.sockets.get::<tcp::Socket>(self.ctl);
            (socket.state(), socket.may_recv())
        };
        if state == tcp::State::Closed {
            self.end_session(io, store, now, false);
            return true;
        }
        let quitting = self.session.quitting() && self.xfer.is_some();
        if !may_recv && !quitting {
            self.end_session(io, store, now, true);
            return true;
        }
        if self.close_when_sent {
            // The last reply is out (then close), or the client does not read it.
            if self.out.is_empty() || now >= self.since + CLOSE_TIMEOUT_MS {
                let graceful = self.out.is_empty();
                self.end_session(io, store, now, graceful);
                return true;
            }
            return progressed;
        }
        if let Some(at) = self.answer_at {
            if now >= at {
                self.answer_at = None;
                self.refuse_login();
                progressed = true;
            }
        }
        progressed |= self.open_passive(io, ctx);

        // One command per pass, and only once earlier replies are handed
        // over, a held-back 530 or 227 is sent and no listing uses the connection.
        let listing = self.xfer.as_ref().is_some_and(Xfer::on_control);
        let held = self.answer_at.is_some() || self.passive_since.is_some();
        if may_recv && self.out.is_empty() && !held && !listing && self.read_line(io.sockets) {
            self.since = now;
            self.command(io, store, ctx);
            progressed = true;
        }

        progressed |= self.step_transfer(io, store, now);

        let idle_ms = ctx.config.idle_timeout_ms();
        if self.xfer.is_none() && !held && !self.close_when_sent && now >= self.since + idle_ms {
            say!("ftp: session {} idle for {} s; closing", self.id, idle_ms / 1000);
            push(&mut self.out, Session::closing(&mut self.reply));
            self.close_when_sent = true;
            self.since = now;
            progressed = true;
        }
        progressed |= flush(&mut self.out, io.sockets.get_mut::<tcp::Socket>(self.ctl));
        progressed
    }

    /// Advances the running transfer (or listing) by one step; gives back
    /// a passive listener no transfer came for.
    fn step_transfer<T: Pipelined>(&mut self, io: &mut Io<'_>, store: &mut Store<T>, now: u64) -> bool {
        let Some(xfer) = self.xfer.as_mut() else {
            if let Some(idx) = self.data {
                if now >= self.data_since + crate::control::LISTENER_TIMEOUT_MS {
                    io.pool.release(io.sockets, idx, false, now);
                    self.data = None;
                }
            }
            return false;
        };
        let handle = if xfer.on_control() {
            // Listing lines go out only after the 213- line before them.
            if !self.out.is_empty() {
                return false;
            }
            self.ctl
        } else {
            io.pool.handle(self.data.expect("a transfer holds a data socket"))
        };
        let socket = io.sockets.get_mut::<tcp::Socket>(handle);
        let peer = self.peer.map(IpAddress::Ipv4);
        match xfer.step(socket, store, io.share, &mut self.chunk, peer, now) {
            Step::Idle => false,
            Step::Progress => true,
            Step::Done(result) => {
                self.finish_transfer(io, store, result, now);
                true
            }
        }
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

    /// Ends the session: stops any transfer, closes the control connection
    /// (gracefully unless it was reset).
    pub(crate) fn end_session<T: Pipelined>(
        &mut self,
        io: &mut Io<'_>,
        store: &mut Store<T>,
        now: u64,
        graceful: bool,
    ) {
        self.stop_transfer(io, store, now);
        self.answer_at = None;
        self.passive_since = None;
        let socket = io.sockets.get_mut::<tcp::Socket>(self.ctl);
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
}

/// Queues reply text; a client that lets replies pile up past
/// [`OUT_CAPACITY`] loses the excess (it is not reading anyway).
pub(crate) fn push(out: &mut Vec<u8>, text: &str) {
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
