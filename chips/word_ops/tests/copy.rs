//! Every offset of source and destination within a word, every length up
//! to a few hundred bytes: the copy equals `copy_from_slice`, and no byte
//! outside the destination changes.

const GUARD: u8 = 0xa5;

#[test]
fn copies_match_for_every_alignment_and_length() {
    let source: Vec<u8> = (0..600u32).map(|i| (i * 37 + i / 7) as u8).collect();
    for src_off in 0..4 {
        for dst_off in 0..4 {
            for n in 0..300 {
                let mut dst = vec![GUARD; 600];
                let s = &source[src_off + 8..src_off + 8 + n];
                // SAFETY: both ranges hold `n` bytes and are distinct allocations.
                unsafe { word_ops::copy(dst.as_mut_ptr().add(dst_off + 8), s.as_ptr(), n) };
                let (before, rest) = dst.split_at(dst_off + 8);
                let (copied, after) = rest.split_at(n);
                assert_eq!(copied, s, "src +{src_off}, dst +{dst_off}, {n} bytes");
                assert!(before.iter().chain(after).all(|b| *b == GUARD), "wrote outside: +{src_off} +{dst_off} {n}");
            }
        }
    }
}

#[test]
fn a_frame_sized_copy_between_unlike_offsets() {
    let source: Vec<u8> = (0..1600u32).map(|i| (i ^ (i >> 3)) as u8).collect();
    let mut dst = vec![0u8; 1600];
    // SAFETY: 1514 bytes from offset 2 fit both buffers.
    unsafe { word_ops::copy(dst.as_mut_ptr(), source.as_ptr().add(2), 1514) };
    assert_eq!(&dst[..1514], &source[2..1516]);
}
