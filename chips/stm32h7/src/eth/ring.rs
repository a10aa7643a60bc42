// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Descriptor rings of the ETH DMA: the descriptor formats and which
//! descriptors the DMA owns, over descriptor values only (no registers,
//! no `unsafe`), so the bookkeeping is host-tested against a model of the
//! DMA engine (`dma_model`).
//!
//! The DMA (RM0468 §61, "Ethernet (ETH): media access control (MAC) with
//! DMA controller") walks a ring of descriptors from its current pointer
//! and stops when that pointer reaches the tail pointer register, or at a
//! descriptor it does not own (OWN clear). A [`Ring`] of `N` descriptors
//! hands out at most `N - 1` of them, so the tail pointer (the first
//! descriptor not handed over) is never equal to the DMA's current pointer
//! while the DMA has work: a full ring and an empty one never look alike.
//!
//! One buffer per frame: receive buffers are 1536 bytes (every frame up to
//! 1522 bytes with a VLAN tag, without FCS, fits), and a frame the DMA
//! spread over several buffers (longer than a buffer: only a giant frame
//! below the 2048-byte watchdog cut) is dropped whole and counted.

/// A descriptor's four words (DES0..DES3) as the DMA reads or writes them.
pub type Descriptor = [u32; 4];

/// DES3 bit 31 in every format: the DMA owns the descriptor.
pub const OWN: u32 = 1 << 31;

/// Bytes between two descriptors: each 16-byte descriptor has its own
/// 32-byte cache line, so cleaning or invalidating one never touches another.
pub const STRIDE: usize = 32;
/// The descriptor itself.
pub const DESCRIPTOR_BYTES: usize = 16;

/// Transmit descriptor bits (RM0468 "Transmit normal descriptor (read
/// format)" and "(write-back format)"; positions cross-checked with ST's
/// `stm32h7xx_hal_eth.h`).
pub mod tdes {
    /// TDES2: interrupt on completion.
    pub const IOC: u32 = 1 << 31;
    /// TDES2: buffer 1 length.
    pub const B1L_MASK: u32 = 0x3FFF;
    /// TDES3: the DMA owns the descriptor.
    pub const OWN: u32 = super::OWN;
    /// TDES3: context descriptor (not used here).
    pub const CTXT: u32 = 1 << 30;
    /// TDES3: first and last descriptor of the frame.
    pub const FD: u32 = 1 << 29;
    pub const LD: u32 = 1 << 28;
    /// TDES3 read format: frame length.
    pub const FL_MASK: u32 = 0x7FFF;
    /// TDES3 write-back: error summary and the errors it sums.
    pub const ES: u32 = 1 << 15;
    pub const JABBER_TIMEOUT: u32 = 1 << 14;
    pub const PACKET_FLUSHED: u32 = 1 << 13;
    pub const PAYLOAD_CHECKSUM_ERROR: u32 = 1 << 12;
    pub const LOSS_OF_CARRIER: u32 = 1 << 11;
    pub const NO_CARRIER: u32 = 1 << 10;
    pub const LATE_COLLISION: u32 = 1 << 9;
    pub const EXCESSIVE_COLLISION: u32 = 1 << 8;
    pub const EXCESSIVE_DEFERRAL: u32 = 1 << 3;
    pub const UNDERFLOW: u32 = 1 << 2;
}

/// Receive descriptor bits (RM0468 "Receive normal descriptor (read
/// format)" and "(write-back format)"; cross-checked with ST's HAL header).
pub mod rdes {
    /// RDES3: the DMA owns the descriptor.
    pub const OWN: u32 = super::OWN;
    /// RDES3 read format: interrupt on completion, buffer 1 address valid.
    pub const IOC: u32 = 1 << 30;
    pub const BUF1V: u32 = 1 << 24;
    /// RDES3 write-back: context descriptor, first and last descriptor.
    pub const CTXT: u32 = 1 << 30;
    pub const FD: u32 = 1 << 29;
    pub const LD: u32 = 1 << 28;
    /// RDES3 write-back: the errors, summed in ES (valid with LD).
    pub const CRC_ERROR: u32 = 1 << 24;
    pub const GIANT_PACKET: u32 = 1 << 23;
    pub const WATCHDOG_TIMEOUT: u32 = 1 << 22;
    pub const OVERFLOW: u32 = 1 << 21;
    pub const RECEIVE_ERROR: u32 = 1 << 20;
    pub const DRIBBLE_ERROR: u32 = 1 << 19;
    pub const ES: u32 = 1 << 15;
    /// RDES3 write-back: packet length (FCS stripped: MACCR ACS and CST).
    pub const PL_MASK: u32 = 0x7FFF;
}

