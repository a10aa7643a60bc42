//! Discovery and wiring of the twin's VirtIO devices (block, network, rng).
//!
//! Virtqueue rings live in the DMA-safe window (`.dma_sram`), and so does
//! every buffer a device reads or writes, carved from the [`DmaPool`].

use core::fmt;
use core::mem::MaybeUninit;

use dma_buffer::{Coherent, DmaPool};
use kernel::static_init;
use qemu_rv32_virt_chip::chip::QemuRv32VirtDefaultPeripherals;
use qemu_rv32_virt_chip::virtio::devices::virtio_rng::VirtIORng;
use qemu_rv32_virt_chip::virtio::devices::VirtIODeviceType;
use qemu_rv32_virt_chip::virtio::queues::split_queue::{
    SplitVirtqueue, VirtqueueAvailableRing, VirtqueueDescriptors, VirtqueueUsedRing,
};
use qemu_rv32_virt_chip::virtio::queues::Virtqueue;
use qemu_rv32_virt_chip::virtio::transports::VirtIOTransport;
use rv32i::dma_fence::RiscvCoherentDmaFence;
use twin_chip::virtio_blk::{self, VirtIOBlk};
use twin_chip::virtio_net::{self, VirtIONet};

use crate::{BlkHw, Fence, NetHw, NET_RX_QUEUE, NET_TX_QUEUE};

/// Places a value in the DMA-safe window (for device-visible rings) and
/// yields `&'static mut` to it. Each call site runs once, at boot.
macro_rules! dma_static {
    ($T:ty, $value:expr) => {{
        #[link_section = ".dma_sram"]
        static mut SLOT: MaybeUninit<$T> = MaybeUninit::uninit();
        // SAFETY: the slot is private to this call site, which runs once.
        let slot: &'static mut MaybeUninit<$T> = unsafe { &mut *core::ptr::addr_of_mut!(SLOT) };
        slot.write($value)
    }};
}

/// A split virtqueue of `N` descriptors with its rings in DMA SRAM.
macro_rules! dma_queue {
    ($N:expr) => {{
        let descriptors = dma_static!(VirtqueueDescriptors<$N>, VirtqueueDescriptors::default());
        let available = dma_static!(VirtqueueAvailableRing<$N>, VirtqueueAvailableRing::default());
        let used = dma_static!(VirtqueueUsedRing<$N>, VirtqueueUsedRing::default());
        static_init!(
            SplitVirtqueue<'static, 'static, $N, Fence>,
            SplitVirtqueue::new(descriptors, available, used, RiscvCoherentDmaFence::new())
        )
    }};
}

/// VirtIO-MMIO slots holding each device type we drive (the last one wins).
pub struct Devices {
    pub blk: Option<usize>,
    pub net: Option<usize>,
    pub rng: Option<usize>,
}

pub fn probe(peripherals: &QemuRv32VirtDefaultPeripherals) -> Devices {
    let mut found = Devices { blk: None, net: None, rng: None };
    for (i, dev) in peripherals.virtio_mmio.iter().enumerate() {
        match dev.query() {
            Ok(VirtIODeviceType::BlockDevice) => found.blk = Some(i),
            Ok(VirtIODeviceType::NetworkCard) => found.net = Some(i),
            Ok(VirtIODeviceType::EntropySource) => found.rng = Some(i),
            _ => {}
        }
    }
    found
}

fn dma_or_panic<T>(r: Result<T, dma_buffer::DmaError>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("{}: {}", what, e))
}

/// The eMMC's stand-in: our VirtIO-block driver.
pub unsafe fn block_device(
    peripherals: &'static QemuRv32VirtDefaultPeripherals,
    idx: usize,
    dma: &mut DmaPool<Coherent>,
) -> &'static BlkHw {
    let transport = &peripherals.virtio_mmio[idx];
    let queue = dma_queue!({ virtio_blk::QUEUE_SIZE });
    queue.set_transport(transport);
    let header = dma_or_panic(dma.alloc(32), "virtio-blk header");
    let status = dma_or_panic(dma.alloc(32), "virtio-blk status");
    let blk = static_init!(BlkHw, VirtIOBlk::new(queue, transport, dma.region(), header, status));
    queue.set_client(blk);
    let queues = static_init!([&'static dyn Virtqueue; 1], [queue]);
    transport.initialize(blk, queues).unwrap_or_else(|e| panic!("virtio-blk initialisation failed: {:?}", e));
    blk
}

/// Entropy for the RNG driver.
pub unsafe fn rng(
    peripherals: &'static QemuRv32VirtDefaultPeripherals,
    idx: usize,
    dma: &mut DmaPool<Coherent>,
) -> &'static VirtIORng<'static, 'static, Fence> {
    let transport = &peripherals.virtio_mmio[idx];
    let queue = dma_queue!(1);
    queue.set_transport(transport);
    let rng = static_init!(VirtIORng<'static, 'static, Fence>, VirtIORng::new(queue));
    kernel::deferred_call::DeferredCallClient::register(rng);
    queue.set_client(rng);
    let queues = static_init!([&'static dyn Virtqueue; 1], [queue]);
    transport.initialize(rng, queues).unwrap_or_else(|e| panic!("virtio-rng initialisation failed: {:?}", e));
    let buffer = dma_or_panic(dma.alloc(64), "virtio-rng buffer");
    let _ = rng.provide_buffer(buffer.into_device());
    rng
}

/// The ETH MAC's stand-in: our multi-buffer VirtIO-net driver.
pub unsafe fn network_card(
    peripherals: &'static QemuRv32VirtDefaultPeripherals,
    idx: usize,
    dma: &mut DmaPool<Coherent>,
) -> &'static NetHw {
    let transport = &peripherals.virtio_mmio[idx];
    let rx_queue = dma_queue!(NET_RX_QUEUE);
    rx_queue.set_transport(transport);
    let tx_queue = dma_queue!(NET_TX_QUEUE);
    tx_queue.set_transport(transport);
    let rx = core::array::from_fn(|_| dma_or_panic(dma.alloc(virtio_net::RX_BUFFER_LEN), "virtio-net receive buffer"));
    let headers = core::array::from_fn(|_| dma_or_panic(dma.alloc(virtio_net::HEADER_LEN), "virtio-net header"));
    let net = static_init!(NetHw, VirtIONet::new(rx_queue, tx_queue, transport, dma.region(), rx, headers));
    rx_queue.set_client(net);
    tx_queue.set_client(net);
    let queues = static_init!([&'static dyn Virtqueue; 2], [rx_queue, tx_queue]);
    transport.initialize(net, queues).unwrap_or_else(|e| panic!("virtio-net initialisation failed: {:?}", e));
    net
}

/// A MAC address as `aa:bb:cc:dd:ee:ff`.
pub struct MacAddress(pub [u8; 6]);

impl fmt::Display for MacAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5])
    }
}
