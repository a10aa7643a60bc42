//! Data connections: a pool of TCP sockets for passive listeners (PASV,
//! EPSV) and active connections (PORT, EPRT).
//!
//! The kernel delivers frames only for ports a process has bound, and lets
//! a process bind at most 8 (`MAX_BINDINGS`): port 21, port 20 (the source
//! of every active connection, RFC 959's L-1) and at most
//! [`MAX_PASSIVE_PORTS`] (6) ports of the passive range. A passive port
//! is bound when a listener needs it and unbound once no socket uses it.
//! Only a *listening* socket needs a port of its own: once its client has
//! connected, the connection is told apart by its remote address and port,
//! so the same port can listen for the next session. Eight sessions can
//! therefore transfer at once over six ports; only more than six listeners
//! waiting for their client at the same instant are refused (425).
//! Ports are handed out round-robin through the range, so a port just
//! released is not at once given to a new listener.

use alloc::vec::Vec;
use core::net::SocketAddrV4;

use libtock_platform::ErrorCode;
use libtock_runtime::TockSyscalls;
use net::{Net, Protocol};
use say::say;
use smoltcp::iface::{Context, SocketHandle, SocketSet};
use smoltcp::socket::tcp;
use syscall_abi::net::MAX_BINDINGS;

/// Data sockets: one per session, plus two for connections still finishing
/// their close (a few milliseconds, at most [`CLOSE_TIMEOUT_MS`]) while
/// their session already starts the next transfer.
pub const DATA_SOCKETS: usize = crate::control::MAX_SESSIONS + 2;
/// Passive ports bound at once: the kernel's 8 bindings per process less
/// the control port and the active-mode port.
pub const MAX_PASSIVE_PORTS: usize = MAX_BINDINGS - 2;
/// The source port of active-mode data connections (RFC 959 §3.2: L-1).
pub const ACTIVE_PORT: u16 = 20;
/// TCP receive buffer of a data socket, also the window a client may fill
/// during STOR: 8 KiB keeps a single upload at the speed storage takes it;
/// the kernel's 32 KiB receive queue holds four such windows, and a fifth
/// upload's burst dropped there is retransmitted (counted by the switch).
const RX_BUFFER: usize = 8 * 1024;
/// TCP transmit buffer of a data socket: two 16 KiB storage reads, one
/// being sent while the next goes in as room opens (as HTTP's sockets).
/// Too large for FTP's 512 KiB block (`apps/layout.toml`) ten times over
/// beside the rest, so the data sockets' buffers live in a PSRAM grant of
/// their own ([`DATA_ARENA`]); nothing in them is ever allowed to the
/// kernel (smoltcp copies into the frames), which a grant could not be.
const TX_BUFFER: usize = 32 * 1024;
/// The data sockets' buffers when that grant is refused: two 4 KiB reads
/// (a transfer then reads 4 KiB at a time, see `transfer::Xfer::send_file`).
const TX_BUFFER_SMALL: usize = 8 * 1024;
/// The PSRAM grant for the data sockets' buffers: ten of (8 + 32) KiB is
/// 400 KiB, and grants are powers of two.
const DATA_ARENA: usize = 512 * 1024;
/// A closing data connection gets this long to finish its FIN handshake.
const CLOSE_TIMEOUT_MS: u64 = 5_000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// Socket closed, holding no port.
    Free,
    /// Held by a session: listening, connecting, connected or transferring.
    Held,
    /// `close()` called; waiting for the FIN handshake (or the timeout).
    Closing,
    /// Aborted; its port is given back on the next service pass, after the
    /// interface was polled (so the RST went out from a bound port).
    Releasing,
}

struct Slot {
    handle: SocketHandle,
    /// Local port: one of the passive range, or [`ACTIVE_PORT`].
    port: u16,
    state: State,
    since: u64,
}

pub struct DataPool {
    slots: Vec<Slot>,
    first: u16,
    last: u16,
    next: u16,
}

