// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The ETH MAC (a Synopsys DWC Ethernet QoS, RM0468 §61) with the
//! NUCLEO-H723ZG's LAN8742A PHY over RMII, behind
//! [`EthernetAdapterDatapath`] like the twin's VirtIO-net driver.
//!
//! - `ring`: descriptor formats and ring ownership (pure);
//! - `datapath`: the HIL over `DmaBuffer`s (pure, host-tested against the
//!   DMA model in `dma_model`);
//! - `config`: register values (pure);
//! - `regs`: the registers, RMII bring-up, descriptor memory, MDIO;
//! - [`Ethernet`]: the three together with the PHY state machine
//!   (`crate::lan8742`), and [`LinkPoller`], which polls the link from an
//!   alarm and reports changes on the console.
//!
//! Memory, all from the DMA pool (AXI SRAM): 9 receive descriptors for 8
//! buffers and 5 transmit descriptors for 4 frames in flight (a ring keeps
//! one descriptor free), one 32-byte line each (448 bytes), and 8 receive
//! buffers of 1536 bytes (12 KiB). Transmit frames are the client's own
//! DMA-safe buffers (the switch's), sent without a copy.
//!
//! Boot order for the board: MPU and caches; [`regs::enable_rmii`];
//! [`Ethernet::new`] with the pool's memory; [`Ethernet::init`]; the client
//! (`set_client`, `enable_receive`); [`LinkPoller::start`]; NVIC line
//! [`ETH_IRQ`] routed to [`Ethernet::handle_interrupt`].

use core::cell::Cell;

use dma_buffer::{CacheMaintenance, DmaBuffer, DmaRegion};
use kernel::debug;
use kernel::hil::ethernet::{EthernetAdapterDatapath, EthernetAdapterDatapathClient};
use kernel::hil::time::{Alarm, AlarmClient, ConvertTicks};
use kernel::utilities::cells::MapCell;
use kernel::ErrorCode;

use crate::lan8742::{Lan8742, LinkEvent, LinkMode, Poll};

pub mod config;
pub mod datapath;
pub mod regs;
pub mod ring;

#[cfg(test)]
mod dma_model;

pub use config::{FilterSlot, MulticastFilter};
pub use datapath::{EthCounters, EthDatapath, MAX_TX_FRAME, RX_BUFFER_LEN};
pub use regs::{enable_rmii, DmaDescriptors, EthMac, ETH_IRQ, RMII_AF, RMII_PINS};

/// Receive descriptors and the buffers posted in them (8, like the twin).
pub const RX_DESCRIPTORS: usize = 9;
pub const RX_BUFFERS: usize = RX_DESCRIPTORS - 1;
/// Transmit descriptors: 4 frames in flight, like the twin.
pub const TX_DESCRIPTORS: usize = 5;
/// The LAN8742A's strapped MDIO address on the NUCLEO-H723ZG.
pub const NUCLEO_PHY_ADDRESS: u8 = 0;
/// The original firmware's MAC address.
pub const NUCLEO_MEM_MAC: [u8; 6] = [0xDE, 0xAD, 0xBE, 0xEF, 0x17, 0x64];

pub type Datapath<'a, C> = EthDatapath<'a, C, DmaDescriptors<C>, EthMac, RX_DESCRIPTORS, RX_BUFFERS, TX_DESCRIPTORS>;

/// The MAC, its data path and the PHY.
pub struct Ethernet<'a, C: CacheMaintenance + 'static> {
    mac: &'a EthMac,
    datapath: Datapath<'a, C>,
    phy: MapCell<Lan8742>,
    filter: MapCell<MulticastFilter>,
    address: [u8; 6],
    hclk_hz: u32,
    rx_ring: (u32, usize),
    tx_ring: (u32, usize),
    link: Cell<Option<LinkMode>>,
}

