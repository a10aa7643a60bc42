//! VirtIO block device driver (device id 2), the twin's eMMC.
//!
//! Implements [`BlockDevice`]: one request at a time, each a descriptor
//! chain of a 16-byte request header, the data sectors and a 1-byte status
//! (VirtIO 1.2 section 5.2.6). The header, the status byte and the data all
//! live in [`DmaBuffer`]s, so the device only ever sees DMA-safe memory.
//! Capacity comes from the device's configuration space; `FLUSH` is used
//! when the device offers it and completes at once otherwise.

use core::cell::Cell;

use dma_buffer::{CacheMaintenance, DmaBuffer, DmaRegion};
use hil_ext::block::{check_request, BlockClient, BlockDevice, SECTOR_SIZE};
use kernel::platform::dma_fence::DmaFence;
use kernel::utilities::cells::{MapCell, OptionalCell};
use kernel::utilities::leasable_buffer::{SubSliceMut, SubSliceMutImmut};
use kernel::ErrorCode;
use virtio::devices::{VirtIODeviceDriver, VirtIODeviceType};
use virtio::queues::split_queue::{SplitVirtqueue, SplitVirtqueueClient, VirtqueueBuffer, VirtqueueReturnBuffer};
use virtio::transports::mmio::VirtIOMMIODevice;

/// Descriptors in the request queue: a request uses at most 3.
pub const QUEUE_SIZE: usize = 4;

/// Device offers a read-only medium.
const F_RO: u64 = 1 << 5;
/// Device has a write cache that `FLUSH` empties.
const F_FLUSH: u64 = 1 << 9;

const T_IN: u32 = 0;
const T_OUT: u32 = 1;
const T_FLUSH: u32 = 4;

const S_OK: u8 = 0;
const S_UNSUPP: u8 = 2;

/// Bytes of the request header on the wire.
const HEADER_LEN: usize = 16;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Read,
    Write,
    Flush,
}

/// Encodes a request header: type, reserved, starting sector (all LE).
fn encode_header(out: &mut [u8], kind: u32, sector: u64) {
    out[0..4].copy_from_slice(&kind.to_le_bytes());
    out[4..8].copy_from_slice(&0u32.to_le_bytes());
    out[8..16].copy_from_slice(&sector.to_le_bytes());
}

/// Maps the device's status byte to a completion result.
fn status_result(status: u8) -> Result<(), ErrorCode> {
    match status {
        S_OK => Ok(()),
        S_UNSUPP => Err(ErrorCode::NOSUPPORT),
        _ => Err(ErrorCode::FAIL),
    }
}

pub struct VirtIOBlk<'a, F: DmaFence, C: CacheMaintenance + 'static> {
    queue: &'a SplitVirtqueue<'a, 'static, QUEUE_SIZE, F>,
    transport: &'a VirtIOMMIODevice,
    region: DmaRegion<C>,
    header: MapCell<DmaBuffer<C>>,
    status: MapCell<DmaBuffer<C>>,
    capacity: Cell<Option<u64>>,
    features: Cell<u64>,
    pending: Cell<Option<Op>>,
    client: OptionalCell<&'a dyn BlockClient<C>>,
}

impl<'a, F: DmaFence, C: CacheMaintenance> VirtIOBlk<'a, F, C> {
    /// `header` and `status` are the driver's own DMA buffers (one cache
    /// line each is plenty).
    pub fn new(
        queue: &'a SplitVirtqueue<'a, 'static, QUEUE_SIZE, F>,
        transport: &'a VirtIOMMIODevice,
        region: DmaRegion<C>,
        header: DmaBuffer<C>,
        status: DmaBuffer<C>,
    ) -> Self {
        queue.enable_used_callbacks();
        VirtIOBlk {
            queue,
            transport,
            region,
            header: MapCell::new(header),
            status: MapCell::new(status),
            capacity: Cell::new(None),
            features: Cell::new(0),
            pending: Cell::new(None),
            client: OptionalCell::empty(),
        }
    }

