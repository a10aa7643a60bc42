//! The syscall interface of this project's capsules: driver numbers,
//! command, allow and upcall numbers, and the binary records they exchange.
//!
//! Both sides depend on this crate, the capsules in the kernel workspace
//! and the API crates of the apps, so they cannot disagree. Driver numbers
//! have the top bit set: Tock reserves that range for out-of-tree drivers.
//! Records are little-endian and fixed-size, with `encode`/`decode` pairs.

#![no_std]
#![forbid(unsafe_code)]

pub mod blk;
pub mod ipc;
pub mod net;
pub mod psram;
pub mod record;
pub mod sysinfo;