impl DataPool {
    pub fn new(sockets: &mut SocketSet<'static>, ports: (u16, u16)) -> DataPool {
        let arena = heap::Arena::new(DATA_ARENA);
        if arena.is_none() {
            say!("ftp: no PSRAM grant for the data sockets; downloads read 4 KiB at a time");
        }
        // Buffers for the life of the app: `len` bytes from the grant, or
        // else `small` from the heap (which could not hold ten large ones).
        let buffer = |len: usize, small: usize| -> &'static mut [u8] {
            match arena.as_ref().and_then(|a| a.alloc(len)) {
                Some(bytes) => {
                    let kept: &'static mut heap::ArenaBytes = alloc::boxed::Box::leak(alloc::boxed::Box::new(bytes));
                    kept
                }
                None => alloc::vec![0u8; small].leak(),
            }
        };
        let slots = (0..DATA_SOCKETS)
            .map(|_| {
                let rx = tcp::SocketBuffer::new(buffer(RX_BUFFER, RX_BUFFER));
                let tx = tcp::SocketBuffer::new(buffer(TX_BUFFER, TX_BUFFER_SMALL));
                let mut socket = tcp::Socket::new(rx, tx);
                socket.set_nagle_enabled(false);
                Slot { handle: sockets.add(socket), port: 0, state: State::Free, since: 0 }
            })
            .collect();
        DataPool { slots, first: ports.0, last: ports.1, next: ports.0 }
    }

    /// A new passive range (only while no socket is in use).
    pub fn set_ports(&mut self, ports: (u16, u16)) -> bool {
        if self.slots.iter().any(|s| s.state != State::Free) {
            return false;
        }
        (self.first, self.last, self.next) = (ports.0, ports.1, ports.0);
        true
    }

    /// Listens on a port of the range with a free socket: a port we hold
    /// with no listener on it, or a newly bound one.
    pub fn open(&mut self, sockets: &mut SocketSet<'static>) -> Option<(usize, u16)> {
        let idx = self.slots.iter().position(|s| s.state == State::Free)?;
        let span = u32::from(self.last - self.first) + 1;
        for _ in 0..span {
            let port = self.next;
            self.next = if self.next >= self.last { self.first } else { self.next + 1 };
            if self.users(port) > 0 {
                if self.listening_on(sockets, port) {
                    continue;
                }
            } else if self.bound_ports() >= MAX_PASSIVE_PORTS {
                continue;
            } else {
                match Net::<TockSyscalls>::bind(Protocol::Tcp, port) {
                    Ok(()) | Err(ErrorCode::Already) => {}
                    // Another process holds it: try the next one.
                    Err(ErrorCode::Reserve) => continue,
                    // Out of bindings or memory: no other port will do better.
                    Err(_) => return None,
                }
            }
            let socket = sockets.get_mut::<tcp::Socket>(self.slots[idx].handle);
            if socket.listen(port).is_err() {
                if self.users(port) == 0 {
                    let _ = Net::<TockSyscalls>::unbind(Protocol::Tcp, port);
                }
                return None;
            }
            let slot = &mut self.slots[idx];
            slot.port = port;
            slot.state = State::Held;
            return Some((idx, port));
        }
        None
    }

    /// Starts an active-mode connection to `remote` from [`ACTIVE_PORT`]
    /// (bound once at start) with a free socket.
    pub fn connect(
        &mut self,
        sockets: &mut SocketSet<'static>,
        cx: &mut Context,
        remote: SocketAddrV4,
    ) -> Option<usize> {
        let idx = self.slots.iter().position(|s| s.state == State::Free)?;
        let socket = sockets.get_mut::<tcp::Socket>(self.slots[idx].handle);
        socket.connect(cx, (smoltcp::wire::IpAddress::Ipv4(*remote.ip()), remote.port()), ACTIVE_PORT).ok()?;
        let slot = &mut self.slots[idx];
        slot.port = ACTIVE_PORT;
        slot.state = State::Held;
        Some(idx)
    }

    /// After the switch refused a frame: the data sockets take turns at
    /// being the first smoltcp sends from (see `net::egress`); sessions
    /// name theirs by pool index, which stays.
    pub fn take_turns(&mut self, sockets: &mut SocketSet<'static>) {
        net::egress::rotate(sockets, &mut self.slots, |s| &mut s.handle);
    }

    pub fn handle(&self, idx: usize) -> SocketHandle {
        self.slots[idx].handle
    }

    /// Gives a held socket back: `graceful` lets a FIN handshake finish
    /// (bounded), otherwise the connection is reset.
    pub fn release(&mut self, sockets: &mut SocketSet<'static>, idx: usize, graceful: bool, now: u64) {
        let slot = &mut self.slots[idx];
        if slot.state != State::Held {
            return;
        }
        let socket = sockets.get_mut::<tcp::Socket>(slot.handle);
        slot.since = now;
        if graceful && socket.is_active() {
            socket.close();
            slot.state = State::Closing;
        } else {
            socket.abort();
            slot.state = State::Releasing;
        }
    }

    /// Finishes closes and unbinds ports no socket uses any more; call
    /// before the sessions are serviced, right after the interface was polled.
    pub fn service(&mut self, sockets: &mut SocketSet<'static>, now: u64) -> bool {
        let mut progressed = false;
        for i in 0..self.slots.len() {
            let slot = &mut self.slots[i];
            let socket = sockets.get_mut::<tcp::Socket>(slot.handle);
            match slot.state {
                State::Free | State::Held => {}
                State::Closing => {
                    if closed_enough(socket) || now >= slot.since + CLOSE_TIMEOUT_MS {
                        socket.abort();
                        slot.state = State::Releasing;
                        progressed = true;
                    }
                }
                State::Releasing => {
                    let port = slot.port;
                    slot.port = 0;
                    slot.state = State::Free;
                    if port != ACTIVE_PORT && self.users(port) == 0 {
                        let _ = Net::<TockSyscalls>::unbind(Protocol::Tcp, port);
                    }
                    progressed = true;
                }
            }
        }
        progressed
    }

    /// Milliseconds until a closing socket must be looked at again.
    pub fn next_deadline(&self, now: u64) -> u64 {
        self.slots
            .iter()
            .filter_map(|s| match s.state {
                State::Closing => Some((s.since + CLOSE_TIMEOUT_MS).saturating_sub(now)),
                State::Releasing => Some(0),
                _ => None,
            })
            .min()
            .unwrap_or(u64::MAX)
    }

    /// Sockets using `port` (it is bound while there are any).
    fn users(&self, port: u16) -> usize {
        self.slots.iter().filter(|s| s.state != State::Free && s.port == port).count()
    }

    /// Distinct passive ports bound now.
    fn bound_ports(&self) -> usize {
        let mut ports: Vec<u16> =
            self.slots.iter().filter(|s| s.state != State::Free && s.port != ACTIVE_PORT).map(|s| s.port).collect();
        ports.sort_unstable();
        ports.dedup();
        ports.len()
    }

    /// Whether a socket waits on `port` for a client to connect: a second
    /// listener there could take that client's connection.
    fn listening_on(&self, sockets: &SocketSet<'static>, port: u16) -> bool {
        self.slots.iter().any(|s| {
            s.state == State::Held
                && s.port == port
                && matches!(sockets.get::<tcp::Socket>(s.handle).state(), tcp::State::Listen | tcp::State::SynReceived)
        })
    }
}

/// Whether a socket we closed can be reset without the peer losing
/// anything: it is closed, or every byte we sent is acknowledged and one
/// side's FIN is through (only the last ACK of the handshake is missing,
/// which QEMU's user network in particular can be slow to send).
pub fn closed_enough(socket: &tcp::Socket) -> bool {
    match socket.state() {
        tcp::State::Closed | tcp::State::TimeWait | tcp::State::FinWait2 => true,
        tcp::State::LastAck | tcp::State::Closing => socket.send_queue() == 0,
        _ => false,
    }
}