    /// Whether the medium refuses writes.
    pub fn read_only(&self) -> bool {
        self.features.get() & F_RO != 0
    }

    /// Queues one request. On refusal the data buffer comes back.
    fn submit(
        &self,
        op: Op,
        sector: u64,
        data: Option<(DmaBuffer<C>, usize)>,
    ) -> Result<(), (ErrorCode, Option<DmaBuffer<C>>)> {
        if self.pending.get().is_some() {
            return Err((ErrorCode::BUSY, data.map(|d| d.0)));
        }
        let (Some(mut header), Some(mut status)) = (self.header.take(), self.status.take()) else {
            return Err((ErrorCode::FAIL, data.map(|d| d.0)));
        };
        let has_data = data.is_some();
        let kind = match op {
            Op::Read => T_IN,
            Op::Write => T_OUT,
            Op::Flush => T_FLUSH,
        };
        encode_header(header.as_mut_slice(), kind, sector);
        status.as_mut_slice()[0] = 0xff;

        let mut head = SubSliceMut::new(header.into_device());
        head.slice(0..HEADER_LEN);
        let mut stat = SubSliceMut::new(status.into_device());
        stat.slice(0..1);
        let stat = VirtqueueBuffer::DeviceWriteable(stat);

        let mut chain: [Option<VirtqueueBuffer<'static>>; 3] = match data {
            Some((buffer, bytes)) => {
                let mut body = SubSliceMut::new(buffer.into_device());
                body.slice(0..bytes);
                let body = if op == Op::Read {
                    VirtqueueBuffer::DeviceWriteable(body)
                } else {
                    VirtqueueBuffer::DeviceReadable(SubSliceMutImmut::Mutable(body))
                };
                [Some(VirtqueueBuffer::DeviceReadable(SubSliceMutImmut::Mutable(head))), Some(body), Some(stat)]
            }
            None => [Some(VirtqueueBuffer::DeviceReadable(SubSliceMutImmut::Mutable(head))), Some(stat), None],
        };

        match self.queue.provide_buffer_chain(&mut chain) {
            Ok(()) => {
                self.pending.set(Some(op));
                Ok(())
            }
            Err(e) => {
                // The queue took nothing: put every buffer back.
                let mut take = |i: usize| chain[i].take().and_then(|b| self.reclaim(b));
                let header = take(0);
                let (data, status) = if has_data { (take(1), take(2)) } else { (None, take(1)) };
                if let Some(h) = header {
                    self.header.replace(h);
                }
                if let Some(s) = status {
                    self.status.replace(s);
                }
                Err((e, data))
            }
        }
    }

    fn reclaim(&self, buffer: VirtqueueBuffer<'static>) -> Option<DmaBuffer<C>> {
        crate::reclaim(&self.region, buffer)
    }
}