/// Descriptor memory as the rings see it. The chip's implementation makes
/// each access a volatile one with the cache maintenance it needs; the
/// host tests share a plain array with the model DMA.
pub trait DescriptorMemory {
    /// Descriptors in the ring.
    fn count(&self) -> usize;
    /// Reads descriptor `index` as the DMA left it (invalidating its line first).
    fn read(&self, index: usize) -> Descriptor;
    /// Writes descriptor `index`, DES3 (which holds OWN) last, and cleans
    /// its line so the DMA sees all of it.
    fn write(&self, index: usize, descriptor: Descriptor);
}

/// A transmit descriptor for a frame in one buffer: interrupt on
/// completion, CRC and padding appended by the MAC (CPC = 0) and no
/// checksum insertion (CIC = 0: the switch's frames carry their checksums,
/// which the offload would only recompute).
pub fn tx_descriptor(buffer: u32, len: usize) -> Descriptor {
    let len = len as u32;
    [buffer, 0, tdes::IOC | (len & tdes::B1L_MASK), tdes::OWN | tdes::FD | tdes::LD | (len & tdes::FL_MASK)]
}

/// A receive descriptor lending `buffer` (its size is DMACRXCR.RBSZ) to the DMA.
pub fn rx_descriptor(buffer: u32) -> Descriptor {
    [buffer, 0, 0, rdes::OWN | rdes::IOC | rdes::BUF1V]
}

/// How the DMA reported a transmitted frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxOutcome {
    Sent,
    /// The write-back status word (TDES3), with ES set.
    Failed(u32),
}

impl TxOutcome {
    pub fn of(descriptor: Descriptor) -> TxOutcome {
        let status = descriptor[3];
        if status & tdes::ES != 0 {
            TxOutcome::Failed(status)
        } else {
            TxOutcome::Sent
        }
    }
}

/// Why a received frame was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RxError {
    Crc,
    Overflow,
    Giant,
    Watchdog,
    Receive,
    Dribble,
    /// ES without a known cause, or a zero length.
    Other,
}

/// What one completed receive descriptor holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RxOutcome {
    /// A whole frame of `len` bytes at the start of the buffer.
    Frame { len: usize },
    /// A frame the MAC flagged as bad.
    Error(RxError),
    /// A piece of a frame spread over several buffers; `last` on its final
    /// piece, so the dropped frame is counted once.
    Spanning { last: bool },
    /// A context descriptor (timestamps are off, so not expected).
    Context,
}

/// Decodes completed receive descriptors in ring order, remembering
/// whether a frame spanning buffers is still being skipped.
#[derive(Default)]
pub struct RxDecoder {
    skipping: bool,
}

impl RxDecoder {
    pub fn decode(&mut self, descriptor: Descriptor) -> RxOutcome {
        let status = descriptor[3];
        if status & rdes::CTXT != 0 {
            return RxOutcome::Context;
        }
        let (first, last) = (status & rdes::FD != 0, status & rdes::LD != 0);
        if !(first && last) {
            // A first piece starts skipping, a last one ends it.
            self.skipping = !last;
            return RxOutcome::Spanning { last };
        }
        self.skipping = false;
        if status & rdes::ES != 0 {
            return RxOutcome::Error(rx_error(status));
        }
        match (status & rdes::PL_MASK) as usize {
            0 => RxOutcome::Error(RxError::Other),
            len => RxOutcome::Frame { len },
        }
    }

    /// True between the first and the last piece of a spanning frame.
    pub fn skipping(&self) -> bool {
        self.skipping
    }
}

fn rx_error(status: u32) -> RxError {
    [
        (rdes::CRC_ERROR, RxError::Crc),
        (rdes::OVERFLOW, RxError::Overflow),
        (rdes::GIANT_PACKET, RxError::Giant),
        (rdes::WATCHDOG_TIMEOUT, RxError::Watchdog),
        (rdes::RECEIVE_ERROR, RxError::Receive),
        (rdes::DRIBBLE_ERROR, RxError::Dribble),
    ]
    .into_iter()
    .find(|(bit, _)| status & bit != 0)
    .map_or(RxError::Other, |(_, e)| e)
}

