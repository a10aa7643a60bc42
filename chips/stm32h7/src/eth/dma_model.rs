// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! A model of the ETH DMA engine for host tests: it walks the rings as
//! RM0468 describes (from its current descriptor up to the tail pointer,
//! suspending at a descriptor it does not own), consumes transmit
//! descriptors and writes their status back, and fills receive
//! descriptors with frames (whole, spread over several buffers, or with
//! errors), dropping frames when it finds no descriptor.

use core::cell::{Cell, RefCell};
extern crate std;
use std::{vec, vec::Vec};

use super::datapath::DmaDoorbell;
use super::ring::{rdes, tdes, Descriptor, DescriptorMemory, OWN};

/// Descriptor memory shared by the driver (through [`DescriptorMemory`])
/// and the model DMA (through `dma_read`/`dma_write`).
pub struct ModelDescriptors {
    words: RefCell<Vec<Descriptor>>,
}

impl ModelDescriptors {
    pub fn new(count: usize) -> Self {
        ModelDescriptors { words: RefCell::new(vec![[0; 4]; count]) }
    }
    fn dma_read(&self, index: usize) -> Descriptor {
        self.words.borrow()[index]
    }
    fn dma_write(&self, index: usize, d: Descriptor) {
        self.words.borrow_mut()[index] = d;
    }
}

impl DescriptorMemory for ModelDescriptors {
    fn count(&self) -> usize {
        self.words.borrow().len()
    }
    fn read(&self, index: usize) -> Descriptor {
        self.dma_read(index)
    }
    fn write(&self, index: usize, descriptor: Descriptor) {
        self.dma_write(index, descriptor)
    }
}

/// What became of a frame arriving on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    Stored,
    /// No descriptor (current == tail, or not owned): RBU, frame lost.
    Unavailable,
}

pub struct DmaModel {
    rx_count: usize,
    tx_count: usize,
    tx_current: Cell<usize>,
    tx_tail: Cell<usize>,
    rx_current: Cell<usize>,
    rx_tail: Cell<usize>,
    rx_tail_writes: Cell<usize>,
    tx_tail_writes: Cell<usize>,
    tx_errors: RefCell<Vec<u32>>,
    tx_unowned_before_tail: Cell<bool>,
    rx_buffer_unavailable: Cell<usize>,
    /// The high half of host addresses (descriptors hold 32-bit ones);
    /// `None`: buffers are not touched (descriptor-only tests).
    high: Cell<Option<usize>>,
    /// Frames the model put on the wire: (buffer address, length, bytes).
    pub sent: RefCell<Vec<(u32, usize, Vec<u8>)>>,
}

impl DmaModel {
    /// Rings of `rx_count` and `tx_count` descriptors.
    pub fn new(rx_count: usize, tx_count: usize) -> Self {
        DmaModel {
            rx_count,
            tx_count,
            tx_current: Cell::new(0),
            tx_tail: Cell::new(0),
            rx_current: Cell::new(0),
            rx_tail: Cell::new(0),
            rx_tail_writes: Cell::new(0),
            tx_tail_writes: Cell::new(0),
            tx_errors: RefCell::new(Vec::new()),
            tx_unowned_before_tail: Cell::new(false),
            rx_buffer_unavailable: Cell::new(0),
            high: Cell::new(None),
            sent: RefCell::new(Vec::new()),
        }
    }

    /// Lets the model reach buffers in `[start, start + len)`, which must
    /// not cross a 4 GiB boundary on the host.
    pub fn set_window(&self, start: usize, len: usize) {
        let high = start & !0xFFFF_FFFF;
        assert_eq!((start + len - 1) & !0xFFFF_FFFF, high, "test window crosses 4 GiB");
        self.high.set(Some(high));
    }

    fn host_address(&self, device: u32) -> Option<usize> {
        self.high.get().map(|h| h | device as usize)
    }

    /// A software reset (DMAMR.SWR): both current pointers and tails back to 0.
    pub fn reset(&self) {
        for c in [&self.tx_current, &self.tx_tail, &self.rx_current, &self.rx_tail] {
            c.set(0);
        }
    }

    pub fn set_tx_tail(&self, index: usize) {
        self.tx_tail.set(index);
        self.tx_tail_writes.set(self.tx_tail_writes.get() + 1);
    }

    pub fn set_rx_tail(&self, index: usize) {
        self.rx_tail.set(index);
        self.rx_tail_writes.set(self.rx_tail_writes.get() + 1);
    }

