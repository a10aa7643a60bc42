//! Hardware interfaces shared by our chip drivers and capsules that upstream
//! Tock does not define.
//!
//! - [`block`]: a block device of 512-byte sectors (VirtIO-block on the QEMU
//!   twin, the SDMMC eMMC on the NUCLEO-H723ZG).
//! - [`identity`]: which app a process is, for capsules that decide by name.
//! - [`counter`]: the CPU's retired-instruction count (RISC-V `minstret`).

#![no_std]
#![forbid(unsafe_code)]

pub mod block;
pub mod counter;
pub mod identity;