impl<'a, C: CacheMaintenance> Ethernet<'a, C> {
    /// `rx_descriptors` and `tx_descriptors` hold [`RX_DESCRIPTORS`] and
    /// [`TX_DESCRIPTORS`]; `hclk_hz` is the AHB clock (the clock plan's
    /// `ahb_hz`: 275 or 260 MHz); `address` the board's MAC address.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        mac: &'a EthMac,
        region: DmaRegion<C>,
        rx_descriptors: DmaDescriptors<C>,
        tx_descriptors: DmaDescriptors<C>,
        rx_buffers: [DmaBuffer<C>; RX_BUFFERS],
        address: [u8; 6],
        hclk_hz: u32,
        phy_address: u8,
    ) -> Self {
        let rx_ring = (rx_descriptors.address(), RX_DESCRIPTORS);
        let tx_ring = (tx_descriptors.address(), TX_DESCRIPTORS);
        Ethernet {
            mac,
            datapath: EthDatapath::new(region, rx_descriptors, tx_descriptors, mac, rx_buffers),
            phy: MapCell::new(Lan8742::new(phy_address)),
            filter: MapCell::new(MulticastFilter::default()),
            address,
            hclk_hz,
            rx_ring,
            tx_ring,
            link: Cell::new(None),
        }
    }

    /// Resets and programs the block (after [`regs::enable_rmii`]). `FAIL`:
    /// the reset never ended, i.e. no 50 MHz REF_CLK from the PHY.
    pub fn init(&self) -> Result<(), ErrorCode> {
        self.mac.reset()?;
        let filter = self.filter.map(|f| *f).unwrap_or_default();
        self.mac.configure(self.hclk_hz, self.address, &filter, self.rx_ring, self.tx_ring)
    }

    pub fn mac_address(&self) -> [u8; 6] {
        self.address
    }

    /// The negotiated link, while it is up.
    pub fn link(&self) -> Option<LinkMode> {
        self.link.get()
    }

    pub fn counters(&self) -> EthCounters {
        self.datapath.counters()
    }

    /// Accepts frames to a multicast address (mDNS: 01:00:5E:00:00:FB).
    pub fn accept_multicast(&self, group: [u8; 6]) -> Result<FilterSlot, ErrorCode> {
        let (slot, filter) =
            self.filter.map(|f| f.accept(group).map(|slot| (slot, *f))).unwrap_or(Err(ErrorCode::FAIL))?;
        self.mac.apply_filter(&filter);
        Ok(slot)
    }

    /// The ETH interrupt (NVIC line [`ETH_IRQ`]).
    pub fn handle_interrupt(&self) {
        let (events, fatal) = self.mac.take_events();
        if fatal {
            self.recover();
            return;
        }
        if events.rx_unavailable {
            let (overflow, missed) = self.mac.take_missed();
            self.datapath.count_fifo_drops(overflow + missed);
        }
        self.datapath.handle_events(events);
    }

    /// A fatal bus error stopped the DMA: frames in flight fail, the block
    /// is reset and programmed again, receive buffers are posted again.
    fn recover(&self) {
        self.mac.stop();
        self.datapath.abort();
        if self.init().is_ok() {
            if let Some(mode) = self.link.get() {
                self.mac.set_link(mode);
            }
            self.datapath.restart();
        }
    }

    /// Advances the PHY state machine; applies a link change to the MAC and
    /// the data path. Returns the event and when to poll again.
    pub fn poll_link(&self) -> Poll {
        let poll =
            self.phy.map(|p| p.poll(self.mac)).unwrap_or(Poll { event: None, next_ms: crate::lan8742::STEADY_POLL_MS });
        match poll.event {
            Some(LinkEvent::Up(mode)) => {
                self.mac.set_link(mode);
                self.link.set(Some(mode));
                self.datapath.set_link(true);
            }
            Some(LinkEvent::Down) | Some(LinkEvent::Fault(_)) => {
                self.link.set(None);
                self.datapath.set_link(false);
            }
            None => {}
        }
        poll
    }
}

impl<'a, C: CacheMaintenance> EthernetAdapterDatapath<'a> for Ethernet<'a, C> {
    fn set_client(&self, client: &'a dyn EthernetAdapterDatapathClient) {
        self.datapath.set_client(client);
    }

    fn enable_receive(&self) {
        self.datapath.enable_receive();
    }

    fn disable_receive(&self) {
        self.datapath.disable_receive();
    }

    fn transmit_frame(
        &self,
        frame_buffer: &'static mut [u8],
        len: u16,
        transmission_identifier: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        self.datapath.transmit_frame(frame_buffer, len, transmission_identifier)
    }
}

/// Polls the PHY from an alarm (every 500 ms while steady, like the
/// original firmware's link thread; 10 ms while the PHY resets) and prints
/// each link change on the console.
pub struct LinkPoller<'a, A: Alarm<'a>, C: CacheMaintenance + 'static> {
    alarm: &'a A,
    ethernet: &'a Ethernet<'a, C>,
}

impl<'a, A: Alarm<'a>, C: CacheMaintenance> LinkPoller<'a, A, C> {
    pub fn new(alarm: &'a A, ethernet: &'a Ethernet<'a, C>) -> Self {
        LinkPoller { alarm, ethernet }
    }

    /// The first poll, at once (the board sets this as the alarm's client first).
    pub fn start(&self) {
        self.alarm.set_alarm(self.alarm.now(), self.alarm.ticks_from_ms(1));
    }
}

impl<'a, A: Alarm<'a>, C: CacheMaintenance> AlarmClient for LinkPoller<'a, A, C> {
    fn alarm(&self) {
        let poll = self.ethernet.poll_link();
        if let Some(event) = poll.event {
            debug!("eth: {}", event);
        }
        self.alarm.set_alarm(self.alarm.now(), self.alarm.ticks_from_ms(poll.next_ms));
    }
}
