//! A queue of variable-length records in a byte ring: each record is a
//! 2-byte little-endian length and its bytes, padded to a whole number of
//! 4-byte words, wrapping around the end of the memory, so small records
//! (TCP ACKs, short messages) pack densely.
//!
//! Records start on word boundaries of the memory, so a record's bytes
//! always begin 2 bytes past one: an Ethernet frame there has its IP header
//! word-aligned, as in the apps' frame buffers (`NET_IP_ALIGN`), and copies
//! between the two run a word at a time instead of shifting every word.
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

/// Records start on multiples of this many bytes of the memory.
const ALIGN: usize = 4;

/// Offset of a record's bytes from a word boundary of the memory.
pub const RECORD_ALIGN_OFFSET: usize = LEN_BYTES;

/// Bytes a record of `len` bytes takes, header and padding included.
const fn footprint(len: usize) -> usize {
    (LEN_BYTES + len).div_ceil(ALIGN) * ALIGN
}

/// The part of `mem` the ring uses: from its first word boundary, whole
/// words (grant memory is bytes, placed wherever the allocator put it).
fn usable(mem: &[u8]) -> core::ops::Range<usize> {
    let skew = ((ALIGN - mem.as_ptr() as usize % ALIGN) % ALIGN).min(mem.len());
    skew..skew + (mem.len() - skew) / ALIGN * ALIGN
}

