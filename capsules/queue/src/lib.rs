//! A queue of variable-length records in a byte ring: each record is a
//! 2-byte little-endian length and its bytes, wrapping around the end of
//! the memory, so small records (TCP ACKs, short messages) pack densely and
//! no byte is wasted at the wrap.
//!
//! The state ([`FrameRing`]) lives apart from the memory: in Tock the memory
//! is a per-process allocation in the process's grant region, entered
//! separately from the grant that holds the state. [`WakeLatch`] is when a
//! queue's upcall is raised.

#![no_std]
#![forbid(unsafe_code)]

mod latch;
pub use latch::WakeLatch;

/// Bytes of a record header.
const LEN_BYTES: usize = 2;

/// Indices of a frame ring over some memory of fixed capacity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameRing {
    /// Offset of the oldest record.
    head: usize,
    /// Bytes in use (headers included).
    used: usize,
    /// Records queued.
    frames: usize,
}

/// Why a frame could not be taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PopError {
    Empty,
    /// The output is shorter than the frame, which stays queued.
    TooSmall {
        needed: usize,
    },
}

impl FrameRing {
    pub fn frames(&self) -> usize {
        self.frames
    }

    pub fn is_empty(&self) -> bool {
        self.frames == 0
    }

    /// Bytes in use, headers included.
    pub fn used(&self) -> usize {
        self.used
    }

    /// Appends `frame`; `false` (nothing written) if it does not fit.
    pub fn push(&mut self, mem: &mut [u8], frame: &[u8]) -> bool {
        self.push_parts(mem, &[frame])
    }

    /// Appends one record made of `parts` (e.g. a header and a payload);
    /// `false` (nothing written) if it does not fit.
    pub fn push_parts(&mut self, mem: &mut [u8], parts: &[&[u8]]) -> bool {
        let cap = mem.len();
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let need = LEN_BYTES + len;
        if len == 0 || len > u16::MAX as usize || need > cap - self.used {
            return false;
        }
        let mut at = (self.head + self.used) % cap;
        write_wrapping(mem, at, &(len as u16).to_le_bytes());
        at = (at + LEN_BYTES) % cap;
        for part in parts {
            write_wrapping(mem, at, part);
            at = (at + part.len()) % cap;
        }
        self.used += need;
        self.frames += 1;
        true
    }

    /// Appends one record of `len` bytes that `fill` writes into the two
    /// pieces of ring memory it spans (the second empty unless it wraps);
    /// `false` (nothing written, `fill` not called) if it does not fit.
    pub fn push_with(&mut self, mem: &mut [u8], len: usize, fill: impl FnOnce(&mut [u8], &mut [u8])) -> bool {
        let cap = mem.len();
        let need = LEN_BYTES + len;
        if len == 0 || len > u16::MAX as usize || need > cap - self.used {
            return false;
        }
        let at = (self.head + self.used) % cap;
        write_wrapping(mem, at, &(len as u16).to_le_bytes());
        let start = (at + LEN_BYTES) % cap;
        let first = len.min(cap - start);
        if start + first <= cap && first == len {
            fill(&mut mem[start..start + len], &mut []);
        } else {
            let (low, high) = mem.split_at_mut(start);
            fill(&mut high[..first], &mut low[..len - first]);
        }
        self.used += need;
        self.frames += 1;
        true
    }

    /// Length of the oldest frame.
    pub fn peek_len(&self, mem: &[u8]) -> Option<usize> {
        if self.frames == 0 {
            return None;
        }
        let mut len = [0u8; LEN_BYTES];
        read_wrapping(mem, self.head, &mut len);
        Some(u16::from_le_bytes(len) as usize)
    }

    /// Removes the oldest frame and returns it as two pieces (the second is
    /// empty unless the frame wraps around the end of `mem`).
    pub fn pop<'m>(&mut self, mem: &'m [u8]) -> Option<(&'m [u8], &'m [u8])> {
        let len = self.peek_len(mem)?;
        let cap = mem.len();
        let start = (self.head + LEN_BYTES) % cap;
        let first = len.min(cap - start);
        let pieces = (&mem[start..start + first], &mem[..len - first]);
        self.head = (self.head + LEN_BYTES + len) % cap;
        self.used -= LEN_BYTES + len;
        self.frames -= 1;
        if self.frames == 0 {
            // Start again at the front: keeps frames contiguous more often.
            self.head = 0;
        }
        Some(pieces)
    }

    /// Moves the oldest frame into `out`; returns its length.
    pub fn pop_into(&mut self, mem: &[u8], out: &mut [u8]) -> Result<usize, PopError> {
        let len = self.peek_len(mem).ok_or(PopError::Empty)?;
        if out.len() < len {
            return Err(PopError::TooSmall { needed: len });
        }
        let (a, b) = self.pop(mem).ok_or(PopError::Empty)?;
        out[..a.len()].copy_from_slice(a);
        out[a.len()..len].copy_from_slice(b);
        Ok(len)
    }
}

fn write_wrapping(mem: &mut [u8], at: usize, data: &[u8]) {
    let first = data.len().min(mem.len() - at);
    mem[at..at + first].copy_from_slice(&data[..first]);
    mem[..data.len() - first].copy_from_slice(&data[first..]);
}

