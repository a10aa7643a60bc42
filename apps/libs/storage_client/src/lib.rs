//! The storage service's client side over the kernel's IPC: one request
//! message, then wait for the one reply from the service.
//!
//! Waiting uses the app's main-loop subscriptions (`events`), so network
//! frames stay queued in the kernel meanwhile. Other messages arriving in
//! between are dropped: apps using this client talk to no other service.
//! A call clears the messages flag only when it found the inbox empty:
//! the kernel raises its upcall once until then, so a message left behind
//! must keep the flag set for the app's main loop to drain.
//! While waiting, the service is checked every [`ALIVE_CHECK_MS`]: if it
//! died or restarted (its handle is stale) the call fails with
//! `ServiceGone` at once, and the next call looks it up again (a call that
//! finds its remembered handle stale before anything was delivered is sent
//! to the new instance at once); a reply
//! that never comes fails with `Timeout` after [`REPLY_TIMEOUT_MS`].
//! Every request carries a fresh IPC tag and the service echoes it: a late
//! reply to a call that timed out is recognised and dropped, never taken
//! for the answer to a newer request.
//!
//! With [`IpcTransport::pipelined`], up to [`IN_FLIGHT`] requests can also
//! be sent without waiting (`proto_storage::Pipelined`): the app keeps
//! serving while the service works, and collects each reply when it came.
//! A process that got a large kernel inbox ([`large_inbox`], first thing
//! at start) can take reads of up to `MAX_READ` (16 KiB) that way, one
//! storage round trip for what would otherwise be four.
//! Their replies are received into their own buffers by every receive this
//! transport makes (a waiting call, [`IpcTransport::poll_changes`]), so a
//! call made meanwhile never drops them.

#![no_std]

use events::{Events, Wake};
use ipc::{Handle, Ipc};
use libtock_platform::{ErrorCode, Syscalls};
use proto_storage::pipeline::{Delivery, InFlight};
use proto_storage::{
    Pipelined, Progress, StorageClient, Ticket, Transport, TransportError, MAX_DATA, MAX_MESSAGE, MAX_READ, MAX_REPLY,
};

/// How often a waiting call checks the service is still alive.
pub const ALIVE_CHECK_MS: u32 = 200;
/// Longest wait for one reply: a 4 KiB write to the eMMC is milliseconds.
pub const REPLY_TIMEOUT_MS: u64 = 5_000;
/// How long a full service inbox is retried before giving up.
const BUSY_RETRY_MS: u64 = 1_000;
/// Requests in flight at most: each reply must fit the client's kernel
/// inbox beside the service's announcements, or the service could not
/// deliver it: three 4.1 KiB replies in a 16 KiB inbox, three 16.1 KiB
/// ones in a large inbox (64 KiB).
pub const IN_FLIGHT: usize = 3;
/// Bytes of reply buffers [`IpcTransport::pipelined`] needs for reads of
/// up to `MAX_DATA` (4 KiB) each.
pub const IN_FLIGHT_BUFFERS: usize = IN_FLIGHT * MAX_MESSAGE;
/// Bytes of reply buffers for reads of up to `MAX_READ` (16 KiB) each,
/// which only a process with a [`large_inbox`] can take.
pub const LARGE_IN_FLIGHT_BUFFERS: usize = IN_FLIGHT * MAX_REPLY;
/// Bytes of reply buffers [`IpcTransport::pipelined`] needs, with or
/// without a [`large_inbox`].
pub const fn in_flight_buffers(large_inbox: bool) -> usize {
    if large_inbox {
        LARGE_IN_FLIGHT_BUFFERS
    } else {
        IN_FLIGHT_BUFFERS
    }
}
// A large read's reply is a message a large inbox takes.
const _: () = assert!(MAX_REPLY <= ipc::MAX_LARGE_MESSAGE);

/// Asks the kernel for a large inbox, so replies of reads over 4 KiB can
/// come ([`Pipelined::max_read`]); must come before anything else uses
/// IPC (subscribing, a storage call), which makes the inbox. Whether it was
/// granted.
pub fn large_inbox<S: Syscalls>() -> bool {
    Ipc::<S>::large_inbox().is_ok()
}

