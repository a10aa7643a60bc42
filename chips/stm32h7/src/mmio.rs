// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Word access to memory-mapped registers by address, for the drivers that
//! list their register steps as data (`rcc`) or touch a register or two.

/// Reads the 32-bit register at `addr`.
///
/// # Safety
/// `addr` is a readable device register of this chip.
pub unsafe fn read(addr: usize) -> u32 {
    // SAFETY: the caller's promise.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

/// Writes the 32-bit register at `addr`.
///
/// # Safety
/// `addr` is a writable device register and `value` is valid for it.
pub unsafe fn write(addr: usize, value: u32) {
    // SAFETY: the caller's promise.
    unsafe { core::ptr::write_volatile(addr as *mut u32, value) }
}
