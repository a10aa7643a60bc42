//! The block device under the volume: 512-byte sectors, at most 4 KiB per request.

use core::fmt;

/// Bytes per sector, the device's unit of transfer.
pub const SECTOR_SIZE: usize = 512;

/// Most sectors the volume ever moves in one request (4 KiB).
///
/// The kernel's block syscalls transfer at most 8 sectors at a time; the
/// cache works in blocks of exactly this size, so an adapter never has to
/// split a request.
pub const MAX_TRANSFER_SECTORS: usize = 8;

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
/// [`MAX_TRANSFER_SECTORS`] of them, and lies within [`sectors`](Self::sectors).
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
