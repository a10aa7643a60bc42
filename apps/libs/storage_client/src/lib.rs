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

#![no_std]

use events::{Events, Wake};
use ipc::{Handle, Ipc};
use libtock_platform::{ErrorCode, Syscalls};
use proto_storage::{StorageClient, Transport, TransportError};

/// How often a waiting call checks the service is still alive.
pub const ALIVE_CHECK_MS: u32 = 200;
/// Longest wait for one reply: a 4 KiB write to the eMMC is milliseconds.
pub const REPLY_TIMEOUT_MS: u64 = 5_000;
/// How long a full service inbox is retried before giving up.
const BUSY_RETRY_MS: u64 = 1_000;

pub struct IpcTransport<'e, S: Syscalls> {
    events: &'e Events<'e, S>,
    clock: &'e timing::Clock<S>,
    service: Option<Handle>,
    /// The tag of the last request sent.
    tag: u16,
    /// Something other than a reply came in (the service's change
    /// announcements), or the service restarted: see [`Self::poll_changes`].
    changed: bool,
}

/// A storage client over IPC.
pub type Storage<'e, S> = StorageClient<IpcTransport<'e, S>>;

impl<'e, S: Syscalls> IpcTransport<'e, S> {
    pub fn new(events: &'e Events<'e, S>, clock: &'e timing::Clock<S>) -> Self {
        IpcTransport { events, clock, service: None, tag: 0, changed: false }
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
            match Ipc::<S>::receive(buf) {
                Ok(Some(_)) => self.changed = true,
                Ok(None) => break,
                Err(_) => {
                    self.changed = true;
                    break;
                }
            }
        }
        self.events.messages_drained();
        core::mem::take(&mut self.changed)
    }

    fn send(&mut self, to: Handle, request: &[u8], tag: u16) -> Result<(), TransportError> {
        let start = self.clock.now_ms();
        loop {
            match Ipc::<S>::send_tagged(to, request, tag) {
                Ok(()) => return Ok(()),
                Err(ErrorCode::NoMem) if self.clock.now_ms() - start < BUSY_RETRY_MS => {
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
        let start = self.clock.now_ms();
        loop {
            match Ipc::<S>::receive(reply) {
                Ok(Some(m)) if m.sender == service && !m.publication && m.tag == tag => {
                    // The messages flag stays as it is: only a receive that
                    // finds the inbox empty may clear it (the kernel raises
                    // no new upcall until then), so an announcement behind
                    // the reply is still seen by the app's main loop.
                    return Ok(m.len);
                }
                // Announcements, late replies to calls that timed out,
                // strays: dropped, but noted (see `poll_changes`).
                Ok(Some(_)) => {
                    self.changed = true;
                    continue;
                }
                Ok(None) => {
                    self.events.messages_drained();
                    if self.events.wait_messages(ALIVE_CHECK_MS) == Wake::Deadline {
                        if !Ipc::<S>::alive(service) {
                            self.service = None;
                            return Err(TransportError::ServiceGone);
                        }
                        if self.clock.now_ms() - start > REPLY_TIMEOUT_MS {
                            return Err(TransportError::Timeout);
                        }
                    }
                }
                Err(ErrorCode::Size) => return Err(TransportError::TooLarge),
                Err(_) => return Err(TransportError::ServiceGone),
            }
        }
    }
}
