//! The connection table: one smoltcp socket per connection slot.

use alloc::vec::Vec;

use smoltcp::iface::SocketSet;
use smoltcp::socket::tcp;

use crate::conn::Conn;

/// Connections served at once.
pub const MAX_ACTIVE: usize = 16;
/// Sockets: the served connections plus two that answer 503 when full.
pub const SOCKETS: usize = MAX_ACTIVE + 2;
/// TCP receive buffer: requests are small; this is also the window.
const RX_BUFFER: usize = 4096;
/// TCP transmit buffer: two 16 KiB file reads (one being sent, one being
/// read, see `conn::READ_AHEAD`), which also keeps 22 full segments in flight.
const TX_BUFFER: usize = 32768;

pub struct Server {
    conns: Vec<Conn>,
}

impl Server {
    pub fn new(sockets: &mut SocketSet<'static>) -> Server {
        let conns = (0..SOCKETS)
            .map(|_| {
                let rx = tcp::SocketBuffer::new(alloc::vec![0u8; RX_BUFFER].leak());
                let tx = tcp::SocketBuffer::new(alloc::vec![0u8; TX_BUFFER].leak());
                let mut socket = tcp::Socket::new(rx, tx);
                // Responses go out as soon as they are written.
                socket.set_nagle_enabled(false);
                // Listening before "serving on" is said: a client that
                // connects at once must not meet a reset.
                let _ = socket.listen(crate::PORT);
                Conn::new(sockets.add(socket))
            })
            .collect();
        Server { conns }
    }

    /// Advances every connection; `true` if any made progress.
    pub fn service(&mut self, sockets: &mut SocketSet<'static>, now: u64, site: &mut crate::site::Site<'_>) -> bool {
        site.reads.next_pass();
        let mut active = self.conns.iter().filter(|c| c.is_active()).count();
        let mut progressed = false;
        for conn in self.conns.iter_mut() {
            let socket = sockets.get_mut::<tcp::Socket>(conn.handle());
            let was_active = conn.is_active();
            progressed |= conn.service(socket, now, active >= MAX_ACTIVE, site);
            match (was_active, conn.is_active()) {
                (false, true) => active += 1,
                (true, false) => active -= 1,
                _ => {}
            }
        }
        progressed
    }

    /// Frees the slots of connections the client has just ended (see
    /// [`Conn::reap`]); `true` if any.
    pub fn reap(&mut self, sockets: &mut SocketSet<'static>, now: u64) -> bool {
        let mut freed = false;
        for conn in self.conns.iter_mut() {
            freed |= conn.reap(sockets.get_mut::<tcp::Socket>(conn.handle()), now);
        }
        freed
    }

    /// Puts sockets freed since the last call (their resets sent) back to
    /// listening.
    pub fn listen_again(&mut self, sockets: &mut SocketSet<'static>) {
        for conn in self.conns.iter_mut() {
            conn.listen_again(sockets.get_mut::<tcp::Socket>(conn.handle()));
        }
    }

    /// After the switch refused a frame: the sockets take turns at being
    /// the first smoltcp sends from (see `net::egress`).
    pub fn take_turns(&mut self, sockets: &mut SocketSet<'static>) {
        net::egress::rotate(sockets, &mut self.conns, Conn::handle_mut);
    }

    /// The earliest time a connection times out; `contended`: connections
    /// wait for storage reads (see [`Conn::deadline`]).
    pub fn next_deadline(&self, now: u64, contended: bool) -> u64 {
        self.conns.iter().filter_map(|c| c.deadline(contended)).min().map_or(u64::MAX, |d| d.saturating_sub(now))
    }
}
