//! `psram`: extra PSRAM for processes at run time (driver `0x8000_0003`).
//!
//! A process asks for a PSRAM grant of some size; the kernel takes a block
//! from the PSRAM grant pool (a buddy allocator: blocks are powers of two,
//! aligned to their size, as the MPU needs), zeroes it, and maps it for
//! that process alone. It is returned when the process frees it, exits or
//! restarts. Each process has a byte limit and a grant-count limit (its
//! spare MPU regions) set by the board.
//!
//! The syscall interface (commands, allows, upcalls, errors) is written
//! once, at the top of `capsules/psram/src/lib.rs`; this module only holds
//! the numbers and layouts both sides share.

pub const DRIVER_NUM: usize = 0x8000_0003;

pub mod command {
    pub const EXISTS: u32 = 0;
    pub const GRANT: u32 = 1;
    pub const FREE: u32 = 2;
    pub const HELD: u32 = 3;
    pub const LIMITS: u32 = 4;
    pub const POOL: u32 = 5;
}
