//! The block device under the volume: 512-byte sectors, at most 16 KiB per read and 4 KiB per write.

use core::fmt;

/// Bytes per sector, the device's unit of transfer.
pub const SECTOR_SIZE: usize = 512;

/// Most sectors the volume writes in one request, and reads but for
/// read-ahead (4 KiB): the cache works in blocks of exactly this size.
pub const MAX_TRANSFER_SECTORS: usize = 8;

/// Most sectors of one read (16 KiB): a sequential file read fetches the
/// next blocks with the one asked for, one device request instead of four
/// (an eMMC's per-command latency, the twin's VirtIO round trip). The
/// kernel's block syscalls take up to 32 sectors, so an adapter never has
/// to split a request.
pub const MAX_READ_SECTORS: usize = 32;

/// Why the device could not do what was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IoError {
    /// The driver or the device failed; the code is driver-specific, for logs.
    Device(i32),
    /// The request named sectors past the end of the device.
    OutOfRange,
    /// The medium is gone (removed, or the driver stopped).
    NoMedium,
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IoError::Device(code) => write!(f, "device error {code}"),
            IoError::OutOfRange => f.write_str("sector out of range"),
            IoError::NoMedium => f.write_str("no medium"),
        }
    }
}

/// A sector-addressed device (VirtIO-block, eMMC, a file in tests).
///
/// Every `buf` is a non-zero whole number of sectors, at most
/// [`MAX_READ_SECTORS`] of them for a read and [`MAX_TRANSFER_SECTORS`] for a
/// write, and lies within [`sectors`](Self::sectors).
pub trait BlockDevice {
    /// Size in 512-byte sectors.
    fn sectors(&self) -> u64;

    /// Reads `buf.len() / 512` consecutive sectors starting at `sector`.
    fn read(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), IoError>;

    /// Writes `buf.len() / 512` consecutive sectors starting at `sector`.
    fn write(&mut self, sector: u64, buf: &[u8]) -> Result<(), IoError>;

    /// Makes completed writes durable (a device-level cache flush).
    fn flush(&mut self) -> Result<(), IoError>;
}
