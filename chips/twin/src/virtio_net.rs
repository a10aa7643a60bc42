//! VirtIO network card driver (device id 1), the twin's ETH MAC.
//!
//! Unlike upstream's single-buffer driver, it keeps `RX` receive buffers
//! posted and up to `TX` frames in flight, so the network is never
//! serialised on one frame. It implements upstream's
//! [`EthernetAdapterDatapath`]:
//!
//! - Receive: each posted buffer is one device-writable [`DmaBuffer`]
//!   holding, from 2 bytes in, the 12-byte virtio-net header and the
//!   frame (which so starts 2 bytes past a word); the client gets
//!   the frame lent for the duration of `received_frame`, then the buffer
//!   is posted again.
//! - Transmit: the client's frame buffer must itself be DMA-safe (the
//!   driver checks it against the [`DmaRegion`] and refuses it with `INVAL`
//!   otherwise, so no process or PSRAM memory can reach the device). It
//!   goes out zero-copy behind a per-slot header buffer; `BUSY` when all
//!   `TX` slots are in flight.
//!
//! The MAC address is read from the device's configuration space.

use core::cell::Cell;

use dma_buffer::{CacheMaintenance, DmaBuffer, DmaRegion};
use kernel::hil::ethernet::{EthernetAdapterDatapath, EthernetAdapterDatapathClient};
use kernel::platform::dma_fence::DmaFence;
use kernel::utilities::cells::{MapCell, OptionalCell};
use kernel::utilities::leasable_buffer::{SubSliceMut, SubSliceMutImmut};
use kernel::ErrorCode;
use virtio::devices::{VirtIODeviceDriver, VirtIODeviceType};
use virtio::queues::split_queue::{SplitVirtqueue, SplitVirtqueueClient, VirtqueueBuffer, VirtqueueReturnBuffer};
use virtio::transports::mmio::VirtIOMMIODevice;

/// Device has a MAC address in its configuration space.
const F_MAC: u64 = 1 << 5;
/// Bytes of the virtio-net header (VirtIO 1.x, without merged buffers).
pub const HEADER_LEN: usize = 12;
/// Bytes of a receive buffer: header plus the largest frame, in whole
/// 32-byte cache lines (2 + 12 + 1514 = 1528 -> 1536).
pub const RX_BUFFER_LEN: usize = 1536;
/// Where in a receive buffer the device writes: 2 bytes in, so the frame
/// (after the 12-byte header) starts 2 bytes past a word, as in the
/// processes' receive queues, and its copy there runs a word at a time
/// (Linux's `NET_IP_ALIGN`); at 0 every word of every frame was shifted.
const RX_OFFSET: usize = 2;

/// A frame in flight: which buffer, its length and the client's id.
#[derive(Clone, Copy)]
struct InFlight {
    addr: usize,
    len: u16,
    id: usize,
}

pub struct VirtIONet<
    'a,
    F: DmaFence,
    C: CacheMaintenance + 'static,
    const RXQ: usize,
    const TXQ: usize,
    const RX: usize,
    const TX: usize,
> {
    rx_queue: &'a SplitVirtqueue<'a, 'static, RXQ, F>,
    tx_queue: &'a SplitVirtqueue<'a, 'static, TXQ, F>,
    transport: &'a VirtIOMMIODevice,
    region: DmaRegion<C>,
    /// Receive buffers not currently posted to the device.
    rx_idle: [MapCell<DmaBuffer<C>>; RX],
    /// Header buffers of free transmit slots.
    tx_headers: [MapCell<DmaBuffer<C>>; TX],
    in_flight: [Cell<Option<InFlight>>; TX],
    rx_enabled: Cell<bool>,
    client: OptionalCell<&'a dyn EthernetAdapterDatapathClient>,
}

