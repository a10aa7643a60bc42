//! `psram`: extra PSRAM for processes at run time (driver `0x8000_0003`).
//!
//! A process asks for a PSRAM grant of some size; the kernel takes a block
//! from the PSRAM grant pool (a buddy allocator: blocks are powers of two,
//! aligned to their size, as the MPU needs), zeroes it, and maps it for
//! that process alone. It is returned when the process frees it, exits or
//! restarts. Each process has a byte limit and a grant-count limit (its
//! spare MPU regions) set by the board.
//!
//! ### Commands
//! - `0`: driver present. Success.
//! - `1`: grant `bytes`: success with `(address, size)`, the size rounded
//!   up to a power-of-two block; `SIZE` if `bytes` is 0 or over this
//!   process's remaining byte limit; `NOMEM` if the pool has no free block
//!   that large; `BUSY` if this process holds its maximum number of grants
//!   (no MPU region left).
//! - `2`: free the grant at `address`. Success, or `INVAL` if this process
//!   holds no grant there.
//! - `3`: this process's grants: success with `(bytes, count)`.
//! - `4`: this process's limits: success with `(bytes, count)`.
//! - `5`: the pool: success with `(size, free bytes)`.

pub const DRIVER_NUM: usize = 0x8000_0003;

pub mod command {
    pub const EXISTS: u32 = 0;
    pub const GRANT: u32 = 1;
    pub const FREE: u32 = 2;
    pub const HELD: u32 = 3;
    pub const LIMITS: u32 = 4;
    pub const POOL: u32 = 5;
}
