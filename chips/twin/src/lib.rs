//! Devices of the QEMU twin of the NUCLEO-H723ZG + NUCLEO-MEM.
//!
//! - [`virtio_blk`]: the eMMC's stand-in, a VirtIO block device behind the
//!   same [`hil_ext::block::BlockDevice`] interface the SDMMC driver has.
//! - [`virtio_net`]: the ETH MAC's stand-in, a VirtIO network card with
//!   several receive buffers and transmit frames in flight.
//! - [`led`]: LD1-LD3, whose state is kept and logged on the console.
//! - [`temperature`]: the DTS junction-temperature sensor, as a model.

#![no_std]
#![forbid(unsafe_code)]

pub mod led;
pub mod temperature;
pub mod virtio_blk;
pub mod virtio_net;

use dma_buffer::{CacheMaintenance, DmaBuffer, DmaRegion};
use kernel::utilities::leasable_buffer::SubSliceMutImmut;
use virtio::queues::split_queue::VirtqueueBuffer;

/// Turns a buffer a virtqueue handed back into a DMA buffer again (cache
/// invalidated, region re-checked). Drivers only ever queue mutable slices
/// made from DMA buffers, so `None` means a broken queue.
fn reclaim<C: CacheMaintenance>(region: &DmaRegion<C>, buffer: VirtqueueBuffer<'static>) -> Option<DmaBuffer<C>> {
    let raw = match buffer {
        VirtqueueBuffer::DeviceWriteable(s) => s.take(),
        VirtqueueBuffer::DeviceReadable(SubSliceMutImmut::Mutable(s)) => s.take(),
        VirtqueueBuffer::DeviceReadable(SubSliceMutImmut::Immutable(_)) => return None,
    };
    region.reclaim(raw).ok()
}
