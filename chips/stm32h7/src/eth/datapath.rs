// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The data path behind [`EthernetAdapterDatapath`], like the twin's
//! VirtIO-net driver: `RXB` receive buffers kept posted, up to `TXD - 1`
//! frames in flight, every buffer a [`DmaBuffer`]. No registers: the
//! descriptor memory and the tail-pointer doorbell are traits, so the whole
//! path is host-tested against the DMA model (`dma_model`).
//!
//! - Receive: each completed descriptor's buffer is taken back from the
//!   device (cache invalidated), the frame lent to the client for the
//!   duration of `received_frame` (the client copies it), and the buffer
//!   posted again at once; the tail pointer is written after each batch,
//!   which also resumes a DMA suspended for lack of buffers (RBU).
//! - Transmit: the client's frame buffer must itself be DMA-safe (checked
//!   against the [`DmaRegion`]: `INVAL` otherwise, so no process or PSRAM
//!   memory reaches the device) and goes out zero-copy; `BUSY` only when
//!   every transmit descriptor is in flight, `NODEVICE` while the link is down.

use core::cell::Cell;

use dma_buffer::{CacheMaintenance, DmaBuffer, DmaRegion};
use kernel::hil::ethernet::{EthernetAdapterDatapath, EthernetAdapterDatapathClient};
use kernel::utilities::cells::{MapCell, OptionalCell};
use kernel::ErrorCode;

use super::ring::{rx_descriptor, tx_descriptor, DescriptorMemory, Ring, RxDecoder, RxError, RxOutcome, TxOutcome};

/// Bytes of a receive buffer (DMACRXCR.RBSZ): the largest frame with a
/// VLAN tag (1522, FCS stripped) in whole 32-byte cache lines.
pub const RX_BUFFER_LEN: usize = 1536;
/// The largest frame accepted for transmission: 1514 bytes plus a VLAN tag.
pub const MAX_TX_FRAME: usize = 1518;

/// Moves a ring's tail pointer register (the chip issues a DSB first, so
/// the descriptors written before are visible to the DMA).
pub trait DmaDoorbell {
    fn tx_tail(&self, index: usize);
    fn rx_tail(&self, index: usize);
}

/// What the DMA status register reported, already cleared there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DmaEvents {
    pub received: bool,
    pub transmitted: bool,
    /// RBU: the receive DMA found no descriptor and suspended.
    pub rx_unavailable: bool,
}

/// Frames and errors, for the console and the memory/network report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EthCounters {
    pub rx_frames: u32,
    pub rx_bytes: u32,
    /// Received while the client had receive disabled.
    pub rx_dropped_disabled: u32,
    pub rx_crc_errors: u32,
    pub rx_overflows: u32,
    /// Frames longer than one buffer (spread over several descriptors).
    pub rx_oversize: u32,
    pub rx_other_errors: u32,
    /// Times the receive DMA ran out of buffers (RBU).
    pub rx_buffer_unavailable: u32,
    pub tx_frames: u32,
    pub tx_errors: u32,
    /// Frames the MTL dropped before the DMA (FIFO overflow, no descriptor).
    pub rx_fifo_dropped: u32,
    /// Fatal bus errors recovered by a reset.
    pub fatal_bus_errors: u32,
}

/// A frame the DMA is sending: the client's buffer, length and id.
struct InFlight {
    frame: &'static mut [u8],
    len: u16,
    id: usize,
}

/// `RXD` receive and `TXD` transmit descriptors; `RXB` receive buffers
/// (at most `RXD - 1` are ever posted).
pub struct EthDatapath<
    'a,
    C: CacheMaintenance + 'static,
    M: DescriptorMemory,
    D: DmaDoorbell,
    const RXD: usize,
    const RXB: usize,
    const TXD: usize,
> {
    region: DmaRegion<C>,
    rx_memory: M,
    tx_memory: M,
    doorbell: &'a D,
    rx_ring: MapCell<Ring<&'static mut [u8], RXD>>,
    rx_decoder: MapCell<RxDecoder>,
    /// Receive buffers not posted to the DMA.
    rx_idle: [MapCell<DmaBuffer<C>>; RXB],
    tx_ring: MapCell<Ring<InFlight, TXD>>,
    rx_enabled: Cell<bool>,
    link_up: Cell<bool>,
    client: OptionalCell<&'a dyn EthernetAdapterDatapathClient>,
    counters: Cell<EthCounters>,
}

