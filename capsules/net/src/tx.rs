//! The switch's transmit buffers and the one rule that keeps frames from
//! being lost between them and the NIC: a frame the NIC refuses because it
//! is busy is held, not dropped, and goes out before any other once the NIC
//! completes a frame (or the next time anyone transmits).

use kernel::hil::ethernet::EthernetAdapterDatapath;
use kernel::utilities::cells::{MapCell, TakeCell};
use kernel::ErrorCode;

/// What became of a frame handed to [`TxPath::send`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    /// The NIC took it.
    Sent,
    /// The NIC was busy: held, and sent before anything else.
    Held,
    /// The NIC refused it for good (no link, a frame it cannot send); the
    /// buffer is free again.
    Dropped(ErrorCode),
}

/// A refused frame waiting for the NIC.
struct Held {
    buffer: &'static mut [u8],
    len: usize,
}

/// `N` DMA-safe transmit buffers and at most one held frame.
pub struct TxPath<const N: usize> {
    free: [TakeCell<'static, [u8]>; N],
    held: MapCell<Held>,
}

impl<const N: usize> TxPath<N> {
    pub fn new(buffers: [&'static mut [u8]; N]) -> Self {
        TxPath { free: buffers.map(TakeCell::new), held: MapCell::empty() }
    }

    /// A free buffer; none while a frame is held (it goes first).
    pub fn take(&self) -> Option<&'static mut [u8]> {
        if self.held.is_some() {
            return None;
        }
        self.free.iter().find_map(|c| c.take())
    }

    /// Gives a buffer back (from the NIC, or unused).
    pub fn put(&self, buffer: &'static mut [u8]) {
        if let Some(slot) = self.free.iter().find(|c| c.is_none()) {
            slot.replace(buffer);
        }
    }

    /// Buffers free now (a held frame's is not).
    pub fn free(&self) -> usize {
        self.free.iter().filter(|c| c.is_some()).count()
    }

    pub fn is_holding(&self) -> bool {
        self.held.is_some()
    }

    /// Hands `len` bytes of `buffer` to the NIC.
    pub fn send<'a, E: EthernetAdapterDatapath<'a>>(&self, nic: &E, buffer: &'static mut [u8], len: usize) -> Sent {
        match nic.transmit_frame(buffer, len as u16, 0) {
            Ok(()) => Sent::Sent,
            Err((ErrorCode::BUSY, buffer)) => {
                self.held.put(Held { buffer, len });
                Sent::Held
            }
            Err((e, buffer)) => {
                self.put(buffer);
                Sent::Dropped(e)
            }
        }
    }

