//! smoltcp's view of the switch: an Ethernet device whose frames go
//! through the `net` driver.
//!
//! Transmit backpressure: a frame the switch refuses because this
//! process's queue is full is kept (the `held` buffer) and sent again
//! first; until it is out the device offers smoltcp no transmit token, so
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
use crate::MAX_FRAME;
use syscall_abi::net::batch_record_len;

/// How soon a refused frame is tried again should the room upcall not come.
pub const HELD_RETRY_MS: u64 = 10;

/// A smoltcp device over the switch. Its buffers are the app's (in its
/// PSRAM): received frames come a batch at a time into `rx` (one receive
/// call for all the frames that fit, see [`crate::receive_buffer`]), sent
/// ones go out of `tx` one at a time.
pub struct NetDevice<'b, S: Syscalls> {
    rx: &'b mut [u8],
    /// Bytes of frame records in `rx`, and where the next one starts.
    rx_len: usize,
    rx_at: usize,
    tx: &'b mut [u8; MAX_FRAME],
    /// A refused frame waiting for room, `held_len` bytes (0: none).
    held: &'b mut [u8; MAX_FRAME],
    held_len: Cell<usize>,
    /// A frame was refused since [`NetDevice::take_refusal`] last looked.
    refused: Cell<bool>,
    /// Whether the kernel may have frames queued for us (set by the
    /// frames-queued upcall, cleared when a receive finds the queue empty),
    /// so an idle poll costs no syscall.
    pending: &'b Cell<bool>,
    _s: PhantomData<S>,
}

impl<'b, S: Syscalls> NetDevice<'b, S> {
    /// `rx` must hold one largest frame's record at least
    /// ([`crate::receive_buffer`] holds several).
    pub fn new(
        rx: &'b mut [u8],
        tx: &'b mut [u8; MAX_FRAME],
        held: &'b mut [u8; MAX_FRAME],
        pending: &'b Cell<bool>,
    ) -> Self {
        pending.set(true);
        NetDevice {
            rx,
            rx_len: 0,
            rx_at: 0,
            tx,
            held,
            held_len: Cell::new(0),
            refused: Cell::new(false),
            pending,
            _s: PhantomData,
        }
    }

    /// Sends the held frame again (asking for the room upcall if
    /// `notify`); `None` if none was held, else whether it is out now.
    fn resend(&mut self, notify: bool) -> Option<bool> {
        let len = self.held_len.get();
        if len == 0 {
            return None;
        }
        let frame = &self.held[..len];
        let sent = if notify { Net::<S>::transmit_or_notify(frame) } else { Net::<S>::transmit_or_keep(frame) };
        // Sent, or refused for good (counted by the kernel): not held.
        let out = sent != Err(ErrorCode::NoMem);
        if out {
            self.held_len.set(0);
        }
        Some(out)
    }

    /// Sends the held frame again; `true` if none is held any more.
    fn send_held(&mut self) -> bool {
        self.resend(false).unwrap_or(true)
    }

    fn token(&mut self) -> TxToken<'_, S> {
        TxToken { buf: self.tx, held: self.held, held_len: &self.held_len, refused: &self.refused, _s: PhantomData }
    }

    /// Whether the switch refused a frame since the last call: the queue
    /// filled, so the app should rotate its sockets (see [`crate::egress`]).
    pub fn take_refusal(&self) -> bool {
        self.refused.replace(false)
    }

    /// Call right before the app waits: sends the held frame if there is
    /// room now (`true`: poll again instead of waiting), else asks for the
    /// upcall that says there is.
    pub fn before_wait(&mut self) -> bool {
        self.resend(true).unwrap_or(false)
    }

    /// In how many milliseconds to poll again for a held frame, if one is.
    pub fn next_retry(&self) -> Option<u64> {
        (self.held_len.get() > 0).then_some(HELD_RETRY_MS)
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
            self.send_held();
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

pub struct TxToken<'a, S: Syscalls> {
    buf: &'a mut [u8; MAX_FRAME],
    held: &'a mut [u8; MAX_FRAME],
    held_len: &'a Cell<usize>,
    refused: &'a Cell<bool>,
    _s: PhantomData<S>,
}

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.frame)
    }
}

impl<S: Syscalls> phy::TxToken for TxToken<'_, S> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let len = len.min(MAX_FRAME);
        let result = f(&mut self.buf[..len]);
        crate::checksum::fill_tcp(&mut self.buf[..len]);
        if self.held_len.get() > 0 {
            // Only a reply to a received frame gets here with one held: a
            // full queue drops it (counted by the kernel); TCP recovers.
            let _ = Net::<S>::transmit(&self.buf[..len]);
        } else if Net::<S>::transmit_or_keep(&self.buf[..len]) == Err(ErrorCode::NoMem) {
            self.held[..len].copy_from_slice(&self.buf[..len]);
            self.held_len.set(len);
            self.refused.set(true);
        }
        result
    }
}

impl<S: Syscalls> phy::Device for NetDevice<'_, S> {
    type RxToken<'a>
        = RxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = TxToken<'a, S>
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
        Some((
            RxToken { frame: &self.rx[frame] },
            TxToken {
                buf: self.tx,
                held: self.held,
                held_len: &self.held_len,
                refused: &self.refused,
                _s: PhantomData,
            },
        ))
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<Self::TxToken<'_>> {
        // No token while a refused frame waits: smoltcp keeps its data.
        self.send_held().then(|| self.token())
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