impl<
        'a,
        C: CacheMaintenance,
        M: DescriptorMemory,
        D: DmaDoorbell,
        const RXD: usize,
        const RXB: usize,
        const TXD: usize,
    > EthDatapath<'a, C, M, D, RXD, RXB, TXD>
{
    /// `rx_memory` and `tx_memory` hold `RXD` and `TXD` descriptors;
    /// `rx_buffers` are at least [`RX_BUFFER_LEN`] bytes each.
    pub fn new(
        region: DmaRegion<C>,
        rx_memory: M,
        tx_memory: M,
        doorbell: &'a D,
        rx_buffers: [DmaBuffer<C>; RXB],
    ) -> Self {
        assert!(RXB < RXD, "eth: more receive buffers than the ring can own");
        assert!(rx_memory.count() == RXD && tx_memory.count() == TXD, "eth: descriptor memory of the wrong size");
        assert!(
            rx_buffers.iter().all(|b| b.len() >= RX_BUFFER_LEN),
            "eth: receive buffer below {} bytes",
            RX_BUFFER_LEN
        );
        EthDatapath {
            region,
            rx_memory,
            tx_memory,
            doorbell,
            rx_ring: MapCell::new(Ring::new()),
            rx_decoder: MapCell::new(RxDecoder::default()),
            rx_idle: rx_buffers.map(MapCell::new),
            tx_ring: MapCell::new(Ring::new()),
            rx_enabled: Cell::new(false),
            link_up: Cell::new(false),
            client: OptionalCell::empty(),
            counters: Cell::new(EthCounters::default()),
        }
    }

    pub fn counters(&self) -> EthCounters {
        self.counters.get()
    }

    /// The PHY's link state: transmit is refused while it is down.
    pub fn set_link(&self, up: bool) {
        self.link_up.set(up);
    }

    pub fn link_up(&self) -> bool {
        self.link_up.get()
    }

    /// Frames the DMA holds for sending.
    pub fn tx_in_flight(&self) -> usize {
        self.tx_ring.map(|r| r.owned()).unwrap_or(0)
    }

    /// Receive buffers the DMA holds.
    pub fn rx_posted(&self) -> usize {
        self.rx_ring.map(|r| r.owned()).unwrap_or(0)
    }

    /// Adds the MTL's dropped-frame counters (read when the DMA ran dry).
    pub fn count_fifo_drops(&self, frames: u32) {
        self.count(|c| c.rx_fifo_dropped = c.rx_fifo_dropped.wrapping_add(frames));
    }

    fn count(&self, f: impl FnOnce(&mut EthCounters)) {
        let mut c = self.counters.get();
        f(&mut c);
        self.counters.set(c);
    }

    /// Handles what the DMA reported: received frames, completed frames,
    /// and a suspended receive DMA (reposting resumes it).
    pub fn handle_events(&self, events: DmaEvents) {
        if events.rx_unavailable {
            self.count(|c| c.rx_buffer_unavailable = c.rx_buffer_unavailable.wrapping_add(1));
        }
        if events.received || events.rx_unavailable {
            self.receive_completed();
        }
        if events.transmitted {
            self.transmit_completed();
        }
    }

    /// Posts every idle buffer (while receive is enabled) and moves the tail.
    fn post_idle_buffers(&self) {
        if !self.rx_enabled.get() {
            return;
        }
        let mut posted = false;
        for slot in self.rx_idle.iter() {
            let Some(buffer) = slot.take() else { continue };
            match self.post(buffer) {
                Ok(()) => posted = true,
                Err(buffer) => {
                    slot.replace(buffer);
                    break;
                }
            }
        }
        if posted {
            self.ring_rx_doorbell();
        }
    }

    /// Hands one receive buffer to the DMA (cleaning the cache over it);
    /// gives it back when the ring is full.
    fn post(&self, buffer: DmaBuffer<C>) -> Result<(), DmaBuffer<C>> {
        let mut buffer = Some(buffer);
        self.rx_ring.map(|r| {
            if !r.is_full() {
                if let Some(b) = buffer.take() {
                    let raw = b.into_device();
                    let descriptor = rx_descriptor(raw.as_ptr() as u32);
                    // Cannot fail: the ring is not full.
                    let _ = r.give(&self.rx_memory, descriptor, raw);
                }
            }
        });
        buffer.map_or(Ok(()), Err)
    }

    fn ring_rx_doorbell(&self) {
        if let Some(tail) = self.rx_ring.map(|r| r.tail()) {
            self.doorbell.rx_tail(tail);
        }
    }

    fn park(&self, buffer: DmaBuffer<C>) {
        if let Some(slot) = self.rx_idle.iter().find(|s| s.is_none()) {
            slot.replace(buffer);
        }
    }

    fn receive_completed(&self) {
        let mut reposted = false;
        // At most one ring's worth: frames completing meanwhile raise the
        // (already cleared) interrupt again.
        for _ in 0..RXD {
            let Some((raw, descriptor)) = self.rx_ring.map(|r| r.take_completed(&self.rx_memory)).flatten() else {
                break;
            };
            let Ok(buffer) = self.region.reclaim(raw) else { continue };
            let outcome = self.rx_decoder.map(|d| d.decode(descriptor)).unwrap_or(RxOutcome::Context);
            self.account(outcome, &buffer);
            if self.rx_enabled.get() {
                match self.post(buffer) {
                    Ok(()) => reposted = true,
                    Err(buffer) => self.park(buffer),
                }
            } else {
                self.park(buffer);
            }
        }
        if reposted {
            self.ring_rx_doorbell();
        }
    }

    /// Counts a completed descriptor and lends a good frame to the client.
    fn account(&self, outcome: RxOutcome, buffer: &DmaBuffer<C>) {
        match outcome {
            RxOutcome::Frame { len } if self.rx_enabled.get() => {
                let frame = &buffer.as_slice()[..len.min(buffer.len())];
                self.count(|c| {
                    c.rx_frames = c.rx_frames.wrapping_add(1);
                    c.rx_bytes = c.rx_bytes.wrapping_add(frame.len() as u32);
                });
                self.client.map(|c| c.received_frame(frame, None));
            }
            RxOutcome::Frame { .. } => self.count(|c| c.rx_dropped_disabled = c.rx_dropped_disabled.wrapping_add(1)),
            RxOutcome::Error(RxError::Crc) => self.count(|c| c.rx_crc_errors = c.rx_crc_errors.wrapping_add(1)),
            RxOutcome::Error(RxError::Overflow) => self.count(|c| c.rx_overflows = c.rx_overflows.wrapping_add(1)),
            RxOutcome::Error(_) => self.count(|c| c.rx_other_errors = c.rx_other_errors.wrapping_add(1)),
            RxOutcome::Spanning { last: true } => self.count(|c| c.rx_oversize = c.rx_oversize.wrapping_add(1)),
            RxOutcome::Spanning { last: false } | RxOutcome::Context => {}
        }
    }

    fn transmit_completed(&self) {
        while let Some((sent, descriptor)) = self.tx_ring.map(|r| r.take_completed(&self.tx_memory)).flatten() {
            let result = match TxOutcome::of(descriptor) {
                TxOutcome::Sent => {
                    self.count(|c| c.tx_frames = c.tx_frames.wrapping_add(1));
                    Ok(())
                }
                TxOutcome::Failed(_) => {
                    self.count(|c| c.tx_errors = c.tx_errors.wrapping_add(1));
                    Err(ErrorCode::FAIL)
                }
            };
            // The DMA only read the frame: no cache maintenance to take it back.
            self.client.map(|c| c.transmit_frame_done(result, sent.frame, sent.len, sent.id, None));
        }
    }

    /// After a fatal bus error, with the DMA stopped: every frame in flight
    /// goes back to the client with `FAIL`, every receive buffer back to the
    /// idle list, and both rings start again at descriptor 0, as the DMA
    /// does after the reset that follows. [`EthDatapath::restart`] resumes.
    pub fn abort(&self) {
        self.count(|c| c.fatal_bus_errors = c.fatal_bus_errors.wrapping_add(1));
        while let Some(raw) = self.rx_ring.map(|r| r.take_any()).flatten() {
            if let Ok(buffer) = self.region.reclaim(raw) {
                self.park(buffer);
            }
        }
        self.rx_ring.map(|r| r.rewind());
        self.rx_decoder.replace(RxDecoder::default());
        while let Some(sent) = self.tx_ring.map(|r| r.take_any()).flatten() {
            self.count(|c| c.tx_errors = c.tx_errors.wrapping_add(1));
            self.client.map(|c| c.transmit_frame_done(Err(ErrorCode::FAIL), sent.frame, sent.len, sent.id, None));
        }
        self.tx_ring.map(|r| r.rewind());
    }

    /// Posts the receive buffers again once the DMA is reprogrammed.
    pub fn restart(&self) {
        self.post_idle_buffers();
    }
}

