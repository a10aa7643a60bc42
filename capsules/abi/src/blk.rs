//! `blk`: the block device (eMMC) for userspace (driver `0x8000_0002`).
//!
//! Only apps the board lists may use it (the storage service); every other
//! process gets `NODEVICE` from every command but 0. One transfer at a
//! time, through a DMA-safe bounce buffer of [`MAX_SECTORS`] sectors.
//!
//! The syscall interface (commands, allows, upcalls, errors) is written
//! once, at the top of `capsules/blk/src/lib.rs`; this module only holds
//! the numbers and layouts both sides share.

pub const DRIVER_NUM: usize = 0x8000_0002;

/// Bytes in a sector.
pub const SECTOR_SIZE: usize = 512;
/// Sectors per transfer: the bounce buffer, 16 KiB of DMA SRAM (four FAT
/// clusters of the default eMMC format: the storage service reads a
/// sequential file that far ahead in one request).
pub const MAX_SECTORS: usize = 32;

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
