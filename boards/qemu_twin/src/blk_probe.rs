//! Boot-time check of the block device: reads sector 0 and prints its
//! CRC-32 and first bytes, which the system tests compare with the image.

use dma_buffer::{Coherent, DmaBuffer, DmaPool};
use hil_ext::block::{BlockClient, BlockDevice, SECTOR_SIZE};
use kernel::{debug, static_init, ErrorCode};

use crate::memory_map::Size;
use crate::BlkHw;

pub struct BlockProbe {
    device: &'static BlkHw,
}

/// CRC-32 (IEEE 802.3, as zlib's `crc32`), bitwise: 512 bytes once at boot.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// Takes one sector's buffer from the pool and starts the read.
pub unsafe fn start(device: &'static BlkHw, dma: &mut DmaPool<Coherent>) {
    let sectors = device.capacity().unwrap_or(0);
    debug!(
        "blk: VirtIO block device, {} sectors of {} B ({})",
        sectors,
        SECTOR_SIZE,
        Size((sectors as usize).saturating_mul(SECTOR_SIZE))
    );
    let probe = static_init!(BlockProbe, BlockProbe { device });
    device.set_client(probe);
    let buffer = dma.alloc(SECTOR_SIZE).unwrap_or_else(|e| panic!("blk probe: {}", e));
    if let Err((e, _)) = device.read(0, 1, buffer) {
        debug!("blk: reading sector 0 failed to start: {:?}", e);
    }
}

impl BlockClient<Coherent> for BlockProbe {
    fn read_done(&self, buffer: DmaBuffer<Coherent>, result: Result<(), ErrorCode>) {
        let _ = self.device;
        match result {
            Ok(()) => {
                let s = &buffer.as_slice()[..SECTOR_SIZE];
                debug!(
                    "blk: sector 0 crc32 {:08x}, first bytes {:02x?}",
                    crc32(s),
                    &s[..16]
                );
            }
            Err(e) => debug!("blk: reading sector 0 failed: {:?}", e),
        }
    }

    fn write_done(&self, _buffer: DmaBuffer<Coherent>, _result: Result<(), ErrorCode>) {}

    fn flush_done(&self, _result: Result<(), ErrorCode>) {}
}
