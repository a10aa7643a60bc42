//! Interface for block storage addressed in 512-byte sectors.
//!
//! Transfers are asynchronous and move whole sectors between the device and
//! a [`DmaBuffer`], so a driver can hand the buffer straight to its DMA
//! engine and nothing else can ever be given to the device. The buffer
//! travels with the request and comes back in the completion callback (or
//! in the `Err` when the request is refused, in which case no callback
//! follows). One request is outstanding at a time; a second one gets
//! `BUSY`.

use dma_buffer::{CacheMaintenance, DmaBuffer};
use kernel::ErrorCode;

/// Bytes in a sector, the unit of every transfer.
pub const SECTOR_SIZE: usize = 512;

/// A block device of [`SECTOR_SIZE`]-byte sectors.
pub trait BlockDevice<'a, C: CacheMaintenance> {
    fn set_client(&self, client: &'a dyn BlockClient<C>);

    /// Number of sectors, or `OFF` while the device is not initialised.
    fn capacity(&self) -> Result<u64, ErrorCode>;

    /// Reads `count` sectors starting at `sector` into the start of `buffer`.
    ///
    /// `INVAL` if `count` is 0 or the range passes the end of the device,
    /// `SIZE` if `buffer` is shorter than `count` sectors, `BUSY` while
    /// another request is outstanding.
    fn read(&self, sector: u64, count: usize, buffer: DmaBuffer<C>) -> Result<(), (ErrorCode, DmaBuffer<C>)>;

    /// Writes `count` sectors from the start of `buffer` at `sector`. Errors
    /// as for [`BlockDevice::read`].
    fn write(&self, sector: u64, count: usize, buffer: DmaBuffer<C>) -> Result<(), (ErrorCode, DmaBuffer<C>)>;

    /// Makes every completed write durable (device write cache flushed).
    fn flush(&self) -> Result<(), ErrorCode>;
}

/// Completions of [`BlockDevice`] requests.
pub trait BlockClient<C: CacheMaintenance> {
    /// A read finished; on success the data is in `buffer`.
    fn read_done(&self, buffer: DmaBuffer<C>, result: Result<(), ErrorCode>);
    /// A write finished.
    fn write_done(&self, buffer: DmaBuffer<C>, result: Result<(), ErrorCode>);
    /// A flush finished.
    fn flush_done(&self, result: Result<(), ErrorCode>);
}

/// Checks a request against the device size and the buffer, with the error
/// codes [`BlockDevice::read`] documents; shared by every driver.
pub fn check_request(capacity: u64, sector: u64, count: usize, buffer_len: usize) -> Result<(), ErrorCode> {
    if count == 0 {
        return Err(ErrorCode::INVAL);
    }
    let end = sector.checked_add(count as u64).ok_or(ErrorCode::INVAL)?;
    if end > capacity {
        return Err(ErrorCode::INVAL);
    }
    let bytes = count.checked_mul(SECTOR_SIZE).ok_or(ErrorCode::SIZE)?;
    if bytes > buffer_len {
        return Err(ErrorCode::SIZE);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_inside_device_and_buffer_is_accepted() {
        assert_eq!(check_request(100, 0, 1, 512), Ok(()));
        assert_eq!(check_request(100, 99, 1, 512), Ok(()));
        assert_eq!(check_request(100, 90, 10, 5120), Ok(()));
    }

    #[test]
    fn request_past_the_end_is_inval() {
        assert_eq!(check_request(100, 100, 1, 512), Err(ErrorCode::INVAL));
        assert_eq!(check_request(100, 95, 6, 4096), Err(ErrorCode::INVAL));
        assert_eq!(check_request(100, u64::MAX, 2, 1024), Err(ErrorCode::INVAL));
    }

    #[test]
    fn zero_sectors_is_inval() {
        assert_eq!(check_request(100, 0, 0, 512), Err(ErrorCode::INVAL));
    }

    #[test]
    fn short_buffer_is_size() {
        assert_eq!(check_request(100, 0, 2, 1023), Err(ErrorCode::SIZE));
        assert_eq!(check_request(u64::MAX, 0, usize::MAX, 512), Err(ErrorCode::SIZE));
    }
}