impl<'a, F: DmaFence, C: CacheMaintenance, const RXQ: usize, const TXQ: usize, const RX: usize, const TX: usize>
    VirtIONet<'a, F, C, RXQ, TXQ, RX, TX>
{
    /// `rx` are the receive buffers (at least [`RX_BUFFER_LEN`] each),
    /// `tx_headers` one small buffer per transmit slot. The receive queue
    /// needs `RX` descriptors, the transmit queue `2 * TX`.
    pub fn new(
        rx_queue: &'a SplitVirtqueue<'a, 'static, RXQ, F>,
        tx_queue: &'a SplitVirtqueue<'a, 'static, TXQ, F>,
        transport: &'a VirtIOMMIODevice,
        region: DmaRegion<C>,
        rx: [DmaBuffer<C>; RX],
        tx_headers: [DmaBuffer<C>; TX],
    ) -> Self {
        assert!(RXQ >= RX && TXQ >= 2 * TX, "virtio-net: queues too small for the buffers");
        rx_queue.enable_used_callbacks();
        tx_queue.enable_used_callbacks();
        VirtIONet {
            rx_queue,
            tx_queue,
            transport,
            region,
            rx_idle: rx.map(MapCell::new),
            tx_headers: tx_headers.map(MapCell::new),
            in_flight: [const { Cell::new(None) }; TX],
            rx_enabled: Cell::new(false),
            client: OptionalCell::empty(),
        }
    }

    /// The card's MAC address, from its configuration space.
    pub fn mac_address(&self) -> [u8; 6] {
        let mut words = [0u32; 2];
        self.transport.read_config(0, &mut words);
        let (a, b) = (words[0].to_le_bytes(), words[1].to_le_bytes());
        [a[0], a[1], a[2], a[3], b[0], b[1]]
    }

    /// Posts every idle receive buffer to the device.
    fn post_receive_buffers(&self) {
        if !self.rx_enabled.get() {
            return;
        }
        for slot in self.rx_idle.iter() {
            let Some(buffer) = slot.take() else { continue };
            let mut window = SubSliceMut::new(buffer.into_device());
            window.slice(RX_OFFSET..);
            let mut chain = [Some(VirtqueueBuffer::DeviceWriteable(window))];
            if self.rx_queue.provide_buffer_chain(&mut chain).is_err() {
                // Queue full: keep the buffer for later.
                if let Some(b) = chain[0].take().and_then(|b| self.reclaim(b)) {
                    slot.replace(b);
                }
                return;
            }
        }
    }

    fn reclaim(&self, buffer: VirtqueueBuffer<'static>) -> Option<DmaBuffer<C>> {
        crate::reclaim(&self.region, buffer)
    }

    fn received(&self, chain: &mut [Option<VirtqueueReturnBuffer<'static>>], bytes_used: usize) {
        let Some(buffer) = chain[0].take().and_then(|b| self.reclaim(b.virtqueue_buffer)) else {
            return;
        };
        if self.rx_enabled.get() && bytes_used > HEADER_LEN {
            let end = (RX_OFFSET + bytes_used).min(buffer.len());
            let frame = &buffer.as_slice()[RX_OFFSET + HEADER_LEN..end];
            self.client.map(|c| c.received_frame(frame, None));
        }
        if let Some(slot) = self.rx_idle.iter().find(|s| s.is_none()) {
            slot.replace(buffer);
        }
        self.post_receive_buffers();
    }

    fn transmitted(&self, chain: &mut [Option<VirtqueueReturnBuffer<'static>>]) {
        let header = chain[0].take().and_then(|b| self.reclaim(b.virtqueue_buffer));
        let frame = chain[1].take().and_then(|b| self.reclaim(b.virtqueue_buffer));
        if let Some(h) = header {
            if let Some(slot) = self.tx_headers.iter().find(|s| s.is_none()) {
                slot.replace(h);
            }
        }
        let Some(frame) = frame else { return };
        let raw = frame.into_device();
        let addr = raw.as_ptr() as usize;
        let info = self.in_flight.iter().find_map(|c| match c.get() {
            Some(f) if f.addr == addr => c.take(),
            _ => None,
        });
        let (len, id) = info.map_or((0, 0), |f| (f.len, f.id));
        self.client.map(|c| c.transmit_frame_done(Ok(()), raw, len, id, None));
    }
}

impl<F: DmaFence, C: CacheMaintenance, const RXQ: usize, const TXQ: usize, const RX: usize, const TX: usize>
    SplitVirtqueueClient<'static> for VirtIONet<'_, F, C, RXQ, TXQ, RX, TX>
{
    fn buffer_chain_ready(
        &self,
        queue_number: u32,
        chain: &mut [Option<VirtqueueReturnBuffer<'static>>],
        bytes_used: usize,
    ) {
        if Some(queue_number) == self.rx_queue.queue_number() {
            self.received(chain, bytes_used);
        } else if Some(queue_number) == self.tx_queue.queue_number() {
            self.transmitted(chain);
        }
    }
}

impl<F: DmaFence, C: CacheMaintenance, const RXQ: usize, const TXQ: usize, const RX: usize, const TX: usize>
    VirtIODeviceDriver for VirtIONet<'_, F, C, RXQ, TXQ, RX, TX>
{
    fn negotiate_features(&self, offered: u64) -> Option<u64> {
        // Only the MAC address: no checksum offload, no merged buffers, so
        // every frame fits one receive buffer and its header is 12 bytes.
        (offered & F_MAC != 0).then_some(F_MAC)
    }

    fn device_type(&self) -> VirtIODeviceType {
        VirtIODeviceType::NetworkCard
    }
}

impl<'a, F: DmaFence, C: CacheMaintenance, const RXQ: usize, const TXQ: usize, const RX: usize, const TX: usize>
    EthernetAdapterDatapath<'a> for VirtIONet<'a, F, C, RXQ, TXQ, RX, TX>
{
    fn set_client(&self, client: &'a dyn EthernetAdapterDatapathClient) {
        self.client.set(client);
    }

    fn enable_receive(&self) {
        self.rx_enabled.set(true);
        self.post_receive_buffers();
    }

    fn disable_receive(&self) {
        // Posted buffers stay with the device; frames arriving are dropped.
        self.rx_enabled.set(false);
    }

    fn transmit_frame(
        &self,
        frame_buffer: &'static mut [u8],
        len: u16,
        transmission_identifier: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if len == 0 || len as usize > frame_buffer.len() {
            return Err((ErrorCode::SIZE, frame_buffer));
        }
        let Some(slot) = self.in_flight.iter().position(|c| c.get().is_none()) else {
            return Err((ErrorCode::BUSY, frame_buffer));
        };
        let Some(mut header) = self.tx_headers.iter().find_map(|h| h.take()) else {
            return Err((ErrorCode::BUSY, frame_buffer));
        };
        let addr = frame_buffer.as_ptr() as usize;
        let frame = match self.region.buffer(frame_buffer) {
            Ok(f) => f,
            Err((_, refused)) => {
                // Not DMA-safe memory: the device must never see it.
                if let Some(h) = self.tx_headers.iter().find(|h| h.is_none()) {
                    h.replace(header);
                }
                return Err((ErrorCode::INVAL, refused));
            }
        };
        header.as_mut_slice()[..HEADER_LEN].fill(0);
        let mut head = SubSliceMut::new(header.into_device());
        head.slice(0..HEADER_LEN);
        let mut body = SubSliceMut::new(frame.into_device());
        body.slice(0..len as usize);
        let mut chain = [
            Some(VirtqueueBuffer::DeviceReadable(SubSliceMutImmut::Mutable(head))),
            Some(VirtqueueBuffer::DeviceReadable(SubSliceMutImmut::Mutable(body))),
        ];
        match self.tx_queue.provide_buffer_chain(&mut chain) {
            Ok(()) => {
                self.in_flight[slot].set(Some(InFlight { addr, len, id: transmission_identifier }));
                Ok(())
            }
            Err(e) => {
                if let Some(h) = chain[0].take().and_then(|b| self.reclaim(b)) {
                    if let Some(s) = self.tx_headers.iter().find(|s| s.is_none()) {
                        s.replace(h);
                    }
                }
                match chain[1].take() {
                    Some(VirtqueueBuffer::DeviceReadable(SubSliceMutImmut::Mutable(f))) => Err((e, f.take())),
                    // The queue hands back what it was given, so this is
                    // only reachable with a broken queue.
                    _ => Err((e, &mut [])),
                }
            }
        }
    }
}