fn read_wrapping(mem: &[u8], at: usize, out: &mut [u8; LEN_BYTES]) {
    let first = out.len().min(mem.len() - at);
    out[..first].copy_from_slice(&mem[at..at + first]);
    let rest = out.len() - first;
    out[first..].copy_from_slice(&mem[..rest]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_come_out_in_order_and_intact() {
        let mut mem = [0u8; 64];
        let mut q = FrameRing::default();
        assert!(q.push(&mut mem, b"first"));
        assert!(q.push(&mut mem, b"second frame"));
        assert_eq!(q.frames(), 2);
        let mut out = [0u8; 32];
        assert_eq!(q.pop_into(&mem, &mut out), Ok(5));
        assert_eq!(&out[..5], b"first");
        assert_eq!(q.pop_into(&mem, &mut out), Ok(12));
        assert_eq!(&out[..12], b"second frame");
        assert_eq!(q.pop_into(&mem, &mut out), Err(PopError::Empty));
    }

    #[test]
    fn full_ring_refuses_without_damage() {
        let mut mem = [0u8; 16];
        let mut q = FrameRing::default();
        assert!(q.push(&mut mem, &[1; 10])); // 12 bytes
        assert!(!q.push(&mut mem, &[2; 3])); // needs 5, 4 free
        assert!(q.push(&mut mem, &[2; 2])); // exactly fits
        assert_eq!(q.used(), 16);
        let mut out = [0u8; 16];
        assert_eq!(q.pop_into(&mem, &mut out), Ok(10));
        assert_eq!(&out[..10], &[1; 10]);
        assert_eq!(q.pop_into(&mem, &mut out), Ok(2));
        assert_eq!(&out[..2], &[2; 2]);
    }

    #[test]
    fn records_wrap_around_the_end() {
        let mut mem = [0u8; 20];
        let mut q = FrameRing::default();
        let mut out = [0u8; 20];
        for round in 0..50u8 {
            let a = [round; 7];
            let b = [round.wrapping_add(100); 5];
            assert!(q.push(&mut mem, &a));
            assert!(q.push(&mut mem, &b));
            assert_eq!(q.pop_into(&mem, &mut out), Ok(7));
            assert_eq!(&out[..7], &a);
            // Leave one frame queued so the next ones start mid-ring.
            assert!(q.push(&mut mem, &[round; 3]));
            assert_eq!(q.pop_into(&mem, &mut out), Ok(5));
            assert_eq!(&out[..5], &b);
            assert_eq!(q.pop_into(&mem, &mut out), Ok(3));
            assert_eq!(&out[..3], &[round; 3]);
        }
    }

    #[test]
    fn short_output_leaves_frame_queued() {
        let mut mem = [0u8; 32];
        let mut q = FrameRing::default();
        assert!(q.push(&mut mem, &[9; 10]));
        let mut small = [0u8; 4];
        assert_eq!(q.pop_into(&mem, &mut small), Err(PopError::TooSmall { needed: 10 }));
        assert_eq!(q.frames(), 1);
        let mut out = [0u8; 10];
        assert_eq!(q.pop_into(&mem, &mut out), Ok(10));
    }

    #[test]
    fn parts_make_one_record() {
        let mut mem = [0u8; 24];
        let mut q = FrameRing::default();
        assert!(q.push(&mut mem, &[0; 9])); // move the tail near the end
        let mut out = [0u8; 24];
        assert_eq!(q.pop_into(&mem, &mut out), Ok(9));
        assert!(q.push(&mut mem, &[0; 3]));
        assert!(q.push_parts(&mut mem, &[b"head", b"payload"]));
        assert_eq!(q.pop_into(&mem, &mut out), Ok(3));
        assert_eq!(q.pop_into(&mem, &mut out), Ok(11));
        assert_eq!(&out[..11], b"headpayload");
    }

    #[test]
    fn push_with_fills_both_pieces_at_the_wrap() {
        let mut mem = [0u8; 16];
        let mut q = FrameRing::default();
        let mut out = [0u8; 16];
        let mut pieces = (0, 0);
        let fill = |data: &[u8], a: &mut [u8], b: &mut [u8]| {
            a.copy_from_slice(&data[..a.len()]);
            b.copy_from_slice(&data[a.len()..]);
        };
        assert!(q.push_with(&mut mem, 4, |a, b| {
            pieces = (a.len(), b.len());
            fill(b"AAAA", a, b)
        }));
        assert_eq!(pieces, (4, 0), "contiguous record");
        assert!(q.push(&mut mem, b"BBBB")); // 6..12
        assert_eq!(q.pop_into(&mem, &mut out), Ok(4));
        assert!(q.push_with(&mut mem, 7, |a, b| {
            pieces = (a.len(), b.len());
            fill(b"1234567", a, b)
        }));
        assert_eq!(pieces, (2, 5), "this record wraps");
        assert_eq!(q.pop_into(&mem, &mut out), Ok(4));
        assert_eq!(&out[..4], b"BBBB");
        assert_eq!(q.pop_into(&mem, &mut out), Ok(7));
        assert_eq!(&out[..7], b"1234567");
        assert!(!q.push_with(&mut mem, 15, |_, _| panic!("must not be called")));
    }

    #[test]
    fn empty_and_oversized_frames_are_refused() {
        let mut mem = [0u8; 8];
        let mut q = FrameRing::default();
        assert!(!q.push(&mut mem, &[]));
        assert!(!q.push(&mut mem, &[0; 7]));
        assert!(q.is_empty());
    }
}
