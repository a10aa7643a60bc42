//! smoltcp's view of the switch: an Ethernet device whose frames go
//! through the `net` driver.
//!
//! Transmit: frames collect in a batch (`TxBatch`) that goes to the
//! switch in one system call (three with the allow and its release) when
//! it is full and when the app calls [`NetDevice::flush`], once per pass
//! of its loop, instead of three calls for every frame.
//!
//! Transmit backpressure: frames the switch refuses because this
//! process's queue is full stay in the batch and go first next time; while
//! the batch has no room the device offers smoltcp no transmit token, so
//! the stack holds its data in the sockets instead of losing frames. Before
//! the app waits, [`NetDevice::before_wait`] tries once more and asks the
//! kernel for its transmit-room upcall (subscribed by `events`), which
//! ends the wait. Only then: an app busy for long between waits would
//! otherwise collect one upcall per refusal in its task queue (which holds
//! 10) and lose the rest.

use core::cell::Cell;
use core::marker::PhantomData;

use libtock_platform::{ErrorCode, Syscalls};
use smoltcp::phy::{self, Checksum, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

use crate::api::Net;
use crate::batch::TxBatch;
use crate::MAX_FRAME;
use syscall_abi::net::batch_record_len;
use syscall_abi::net::transmit_flags::{KEEPS_FRAME, NOTIFY_ROOM};

/// How soon refused frames are tried again should the room upcall not come.
pub const HELD_RETRY_MS: u64 = 10;

/// A smoltcp device over the switch. Its buffers are the app's (in its
/// PSRAM): received frames come a batch at a time into `rx` (one receive
/// call for all the frames that fit, see [`crate::receive_buffer`]), sent
/// ones go out of `tx` a batch at a time ([`crate::transmit_buffer`]).
pub struct NetDevice<'b, S: Syscalls> {
    rx: &'b mut [u8],
    /// Bytes of frame records in `rx`, and where the next one starts.
    rx_len: usize,
    rx_at: usize,
    tx: Egress<'b, S>,
    /// Whether the kernel may have frames queued for us (set by the
    /// frames-queued upcall, cleared when a receive finds the queue empty),
    /// so an idle poll costs no syscall.
    pending: &'b Cell<bool>,
    _s: PhantomData<S>,
}

impl<'b, S: Syscalls> NetDevice<'b, S> {
    /// `rx` must hold one largest frame's record at least
    /// ([`crate::receive_buffer`] holds several), `tx` too
    /// ([`crate::transmit_buffer`]), both starting on a word; `spare`
    /// takes a reply the batch has no room for.
    pub fn new(rx: &'b mut [u8], tx: &'b mut [u8], spare: &'b mut [u8; MAX_FRAME], pending: &'b Cell<bool>) -> Self {
        pending.set(true);
        NetDevice {
            rx,
            rx_len: 0,
            rx_at: 0,
            tx: Egress { batch: TxBatch::new(tx), spare, refused: Cell::new(false), _s: PhantomData },
            pending,
            _s: PhantomData,
        }
    }

    /// Sends the frames collected since the last flush: call once per pass
    /// of the app's loop, after polling the interface.
    pub fn flush(&mut self) {
        self.tx.send(false);
    }

    /// Whether the switch refused a frame since the last call: the queue
    /// filled, so the app should rotate its sockets (see [`crate::egress`]).
    pub fn take_refusal(&self) -> bool {
        self.tx.refused.replace(false)
    }

    /// Call right before the app waits: sends what the batch holds
    /// (`true` if some went: poll again instead of waiting); what the
    /// switch still refuses makes it raise the room upcall once it has room.
    pub fn before_wait(&mut self) -> bool {
        self.tx.send(true)
    }

    /// In how many milliseconds to try refused frames again, if some wait.
    pub fn next_retry(&self) -> Option<u64> {
        (!self.tx.batch.is_empty()).then_some(HELD_RETRY_MS)
    }

    /// Whether frames may be waiting (then polling again is worth it).
    pub fn maybe_pending(&self) -> bool {
        self.pending.get() || self.rx_at < self.rx_len
    }

