// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The Cortex-M7's caches: enabled at boot, and maintained by address for
//! every DMA transfer (`dma_buffer::CacheMaintenance`).
//!
//! The L1 D-cache has 32-byte lines (ARM DDI 0489, §5.1). A device reading
//! memory needs the lines cleaned first (written back); after a device
//! wrote memory the lines must be invalidated, so the CPU does not read
//! stale cached copies. The buffer types guarantee whole lines, so a
//! neighbour's data is never discarded (the original firmware invalidated
//! unaligned buffers). A DSB completes the maintenance before the device
//! is started or the data is read.

#[cfg(all(target_arch = "arm", target_os = "none"))]
use core::ptr::write_volatile;

use dma_buffer::CacheMaintenance;

/// SCB cache maintenance by address (PoC): DCCMVAC clean, DCIMVAC invalidate.
const DCCMVAC: usize = 0xE000_EF68;
const DCIMVAC: usize = 0xE000_EF5C;
/// The D-cache line.
pub const LINE: usize = 32;

fn dsb() {
    #[cfg(all(target_arch = "arm", target_os = "none"))]
    // SAFETY: a barrier changes no state.
    unsafe {
        core::arch::asm!("dsb", options(nostack, preserves_flags));
    }
}

/// Applies the maintenance register `op` to every line of `[addr, addr+len)`.
fn by_line(op: usize, addr: usize, len: usize) {
    dsb();
    let mut a = addr & !(LINE - 1);
    while a < addr + len {
        // SAFETY: writing an address to the SCB's maintenance register only
        // acts on the cache line holding it; the buffer types guarantee the
        // range is whole lines of DMA memory the caller owns.
        #[cfg(all(target_arch = "arm", target_os = "none"))]
        unsafe {
            write_volatile(op as *mut u32, a as u32);
        }
        #[cfg(not(all(target_arch = "arm", target_os = "none")))]
        let _ = op; // host builds (tests) have no cache
        a += LINE;
    }
    dsb();
}

/// The D-cache, as the DMA buffers see it.
pub struct CortexM7DCache;

impl CacheMaintenance for CortexM7DCache {
    const LINE: usize = LINE;
    fn clean(addr: usize, len: usize) {
        by_line(DCCMVAC, addr, len);
    }
    fn invalidate(addr: usize, len: usize) {
        by_line(DCIMVAC, addr, len);
    }
}

/// SCB registers for the whole-cache operations (ARMv7-M ARM B4.8).
const ICIALLU: usize = 0xE000_EF50;
const DCISW: usize = 0xE000_EF60;
const CCSIDR: usize = 0xE000_ED80;
const CSSELR: usize = 0xE000_ED84;
const CCR: usize = 0xE000_ED14;
const CCR_DC: u32 = 1 << 16;
const CCR_IC: u32 = 1 << 17;

/// Set/way operand of DCISW for a cache of `ways` ways (ARMv7-M ARM
/// B4.8.5): the way in the top bits, the set above the line offset.
pub fn set_way(set: u32, way: u32, ways: u32) -> u32 {
    let way_shift = if ways <= 1 { 0 } else { (ways - 1).leading_zeros() };
    (way << way_shift) | (set << LINE.trailing_zeros())
}

/// Turns the I- and D-caches on, invalidating each first (ARM DDI 0489
/// §5.5; the D-cache by set and way, as its geometry register gives it).
///
/// # Safety
/// Once, at boot, before any DMA buffer is in use, after the MPU gives the
/// memory types that must not be cached their attributes.
pub unsafe fn enable() {
    use crate::mmio::{read, write};
    // SAFETY: the caller's promise; these are the SCB's own registers.
    unsafe {
        dsb();
        write(ICIALLU, 0);
        dsb();
        isb();
        write(CCR, read(CCR) | CCR_IC);
        dsb();
        isb();

        write(CSSELR, 0); // level 1 data cache
        dsb();
        let ccsidr = read(CCSIDR);
        let sets = ((ccsidr >> 13) & 0x7FFF) + 1;
        let ways = ((ccsidr >> 3) & 0x3FF) + 1;
        for set in 0..sets {
            for way in 0..ways {
                write(DCISW, set_way(set, way, ways));
            }
        }
        dsb();
        write(CCR, read(CCR) | CCR_DC);
        dsb();
        isb();
    }
}

fn isb() {
    #[cfg(all(target_arch = "arm", target_os = "none"))]
    // SAFETY: a barrier changes no state.
    unsafe {
        core::arch::asm!("isb", options(nostack, preserves_flags));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_way_operands_of_the_m7_dcache() {
        // 16 KiB, 4 ways, 32-byte lines: 128 sets; way in bits 31:30.
        assert_eq!(set_way(0, 0, 4), 0);
        assert_eq!(set_way(1, 0, 4), 1 << 5);
        assert_eq!(set_way(127, 3, 4), 3 << 30 | 127 << 5);
        assert_eq!(set_way(5, 1, 2), 1 << 31 | 5 << 5);
    }
}