impl<
        'a,
        C: CacheMaintenance,
        M: DescriptorMemory,
        D: DmaDoorbell,
        const RXD: usize,
        const RXB: usize,
        const TXD: usize,
    > EthernetAdapterDatapath<'a> for EthDatapath<'a, C, M, D, RXD, RXB, TXD>
{
    fn set_client(&self, client: &'a dyn EthernetAdapterDatapathClient) {
        self.client.set(client);
    }

    fn enable_receive(&self) {
        self.rx_enabled.set(true);
        self.post_idle_buffers();
    }

    fn disable_receive(&self) {
        // Posted buffers stay with the DMA; frames arriving are dropped.
        self.rx_enabled.set(false);
    }

    fn transmit_frame(
        &self,
        frame_buffer: &'static mut [u8],
        len: u16,
        transmission_identifier: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        let n = len as usize;
        if n == 0 || n > frame_buffer.len() || n > MAX_TX_FRAME {
            return Err((ErrorCode::SIZE, frame_buffer));
        }
        if !self.link_up.get() {
            return Err((ErrorCode::NODEVICE, frame_buffer));
        }
        if self.tx_ring.map(|r| r.is_full()).unwrap_or(true) {
            return Err((ErrorCode::BUSY, frame_buffer));
        }
        let frame = match self.region.buffer(frame_buffer) {
            Ok(f) => f,
            // Not DMA-safe memory: the device must never see it.
            Err((_, refused)) => return Err((ErrorCode::INVAL, refused)),
        };
        let raw = frame.into_device();
        let descriptor = tx_descriptor(raw.as_ptr() as u32, n);
        let sent = InFlight { frame: raw, len, id: transmission_identifier };
        match self.tx_ring.map(|r| r.give(&self.tx_memory, descriptor, sent).map(|_| r.tail())) {
            Some(Ok(tail)) => {
                self.doorbell.tx_tail(tail);
                Ok(())
            }
            Some(Err(sent)) => Err((ErrorCode::BUSY, sent.frame)),
            // The ring is only ever borrowed inside this driver's calls.
            None => Err((ErrorCode::FAIL, &mut [])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use crate::eth::dma_model::{Arrival, DmaModel, ModelDescriptors};
    use crate::eth::ring::rdes;
    use core::cell::RefCell;
    use dma_buffer::{Coherent, DmaPool};
    use std::{boxed::Box, vec, vec::Vec};

    const RXD: usize = 9;
    const RXB: usize = 8;
    const TXD: usize = 5;
    type Path = EthDatapath<'static, Coherent, ModelDescriptors, DmaModel, RXD, RXB, TXD>;

    /// A completion: result, buffer address, length, id.
    type Done = (Result<(), ErrorCode>, usize, u16, usize);

    #[derive(Default)]
    struct Client {
        frames: RefCell<Vec<Vec<u8>>>,
        done: RefCell<Vec<Done>>,
        returned: RefCell<Vec<&'static mut [u8]>>,
    }

    impl EthernetAdapterDatapathClient for Client {
        fn transmit_frame_done(
            &self,
            err: Result<(), ErrorCode>,
            buf: &'static mut [u8],
            len: u16,
            id: usize,
            _: Option<u64>,
        ) {
            self.done.borrow_mut().push((err, buf.as_ptr() as usize, len, id));
            self.returned.borrow_mut().push(buf);
        }
        fn received_frame(&self, frame: &[u8], _: Option<u64>) {
            self.frames.borrow_mut().push(frame.to_vec());
        }
    }

    struct Bench {
        path: &'static Path,
        dma: &'static DmaModel,
        client: &'static Client,
        pool: DmaPool<Coherent>,
        outside: &'static mut [u8],
    }

    impl Bench {
        fn rx_mem(&self) -> &ModelDescriptors {
            &self.path.rx_memory
        }
        fn tx_mem(&self) -> &ModelDescriptors {
            &self.path.tx_memory
        }
        fn arrive(&self, frame: &[u8], errors: u32) -> Arrival {
            self.dma.receive(self.rx_mem(), frame, errors, RX_BUFFER_LEN)
        }
        fn tx_buffer(&mut self, fill: u8) -> &'static mut [u8] {
            let mut b = self.pool.alloc(1514).unwrap();
            b.as_mut_slice().fill(fill);
            b.into_device()
        }
    }

    /// A DMA window on the heap, aligned to cache lines, with the driver
    /// built over it and the link up.
    fn bench() -> Bench {
        let mem: &'static mut [u8] = Box::leak(vec![0u8; 64 * 1024 + 32].into_boxed_slice());
        let skip = mem.as_ptr().align_offset(32);
        let (_, rest) = mem.split_at_mut(skip);
        let (window, outside) = rest.split_at_mut(60 * 1024);
        // SAFETY: test memory, leaked and used for nothing else.
        let region = unsafe { DmaRegion::<Coherent>::new(window.as_ptr() as usize, window.len()) };
        let mut pool = DmaPool::new(region, window).unwrap();
        let rx = core::array::from_fn(|_| pool.alloc(RX_BUFFER_LEN).unwrap());
        let dma: &'static DmaModel = Box::leak(Box::new(DmaModel::new(RXD, TXD)));
        dma.set_window(region.start(), region.len());
        let path: &'static Path = Box::leak(Box::new(EthDatapath::new(
            region,
            ModelDescriptors::new(RXD),
            ModelDescriptors::new(TXD),
            dma,
            rx,
        )));
        let client: &'static Client = Box::leak(Box::default());
        path.set_client(client);
        path.set_link(true);
        Bench { path, dma, client, pool, outside: &mut outside[..1536] }
    }

    fn frame(n: u32, len: usize) -> Vec<u8> {
        (0..len).map(|i| (i as u32 ^ n.wrapping_mul(31)) as u8).collect()
    }

    fn rx_event() -> DmaEvents {
        DmaEvents { received: true, ..DmaEvents::default() }
    }

    #[test]
    fn frames_arriving_in_bursts_reach_the_client_and_buffers_are_reposted() {
        let b = bench();
        b.path.enable_receive();
        assert_eq!(b.path.rx_posted(), RXB);
        assert_eq!(b.dma.rx_tail_writes(), 1, "one tail write for the whole batch");
        let mut expected = Vec::new();
        let mut n = 0;
        // Bursts of 1..=8 frames: over 40 frames the ring of 9 wraps several times.
        for burst in [1usize, 8, 3, 8, 5, 7, 2, 8] {
            for _ in 0..burst {
                let f = frame(n, 60 + (n as usize * 97) % 1455);
                assert_eq!(b.arrive(&f, 0), Arrival::Stored);
                expected.push(f);
                n += 1;
            }
            b.path.handle_events(rx_event());
            assert_eq!(b.path.rx_posted(), RXB, "every buffer posted again");
        }
        assert_eq!(*b.client.frames.borrow(), expected);
        let c = b.path.counters();
        assert_eq!((c.rx_frames, c.rx_buffer_unavailable), (n, 0));
        assert_eq!(b.dma.rx_buffer_unavailable(), 0);
    }

    #[test]
    fn crc_errors_and_overflows_are_dropped_and_counted() {
        let b = bench();
        b.path.enable_receive();
        b.arrive(&frame(1, 100), 0);
        b.arrive(&frame(2, 100), rdes::CRC_ERROR);
        b.arrive(&frame(3, 100), rdes::OVERFLOW);
        b.arrive(&frame(4, 100), rdes::RECEIVE_ERROR);
        b.arrive(&frame(5, 100), 0);
        b.path.handle_events(rx_event());
        assert_eq!(*b.client.frames.borrow(), vec![frame(1, 100), frame(5, 100)]);
        let c = b.path.counters();
        assert_eq!((c.rx_frames, c.rx_crc_errors, c.rx_overflows, c.rx_other_errors), (2, 1, 1, 1));
        assert_eq!(b.path.rx_posted(), RXB);
    }

    #[test]
    fn a_full_ring_suspends_receive_and_the_tail_write_resumes_it() {
        let b = bench();
        b.path.enable_receive();
        for n in 0..RXB as u32 {
            assert_eq!(b.arrive(&frame(n, 64), 0), Arrival::Stored);
        }
        // The ninth finds the current descriptor at the tail: RBU, frame lost.
        assert_eq!(b.arrive(&frame(99, 64), 0), Arrival::Unavailable);
        let writes = b.dma.rx_tail_writes();
        b.path.handle_events(DmaEvents { received: true, rx_unavailable: true, ..DmaEvents::default() });
        assert_eq!(b.dma.rx_tail_writes(), writes + 1, "reposting moved the tail");
        assert_eq!(b.path.counters().rx_buffer_unavailable, 1);
        assert_eq!(b.arrive(&frame(100, 64), 0), Arrival::Stored, "receiving again");
        b.path.handle_events(rx_event());
        assert_eq!(b.client.frames.borrow().len(), RXB + 1);
        assert_eq!(b.client.frames.borrow().last().unwrap(), &frame(100, 64));
    }

    #[test]
    fn a_frame_spanning_two_buffers_is_dropped_whole_and_both_reposted() {
        let b = bench();
        b.path.enable_receive();
        b.arrive(&frame(1, 200), 0);
        assert_eq!(b.arrive(&frame(2, 1900), rdes::GIANT_PACKET), Arrival::Stored);
        b.arrive(&frame(3, 300), 0);
        b.path.handle_events(rx_event());
        assert_eq!(*b.client.frames.borrow(), vec![frame(1, 200), frame(3, 300)]);
        assert_eq!(b.path.counters().rx_oversize, 1);
        assert_eq!(b.path.rx_posted(), RXB);
    }

    #[test]
    fn nothing_reaches_the_client_before_enable_or_after_disable() {
        let b = bench();
        assert_eq!(b.path.rx_posted(), 0, "no buffer posted before enable_receive");
        assert_eq!(b.arrive(&frame(0, 64), 0), Arrival::Unavailable);
        b.path.enable_receive();
        b.path.disable_receive();
        b.arrive(&frame(1, 64), 0);
        b.path.handle_events(rx_event());
        assert!(b.client.frames.borrow().is_empty());
        assert_eq!(b.path.counters().rx_dropped_disabled, 1);
        b.path.enable_receive();
        assert_eq!(b.path.rx_posted(), RXB, "parked buffers posted again");
        b.arrive(&frame(2, 64), 0);
        b.path.handle_events(rx_event());
        assert_eq!(*b.client.frames.borrow(), vec![frame(2, 64)]);
    }

    #[test]
    fn four_frames_in_flight_then_busy_until_one_completes() {
        let mut b = bench();
        let tx_dma = b.dma;
        for id in 0..4 {
            let buf = b.tx_buffer(id as u8);
            assert!(b.path.transmit_frame(buf, 60 + id as u16, id).is_ok());
        }
        assert_eq!(b.path.tx_in_flight(), TXD - 1);
        let extra = b.tx_buffer(9);
        let (err, extra) = b.path.transmit_frame(extra, 60, 9).unwrap_err();
        assert_eq!(err, ErrorCode::BUSY);
        assert_eq!(tx_dma.tx_tail_writes(), 4, "one tail write a frame");
        // The DMA sends two, the interrupt reclaims them.
        assert_eq!(tx_dma.run_tx(b.tx_mem(), 2), 2);
        b.path.handle_events(DmaEvents { transmitted: true, ..DmaEvents::default() });
        assert_eq!(
            b.client.done.borrow().iter().map(|d| (d.0, d.2, d.3)).collect::<Vec<_>>(),
            vec![(Ok(()), 60, 0), (Ok(()), 61, 1)]
        );
        assert!(b.path.transmit_frame(extra, 70, 9).is_ok());
        let sent = tx_dma.sent.borrow();
        assert_eq!(sent[0].2, vec![0u8; 60]);
        assert_eq!(sent[1].2, vec![1u8; 61]);
    }

    #[test]
    fn transmit_over_many_wraps_with_errors_reported() {
        let mut b = bench();
        let tx_dma = b.dma;
        let mut submitted = 0usize;
        for round in 0..10 {
            while b.path.tx_in_flight() < TXD - 1 {
                let buf = b.client.returned.borrow_mut().pop().unwrap_or_else(|| b.tx_buffer(0));
                b.path.transmit_frame(buf, 100, submitted).unwrap();
                submitted += 1;
            }
            if round == 3 {
                tx_dma.fail_next_tx(crate::eth::ring::tdes::ES | crate::eth::ring::tdes::UNDERFLOW);
            }
            tx_dma.run_tx(b.tx_mem(), 1 + round % 4);
            b.path.handle_events(DmaEvents { transmitted: true, ..DmaEvents::default() });
        }
        let done = b.client.done.borrow();
        assert_eq!(done.iter().map(|d| d.3).collect::<Vec<_>>(), (0..done.len()).collect::<Vec<_>>(), "in order");
        assert_eq!(done.iter().filter(|d| d.0 == Err(ErrorCode::FAIL)).count(), 1);
        let c = b.path.counters();
        assert_eq!((c.tx_frames as usize + c.tx_errors as usize), done.len());
        assert!(tx_dma.tx_found_every_descriptor_owned());
        assert!(b.pool.used() <= 60 * 1024);
    }

    #[test]
    fn transmit_refuses_bad_lengths_foreign_memory_and_a_down_link() {
        let mut b = bench();
        let buf = b.tx_buffer(0);
        let (e, buf) = b.path.transmit_frame(buf, 0, 0).unwrap_err();
        assert_eq!(e, ErrorCode::SIZE);
        let (e, buf) = b.path.transmit_frame(buf, 1519, 0).unwrap_err();
        assert_eq!(e, ErrorCode::SIZE);
        let outside: &'static mut [u8] = core::mem::take(&mut b.outside);
        let (e, _) = b.path.transmit_frame(outside, 60, 0).unwrap_err();
        assert_eq!(e, ErrorCode::INVAL, "memory outside the DMA window never reaches the DMA");
        b.path.set_link(false);
        let (e, _) = b.path.transmit_frame(buf, 60, 0).unwrap_err();
        assert_eq!(e, ErrorCode::NODEVICE);
        assert_eq!(b.path.tx_in_flight(), 0);
    }

    #[test]
    fn abort_returns_frames_in_flight_and_restart_posts_buffers_again() {
        let mut b = bench();
        b.path.enable_receive();
        b.arrive(&frame(1, 64), 0);
        let buf = b.tx_buffer(1);
        b.path.transmit_frame(buf, 60, 7).unwrap();
        b.path.abort();
        assert_eq!(
            b.client.done.borrow().iter().map(|d| (d.0, d.3)).collect::<Vec<_>>(),
            vec![(Err(ErrorCode::FAIL), 7)]
        );
        assert_eq!((b.path.rx_posted(), b.path.tx_in_flight()), (0, 0));
        assert!(b.client.frames.borrow().is_empty(), "nothing delivered from a stopped DMA");
        // The reset DMA starts at descriptor 0 again.
        b.dma.reset();
        b.path.restart();
        assert_eq!(b.path.rx_posted(), RXB);
        assert_eq!(b.path.rx_ring.map(|r| (r.head(), r.tail())).unwrap(), (0, RXB));
        assert_eq!(b.arrive(&frame(2, 64), 0), Arrival::Stored);
        b.path.handle_events(rx_event());
        assert_eq!(*b.client.frames.borrow(), vec![frame(2, 64)]);
        assert_eq!(b.path.counters().fatal_bus_errors, 1);
    }
}
