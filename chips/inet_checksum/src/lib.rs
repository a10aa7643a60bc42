//! The Internet checksum's sum (RFC 1071), a word at a time.
//!
//! smoltcp sums 16 bits per step, with a byte swap each: about 3.5
//! instructions per byte of every TCP segment sent and received, a tenth of
//! a download's cost. Here whole words are added into a 64-bit sum (the
//! carries collect in its top half and are folded once at the end): about
//! one instruction per byte. The sum is computed in the words' own byte
//! order and swapped once at the end, which RFC 1071 shows gives the same
//! result as summing big-endian 16-bit words.

#![no_std]

const WORD: usize = core::mem::size_of::<u32>();

/// The one's-complement sum of `data` as big-endian 16-bit words (a last
/// odd byte padded with zero), folded to 16 bits, not complemented.
pub fn ones_complement_sum(data: &[u8]) -> u16 {
    if !(data.as_ptr() as usize).is_multiple_of(2) {
        // Not even on a 16-bit boundary: the plain way (never for frames
        // placed as the apps place them).
        return fold(halves(data, u16::from_be_bytes));
    }
    let head = (WORD - data.as_ptr() as usize % WORD) % WORD;
    let head = head.min(data.len());
    let (first, rest) = data.split_at(head);
    let words = rest.len() / WORD;
    let (middle, tail) = rest.split_at(words * WORD);
    // The ends in native halves, as the words are summed.
    let mut sum = halves(first, u16::from_ne_bytes) + halves(tail, u16::from_ne_bytes);
    if words > 0 {
        // SAFETY: `middle` starts on a word boundary (after `head` bytes,
        // and it is not empty) and holds `words` whole words; u32 has no
        // invalid values.
        let middle = unsafe { core::slice::from_raw_parts(middle.as_ptr() as *const u32, words) };
        let (quads, rest) = middle.as_chunks::<4>();
        for q in quads {
            sum += q[0] as u64 + q[1] as u64 + q[2] as u64 + q[3] as u64;
        }
        for w in rest {
            sum += *w as u64;
        }
    }
    // Summed in memory order: on a little-endian core that is the
    // byte-swapped sum of the big-endian words.
    u16::from_be(fold(sum))
}

/// Sum of `bytes` as 16-bit halves read by `half` (a last odd byte as the
/// low-addressed byte of one, the other zero).
fn halves(bytes: &[u8], half: fn([u8; 2]) -> u16) -> u64 {
    let (pairs, rest) = bytes.as_chunks::<2>();
    let mut sum: u64 = pairs.iter().map(|p| half(*p) as u64).sum();
    if let [last] = rest {
        sum += half([*last, 0]) as u64;
    }
    sum
}

/// Folds the carries of a one's-complement sum into 16 bits.
fn fold(mut sum: u64) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}
