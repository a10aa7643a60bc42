//! Byte routines for 32-bit RISC-V cores that cannot load misaligned
//! words (the twin's rv32imac, as its kernel and apps are built), a whole
//! word at a time: [`copy`], exported as the C `memcpy` with the `memcpy`
//! feature.
//!
//! compiler-builtins' generic copy moves one word per loop iteration, and
//! when source and destination differ in their offset within a word it
//! shifts every word through a helper: about 1.25 instructions per byte
//! aligned and 2 misaligned. Frames, IPC messages and file data are copied
//! several times each (`make profile`: the copies were a third of all the
//! instructions of a download from the eMMC), so this one moves four words
//! per iteration and merges misaligned ones inline: about 0.7 and 1.4.
//!
//! It only ever reads whole words that lie inside the source (the partial
//! words at either end are copied byte by byte), so it never touches memory
//! outside the two ranges, whatever a memory protection unit allows.
//!
//! The crate is `no_builtins`: otherwise the compiler could recognise the
//! byte loops below as a copy and call `memcpy`, that is, itself. (So no
//! code here may panic: a `no_builtins` crate stays out of link-time
//! optimisation and cannot reach core's panic functions.)

#![no_std]
#![no_builtins]

/// Bytes of the words it moves.
const WORD: usize = core::mem::size_of::<u32>();

#[cfg(all(feature = "memcpy", target_arch = "riscv32"))]
use core::ffi::c_void;

/// Below this many bytes a plain byte loop is as fast as setting up words.
const BYTES_ONLY: usize = 16;

/// Copies `n` bytes from `src` to `dst`.
///
/// # Safety
/// As C's `memcpy`: both ranges valid for `n` bytes, not overlapping.
#[inline(always)]
pub unsafe fn copy(dst: *mut u8, src: *const u8, n: usize) {
    // Moves of values (a syscall's arguments, a task: 20-byte structs at
    // every context switch) are whole aligned words: no byte work at all.
    if (dst as usize | src as usize | n).is_multiple_of(WORD) {
        // SAFETY: both word-aligned and valid for `n` bytes, whole words.
        unsafe { aligned_words(dst as *mut u32, src as *const u32, n) };
        return;
    }
    let (mut d, mut s, mut left) = (dst, src, n);
    if left >= BYTES_ONLY {
        // Destination to a word boundary, a byte at a time.
        let head = ((WORD - d as usize % WORD) % WORD).min(left);
        // SAFETY: within the first `head` <= `left` bytes of both ranges.
        unsafe { bytes(d, s, head) };
        // SAFETY: still inside both ranges (advanced by what was copied).
        unsafe {
            d = d.add(head);
            s = s.add(head);
        }
        left -= head;
        let done = match s as usize % WORD {
            // SAFETY: `d` is word-aligned, and so is `s`; `left` bytes remain.
            0 => unsafe { aligned_words(d as *mut u32, s as *const u32, left) },
            // SAFETY: `d` is word-aligned; `left` bytes remain in both.
            k => unsafe { shifted_words(d as *mut u32, s, left, k) },
        };
        // SAFETY: `done` <= `left`.
        unsafe {
            d = d.add(done);
            s = s.add(done);
        }
        left -= done;
    }
    // SAFETY: the last `left` bytes of both ranges.
    unsafe { bytes(d, s, left) };
}

/// # Safety
/// Both ranges valid for `n` bytes.
#[inline(always)]
unsafe fn bytes(d: *mut u8, s: *const u8, n: usize) {
    for i in 0..n {
        // SAFETY: `i` < `n`.
        unsafe { d.add(i).write(s.add(i).read()) };
    }
}

/// Copies whole words while at least one is left; returns the bytes copied.
///
/// # Safety
/// Both word-aligned and valid for `n` bytes.
#[inline(always)]
unsafe fn aligned_words(d: *mut u32, s: *const u32, n: usize) -> usize {
    let words = n / WORD;
    let mut i = 0;
    while i + 4 <= words {
        // SAFETY: words `i..i + 4` lie inside both ranges.
        unsafe {
            let (a, b, c, e) = (s.add(i).read(), s.add(i + 1).read(), s.add(i + 2).read(), s.add(i + 3).read());
            d.add(i).write(a);
            d.add(i + 1).write(b);
            d.add(i + 2).write(c);
            d.add(i + 3).write(e);
        }
        i += 4;
    }
    while i < words {
        // SAFETY: word `i` lies inside both ranges.
        unsafe { d.add(i).write(s.add(i).read()) };
        i += 1;
    }
    words * WORD
}

/// Copies whole destination words from a source `k` (1-3) bytes past a
/// word boundary: each one is the top of one source word and the bottom of
/// the next (little-endian). Returns the bytes copied.
///
/// # Safety
/// `d` word-aligned; both valid for `n` bytes; `s as usize % 4 == k`.
#[inline(always)]
unsafe fn shifted_words(d: *mut u32, s: *const u8, n: usize, k: usize) -> usize {
    let lead = WORD - k;
    // Source words that lie wholly inside the range, after the first `lead` bytes.
    let words = (n - lead) / WORD;
    if words == 0 {
        return 0;
    }
    let low = 8 * lead as u32;
    let high = 32 - low;
    let mut carry = 0u32;
    for i in 0..lead {
        // SAFETY: `i` < `lead` <= `n`.
        carry |= (unsafe { s.add(i).read() } as u32) << (8 * i);
    }
    // SAFETY: `s + lead` is word-aligned and still inside the source.
    let w = unsafe { s.add(lead) } as *const u32;
    let mut i = 0;
    while i + 4 <= words {
        // SAFETY: source words `i..i + 4` lie inside the range (counted
        // above); destination words `i..i + 4` end `lead` bytes before it.
        unsafe {
            let (a, b, c, e) = (w.add(i).read(), w.add(i + 1).read(), w.add(i + 2).read(), w.add(i + 3).read());
            d.add(i).write(carry | a << low);
            d.add(i + 1).write(a >> high | b << low);
            d.add(i + 2).write(b >> high | c << low);
            d.add(i + 3).write(c >> high | e << low);
            carry = e >> high;
        }
        i += 4;
    }
    while i < words {
        // SAFETY: as above, one word.
        unsafe {
            let a = w.add(i).read();
            d.add(i).write(carry | a << low);
            carry = a >> high;
        }
        i += 1;
    }
    // `lead` bytes are still in `carry`: the byte loop copies them again.
    words * WORD
}

/// The C library's `memcpy`, which the compiler calls for every copy of a
/// slice or a large value; it overrides compiler-builtins' weak one.
///
/// # Safety
/// As C's `memcpy`.
#[cfg(all(feature = "memcpy", target_arch = "riscv32"))]
#[no_mangle]
pub unsafe extern "C" fn memcpy(dst: *mut c_void, src: *const c_void, n: usize) -> *mut c_void {
    // SAFETY: the caller's promise is `copy`'s.
    unsafe { copy(dst as *mut u8, src as *const u8, n) };
    dst
}
