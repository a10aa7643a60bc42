//! `blk`: the block device (eMMC) for userspace (driver `0x8000_0002`).
//!
//! Only apps the board lists may use it (the storage service); every other
//! process gets `NODEVICE` from every command but 0. One transfer at a
//! time, through a DMA-safe bounce buffer of [`MAX_SECTORS`] sectors.
//!
//! ### Commands
//! - `0`: driver present. Success (for everyone).
//! - `1`: capacity: success with `(sectors low, sectors high)` `u32`s.
//! - `2`: read `(sector, count)`: `count` sectors (1 to [`MAX_SECTORS`])
//!   from `sector` into read-write allow 0. Success when started; `SIZE` if
//!   the allow is shorter than `count` sectors or `count` is out of range;
//!   `INVAL` past the end of the device; `BUSY` while a transfer runs.
//! - `3`: write `(sector, count)` from read-only allow 0. As for read.
//! - `4`: flush the device's write cache. Success when started; `BUSY`.
//!
//! ### Upcalls
//! - `0`: a transfer finished: `(operation, status, sectors)`, operation 2
//!   read, 3 write, 4 flush; status 0 for success or a Tock error code.
//!
//! ### Allows
//! - read-write `0`: destination of reads.
//! - read-only `0`: source of writes.

pub const DRIVER_NUM: usize = 0x8000_0002;

/// Bytes in a sector.
pub const SECTOR_SIZE: usize = 512;
/// Sectors per transfer: the bounce buffer, 4 KiB of DMA SRAM (one FAT
/// cluster of the default eMMC format).
pub const MAX_SECTORS: usize = 8;

pub mod command {
    pub const EXISTS: u32 = 0;
    pub const CAPACITY: u32 = 1;
    pub const READ: u32 = 2;
    pub const WRITE: u32 = 3;
    pub const FLUSH: u32 = 4;
}

pub mod upcall {
    pub const DONE: u32 = 0;
    pub const COUNT: u8 = 1;
}

pub mod allow_rw {
    pub const READ: u32 = 0;
    pub const COUNT: u8 = 1;
}

pub mod allow_ro {
    pub const WRITE: u32 = 0;
    pub const COUNT: u8 = 1;
}