pub struct IpcTransport<'e, S: Syscalls> {
    events: &'e Events<'e, S>,
    clock: &'e timing::Clock<S>,
    service: Option<Handle>,
    /// The tag of the last request sent.
    tag: u16,
    /// Something other than a reply came in (the service's change
    /// announcements), or the service restarted: see [`Self::poll_changes`].
    changed: bool,
    /// Requests sent without waiting, if this transport takes them.
    in_flight: Option<InFlight<'e, IN_FLIGHT>>,
    /// When the service was last checked alive while requests were out.
    checked_ms: u64,
    /// A call waited for the service since [`Transport::now_if_waited`] last asked.
    waited: bool,
    /// This process's inbox takes replies over `MAX_DATA` (see [`large_inbox`]).
    large_inbox: bool,
}

/// Where a received message went.
enum Received {
    /// The reply of a request in flight, now in its own buffer.
    InFlight,
    /// A message longer than the buffer given, dropped (no reply is: those
    /// of requests in flight go to buffers that take the largest).
    Dropped,
    /// Any other message, in the buffer given.
    Message(ipc::Message),
}

/// A storage client over IPC.
pub type Storage<'e, S> = StorageClient<IpcTransport<'e, S>>;

impl<'e, S: Syscalls> IpcTransport<'e, S> {
    pub fn new(events: &'e Events<'e, S>, clock: &'e timing::Clock<S>) -> Self {
        IpcTransport {
            events,
            clock,
            service: None,
            tag: 0,
            changed: false,
            in_flight: None,
            checked_ms: 0,
            waited: false,
            large_inbox: false,
        }
    }

    /// Also takes up to [`IN_FLIGHT`] requests without waiting, their
    /// replies kept in `buffers` ([`IN_FLIGHT_BUFFERS`] bytes, or
    /// [`LARGE_IN_FLIGHT_BUFFERS`] for 16 KiB reads); `large_inbox`:
    /// what [`large_inbox`] answered.
    pub fn pipelined(
        events: &'e Events<'e, S>,
        clock: &'e timing::Clock<S>,
        buffers: &'e mut [u8],
        large_inbox: bool,
    ) -> Self {
        IpcTransport { in_flight: InFlight::new(buffers), large_inbox, ..Self::new(events, clock) }
    }

