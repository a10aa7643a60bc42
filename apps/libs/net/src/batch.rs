// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Frames waiting to go to the switch in one transmit call, as the batch
//! records the kernel reads (`syscall_abi::net::transmit_flags::BATCH`):
//! each a 2-byte little-endian length, the frame and padding to 4 bytes.
//!
//! The buffer is word-aligned, so every frame starts 2 bytes past a word:
//! its IP header, and a TCP payload at 54, are word-aligned, as in the
//! switch's queues; copies between them run a word at a time.

use syscall_abi::net::batch_record_len;

/// Records in `buf[start..end]`: taken by the kernel up to `start`.
pub struct TxBatch<'b> {
    buf: &'b mut [u8],
    start: usize,
    end: usize,
}

impl<'b> TxBatch<'b> {
    pub fn new(buf: &'b mut [u8]) -> Self {
        TxBatch { buf, start: 0, end: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Whether a frame of `len` bytes fits behind the records waiting.
    pub fn has_room(&self, len: usize) -> bool {
        self.end + batch_record_len(len) <= self.buf.len()
    }

    /// Appends a record for a frame of `len` bytes and lends its bytes to
    /// be written; `None` if it does not fit.
    pub fn append(&mut self, len: usize) -> Option<&mut [u8]> {
        if len > u16::MAX as usize || !self.has_room(len) {
            return None;
        }
        let at = self.end;
        self.buf[at..at + 2].copy_from_slice(&(len as u16).to_le_bytes());
        self.end = at + batch_record_len(len);
        Some(&mut self.buf[at + 2..at + 2 + len])
    }

    /// The records waiting, for the transmit call.
    pub fn records(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// The kernel took the first `bytes` of [`Self::records`] (whole
    /// records, as it says); once all are, the buffer starts over.
    pub fn taken(&mut self, bytes: usize) {
        self.start = (self.start + bytes).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Forgets every record waiting (the kernel called them malformed:
    /// sending them again would fail again).
    pub fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    /// Frames waiting.
    pub fn frames(&self) -> usize {
        let mut at = self.start;
        let mut n = 0;
        while at + 2 <= self.end {
            at += batch_record_len(u16::from_le_bytes([self.buf[at], self.buf[at + 1]]) as usize);
            n += 1;
        }
        n
    }
}