    /// Sends the held frame, if any; `None` when nothing was held.
    pub fn retry<'a, E: EthernetAdapterDatapath<'a>>(&self, nic: &E) -> Option<Sent> {
        let Held { buffer, len } = self.held.take()?;
        Some(self.send(nic, buffer, len))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::cell::{Cell, RefCell};
    use kernel::hil::ethernet::EthernetAdapterDatapathClient;
    use std::boxed::Box;
    use std::vec::Vec;

    /// A NIC with `slots` frames in flight that answers BUSY when they are
    /// taken, or `refuse` for good; `complete` finishes the oldest frame.
    struct Nic {
        slots: usize,
        in_flight: RefCell<Vec<(&'static mut [u8], usize)>>,
        sent: RefCell<Vec<Vec<u8>>>,
        refuse: Cell<Option<ErrorCode>>,
    }

    impl Nic {
        fn new(slots: usize) -> Nic {
            Nic { slots, in_flight: RefCell::new(Vec::new()), sent: RefCell::new(Vec::new()), refuse: Cell::new(None) }
        }
        fn complete(&self) -> Option<&'static mut [u8]> {
            let mut f = self.in_flight.borrow_mut();
            (!f.is_empty()).then(|| f.remove(0).0)
        }
    }

    impl<'a> EthernetAdapterDatapath<'a> for Nic {
        fn set_client(&self, _client: &'a dyn EthernetAdapterDatapathClient) {}
        fn enable_receive(&self) {}
        fn disable_receive(&self) {}
        fn transmit_frame(
            &self,
            buffer: &'static mut [u8],
            len: u16,
            _id: usize,
        ) -> Result<(), (ErrorCode, &'static mut [u8])> {
            if let Some(e) = self.refuse.get() {
                return Err((e, buffer));
            }
            if self.in_flight.borrow().len() >= self.slots {
                return Err((ErrorCode::BUSY, buffer));
            }
            self.sent.borrow_mut().push(buffer[..len as usize].to_vec());
            self.in_flight.borrow_mut().push((buffer, len as usize));
            Ok(())
        }
    }

    fn buffers<const N: usize>() -> [&'static mut [u8]; N] {
        core::array::from_fn(|_| &mut Box::leak(Box::new([0u8; 64]))[..])
    }

    /// Sends frame `n` (its bytes are `n`) the way the switch does: take a
    /// buffer or report that none is free.
    fn offer(tx: &TxPath<4>, nic: &Nic, n: u8) -> Option<Sent> {
        let b = tx.take()?;
        b[..8].fill(n);
        Some(tx.send(nic, b, 8))
    }

    #[test]
    fn a_busy_nic_loses_no_frame_and_keeps_the_order() {
        // More buffers than NIC slots: the NIC says BUSY with a frame in hand.
        let nic = Nic::new(2);
        let tx = TxPath::<4>::new(buffers());
        let mut pending: Vec<u8> = (0..40).collect();
        let mut offered = Vec::new();
        let mut rounds = 0;
        while !pending.is_empty() || tx.is_holding() || !nic.in_flight.borrow().is_empty() {
            rounds += 1;
            assert!(rounds < 1000, "stuck");
            while let Some(&n) = pending.first() {
                match offer(&tx, &nic, n) {
                    None => break,
                    Some(Sent::Dropped(e)) => panic!("frame {n} dropped: {e:?}"),
                    Some(_) => offered.push(pending.remove(0)),
                }
            }
            // The NIC finishes one frame; the switch retries first.
            if let Some(b) = nic.complete() {
                tx.put(b);
                assert_ne!(tx.retry(&nic), Some(Sent::Dropped(ErrorCode::BUSY)));
            }
        }
        let sent: Vec<u8> = nic.sent.borrow().iter().map(|f| f[0]).collect();
        assert_eq!(sent, (0..40).collect::<Vec<u8>>(), "every frame once, in order");
        assert_eq!(tx.free(), 4, "every buffer came back");
    }

    #[test]
    fn nothing_overtakes_a_held_frame() {
        let nic = Nic::new(1);
        let tx = TxPath::<4>::new(buffers());
        assert_eq!(offer(&tx, &nic, 1), Some(Sent::Sent));
        assert_eq!(offer(&tx, &nic, 2), Some(Sent::Held));
        assert_eq!(tx.take(), None, "no buffer while a frame is held");
        assert_eq!(tx.retry(&nic), Some(Sent::Held), "still busy: held again");
        tx.put(nic.complete().unwrap());
        assert_eq!(tx.retry(&nic), Some(Sent::Sent));
        assert_eq!(tx.retry(&nic), None);
        assert_eq!(offer(&tx, &nic, 3), Some(Sent::Held));
        assert_eq!(nic.sent.borrow().iter().map(|f| f[0]).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn a_refusal_for_good_frees_the_buffer() {
        let nic = Nic::new(4);
        let tx = TxPath::<4>::new(buffers());
        nic.refuse.set(Some(ErrorCode::NODEVICE));
        assert_eq!(offer(&tx, &nic, 1), Some(Sent::Dropped(ErrorCode::NODEVICE)));
        assert_eq!(tx.free(), 4);
        assert!(!tx.is_holding());
    }
}
