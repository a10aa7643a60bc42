//! One connection: read a request head, send the response, repeat while
//! the client keeps the connection alive.

use alloc::boxed::Box;

use proto_http::{Expiry, HeadWait, Limits, Parsed, Request, Status, WaitLimits};
use proto_storage::stream::{ReadAhead, ReadStep};
use proto_storage::Transport;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp;

use crate::routes::{self, Body, Response};
use crate::site::Site;

/// Request head buffer: the parser's largest head ([`Limits::max_head_len`])
/// rounded up, so a head that passes the limits always fits.
const HEAD_BUFFER: usize = 3072;
const _: () = assert!(Limits::DEFAULT.max_head_len() <= HEAD_BUFFER);
/// Chunks of a file asked for ahead of its socket: two that the socket
/// will have room for and one more whose reply may wait in its in-flight
/// buffer, so the device is reading while the socket drains (the storage
/// transport keeps 3 in flight for all connections, shared fairly). A chunk
/// is the most one reply carries (16 KiB with a large inbox, see
/// `proto_storage::Pipelined::max_read`), at most half the socket's
/// transmit buffer.
const READ_AHEAD: usize = 3;
/// A file body's reads in flight.
pub type FileReads = ReadAhead<READ_AHEAD>;
/// A request head must arrive within this long of its first byte (slow-header attacks).
const HEAD_TIMEOUT_MS: u64 = 10_000;
/// An idle keep-alive connection (no byte of a next request) is closed after this long.
const IDLE_TIMEOUT_MS: u64 = 15_000;
const WAIT: WaitLimits = WaitLimits { idle_ms: IDLE_TIMEOUT_MS, head_ms: HEAD_TIMEOUT_MS };
/// A client that reads nothing of a response for this long is dropped.
const SEND_STALL_MS: u64 = 30_000;
/// A client that reads nothing of a file for this long while other
/// connections wait for storage reads gives its reads back (the storage
/// transport has 3 for all; they are asked again from where it stopped).
const RELEASE_AFTER_MS: u64 = 1_000;
/// A closing connection gets this long to finish its FIN handshake.
const CLOSE_TIMEOUT_MS: u64 = 5_000;

enum Phase {
    Listening,
    /// Waiting for (the rest of) a request head, idle or started (see `HeadWait`).
    Reading(HeadWait),
    /// Sending `response`; `consumed` request bytes go once it is sent.
    Sending {
        response: Response,
        head_sent: usize,
        body_sent: u64,
        consumed: usize,
    },
    Closing,
}

pub struct Conn {
    handle: SocketHandle,
    phase: Phase,
    head: Box<[u8; HEAD_BUFFER]>,
    head_len: usize,
    /// When the current phase started (or last made progress, when sending).
    since: u64,
}

impl Conn {
    pub fn new(handle: SocketHandle) -> Conn {
        Conn { handle, phase: Phase::Listening, head: Box::new([0; HEAD_BUFFER]), head_len: 0, since: 0 }
    }

    pub fn handle(&self) -> SocketHandle {
        self.handle
    }

    /// Where its socket sits, to move it (`Server::take_turns`).
    pub fn handle_mut(&mut self) -> &mut SocketHandle {
        &mut self.handle
    }

    /// Whether this slot holds a client (counts against the limit).
    pub fn is_active(&self) -> bool {
        matches!(self.phase, Phase::Reading(_) | Phase::Sending { .. })
    }

    /// When this connection must be looked at again without traffic;
    /// `contended`: other connections wait for storage reads.
    pub fn deadline(&self, contended: bool) -> Option<u64> {
        match &self.phase {
            Phase::Listening => None,
            Phase::Reading(wait) => Some(wait.deadline(&WAIT)),
            Phase::Sending { response: Response { body: Body::File { reads, .. }, .. }, .. }
                if contended && reads.holds_any() =>
            {
                Some(self.since + RELEASE_AFTER_MS)
            }
            Phase::Sending { .. } => Some(self.since + SEND_STALL_MS),
            Phase::Closing => Some(self.since + CLOSE_TIMEOUT_MS),
        }
    }

    fn enter(&mut self, phase: Phase, now: u64) {
        self.phase = phase;
        self.since = now;
    }

    /// Waits for the next request head; bytes already buffered (pipelined)
    /// start its clock.
    fn await_request(&mut self, now: u64) {
        self.enter(Phase::Reading(HeadWait::new(now, self.head_len > 0)), now);
    }

    /// Starts sending `response` (counted by status class); `consumed`
    /// request bytes leave the head buffer once it is sent.
    fn respond(&mut self, response: Response, consumed: usize, now: u64, site: &mut Site<'_>) {
        site.responses.count(response.status);
        let phase = Phase::Sending { response, head_sent: 0, body_sent: 0, consumed };
        self.enter(phase, now);
    }

    fn close(&mut self, socket: &mut tcp::Socket, now: u64, site: &mut Site<'_>) {
        self.release(site);
        socket.close();
        self.head_len = 0;
        self.enter(Phase::Closing, now);
    }