    pub fn rx_tail_writes(&self) -> usize {
        self.rx_tail_writes.get()
    }

    pub fn tx_tail_writes(&self) -> usize {
        self.tx_tail_writes.get()
    }

    pub fn rx_buffer_unavailable(&self) -> usize {
        self.rx_buffer_unavailable.get()
    }

    /// The next transmitted frame gets this TDES3 error status.
    pub fn fail_next_tx(&self, status: u32) {
        self.tx_errors.borrow_mut().push(status);
    }

    /// True if the DMA never met a descriptor it did not own before the
    /// tail pointer (the driver moved the tail only over given descriptors).
    pub fn tx_found_every_descriptor_owned(&self) -> bool {
        !self.tx_unowned_before_tail.get()
    }

    /// Transmits up to `budget` frames; returns how many.
    pub fn run_tx(&self, mem: &ModelDescriptors, budget: usize) -> usize {
        let mut done = 0;
        while done < budget && self.tx_current.get() != self.tx_tail.get() {
            let i = self.tx_current.get();
            let d = mem.dma_read(i);
            if d[3] & OWN == 0 {
                // Suspends (TBU) until the tail pointer is written again.
                self.tx_unowned_before_tail.set(true);
                break;
            }
            assert_eq!(d[3] & (tdes::FD | tdes::LD), tdes::FD | tdes::LD, "one buffer per frame");
            let len = (d[3] & tdes::FL_MASK) as usize;
            assert_eq!(len, (d[2] & tdes::B1L_MASK) as usize, "buffer and frame length agree");
            let bytes = self.host_address(d[0]).map_or(Vec::new(), |a| {
                // SAFETY: the model plays the DMA: it reads the buffer of a
                // descriptor it owns, which the driver no longer touches.
                unsafe { core::slice::from_raw_parts(a as *const u8, len) }.to_vec()
            });
            self.sent.borrow_mut().push((d[0], len, bytes));
            let status = if self.tx_errors.borrow().is_empty() { 0 } else { self.tx_errors.borrow_mut().remove(0) };
            mem.dma_write(i, [0, 0, 0, tdes::FD | tdes::LD | status]);
            self.tx_current.set((i + 1) % self.tx_count);
            done += 1;
        }
        done
    }

    /// A frame arrives: stored in the next owned descriptor's buffer (of
    /// `buffer_len` bytes) with `errors` (RDES3 error bits, ES added), or
    /// spread over several descriptors when longer than one buffer.
    pub fn receive(&self, mem: &ModelDescriptors, frame: &[u8], errors: u32, buffer_len: usize) -> Arrival {
        let pieces: Vec<&[u8]> = frame.chunks(buffer_len).collect();
        // The MTL holds the frame until descriptors are there for all of it.
        let mut i = self.rx_current.get();
        for _ in 0..pieces.len() {
            if i == self.rx_tail.get() || mem.dma_read(i)[3] & OWN == 0 {
                self.rx_buffer_unavailable.set(self.rx_buffer_unavailable.get() + 1);
                return Arrival::Unavailable;
            }
            i = (i + 1) % self.rx_count;
        }
        let mut i = self.rx_current.get();
        for (n, piece) in pieces.iter().enumerate() {
            let d = mem.dma_read(i);
            assert!(d[3] & rdes::BUF1V != 0, "buffer 1 valid");
            if let Some(a) = self.host_address(d[0]) {
                // SAFETY: the model plays the DMA: it writes the buffer of a
                // descriptor it owns, within the buffer size it was given.
                unsafe { core::ptr::copy_nonoverlapping(piece.as_ptr(), a as *mut u8, piece.len()) };
            }
            let (first, last) = (n == 0, n + 1 == pieces.len());
            let mut status = 0;
            if first {
                status |= rdes::FD;
            }
            if last {
                status |= rdes::LD | frame.len() as u32;
                if errors != 0 {
                    status |= errors | rdes::ES;
                }
            }
            mem.dma_write(i, [0, 0, 0, status]);
            i = (i + 1) % self.rx_count;
        }
        self.rx_current.set(i);
        Arrival::Stored
    }
}

impl DmaDoorbell for DmaModel {
    fn tx_tail(&self, index: usize) {
        self.set_tx_tail(index);
    }
    fn rx_tail(&self, index: usize) {
        self.set_rx_tail(index);
    }
}