/// A ring of `N` descriptors: `head` is the oldest one the DMA owns,
/// `tail` the next to hand over (what the tail pointer register holds), and
/// each handed-over descriptor carries a token (its buffer) until the DMA
/// gives it back.
pub struct Ring<T, const N: usize> {
    tokens: [Option<T>; N],
    head: usize,
    tail: usize,
    owned: usize,
}

impl<T, const N: usize> Default for Ring<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> Ring<T, N> {
    /// Descriptors the DMA may own at once: one stays free (see the module).
    pub const CAPACITY: usize = N - 1;

    pub const fn new() -> Self {
        assert!(N >= 2, "a ring needs at least two descriptors");
        Ring { tokens: [const { None }; N], head: 0, tail: 0, owned: 0 }
    }

    /// Descriptors handed to the DMA and not yet taken back.
    pub fn owned(&self) -> usize {
        self.owned
    }

    pub fn is_full(&self) -> bool {
        self.owned == Self::CAPACITY
    }

    /// The descriptor the tail pointer register must point at.
    pub fn tail(&self) -> usize {
        self.tail
    }

    /// The oldest descriptor the DMA owns (the next to complete).
    pub fn head(&self) -> usize {
        self.head
    }

    /// Hands `descriptor` (OWN set) to the DMA at the tail, with its token;
    /// gives the token back when the ring is full. The caller then moves the
    /// tail pointer register to [`Ring::tail`], after a barrier.
    pub fn give<M: DescriptorMemory>(&mut self, memory: &M, descriptor: Descriptor, token: T) -> Result<usize, T> {
        if self.is_full() {
            return Err(token);
        }
        let index = self.tail;
        memory.write(index, descriptor);
        self.tokens[index] = Some(token);
        self.tail = (index + 1) % N;
        self.owned += 1;
        Ok(index)
    }

    /// Takes back the oldest descriptor if the DMA has finished with it
    /// (OWN clear), with its token; `None` while the DMA still owns it.
    pub fn take_completed<M: DescriptorMemory>(&mut self, memory: &M) -> Option<(T, Descriptor)> {
        if self.owned == 0 {
            return None;
        }
        let descriptor = memory.read(self.head);
        if descriptor[3] & OWN != 0 {
            return None;
        }
        self.take_head().map(|token| (token, descriptor))
    }

    /// Takes back the oldest descriptor whatever its OWN bit: only once the
    /// DMA is stopped (after a fatal bus error, before a reset).
    pub fn take_any(&mut self) -> Option<T> {
        if self.owned == 0 {
            return None;
        }
        self.take_head()
    }

    /// Starts again at descriptor 0, as the DMA does after a reset. Only
    /// with nothing owned.
    pub fn rewind(&mut self) {
        debug_assert_eq!(self.owned, 0);
        self.head = 0;
        self.tail = 0;
    }