    /// The next frame of the batch in `rx`, fetching a batch if it is used
    /// up and the kernel may hold frames: where it lies in `rx`.
    fn next_frame(&mut self) -> Option<core::ops::Range<usize>> {
        if self.rx_at >= self.rx_len {
            if !self.pending.get() {
                return None;
            }
            match Net::<S>::receive_batch(&mut self.rx[..]) {
                Ok((len, left)) if len > 0 => {
                    // The last one: no empty receive needed to know (three system calls).
                    self.pending.set(left > 0);
                    self.rx_len = len.min(self.rx.len());
                    self.rx_at = 0;
                }
                _ => {
                    self.pending.set(false);
                    return None;
                }
            }
        }
        let at = self.rx_at;
        let len = self.rx.get(at..at + 2).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]) as usize);
        let frame = at + 2..at + 2 + len;
        if len == 0 || frame.end > self.rx_len {
            // Not a record the kernel writes: drop the rest of the batch.
            self.rx_len = 0;
            return None;
        }
        self.rx_at = at + batch_record_len(len);
        Some(frame)
    }
}

pub struct RxToken<'a> {
    frame: &'a [u8],
}

/// The transmit side: the batch, and a frame's worth of room for a reply
/// it cannot take.
struct Egress<'b, S: Syscalls> {
    batch: TxBatch<'b>,
    spare: &'b mut [u8; MAX_FRAME],
    /// The switch refused a frame since [`NetDevice::take_refusal`] looked.
    refused: Cell<bool>,
    _s: PhantomData<S>,
}

impl<S: Syscalls> Egress<'_, S> {
    /// Hands the batch to the switch (asking for the room upcall if
    /// `notify` and some is refused); whether any frame went.
    fn send(&mut self, notify: bool) -> bool {
        if self.batch.is_empty() {
            return false;
        }
        let flags = if notify { NOTIFY_ROOM } else { KEEPS_FRAME };
        match Net::<S>::transmit_batch(self.batch.records(), flags) {
            Ok((taken, _refused)) => {
                self.batch.taken(taken);
                if !self.batch.is_empty() {
                    self.refused.set(true);
                }
                taken > 0
            }
            Err(ErrorCode::NoMem) => {
                self.refused.set(true);
                false
            }
            // Malformed (not what `TxBatch` writes): sending it again fails again.
            Err(_) => {
                self.batch.clear();
                false
            }
        }
    }

    /// Whether a largest frame fits in the batch, sending it first if not.
    fn has_room(&mut self) -> bool {
        if !self.batch.has_room(MAX_FRAME) {
            self.send(false);
        }
        self.batch.has_room(MAX_FRAME)
    }
}

pub struct TxToken<'a, 'b, S: Syscalls> {
    egress: &'a mut Egress<'b, S>,
}

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.frame)
    }
}

impl<S: Syscalls> phy::TxToken for TxToken<'_, '_, S> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let len = len.min(MAX_FRAME);
        let egress = self.egress;
        if !egress.batch.has_room(len) {
            egress.send(false);
        }
        let fill = |frame: &mut [u8]| {
            let result = f(frame);
            crate::checksum::fill_tcp(frame);
            result
        };
        match egress.batch.append(len) {
            Some(frame) => fill(frame),
            None => {
                // Only a reply to a received frame gets here (a token from
                // `transmit` comes with room): sent alone, and if the queue
                // is full dropped (counted by the kernel); TCP recovers.
                let frame = &mut egress.spare[..len];
                let result = fill(frame);
                let _ = Net::<S>::transmit(frame);
                result
            }
        }
    }
}

impl<'b, S: Syscalls> phy::Device for NetDevice<'b, S> {
    type RxToken<'a>
        = RxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = TxToken<'a, 'b, S>
    where
        Self: 'a;

    fn receive(&mut self, _timestamp: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let frame = loop {
            let frame = self.next_frame()?;
            // A damaged TCP segment is dropped, as smoltcp would.
            if crate::checksum::tcp_ok(&self.rx[frame.clone()]) {
                break frame;
            }
        };
        Some((RxToken { frame: &self.rx[frame] }, TxToken { egress: &mut self.tx }))
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<Self::TxToken<'_>> {
        // No token while refused frames fill the batch: smoltcp keeps its data.
        if self.tx.has_room() {
            Some(TxToken { egress: &mut self.tx })
        } else {
            None
        }
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MAX_FRAME;
        // TCP checksums are this device's (`crate::checksum`), both ways.
        caps.checksum.tcp = Checksum::None;
        caps
    }
}
