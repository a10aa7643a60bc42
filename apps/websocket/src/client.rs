// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! One client slot: a TCP socket from handshake to close.
//!
//! ```text
//! Listening -> Handshake -> Open -> Closing -> Listening
//!                  \-> (rejected: 4xx/503) -> Closing
//! ```
//!
//! Protocol rules (masking, fragmentation, UTF-8, limits, close codes) are
//! `proto_ws`'s; this is the socket work and the timers around it. What a
//! client sends is handed to the server one message at a time
//! ([`Inbound`]); what the server sends goes straight into the socket's
//! send buffer, which is the bounded send queue: a message that does not
//! fit is not queued (a sample is dropped and counted, a status is owed
//! and sent when there is room), and a client whose queue stays full for
//! `send_timeout` is closed with 1008.

use alloc::boxed::Box;

use proto_dashboard::{Command, MessageError};
use proto_ws::{
    emit_close, emit_close_empty, emit_ping, emit_pong, CloseCode, Event, Handshake, Receiver, Rejection, Upgrade,
    MAX_CONTROL_PAYLOAD, MAX_RESPONSE_LEN,
};
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp;

/// Largest message a client may send (all fragments): commands are tens of
/// bytes; past this, 1009. Also the largest handshake head accepted (431).
pub const MAX_MESSAGE: usize = 4096;
/// TCP receive buffer (and window): a whole handshake head fits, so it can
/// be judged without taking it out of the socket.
pub const RX_BUFFER: usize = 4096;
/// TCP send buffer, the client's send queue: ~25 samples, a quarter of a
/// second at 100 Hz.
pub const TX_BUFFER: usize = 8192;
/// Send-buffer room kept for a Close frame, so a client can always be told.
const CLOSE_RESERVE: usize = 2 + MAX_CONTROL_PAYLOAD;
/// A handshake must arrive within this long.
const HANDSHAKE_TIMEOUT_MS: u64 = 10_000;
/// A closing connection gets this long to finish, then it is reset.
const CLOSE_TIMEOUT_MS: u64 = 3_000;

/// Timers from the settings (`config`).
#[derive(Clone, Copy)]
pub struct Timers {
    pub ping_interval_ms: u64,
    pub pong_timeout_ms: u64,
    pub send_timeout_ms: u64,
}

/// A message from a client, for the server to act on.
pub enum Inbound {
    /// The handshake completed: send the initial state.
    Opened,
    Command(Command),
    Invalid(MessageError),
    Binary,
}

struct Session {
    rx: Receiver,
    /// Last time anything arrived from the client.
    heard: u64,
    /// The ping awaiting its pong: payload (a counter) and when it was sent.
    ping: Option<([u8; 4], u64)>,
    pings: u32,
    /// Since when a message did not fit in the send queue.
    stalled: Option<u64>,
    /// Messages the server still owes this client (no room when sent).
    pub owed: Owed,
}

/// Status messages to send again once there is room.
#[derive(Clone, Copy, Default)]
pub struct Owed {
    pub leds: bool,
    pub rate: bool,
}

enum Phase {
    Listening,
    Handshake { since: u64 },
    Open(Box<Session>),
    Closing { since: u64 },
}

/// How a receive pass ended.
enum Step {
    Deliver(Inbound),
    Idle,
    Close,
    CloseWith(CloseCode, &'static str),
}

/// What a client event asks of the socket (taken out of the receive
/// closure, whose buffer the event borrows).
enum Taken {
    Nothing,
    Message(Result<Command, MessageError>),
    Binary,
    Ping([u8; MAX_CONTROL_PAYLOAD], usize),
    Pong([u8; MAX_CONTROL_PAYLOAD], usize),
    Close(Option<CloseCode>),
    Fail(CloseCode),
}

pub struct Slot {
    handle: SocketHandle,
    phase: Phase,
    /// The handshake head (peeked), then the message being assembled.
    buf: Box<[u8; MAX_MESSAGE]>,
    /// Samples this client did not get because its queue was full.
    pub dropped: u32,
}

impl Slot {
    pub fn new(handle: SocketHandle) -> Slot {
        Slot { handle, phase: Phase::Listening, buf: Box::new([0; MAX_MESSAGE]), dropped: 0 }
    }

    pub fn handle(&self) -> SocketHandle {
        self.handle
    }

    /// Where its socket sits, to move it (`Server::take_turns`).
    pub fn handle_mut(&mut self) -> &mut SocketHandle {
        &mut self.handle
    }