    fn abort(&mut self, socket: &mut tcp::Socket, site: &mut Site<'_>) {
        self.release(site);
        socket.abort();
        self.head_len = 0;
        self.phase = Phase::Listening;
    }

    /// Gives back what the current response holds (an open file); a file
    /// read whole and captured goes into the cache.
    fn release(&mut self, site: &mut Site<'_>) {
        if let Phase::Sending { response, .. } = &mut self.phase {
            if let Body::File { handle, size, capture, mut reads, .. } =
                core::mem::replace(&mut response.body, Body::Empty)
            {
                // Reads still in flight are answered before the close.
                reads.cancel(&mut site.storage);
                let _ = site.storage.close(handle);
                // Only a capture of the whole file is kept (`insert` checks).
                if let Some(c) = capture.filter(|_| size > 0) {
                    site.cache.insert(c);
                }
            }
        }
    }

    /// The client closed (or reset) between requests or before finishing
    /// one. Once it has acknowledged everything sent, its half is done: a
    /// reset frees the socket for the next client at once, where a FIN
    /// would hold it until acknowledged.
    fn client_closed(&mut self, socket: &mut tcp::Socket, now: u64) {
        // No response is under way here, so nothing is held to release.
        self.head_len = 0;
        if socket.state() == tcp::State::CloseWait && socket.send_queue() > 0 {
            socket.close();
            self.enter(Phase::Closing, now);
        } else {
            socket.abort();
            self.phase = Phase::Listening;
        }
    }

    /// Between frames: frees this slot if its connection just ended (the
    /// client closed while idle, or a close finished); `true` if so.
    pub fn reap(&mut self, socket: &mut tcp::Socket, now: u64) -> bool {
        match self.phase {
            Phase::Reading(_) if self.head_len == 0 && !socket.may_recv() => {
                self.client_closed(socket, now);
                matches!(self.phase, Phase::Listening)
            }
            Phase::Closing if matches!(socket.state(), tcp::State::Closed | tcp::State::TimeWait) => {
                socket.abort();
                self.phase = Phase::Listening;
                true
            }
            _ => false,
        }
    }

    /// Listens again if this slot is free and its socket closed.
    pub fn listen_again(&mut self, socket: &mut tcp::Socket) {
        if matches!(self.phase, Phase::Listening) && !socket.is_open() {
            let _ = socket.listen(crate::PORT);
        }
    }

    /// Advances this connection; `true` if anything happened.
    pub fn service(&mut self, socket: &mut tcp::Socket, now: u64, full: bool, site: &mut Site<'_>) -> bool {
        match &mut self.phase {
            Phase::Listening => {
                if !socket.is_open() {
                    let _ = socket.listen(crate::PORT);
                    return false;
                }
                if socket.state() == tcp::State::Listen || socket.state() == tcp::State::SynReceived {
                    return false;
                }
                if full {
                    let response = routes::error(Status::ServiceUnavailable, false, false);
                    self.respond(response, 0, now, site);
                } else {
                    self.head_len = 0;
                    self.await_request(now);
                }
                true
            }
            Phase::Reading(_) => self.read(socket, now, site),
            Phase::Sending { .. } => self.send(socket, now, site),
            Phase::Closing => {
                let done = matches!(socket.state(), tcp::State::Closed | tcp::State::TimeWait);
                if done || now >= self.since + CLOSE_TIMEOUT_MS {
                    self.abort(socket, site);
                    return true;
                }
                false
            }
        }
    }

    fn read(&mut self, socket: &mut tcp::Socket, now: u64, site: &mut Site<'_>) -> bool {
        let Phase::Reading(wait) = &mut self.phase else {
            return false;
        };
        let mut progressed = false;
        if socket.can_recv() && self.head_len < HEAD_BUFFER {
            if let Ok(n) = socket.recv_slice(&mut self.head[self.head_len..]) {
                self.head_len += n;
                progressed = n > 0;
            }
        }
        if progressed {
            wait.received(now);
        }
        let expiry = wait.expiry(now, &WAIT);
        match Request::parse(&self.head[..self.head_len], &Limits::DEFAULT) {
            Ok(Parsed::Complete { request, head_len }) => {
                let (response, consumed) = match request.body_len() {
                    Ok(0) => (routes::respond(&request, site), head_len),
                    // No resource here takes a body: refuse it rather than
                    // guess where the next request starts.
                    Ok(_) => (routes::error(Status::BadRequest, false, false), head_len),
                    Err(e) => (routes::parse_error(e), head_len),
                };
                // A route may have waited for storage (up to its reply
                // timeout): the response's timers start after that.
                let now = site.storage.transport().now_if_waited().unwrap_or(now);
                self.respond(response, consumed, now, site);
                self.send(socket, now, site);
                true
            }
            Ok(Parsed::Incomplete) => {
                if !socket.may_recv() {
                    self.client_closed(socket, now);
                    return true;
                }
                match expiry {
                    Expiry::RequestTimeout => {
                        let response = routes::error(Status::RequestTimeout, false, false);
                        self.respond(response, 0, now, site);
                        true
                    }
                    // No byte of a next request: nothing to answer.
                    Expiry::Close => {
                        self.close(socket, now, site);
                        true
                    }
                    Expiry::Pending => progressed,
                }
            }
            Err(e) => {
                let response = routes::parse_error(e);
                self.respond(response, 0, now, site);
                true
            }
        }
    }

