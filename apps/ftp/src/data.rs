//! Passive data connections: a small pool of TCP sockets, each bound to a
//! port from the configured range only while it is in use.
//!
//! The kernel delivers frames only for ports a process has bound, and lets
//! a process bind at most 8, so ports are bound on demand (PASV/EPSV) and
//! unbound once their socket is closed: with [`DATA_SOCKETS`] sockets that
//! is at most 5 bindings with port 21, whatever the size of the range.
//! Ports are handed out round-robin through the range, so a port just
//! released is not reused at once (a late segment of the old connection
//! cannot reach the new one).

use alloc::vec::Vec;

use net::{Net, Protocol};
use libtock_platform::ErrorCode;
use libtock_runtime::TockSyscalls;
use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::tcp;

/// Data sockets: two per session, so a session can open a new listener
/// while its previous data connection is still finishing its close.
pub const DATA_SOCKETS: usize = 2 * crate::control::MAX_SESSIONS;
/// TCP receive buffer of a data socket, also the window a client may fill
/// during STOR: two sessions' windows (2 x 8 KiB) about fit the kernel's
/// 16 KiB receive queue for this process, so a burst is not dropped there.
const RX_BUFFER: usize = 8 * 1024;
/// TCP transmit buffer of a data socket: four 4 KiB storage chunks, so a
/// RETR keeps segments in flight while the next chunk is read.
const TX_BUFFER: usize = 16 * 1024;
/// A closing data connection gets this long to finish its FIN handshake.
const CLOSE_TIMEOUT_MS: u64 = 5_000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// Socket closed, no port bound.
    Free,
    /// Held by a session: listening, connected or transferring.
    Held,
    /// `close()` called; waiting for the FIN handshake (or the timeout).
    Closing,
    /// Aborted; the port is unbound on the next service pass, after the
    /// interface was polled (so the RST went out from a bound port).
    Releasing,
}

struct Slot {
    handle: SocketHandle,
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
        let slots = (0..DATA_SOCKETS)
            .map(|_| {
                let rx = tcp::SocketBuffer::new(alloc::vec![0u8; RX_BUFFER].leak());
                let tx = tcp::SocketBuffer::new(alloc::vec![0u8; TX_BUFFER].leak());
                let mut socket = tcp::Socket::new(rx, tx);
                socket.set_nagle_enabled(false);
                Slot { handle: sockets.add(socket), port: 0, state: State::Free, since: 0 }
            })
            .collect();
        DataPool { slots, first: ports.0, last: ports.1, next: ports.0 }
    }

    /// Binds a free port of the range and listens on it with a free socket.
    pub fn open(&mut self, sockets: &mut SocketSet<'static>) -> Option<(usize, u16)> {
        let idx = self.slots.iter().position(|s| s.state == State::Free)?;
        let span = u32::from(self.last - self.first) + 1;
        for _ in 0..span {
            let port = self.next;
            self.next = if self.next >= self.last { self.first } else { self.next + 1 };
            if self.slots.iter().any(|s| s.state != State::Free && s.port == port) {
                continue;
            }
            match Net::<TockSyscalls>::bind(Protocol::Tcp, port) {
                Ok(()) | Err(ErrorCode::Already) => {}
                // Another process holds it: try the next one.
                Err(ErrorCode::Reserve) => continue,
                // Out of bindings or memory: no other port will do better.
                Err(_) => return None,
            }
            let socket = sockets.get_mut::<tcp::Socket>(self.slots[idx].handle);
            if socket.listen(port).is_err() {
                let _ = Net::<TockSyscalls>::unbind(Protocol::Tcp, port);
                return None;
            }
            let slot = &mut self.slots[idx];
            slot.port = port;
            slot.state = State::Held;
            return Some((idx, port));
        }
        None
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

    /// Finishes closes and unbinds released ports; call before the sessions
    /// are serviced, right after the interface was polled.
    pub fn service(&mut self, sockets: &mut SocketSet<'static>, now: u64) -> bool {
        let mut progressed = false;
        for slot in self.slots.iter_mut() {
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
                    let _ = Net::<TockSyscalls>::unbind(Protocol::Tcp, slot.port);
                    slot.port = 0;
                    slot.state = State::Free;
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