/// Indices of a frame ring over some memory of fixed capacity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameRing {
    /// Offset of the oldest record (a multiple of 4) in the usable memory.
    head: usize,
    /// Bytes in use (headers and padding included).
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

    /// Bytes in use, headers and padding included.
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
        let len: usize = parts.iter().map(|p| p.len()).sum();
        self.push_with(mem, len, |a, b| {
            let mut at = 0;
            for part in parts {
                scatter(a, b, at, part);
                at += part.len();
            }
            true
        })
    }

    /// Appends one record of `len` bytes that `fill` writes into the two
    /// pieces of ring memory it spans (the second empty unless it wraps),
    /// kept only if `fill` returns `true`; `false` (nothing kept, `fill`
    /// not called) if it does not fit.
    pub fn push_with(&mut self, mem: &mut [u8], len: usize, fill: impl FnOnce(&mut [u8], &mut [u8]) -> bool) -> bool {
        let range = usable(mem);
        let mem = &mut mem[range];
        let cap = mem.len();
        let need = footprint(len);
        if len == 0 || len > u16::MAX as usize || need > cap - self.used {
            return false;
        }
        // A multiple of 4 of a whole-word ring: the header never wraps.
        let at = (self.head + self.used) % cap;
        let start = (at + LEN_BYTES) % cap;
        let first = len.min(cap - start);
        let keep = if first == len {
            fill(&mut mem[start..start + len], &mut [])
        } else {
            let (low, high) = mem.split_at_mut(start);
            fill(&mut high[..first], &mut low[..len - first])
        };
        if !keep {
            return false;
        }
        mem[at..at + LEN_BYTES].copy_from_slice(&(len as u16).to_le_bytes());
        self.used += need;
        self.frames += 1;
        true
    }

    /// Length of the oldest frame.
    pub fn peek_len(&self, mem: &[u8]) -> Option<usize> {
        if self.frames == 0 {
            return None;
        }
        let mem = &mem[usable(mem)];
        Some(u16::from_le_bytes([mem[self.head], mem[self.head + 1]]) as usize)
    }

    /// Removes the oldest frame and returns it as two pieces (the second is
    /// empty unless the frame wraps around the end of `mem`).
    pub fn pop<'m>(&mut self, mem: &'m [u8]) -> Option<(&'m [u8], &'m [u8])> {
        let len = self.peek_len(mem)?;
        let mem = &mem[usable(mem)];
        let cap = mem.len();
        let start = (self.head + LEN_BYTES) % cap;
        let first = len.min(cap - start);
        let pieces = (&mem[start..start + first], &mem[..len - first]);
        self.head = (self.head + footprint(len)) % cap;
        self.used -= footprint(len);
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

/// Writes `data` at offset `at` of the two pieces `a` then `b`.
fn scatter(a: &mut [u8], b: &mut [u8], at: usize, data: &[u8]) {
    let in_a = a.len().saturating_sub(at).min(data.len());
    if in_a > 0 {
        a[at..at + in_a].copy_from_slice(&data[..in_a]);
    }
    let rest = &data[in_a..];
    if !rest.is_empty() {
        let b_at = at + in_a - a.len();
        b[b_at..b_at + rest.len()].copy_from_slice(rest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ring memory starting on a word boundary, as the tests' figures assume.
    #[repr(align(4))]
    struct Mem<const N: usize>([u8; N]);

    #[test]
    fn frames_come_out_in_order_and_intact() {
        let mut mem = Mem([0u8; 64]);
        let mut q = FrameRing::default();
        assert!(q.push(&mut mem.0, b"first"));
        assert!(q.push(&mut mem.0, b"second frame"));
        assert_eq!(q.frames(), 2);
        let mut out = [0u8; 32];
        assert_eq!(q.pop_into(&mem.0, &mut out), Ok(5));
        assert_eq!(&out[..5], b"first");
        assert_eq!(q.pop_into(&mem.0, &mut out), Ok(12));
        assert_eq!(&out[..12], b"second frame");
        assert_eq!(q.pop_into(&mem.0, &mut out), Err(PopError::Empty));
    }

    #[test]
    fn full_ring_refuses_without_damage() {
        let mut mem = Mem([0u8; 16]);
        let mut q = FrameRing::default();
        assert!(q.push(&mut mem.0, &[1; 10])); // 12 bytes
        assert!(!q.push(&mut mem.0, &[2; 3])); // needs 8, 4 free
        assert!(q.push(&mut mem.0, &[2; 2])); // exactly fits
        assert_eq!(q.used(), 16);
        let mut out = [0u8; 16];
        assert_eq!(q.pop_into(&mem.0, &mut out), Ok(10));
        assert_eq!(&out[..10], &[1; 10]);
        assert_eq!(q.pop_into(&mem.0, &mut out), Ok(2));
        assert_eq!(&out[..2], &[2; 2]);
    }

    #[test]
    fn records_wrap_around_the_end() {
        let mut mem = Mem([0u8; 24]);
        let mut q = FrameRing::default();
        let mut out = [0u8; 24];
        for round in 0..50u8 {
            assert!(q.push(&mut mem.0, &[round; 9])); // 0..12
            assert!(q.push(&mut mem.0, &[round ^ 0x55; 3])); // 12..20
            assert_eq!(q.pop_into(&mem.0, &mut out), Ok(9));
            let long: [u8; 10] = core::array::from_fn(|i| round.wrapping_add(i as u8));
            assert!(q.push(&mut mem.0, &long)); // 20..24 and 0..8
            assert_eq!(q.pop_into(&mem.0, &mut out), Ok(3));
            assert_eq!(&out[..3], &[round ^ 0x55; 3]);
            assert_eq!(q.pop(&mem.0).map(|(a, b)| (a.len(), b.len())), Some((2, 8)));
            assert!(q.is_empty());
            // Once more, copied out whole.
            assert!(q.push(&mut mem.0, &[0; 9]));
            assert!(q.push(&mut mem.0, &[0; 3]));
            assert_eq!(q.pop_into(&mem.0, &mut out), Ok(9));
            assert!(q.push(&mut mem.0, &long));
            assert_eq!(q.pop_into(&mem.0, &mut out), Ok(3));
            assert_eq!(q.pop_into(&mem.0, &mut out), Ok(10));
            assert_eq!(&out[..10], &long);
        }
    }

    #[test]
    fn short_output_leaves_frame_queued() {
        let mut mem = Mem([0u8; 32]);
        let mut q = FrameRing::default();
        assert!(q.push(&mut mem.0, &[9; 10]));
        let mut small = [0u8; 4];
        assert_eq!(q.pop_into(&mem.0, &mut small), Err(PopError::TooSmall { needed: 10 }));
        assert_eq!(q.frames(), 1);
        let mut out = [0u8; 10];
        assert_eq!(q.pop_into(&mem.0, &mut out), Ok(10));
    }

    #[test]
    fn parts_make_one_record_across_the_wrap() {
        let mut mem = Mem([0u8; 24]);
        let mut q = FrameRing::default();
        let mut out = [0u8; 24];
        assert!(q.push(&mut mem.0, &[0; 9])); // 0..12
        assert!(q.push(&mut mem.0, &[0; 3])); // 12..20
        assert_eq!(q.pop_into(&mem.0, &mut out), Ok(9));
        assert!(q.push_parts(&mut mem.0, &[b"head", b"payload"])); // 20..24, 0..12
        assert_eq!(q.pop_into(&mem.0, &mut out), Ok(3));
        assert_eq!(q.pop_into(&mem.0, &mut out), Ok(11));
        assert_eq!(&out[..11], b"headpayload");
    }

    #[test]
    fn push_with_fills_both_pieces_at_the_wrap() {
        let mut mem = Mem([0u8; 20]);
        let mut q = FrameRing::default();
        let mut out = [0u8; 20];
        let mut pieces = (0, 0);
        let fill = |data: &[u8], a: &mut [u8], b: &mut [u8]| {
            a.copy_from_slice(&data[..a.len()]);
            b.copy_from_slice(&data[a.len()..]);
            true
        };
        assert!(q.push_with(&mut mem.0, 4, |a, b| {
            pieces = (a.len(), b.len());
            fill(b"AAAA", a, b)
        }));
        assert_eq!(pieces, (4, 0), "contiguous record");
        assert!(q.push(&mut mem.0, b"BBBB")); // 8..16
        assert_eq!(q.pop_into(&mem.0, &mut out), Ok(4));
        assert!(q.push_with(&mut mem.0, 7, |a, b| {
            pieces = (a.len(), b.len());
            fill(b"1234567", a, b)
        }));
        assert_eq!(pieces, (2, 5), "this record wraps");
        assert_eq!(q.pop_into(&mem.0, &mut out), Ok(4));
        assert_eq!(&out[..4], b"BBBB");
        assert_eq!(q.pop_into(&mem.0, &mut out), Ok(7));
        assert_eq!(&out[..7], b"1234567");
        assert!(!q.push_with(&mut mem.0, 19, |_, _| panic!("must not be called")));
    }

    #[test]
    fn a_record_its_filler_refuses_is_not_kept() {
        let mut mem = Mem([0u8; 32]);
        let mut q = FrameRing::default();
        assert!(q.push(&mut mem.0, b"kept"));
        assert!(!q.push_with(&mut mem.0, 6, |a, _| {
            a.fill(0xee);
            false
        }));
        assert_eq!((q.frames(), q.used()), (1, 8));
        assert!(q.push(&mut mem.0, b"next"));
        let mut out = [0u8; 8];
        assert_eq!(q.pop_into(&mem.0, &mut out), Ok(4));
        assert_eq!(q.pop_into(&mem.0, &mut out), Ok(4));
        assert_eq!(&out[..4], b"next");
    }

    #[test]
    fn records_start_two_bytes_past_a_word_wherever_the_memory_is() {
        let mut mem = Mem([0u8; 72]);
        for skew in 0..4 {
            let ring = &mut mem.0[skew..skew + 64];
            let mut q = FrameRing::default();
            for len in [1, 5, 14, 3] {
                assert!(q.push(ring, &[len as u8; 14][..len]));
            }
            for len in [1, 5, 14, 3] {
                let (a, b) = q.pop(ring).unwrap();
                assert_eq!(a.as_ptr() as usize % 4, RECORD_ALIGN_OFFSET, "skew {skew}");
                assert_eq!((a.len() + b.len(), a[0]), (len, len as u8));
            }
        }
    }

    #[test]
    fn empty_and_oversized_frames_are_refused() {
        let mut mem = Mem([0u8; 8]);
        let mut q = FrameRing::default();
        assert!(!q.push(&mut mem.0, &[]));
        assert!(!q.push(&mut mem.0, &[0; 7]));
        assert!(q.is_empty());
        assert!(q.push(&mut mem.0, &[0; 6]));
    }
}