impl<'a, F: DmaFence, C: CacheMaintenance> BlockDevice<'a, C> for VirtIOBlk<'a, F, C> {
    fn set_client(&self, client: &'a dyn BlockClient<C>) {
        self.client.set(client);
    }

    fn capacity(&self) -> Result<u64, ErrorCode> {
        self.capacity.get().ok_or(ErrorCode::OFF)
    }

    fn read(&self, sector: u64, count: usize, buffer: DmaBuffer<C>) -> Result<(), (ErrorCode, DmaBuffer<C>)> {
        let capacity = match self.capacity() {
            Ok(c) => c,
            Err(e) => return Err((e, buffer)),
        };
        if let Err(e) = check_request(capacity, sector, count, buffer.len()) {
            return Err((e, buffer));
        }
        self.submit(Op::Read, sector, Some((buffer, count * SECTOR_SIZE)))
            .map_err(|(e, b)| (e, b.expect("data buffer returned on refusal")))
    }

    fn write(&self, sector: u64, count: usize, buffer: DmaBuffer<C>) -> Result<(), (ErrorCode, DmaBuffer<C>)> {
        if self.read_only() {
            return Err((ErrorCode::NOSUPPORT, buffer));
        }
        let capacity = match self.capacity() {
            Ok(c) => c,
            Err(e) => return Err((e, buffer)),
        };
        if let Err(e) = check_request(capacity, sector, count, buffer.len()) {
            return Err((e, buffer));
        }
        self.submit(Op::Write, sector, Some((buffer, count * SECTOR_SIZE)))
            .map_err(|(e, b)| (e, b.expect("data buffer returned on refusal")))
    }

    fn flush(&self) -> Result<(), ErrorCode> {
        if self.capacity.get().is_none() {
            return Err(ErrorCode::OFF);
        }
        if self.features.get() & F_FLUSH == 0 {
            // No write cache to empty: report completion at once, through the
            // same callback path so callers need not special-case it.
            if self.pending.get().is_some() {
                return Err(ErrorCode::BUSY);
            }
            self.client.map(|c| c.flush_done(Ok(())));
            return Ok(());
        }
        self.submit(Op::Flush, 0, None).map_err(|(e, _)| e)
    }
}

impl<F: DmaFence, C: CacheMaintenance> SplitVirtqueueClient<'static> for VirtIOBlk<'_, F, C> {
    fn buffer_chain_ready(
        &self,
        _queue_number: u32,
        chain: &mut [Option<VirtqueueReturnBuffer<'static>>],
        _bytes_used: usize,
    ) {
        let Some(op) = self.pending.take() else {
            return;
        };
        let mut parts = chain.iter_mut().filter_map(|b| b.take()).map(|b| self.reclaim(b.virtqueue_buffer));
        let header = parts.next().flatten();
        let (data, status) = match op {
            Op::Flush => (None, parts.next().flatten()),
            Op::Read | Op::Write => (parts.next().flatten(), parts.next().flatten()),
        };
        let result = match &status {
            Some(s) => status_result(s.as_slice()[0]),
            None => Err(ErrorCode::FAIL),
        };
        if let Some(h) = header {
            self.header.replace(h);
        }
        if let Some(s) = status {
            self.status.replace(s);
        }
        self.client.map(|client| match (op, data) {
            (Op::Read, Some(d)) => client.read_done(d, result),
            (Op::Write, Some(d)) => client.write_done(d, result),
            (Op::Flush, _) => client.flush_done(result),
            // The device handed back a chain we cannot map to a buffer; the
            // buffer is lost, which only a broken device can cause.
            _ => {}
        });
    }
}

impl<F: DmaFence, C: CacheMaintenance> VirtIODeviceDriver for VirtIOBlk<'_, F, C> {
    fn negotiate_features(&self, offered: u64) -> Option<u64> {
        let accepted = offered & (F_RO | F_FLUSH);
        self.features.set(accepted);
        Some(accepted)
    }

    fn device_type(&self) -> VirtIODeviceType {
        VirtIODeviceType::BlockDevice
    }

    fn device_initialized(&self) -> Result<(), ErrorCode> {
        // Configuration space word 0-1: capacity in 512-byte sectors.
        let mut words = [0u32; 2];
        if !self.transport.read_config(0, &mut words) {
            return Err(ErrorCode::FAIL);
        }
        self.capacity.set(Some(words[0] as u64 | (words[1] as u64) << 32));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_layout_is_little_endian() {
        let mut h = [0u8; 16];
        encode_header(&mut h, T_OUT, 0x0102_0304_0506_0708);
        assert_eq!(h, [1, 0, 0, 0, 0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1]);
    }

    #[test]
    fn status_byte_maps_to_errors() {
        assert_eq!(status_result(0), Ok(()));
        assert_eq!(status_result(1), Err(ErrorCode::FAIL));
        assert_eq!(status_result(2), Err(ErrorCode::NOSUPPORT));
        assert_eq!(status_result(0xff), Err(ErrorCode::FAIL));
    }
}