    pub fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Open(_))
    }

    pub fn owed(&mut self) -> Option<&mut Owed> {
        match &mut self.phase {
            Phase::Open(s) => Some(&mut s.owed),
            _ => None,
        }
    }

    /// Advances the slot; returns at most one message for the server (call
    /// again while one comes back). `full`: every client slot is taken, so
    /// a completed handshake gets 503.
    pub fn service(
        &mut self,
        socket: &mut tcp::Socket,
        now: u64,
        timers: &Timers,
        config: &proto_ws::Config<'_>,
        full: bool,
    ) -> Option<Inbound> {
        match &mut self.phase {
            Phase::Listening => {
                if socket.is_active() {
                    self.phase = Phase::Handshake { since: now };
                    return self.handshake(socket, now, config, full);
                }
                None
            }
            Phase::Handshake { .. } => self.handshake(socket, now, config, full),
            Phase::Open(_) => self.receive(socket, now, timers),
            Phase::Closing { since } => {
                // Keep reading (and dropping) so the peer's FIN gets through.
                while socket.recv(|b| (b.len(), ())).is_ok_and(|_| socket.can_recv()) {}
                if !socket.is_active() {
                    self.phase = Phase::Listening;
                } else if now.saturating_sub(*since) >= CLOSE_TIMEOUT_MS {
                    socket.abort();
                    self.phase = Phase::Listening;
                }
                None
            }
        }
    }

    fn handshake(
        &mut self,
        socket: &mut tcp::Socket,
        now: u64,
        config: &proto_ws::Config<'_>,
        full: bool,
    ) -> Option<Inbound> {
        let Phase::Handshake { since } = self.phase else { return None };
        if socket.state() == tcp::State::SynReceived {
            return None;
        }
        if !socket.may_recv() {
            // Gone before finishing its request.
            self.close_socket(socket, now);
            return None;
        }
        // Judged in place: bytes after the head (the first frames) stay
        // queued in the socket for the receiver.
        let n = socket.peek_slice(&mut self.buf[..]).unwrap_or(0);
        let mut response = [0u8; MAX_RESPONSE_LEN];
        let (len, head_len) = match Upgrade::parse(&self.buf[..n], config) {
            Ok(Handshake::Incomplete) if n == self.buf.len() => {
                (reject(Rejection::Http(proto_http::Error::HeaderSectionTooLarge), &mut response), None)
            }
            Ok(Handshake::Incomplete) => {
                if now.saturating_sub(since) >= HANDSHAKE_TIMEOUT_MS {
                    self.close_socket(socket, now);
                }
                return None;
            }
            Err(rejection) => (reject(rejection, &mut response), None),
            Ok(Handshake::Complete { .. }) if full => (reject(Rejection::ServerFull, &mut response), None),
            Ok(Handshake::Complete { upgrade, head_len }) => {
                (upgrade.emit_response(&mut response).unwrap_or(0), Some(head_len))
            }
        };
        let _ = socket.send_slice(&response[..len]);
        match head_len {
            Some(mut left) => {
                while left > 0 {
                    match socket.recv(|b| {
                        let n = b.len().min(left);
                        (n, n)
                    }) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => left -= n,
                    }
                }
                self.phase = Phase::Open(Box::new(Session {
                    rx: Receiver::new(MAX_MESSAGE),
                    heard: now,
                    ping: None,
                    pings: 0,
                    stalled: None,
                    owed: Owed::default(),
                }));
                self.dropped = 0;
                Some(Inbound::Opened)
            }
            None => {
                self.close_socket(socket, now);
                None
            }
        }
    }

    fn receive(&mut self, socket: &mut tcp::Socket, now: u64, timers: &Timers) -> Option<Inbound> {
        match self.receive_step(socket, now, timers) {
            Step::Deliver(inbound) => Some(inbound),
            Step::Idle => None,
            Step::Close => {
                self.close_socket(socket, now);
                None
            }
            Step::CloseWith(code, reason) => {
                self.close_with(socket, code, reason, now);
                None
            }
        }
    }

    fn receive_step(&mut self, socket: &mut tcp::Socket, now: u64, timers: &Timers) -> Step {
        let Phase::Open(session) = &mut self.phase else { return Step::Idle };
        let buf = &mut self.buf[..];
        while socket.can_recv() {
            let Ok(taken) = socket.recv(|data| {
                let (used, event) = session.rx.feed(data, buf);
                (used, take(event))
            }) else {
                break;
            };
            session.heard = now;
            match taken {
                Taken::Nothing => {}
                Taken::Message(Ok(c)) => return Step::Deliver(Inbound::Command(c)),
                Taken::Message(Err(e)) => return Step::Deliver(Inbound::Invalid(e)),
                Taken::Binary => return Step::Deliver(Inbound::Binary),
                Taken::Ping(payload, len) => {
                    let mut frame = [0u8; 2 + MAX_CONTROL_PAYLOAD];
                    if let Ok(n) = emit_pong(&payload[..len], &mut frame) {
                        // A pong that does not fit is lost like any message
                        // to a client that does not read: it is stalled.
                        if !send_whole(socket, &frame[..n], CLOSE_RESERVE) {
                            session.stalled.get_or_insert(now);
                        }
                    }
                }
                Taken::Pong(payload, len) => {
                    if session.ping.is_some_and(|(p, _)| p[..] == payload[..len]) {
                        session.ping = None;
                    }
                }
                Taken::Close(code) => {
                    // Echo the code (RFC 6455 §5.5.1), then close TCP first.
                    let mut frame = [0u8; 2 + MAX_CONTROL_PAYLOAD];
                    let n = match code {
                        Some(c) => emit_close(c, "", &mut frame),
                        None => emit_close_empty(&mut frame),
                    };
                    if let Ok(n) = n {
                        send_whole(socket, &frame[..n], 0);
                    }
                    return Step::Close;
                }
                Taken::Fail(code) => {
                    let why = session.rx.violation().map_or("protocol violation", |v| v.as_str());
                    return Step::CloseWith(code, why);
                }
            }
        }
        if !socket.may_recv() {
            // TCP closed without a Close frame.
            return Step::Close;
        }
        // Timers: ping a silent client, give up on a missing pong or on a
        // send queue that stays full.
        let free = socket.send_capacity() - socket.send_queue();
        if session.stalled.is_some() && free >= TX_BUFFER / 2 {
            session.stalled = None;
        }
        if session.stalled.is_some_and(|t| now.saturating_sub(t) >= timers.send_timeout_ms) {
            return Step::CloseWith(CloseCode::POLICY_VIOLATION, "send queue full");
        }
        match session.ping {
            Some((_, sent)) if now.saturating_sub(sent) >= timers.pong_timeout_ms => {
                return Step::CloseWith(CloseCode::POLICY_VIOLATION, "pong timeout");
            }
            None if now.saturating_sub(session.heard) >= timers.ping_interval_ms => {
                session.pings = session.pings.wrapping_add(1);
                let payload = session.pings.to_be_bytes();
                let mut frame = [0u8; 6];
                if emit_ping(&payload, &mut frame).is_ok() && send_whole(socket, &frame, CLOSE_RESERVE) {
                    session.ping = Some((payload, now));
                }
            }
            _ => {}
        }
        Step::Idle
    }

    /// Queues a whole frame if it fits (leaving the close reserve);
    /// otherwise the client is stalled from now. `false` if not queued.
    pub fn send(&mut self, socket: &mut tcp::Socket, frame: &[u8], now: u64) -> bool {
        let Phase::Open(session) = &mut self.phase else { return false };
        if send_whole(socket, frame, CLOSE_RESERVE) {
            return true;
        }
        session.stalled.get_or_insert(now);
        false
    }

    /// Sends a Close frame, then closes TCP; says so on the console (the
    /// server ends a connection only for a reason worth knowing).
    pub fn close_with(&mut self, socket: &mut tcp::Socket, code: CloseCode, reason: &str, now: u64) {
        say::say!("websocket: closing a client: {} {}", code.to_wire(), reason);
        let mut frame = [0u8; 2 + MAX_CONTROL_PAYLOAD];
        if let Ok(n) = emit_close(code, reason, &mut frame) {
            send_whole(socket, &frame[..n], 0);
        }
        self.close_socket(socket, now);
    }

    fn close_socket(&mut self, socket: &mut tcp::Socket, now: u64) {
        socket.close();
        self.phase = Phase::Closing { since: now };
    }

    /// Puts a slot whose connection is over back to listening.
    pub fn listen_again(&mut self, socket: &mut tcp::Socket, port: u16) {
        if matches!(self.phase, Phase::Listening) && !socket.is_open() {
            let _ = socket.listen(port);
        }
    }

    /// The next time this slot has something to do without input.
    pub fn deadline(&self, timers: &Timers) -> Option<u64> {
        match &self.phase {
            Phase::Listening => None,
            Phase::Handshake { since } => Some(since + HANDSHAKE_TIMEOUT_MS),
            Phase::Closing { since } => Some(since + CLOSE_TIMEOUT_MS),
            Phase::Open(s) => {
                let ping = match s.ping {
                    Some((_, sent)) => sent + timers.pong_timeout_ms,
                    None => s.heard + timers.ping_interval_ms,
                };
                Some(match s.stalled {
                    Some(t) => ping.min(t + timers.send_timeout_ms),
                    None => ping,
                })
            }
        }
    }
}

