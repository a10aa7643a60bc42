// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Frames and messages cross process memory through the kernel's process
//! slices; kernel patch 0005 makes their copies block copies. Every length
//! and offset must still copy exactly its bytes and nothing around them.

use kernel::processbuffer::{ReadableProcessSlice, WriteableProcessSlice};

const LENGTHS: [usize; 10] = [0, 1, 3, 4, 5, 31, 32, 33, 1514, 4103];

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

#[test]
fn copies_out_of_process_memory_are_exact() {
    for len in LENGTHS {
        let src = pattern(len + 8, 7);
        let slice: &ReadableProcessSlice = (&src[..]).into();
        for start in [0usize, 1, 3] {
            let mut out = vec![0xAAu8; len + 2];
            slice[start..start + len].copy_to_slice(&mut out[1..len + 1]);
            assert_eq!(&out[1..len + 1], &src[start..start + len], "len {len} start {start}");
            assert_eq!((out[0], out[len + 1]), (0xAA, 0xAA), "nothing written around it");
        }
    }
}

#[test]
fn copies_into_process_memory_are_exact() {
    for len in LENGTHS {
        let src = pattern(len, 3);
        for start in [0usize, 1, 3] {
            let mut mem = vec![0x55u8; len + 8];
            let slice: &WriteableProcessSlice = (&mut mem[..]).into();
            slice[start..start + len].copy_from_slice(&src);
            let mut back = vec![0u8; len];
            slice[start..start + len].copy_to_slice(&mut back);
            assert_eq!(back, src, "len {len} start {start}");
            assert!(mem[..start].iter().chain(&mem[start + len..]).all(|&b| b == 0x55), "len {len} start {start}");
        }
    }
}

#[test]
fn mismatched_lengths_are_refused() {
    let src = [1u8; 8];
    let slice: &ReadableProcessSlice = (&src[..]).into();
    assert!(slice.copy_to_slice_or_err(&mut [0u8; 7]).is_err());
    let mut mem = [0u8; 8];
    let w: &WriteableProcessSlice = (&mut mem[..]).into();
    assert!(w.copy_from_slice_or_err(&[0u8; 9]).is_err());
    assert_eq!(mem, [0u8; 8]);
}