    pub fn storage(self) -> Storage<'e, S> {
        StorageClient::new(self)
    }

    fn service(&mut self) -> Result<Handle, TransportError> {
        if let Some(h) = self.service {
            return Ok(h);
        }
        let h = Ipc::<S>::lookup(proto_storage::SERVICE_NAME).map_err(|_| TransportError::ServiceGone)?;
        // Whoever holds the name must be the storage app itself (the
        // kernel already refuses the name to others; this is the client's
        // own check, so a misconfigured board cannot hand files to an
        // impostor).
        let mut name = [0u8; ipc::MAX_NAME];
        if Ipc::<S>::sender_name(h, &mut name).ok() != Some(proto_storage::SERVICE_APP) {
            return Err(TransportError::ServiceGone);
        }
        self.service = Some(h);
        // A new instance: files may have changed meanwhile.
        self.changed = true;
        Ok(h)
    }

    /// Whether the volume may have changed since the last call: the
    /// service announced a change (a publication; subscribe with
    /// [`Ipc::subscribe`]), any other message came in (an announcement may
    /// have been dropped because the inbox was full), or the service
    /// restarted. Takes every waiting message first (`buf`: scratch of
    /// [`ipc::MAX_MESSAGE`] bytes), so nothing announced before this call
    /// is missed.
    pub fn poll_changes(&mut self, buf: &mut [u8]) -> bool {
        loop {
            match self.receive(buf) {
                Ok(Some(Received::InFlight)) => {}
                Ok(Some(Received::Message(_) | Received::Dropped)) => self.changed = true,
                Ok(None) => break,
                Err(_) => {
                    self.changed = true;
                    break;
                }
            }
        }
        self.events.messages_drained();
        self.check_in_flight();
        core::mem::take(&mut self.changed)
    }

    /// Fails requests in flight whose service died (checked every
    /// [`ALIVE_CHECK_MS`]) or that waited past [`REPLY_TIMEOUT_MS`]. Call
    /// it from the main loop when [`Self::next_check`] comes.
    pub fn check_in_flight(&mut self) {
        let Some(in_flight) = self.in_flight.as_mut().filter(|f| f.any_outstanding()) else {
            return;
        };
        let now = self.clock.now_ms();
        in_flight.expire(now, REPLY_TIMEOUT_MS);
        if now.saturating_sub(self.checked_ms) >= u64::from(ALIVE_CHECK_MS) {
            self.checked_ms = now;
            if !self.service.is_some_and(Ipc::<S>::alive) {
                in_flight.fail_all(TransportError::ServiceGone);
                self.service = None;
            }
        }
    }

    /// In how many milliseconds [`Self::check_in_flight`] should run
    /// again, if requests are in flight.
    pub fn next_check(&self) -> Option<u64> {
        let in_flight = self.in_flight.as_ref().filter(|f| f.any_outstanding())?;
        let now = self.clock.now_ms();
        let timeout = in_flight.deadline(REPLY_TIMEOUT_MS).map_or(u64::MAX, |d| d.saturating_sub(now));
        Some(timeout.min(u64::from(ALIVE_CHECK_MS)))
    }

    /// Receives the oldest message: a reply to a request in flight into its
    /// own buffer, anything else into `buf`. `None` if the inbox is empty.
    fn receive(&mut self, buf: &mut [u8]) -> Result<Option<Received>, ErrorCode> {
        let service = self.service;
        let Some((slot, into)) = self.in_flight.as_mut().and_then(|f| f.next_buffer()) else {
            return match Ipc::<S>::receive_or_drop(buf) {
                Err(ErrorCode::Size) => Ok(Some(Received::Dropped)),
                other => Ok(other?.map(Received::Message)),
            };
        };
        let Some(m) = Ipc::<S>::receive(into)? else {
            return Ok(None);
        };
        let in_flight = self.in_flight.as_mut().expect("checked above");
        if Some(m.sender) == service && !m.publication && in_flight.received(slot, m.tag, m.len) == Delivery::Taken {
            return Ok(Some(Received::InFlight));
        }
        // Not for a request in flight: moved to where the caller looks.
        let (_, into) = in_flight.next_buffer().expect("still outstanding");
        let n = m.len.min(buf.len());
        buf[..n].copy_from_slice(&into[..n]);
        Ok(Some(Received::Message(ipc::Message { len: n, ..m })))
    }

    fn send(&mut self, to: Handle, request: &[u8], tag: u16) -> Result<(), TransportError> {
        // A clock read is a system call: only once the service's inbox was full.
        let mut start = None;
        loop {
            match Ipc::<S>::send_tagged(to, request, tag) {
                Ok(()) => return Ok(()),
                Err(ErrorCode::NoMem) if elapsed(&mut start, self.clock.now_ms()) < BUSY_RETRY_MS => {
                    self.waited = true;
                    self.events.wait_messages(10);
                }
                Err(ErrorCode::Size) => return Err(TransportError::TooLarge),
                Err(_) => {
                    self.service = None;
                    return Err(TransportError::ServiceGone);
                }
            }
        }
    }
}

/// Milliseconds from `start` (set to `now` if unset) to `now`.
fn elapsed(start: &mut Option<u64>, now: u64) -> u64 {
    now - *start.get_or_insert(now)
}