    fn send(&mut self, socket: &mut tcp::Socket, now: u64, site: &mut Site<'_>) -> bool {
        let Phase::Sending { response, head_sent, body_sent, consumed } = &mut self.phase else {
            return false;
        };
        if !socket.may_send() {
            // Client went away mid-response.
            self.abort(socket, site);
            return true;
        }
        let mut failed = false;
        let mut progressed = false;
        while socket.can_send() {
            let wrote = if *head_sent < response.head.len() {
                let n = socket.send_slice(&response.head[*head_sent..]).unwrap_or(0);
                *head_sent += n;
                n
            } else if let Body::File { handle, size, capture, reads, .. } = &mut response.body {
                // The socket is kept full as the memory path keeps it: a
                // read's bytes go in as room opens, the next read already asked.
                if *body_sent >= *size {
                    break;
                }
                // Reads whose bytes the socket will have room for, and one
                // more unless others wait for reads: a reply that fits frees
                // its buffer at once, one held for room keeps it from them.
                let chunk = site.storage.max_read().min(socket.send_capacity() / 2);
                let extra = if site.reads.contended() { 0 } else { chunk };
                let room = socket.send_capacity() - socket.send_queue() + extra;
                if reads.ask(*handle, *size, chunk, room, &mut site.storage, &mut site.reads).is_err() {
                    failed = true;
                    break;
                }
                // As much of the oldest read as the socket takes; the rest
                // stays in its buffer for the next turn.
                match reads.peek(&mut site.storage) {
                    ReadStep::Pending => break,
                    ReadStep::Ready(bytes) => {
                        let sent = socket.send_slice(bytes).unwrap_or(0);
                        if capture.as_mut().is_some_and(|c| !c.push(&bytes[..sent])) {
                            *capture = None;
                        }
                        reads.consume(sent, &mut site.storage);
                        *body_sent += sent as u64;
                        sent
                    }
                    // The file ended early or could not be read.
                    ReadStep::End | ReadStep::Failed(_) => {
                        failed = true;
                        0
                    }
                }
            } else if *body_sent < response.body.len() {
                let offset = *body_sent;
                let n = socket.send(|buf| match response.body.fill(offset, buf) {
                    Some(n) => (n, n),
                    None => {
                        failed = true;
                        (0, 0)
                    }
                });
                let n = n.unwrap_or(0);
                *body_sent += n as u64;
                n
            } else {
                break;
            };
            if wrote == 0 {
                break;
            }
            progressed = true;
        }
        if !progressed && site.reads.contended() && now >= self.since + RELEASE_AFTER_MS {
            if let Body::File { handle, start, reads, .. } = &mut response.body {
                if reads.holds_any()
                    && reads.rewind(*handle, *start + *body_sent, *body_sent, &mut site.storage).is_err()
                {
                    failed = true;
                }
            }
        }
        if failed {
            // The file went away mid-response (storage restarted): the head
            // is out, so the only honest signal left is a reset.
            self.abort(socket, site);
            return true;
        }
        if progressed {
            self.since = now;
        }
        let done = *head_sent == response.head.len() && *body_sent >= response.body.len();
        if done {
            let keep_alive = response.keep_alive;
            let consumed = (*consumed).min(self.head_len);
            self.release(site);
            if keep_alive {
                // Pipelined requests already received move to the front.
                self.head.copy_within(consumed..self.head_len, 0);
                self.head_len -= consumed;
                self.await_request(now);
            } else {
                self.close(socket, now, site);
            }
            return true;
        }
        if !progressed && now >= self.since + SEND_STALL_MS {
            self.abort(socket, site);
            return true;
        }
        progressed
    }
}

/// Bodies are streamed from a source in pieces as the socket takes them.
impl Body {
    pub fn len(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Static(b) => b.len() as u64,
            Body::Owned(v) => v.len() as u64,
            Body::Cached { len, .. } => *len as u64,
            Body::Pattern(n) => *n,
            Body::File { size, .. } => *size,
        }
    }

    /// Copies body bytes from `offset` into `out`; returns how many, or
    /// `None` for a file (read ahead through [`FileReads`] instead).
    pub fn fill(&self, offset: u64, out: &mut [u8]) -> Option<usize> {
        let src: &[u8] = match self {
            Body::Empty => &[],
            Body::Static(b) => b,
            Body::Owned(v) => v,
            Body::Cached { bytes, start, len } => &bytes[*start..*start + *len],
            Body::Pattern(n) => {
                let n = (*n - offset).min(out.len() as u64) as usize;
                for (i, b) in out[..n].iter_mut().enumerate() {
                    *b = routes::pattern_byte(offset + i as u64);
                }
                return Some(n);
            }
            // Read ahead through `FileReads` instead.
            Body::File { .. } => return None,
        };
        let start = offset as usize;
        let n = (src.len() - start).min(out.len());
        out[..n].copy_from_slice(&src[start..start + n]);
        Some(n)
    }
}