    fn take_head(&mut self) -> Option<T> {
        let token = self.tokens[self.head].take();
        self.head = (self.head + 1) % N;
        self.owned -= 1;
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use crate::eth::dma_model::{DmaModel, ModelDescriptors};
    use std::vec::Vec;

    #[test]
    fn descriptor_words_hold_what_the_dma_needs() {
        let d = tx_descriptor(0x2400_1000, 1514);
        assert_eq!(d, [0x2400_1000, 0, 1 << 31 | 1514, 1 << 31 | 1 << 29 | 1 << 28 | 1514]);
        // No checksum insertion (CIC, bits 17:16) and CRC/pad insertion (CPC = 0, bits 27:26).
        assert_eq!(d[3] & (0b11 << 16 | 0b11 << 26), 0);
        assert_eq!(rx_descriptor(0x2400_2000), [0x2400_2000, 0, 0, 1 << 31 | 1 << 30 | 1 << 24]);
        // One descriptor a cache line.
        assert_eq!(STRIDE, crate::cache::LINE);
    }

    #[test]
    fn a_ring_hands_out_one_descriptor_fewer_than_it_has() {
        let mem = ModelDescriptors::new(4);
        let mut ring: Ring<u32, 4> = Ring::new();
        for i in 0..3 {
            assert_eq!(ring.give(&mem, rx_descriptor(i), i), Ok(i as usize));
        }
        assert!(ring.is_full());
        assert_eq!(ring.give(&mem, rx_descriptor(9), 9), Err(9));
        // The tail stops one short of the head: never "current == tail" with work left.
        assert_eq!((ring.head(), ring.tail()), (0, 3));
        assert!(ring.take_completed(&mem).is_none(), "the DMA still owns it");
    }

    #[test]
    fn tx_descriptors_are_reclaimed_in_order_across_the_wrap() {
        let mem = ModelDescriptors::new(5);
        let dma = DmaModel::new(5, 5);
        let mut ring: Ring<u32, 5> = Ring::new();
        let mut next_token = 0u32;
        let mut reclaimed = Vec::new();
        for round in 0..7 {
            while !ring.is_full() {
                ring.give(&mem, tx_descriptor(0x2400_0000 + next_token * 1536, 60 + next_token as usize), next_token)
                    .unwrap();
                next_token += 1;
            }
            dma.set_tx_tail(ring.tail());
            // Bursts of 1..=4 frames.
            dma.run_tx(&mem, 1 + round % 4);
            while let Some((token, d)) = ring.take_completed(&mem) {
                assert_eq!(TxOutcome::of(d), TxOutcome::Sent);
                reclaimed.push(token);
            }
        }
        assert!(next_token > 5, "the ring wrapped");
        assert_eq!(reclaimed, (0..reclaimed.len() as u32).collect::<Vec<_>>());
        assert!(dma.tx_found_every_descriptor_owned());
    }

    #[test]
    fn tx_errors_in_the_write_back_are_reported() {
        let mem = ModelDescriptors::new(3);
        let dma = DmaModel::new(3, 3);
        let mut ring: Ring<u32, 3> = Ring::new();
        ring.give(&mem, tx_descriptor(0x2400_0000, 60), 0).unwrap();
        ring.give(&mem, tx_descriptor(0x2400_0600, 60), 1).unwrap();
        dma.set_tx_tail(ring.tail());
        dma.fail_next_tx(tdes::ES | tdes::LATE_COLLISION);
        dma.run_tx(&mem, 8);
        let (_, d) = ring.take_completed(&mem).unwrap();
        assert_eq!(TxOutcome::of(d), TxOutcome::Failed(tdes::FD | tdes::LD | tdes::ES | tdes::LATE_COLLISION));
        assert_eq!(TxOutcome::of(ring.take_completed(&mem).unwrap().1), TxOutcome::Sent);
    }

    #[test]
    fn the_decoder_sorts_frames_errors_and_spanning_frames() {
        let mut dec = RxDecoder::default();
        let wb = |bits: u32| [0, 0, 0, bits];
        assert_eq!(dec.decode(wb(rdes::FD | rdes::LD | 60)), RxOutcome::Frame { len: 60 });
        assert_eq!(
            dec.decode(wb(rdes::FD | rdes::LD | rdes::ES | rdes::CRC_ERROR | 60)),
            RxOutcome::Error(RxError::Crc)
        );
        assert_eq!(
            dec.decode(wb(rdes::FD | rdes::LD | rdes::ES | rdes::OVERFLOW)),
            RxOutcome::Error(RxError::Overflow)
        );
        assert_eq!(dec.decode(wb(rdes::FD | rdes::LD | rdes::ES)), RxOutcome::Error(RxError::Other));
        assert_eq!(dec.decode(wb(rdes::FD | rdes::LD)), RxOutcome::Error(RxError::Other));
        assert_eq!(dec.decode(wb(rdes::FD)), RxOutcome::Spanning { last: false });
        assert!(dec.skipping());
        assert_eq!(dec.decode(wb(0)), RxOutcome::Spanning { last: false });
        assert_eq!(dec.decode(wb(rdes::LD | rdes::ES | rdes::GIANT_PACKET | 1800)), RxOutcome::Spanning { last: true });
        assert!(!dec.skipping());
        assert_eq!(dec.decode(wb(rdes::CTXT)), RxOutcome::Context);
        assert_eq!(dec.decode(wb(rdes::FD | rdes::LD | 1514)), RxOutcome::Frame { len: 1514 });
    }

    #[test]
    fn take_any_empties_a_ring_the_dma_stopped_on() {
        let mem = ModelDescriptors::new(4);
        let mut ring: Ring<u32, 4> = Ring::new();
        ring.give(&mem, rx_descriptor(1), 1).unwrap();
        ring.give(&mem, rx_descriptor(2), 2).unwrap();
        assert_eq!(ring.take_any(), Some(1));
        assert_eq!(ring.take_any(), Some(2));
        assert_eq!(ring.take_any(), None);
        ring.rewind();
        assert_eq!((ring.head(), ring.tail()), (0, 0));
    }
}