/// Queues `frame` only if all of it fits with `reserve` bytes to spare: a
/// frame cut short would corrupt the stream.
fn send_whole(socket: &mut tcp::Socket, frame: &[u8], reserve: usize) -> bool {
    let free = socket.send_capacity() - socket.send_queue();
    frame.len() + reserve <= free && socket.send_slice(frame) == Ok(frame.len())
}

fn take(event: Option<Event<'_>>) -> Taken {
    let copy = |p: &[u8]| {
        let mut b = [0u8; MAX_CONTROL_PAYLOAD];
        b[..p.len()].copy_from_slice(p);
        (b, p.len())
    };
    match event {
        None => Taken::Nothing,
        Some(Event::Text(t)) => Taken::Message(proto_dashboard::parse(t)),
        Some(Event::Binary(_)) => Taken::Binary,
        Some(Event::Ping(p)) => {
            let (b, n) = copy(p);
            Taken::Ping(b, n)
        }
        Some(Event::Pong(p)) => {
            let (b, n) = copy(p);
            Taken::Pong(b, n)
        }
        Some(Event::Close { code, .. }) => Taken::Close(code),
        Some(Event::Fail(code)) => Taken::Fail(code),
    }
}

fn reject(rejection: Rejection, out: &mut [u8; MAX_RESPONSE_LEN]) -> usize {
    rejection.emit(out).unwrap_or(0)
}