impl<S: Syscalls> Transport for IpcTransport<'_, S> {
    fn call(&mut self, request: &[u8], reply: &mut [u8]) -> Result<usize, TransportError> {
        let had_handle = self.service.is_some();
        let mut service = self.service()?;
        self.tag = self.tag.wrapping_add(1);
        let tag = self.tag;
        match self.send(service, request, tag) {
            // The remembered handle was stale (the service restarted since
            // the last call): the request reached nobody, so it is sent
            // once more to the new instance.
            Err(TransportError::ServiceGone) if had_handle => {
                service = self.service()?;
                self.send(service, request, tag)?;
            }
            other => other?,
        }
        // Read at the wait's first deadline, not now: a clock read is a
        // system call, and most replies come before one.
        let mut start = None;
        loop {
            match self.receive(reply) {
                Ok(Some(Received::Message(m))) if m.sender == service && !m.publication && m.tag == tag => {
                    // The messages flag stays as it is: only a receive that
                    // finds the inbox empty may clear it (the kernel raises
                    // no new upcall until then), so an announcement behind
                    // the reply is still seen by the app's main loop.
                    return Ok(m.len);
                }
                // A reply to a request in flight: kept for its owner.
                Ok(Some(Received::InFlight)) => continue,
                // Announcements, late replies to calls that timed out,
                // strays: dropped, but noted (see `poll_changes`).
                Ok(Some(Received::Message(_) | Received::Dropped)) => {
                    self.changed = true;
                    continue;
                }
                Ok(None) => {
                    self.events.messages_drained();
                    self.waited = true;
                    if self.events.wait_messages(ALIVE_CHECK_MS) == Wake::Deadline {
                        if !Ipc::<S>::alive(service) {
                            self.service = None;
                            if let Some(f) = self.in_flight.as_mut() {
                                f.fail_all(TransportError::ServiceGone);
                            }
                            return Err(TransportError::ServiceGone);
                        }
                        // The first deadline came ALIVE_CHECK_MS into the wait.
                        if elapsed(&mut start, self.clock.now_ms()) + u64::from(ALIVE_CHECK_MS) > REPLY_TIMEOUT_MS {
                            return Err(TransportError::Timeout);
                        }
                    }
                }
                Err(ErrorCode::Size) => return Err(TransportError::TooLarge),
                Err(_) => return Err(TransportError::ServiceGone),
            }
        }
    }

    fn now_if_waited(&mut self) -> Option<u64> {
        // A clock read is a system call: only after a wait.
        core::mem::take(&mut self.waited).then(|| self.clock.now_ms())
    }
}

impl<S: Syscalls> Pipelined for IpcTransport<'_, S> {
    fn submit(&mut self, request: &[u8]) -> Result<Option<Ticket>, TransportError> {
        let had_handle = self.service.is_some();
        let mut service = self.service()?;
        let now = self.clock.now_ms();
        let tag = self.tag.wrapping_add(1);
        let in_flight = self.in_flight.as_mut().ok_or(TransportError::TooLarge)?;
        let was_idle = !in_flight.any_outstanding();
        let Some(ticket) = in_flight.start(tag, now) else {
            return Ok(None);
        };
        self.tag = tag;
        if was_idle {
            // Nothing was out: the liveness clock starts with this request.
            self.checked_ms = now;
        }
        let sent = match self.send(service, request, tag) {
            // A stale handle (see `call`): sent once more to the new instance.
            Err(TransportError::ServiceGone) if had_handle => self.service().and_then(|h| {
                service = h;
                self.send(service, request, tag)
            }),
            other => other,
        };
        match sent {
            Ok(()) => Ok(Some(ticket)),
            Err(e) => {
                if let Some(f) = self.in_flight.as_mut() {
                    f.abandon(ticket);
                }
                Err(e)
            }
        }
    }

    fn take(&mut self, ticket: Ticket) -> Progress<Result<&[u8], TransportError>> {
        match self.in_flight.as_mut() {
            Some(f) => f.take(ticket),
            None => Progress::Done(Err(TransportError::TooLarge)),
        }
    }

    fn peek(&mut self, ticket: Ticket) -> Progress<Result<&[u8], TransportError>> {
        match self.in_flight.as_ref() {
            Some(f) => f.peek(ticket),
            None => Progress::Done(Err(TransportError::TooLarge)),
        }
    }

    fn cancel(&mut self, ticket: Ticket) {
        if let Some(f) = self.in_flight.as_mut() {
            f.cancel(ticket);
        }
    }

    /// 16 KiB with a large inbox and reply buffers to match, else 4 KiB.
    fn max_read(&self) -> usize {
        let capacity = self.in_flight.as_ref().map_or(0, InFlight::reply_capacity);
        if self.large_inbox && capacity >= MAX_REPLY {
            MAX_READ
        } else {
            MAX_DATA
        }
    }
}
