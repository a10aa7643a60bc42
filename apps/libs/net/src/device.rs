//! smoltcp's view of the switch: an Ethernet device whose frames go
//! through the `net` driver.

use core::cell::Cell;
use core::marker::PhantomData;

use libtock_platform::Syscalls;
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

use crate::api::Net;
use crate::MAX_FRAME;

/// A smoltcp device over the switch. The two frame buffers are the app's
/// (in its PSRAM); frames are copied through them, one at a time.
pub struct NetDevice<'b, S: Syscalls> {
    rx: &'b mut [u8; MAX_FRAME],
    tx: &'b mut [u8; MAX_FRAME],
    /// Whether the kernel may have frames queued for us (set by the
    /// frames-queued upcall, cleared when a receive finds the queue empty),
    /// so an idle poll costs no syscall.
    pending: &'b Cell<bool>,
    _s: PhantomData<S>,
}

impl<'b, S: Syscalls> NetDevice<'b, S> {
    pub fn new(rx: &'b mut [u8; MAX_FRAME], tx: &'b mut [u8; MAX_FRAME], pending: &'b Cell<bool>) -> Self {
        pending.set(true);
        NetDevice { rx, tx, pending, _s: PhantomData }
    }

    /// Whether frames may be waiting (then polling again is worth it).
    pub fn maybe_pending(&self) -> bool {
        self.pending.get()
    }
}

pub struct RxToken<'a> {
    frame: &'a [u8],
}

pub struct TxToken<'a, S: Syscalls> {
    buf: &'a mut [u8; MAX_FRAME],
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
        // A refused or dropped frame is lost like one on a busy wire; TCP
        // retransmits, and the kernel counts it.
        let _ = Net::<S>::transmit(&self.buf[..len]);
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
        if !self.pending.get() {
            return None;
        }
        match Net::<S>::receive(&mut self.rx[..]) {
            Ok(len) if len > 0 => Some((RxToken { frame: &self.rx[..len] }, TxToken { buf: self.tx, _s: PhantomData })),
            _ => {
                self.pending.set(false);
                None
            }
        }
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<Self::TxToken<'_>> {
        Some(TxToken { buf: self.tx, _s: PhantomData })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MAX_FRAME;
        caps
    }
}
