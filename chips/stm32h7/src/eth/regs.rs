// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! ETH registers (RM0468 §61.11: MAC at 0x4002_8000, MTL at +0xC00, DMA at
//! +0x1000; offsets checked against ST's `stm32h723xx.h`), the RCC, SYSCFG
//! and GPIO bits the Ethernet needs, and the descriptor memory. This is the
//! only part of the driver that touches hardware; everything it applies
//! is computed in `config`, `ring` and `lan8742`.

use core::cell::Cell;
use core::ptr::{read_volatile, write_volatile};

use dma_buffer::{CacheMaintenance, DmaBuffer};
use kernel::utilities::registers::interfaces::{ReadWriteable, Readable, Writeable};
use kernel::utilities::registers::{register_bitfields, register_structs, ReadOnly, ReadWrite};
use kernel::utilities::StaticRef;
use kernel::ErrorCode;

use super::config::{self, MulticastFilter, DESCRIPTOR_SKIP_WORDS, PERFECT_SLOTS};
use super::datapath::{DmaDoorbell, DmaEvents, RX_BUFFER_LEN};
use super::ring::{Descriptor, DescriptorMemory, STRIDE};
use crate::lan8742::{LinkMode, Mdio, MdioError};

register_structs! {
    pub EthRegisters {
        (0x0000 => maccr: ReadWrite<u32, MACCR::Register>),
        (0x0004 => macecr: ReadWrite<u32>),
        (0x0008 => macpfr: ReadWrite<u32, MACPFR::Register>),
        (0x000C => macwtr: ReadWrite<u32>),
        (0x0010 => macht0r: ReadWrite<u32>),
        (0x0014 => macht1r: ReadWrite<u32>),
        (0x0018 => _reserved0),
        (0x00B0 => macisr: ReadOnly<u32>),
        (0x00B4 => macier: ReadWrite<u32>),
        (0x00B8 => _reserved1),
        (0x0110 => macvr: ReadOnly<u32>),
        (0x0114 => _reserved2),
        (0x0200 => macmdioar: ReadWrite<u32, MACMDIOAR::Register>),
        (0x0204 => macmdiodr: ReadWrite<u32>),
        (0x0208 => _reserved3),
        (0x0300 => maca0hr: ReadWrite<u32>),
        (0x0304 => maca0lr: ReadWrite<u32>),
        /// MACA1HR, MACA1LR .. MACA3HR, MACA3LR.
        (0x0308 => macaxr: [ReadWrite<u32>; 2 * PERFECT_SLOTS]),
        (0x0320 => _reserved4),
        (0x070C => mmcrimr: ReadWrite<u32>),
        (0x0710 => mmctimr: ReadWrite<u32>),
        (0x0714 => _reserved5),
        (0x0D00 => mtltxqomr: ReadWrite<u32, MTLTXQOMR::Register>),
        (0x0D04 => _reserved6),
        (0x0D30 => mtlrxqomr: ReadWrite<u32, MTLRXQOMR::Register>),
        (0x0D34 => mtlrxqmpocr: ReadOnly<u32, MTLRXQMPOCR::Register>),
        (0x0D38 => _reserved7),
        (0x1000 => dmamr: ReadWrite<u32, DMAMR::Register>),
        (0x1004 => dmasbmr: ReadWrite<u32, DMASBMR::Register>),
        (0x1008 => dmaisr: ReadOnly<u32>),
        (0x100C => dmadsr: ReadOnly<u32>),
        (0x1010 => _reserved8),
        (0x1100 => dmaccr: ReadWrite<u32, DMACCR::Register>),
        (0x1104 => dmactxcr: ReadWrite<u32, DMACTXCR::Register>),
        (0x1108 => dmacrxcr: ReadWrite<u32, DMACRXCR::Register>),
        (0x110C => _reserved9),
        (0x1114 => dmactxdlar: ReadWrite<u32>),
        (0x1118 => _reserved10),
        (0x111C => dmacrxdlar: ReadWrite<u32>),
        (0x1120 => dmactxdtpr: ReadWrite<u32>),
        (0x1124 => _reserved11),
        (0x1128 => dmacrxdtpr: ReadWrite<u32>),
        (0x112C => dmactxrlr: ReadWrite<u32>),
        (0x1130 => dmacrxrlr: ReadWrite<u32>),
        (0x1134 => dmacier: ReadWrite<u32, DMACSR::Register>),
        (0x1138 => _reserved12),
        (0x1160 => dmacsr: ReadWrite<u32, DMACSR::Register>),
        (0x1164 => _reserved13),
        (0x116C => dmacmfcr: ReadOnly<u32>),
        (0x1170 => @END),
    }
}

register_bitfields![u32,
    MACCR [
        RE OFFSET(0) NUMBITS(1) [],
        TE OFFSET(1) NUMBITS(1) [],
        /// Duplex mode: full.
        DM OFFSET(13) NUMBITS(1) [],
        /// Speed: 100 Mbit/s.
        FES OFFSET(14) NUMBITS(1) [],
        /// Automatic pad or CRC stripping (length frames).
        ACS OFFSET(20) NUMBITS(1) [],
        /// CRC stripping for type frames.
        CST OFFSET(21) NUMBITS(1) [],
        /// Receive checksum offload.
        IPC OFFSET(27) NUMBITS(1) []
    ],
    MACPFR [
        PR OFFSET(0) NUMBITS(1) [],
        HUC OFFSET(1) NUMBITS(1) [],
        HMC OFFSET(2) NUMBITS(1) [],
        PM OFFSET(4) NUMBITS(1) [],
        DBF OFFSET(5) NUMBITS(1) [],
        HPF OFFSET(10) NUMBITS(1) [],
        RA OFFSET(31) NUMBITS(1) []
    ],
    MACMDIOAR [
        MB OFFSET(0) NUMBITS(1) [],
        /// MII operation command (RM0468 "GOC"): 01 write, 11 read.
        GOC OFFSET(2) NUMBITS(2) [Write = 0b01, Read = 0b11],
        CR OFFSET(8) NUMBITS(4) [],
        RDA OFFSET(16) NUMBITS(5) [],
        PA OFFSET(21) NUMBITS(5) []
    ],
    MTLTXQOMR [
        FTQ OFFSET(0) NUMBITS(1) [],
        /// Transmit store and forward.
        TSF OFFSET(1) NUMBITS(1) []
    ],
    MTLRXQOMR [
        /// Forward error packets (off: the MTL drops them).
        FEP OFFSET(4) NUMBITS(1) [],
        /// Receive store and forward.
        RSF OFFSET(5) NUMBITS(1) []
    ],
    MTLRXQMPOCR [
        OVFPKTCNT OFFSET(0) NUMBITS(11) [],
        MISPKTCNT OFFSET(16) NUMBITS(11) []
    ],
    DMAMR [
        SWR OFFSET(0) NUMBITS(1) []
    ],
    DMASBMR [
        FB OFFSET(0) NUMBITS(1) [],
        AAL OFFSET(12) NUMBITS(1) []
    ],
    DMACCR [
        DSL OFFSET(18) NUMBITS(3) []
    ],
    DMACTXCR [
        ST OFFSET(0) NUMBITS(1) [],
        TXPBL OFFSET(16) NUMBITS(6) []
    ],
    DMACRXCR [
        SR OFFSET(0) NUMBITS(1) [],
        RBSZ OFFSET(1) NUMBITS(14) [],
        RXPBL OFFSET(16) NUMBITS(6) []
    ],
    /// DMACSR, and DMACIER with the same positions (TIE..NIE).
    DMACSR [
        TI OFFSET(0) NUMBITS(1) [],
        TPS OFFSET(1) NUMBITS(1) [],
        TBU OFFSET(2) NUMBITS(1) [],
        RI OFFSET(6) NUMBITS(1) [],
        RBU OFFSET(7) NUMBITS(1) [],
        RPS OFFSET(8) NUMBITS(1) [],
        FBE OFFSET(12) NUMBITS(1) [],
        AIS OFFSET(14) NUMBITS(1) [],
        NIS OFFSET(15) NUMBITS(1) []
    ],
];

register_structs! {
    RccRegisters {
        (0x00 => _reserved0),
        (0x80 => ahb1rstr: ReadWrite<u32>),
        (0x84 => _reserved1),
        (0xD8 => ahb1enr: ReadWrite<u32>),
        (0xDC => _reserved2),
        (0xE0 => ahb4enr: ReadWrite<u32>),
        (0xE4 => _reserved3),
        (0xF4 => apb4enr: ReadWrite<u32>),
        (0xF8 => @END),
    }
}

register_structs! {
    SyscfgRegisters {
        (0x00 => _reserved0),
        (0x04 => pmcr: ReadWrite<u32>),
        (0x08 => @END),
    }
}

register_structs! {
    GpioRegisters {
        (0x00 => moder: ReadWrite<u32>),
        (0x04 => otyper: ReadWrite<u32>),
        (0x08 => ospeedr: ReadWrite<u32>),
        (0x0C => pupdr: ReadWrite<u32>),
        (0x10 => _reserved0),
        (0x20 => afr: [ReadWrite<u32>; 2]),
        (0x28 => @END),
    }
}

/// The ETH interrupt on the STM32H723 (NVIC line, `stm32h723xx.h` ETH_IRQn).
pub const ETH_IRQ: u32 = 61;

const ETH_BASE: usize = 0x4002_8000;
const RCC_BASE: usize = 0x5802_4400;
const SYSCFG_BASE: usize = 0x5800_0400;
const GPIO_BASE: usize = 0x5802_0000;
const GPIO_STRIDE: usize = 0x400;

/// RCC_AHB1ENR / AHB1RSTR: ETH1MACEN (and ETH1MACRST) 15, ETH1TXEN 16, ETH1RXEN 17.
const ETH1MAC: u32 = 1 << 15;
const ETH1TX: u32 = 1 << 16;
const ETH1RX: u32 = 1 << 17;
/// RCC_APB4ENR.SYSCFGEN.
const SYSCFGEN: u32 = 1 << 1;
/// SYSCFG_PMCR.EPIS_SEL (bits 23:21): 100 = RMII.
const EPIS_MASK: u32 = 0b111 << 21;
const EPIS_RMII: u32 = 0b100 << 21;

/// The RMII pins (HARDWARE.md §5): (port 0 = A, 1 = B, 2 = C, 6 = G; pin),
/// all alternate function 11, very high speed, no pull.
pub const RMII_PINS: [(usize, usize); 9] = [
    (0, 1),  // PA1 REF_CLK
    (0, 2),  // PA2 MDIO
    (2, 1),  // PC1 MDC
    (0, 7),  // PA7 CRS_DV
    (2, 4),  // PC4 RXD0
    (2, 5),  // PC5 RXD1
    (6, 11), // PG11 TX_EN
    (6, 13), // PG13 TXD0
    (1, 13), // PB13 TXD1
];
pub const RMII_AF: u32 = 11;

/// Bounds for waits on the hardware, in register reads: an MDIO frame is
/// 64 MDC cycles (~29 us at 2.2 MHz), far below 20 000 reads; the DMA's
/// software reset needs the PHY's 50 MHz REF_CLK and never ends without it.
const MDIO_SPIN_LIMIT: u32 = 20_000;
const RESET_SPIN_LIMIT: u32 = 1_000_000;
/// DMA bursts of 32 beats, AHB fixed bursts, address-aligned (ST's HAL defaults).
const BURST_BEATS: u32 = 32;

fn dsb() {
    #[cfg(all(target_arch = "arm", target_os = "none"))]
    // SAFETY: a barrier changes no state.
    unsafe {
        core::arch::asm!("dsb", options(nostack, preserves_flags));
    }
}

/// Selects RMII and turns the Ethernet clocks on, in the order RM0468's
/// SYSCFG_PMCR description asks: the interface is chosen while the MAC is
/// held in reset and before its clocks run (ST's HAL selects it after
/// enabling the clocks; this order satisfies both), then the MAC is reset.
/// Also enables the GPIO clocks and puts the RMII pins on AF11.
///
/// # Safety
/// Once, at boot, before [`EthMac::reset`]; the caller owns RCC, SYSCFG and
/// the RMII pins (no other driver changes these registers meanwhile).
pub unsafe fn enable_rmii() {
    // SAFETY: fixed peripheral addresses of the STM32H723 (RM0468 §2.3).
    let rcc: StaticRef<RccRegisters> = unsafe { StaticRef::new(RCC_BASE as *const RccRegisters) };
    // SAFETY: as above.
    let syscfg: StaticRef<SyscfgRegisters> = unsafe { StaticRef::new(SYSCFG_BASE as *const SyscfgRegisters) };
    rcc.ahb1rstr.set(rcc.ahb1rstr.get() | ETH1MAC);
    rcc.apb4enr.set(rcc.apb4enr.get() | SYSCFGEN);
    let _ = rcc.apb4enr.get(); // the clock is running once the write has landed
    syscfg.pmcr.set(syscfg.pmcr.get() & !EPIS_MASK | EPIS_RMII);
    let _ = syscfg.pmcr.get();
    rcc.ahb1enr.set(rcc.ahb1enr.get() | ETH1MAC | ETH1TX | ETH1RX);
    let _ = rcc.ahb1enr.get();
    rcc.ahb1rstr.set(rcc.ahb1rstr.get() & !ETH1MAC);

    for (port, _) in RMII_PINS {
        rcc.ahb4enr.set(rcc.ahb4enr.get() | 1 << port);
    }
    let _ = rcc.ahb4enr.get();
    for (port, pin) in RMII_PINS {
        // SAFETY: GPIOA..GPIOG are 0x400 apart from 0x5802_0000.
        let gpio: StaticRef<GpioRegisters> =
            unsafe { StaticRef::new((GPIO_BASE + port * GPIO_STRIDE) as *const GpioRegisters) };
        let two = 2 * pin;
        gpio.afr[pin / 8].set(gpio.afr[pin / 8].get() & !(0xF << (4 * (pin % 8))) | RMII_AF << (4 * (pin % 8)));
        gpio.otyper.set(gpio.otyper.get() & !(1 << pin));
        gpio.ospeedr.set(gpio.ospeedr.get() | 0b11 << two);
        gpio.pupdr.set(gpio.pupdr.get() & !(0b11 << two));
        gpio.moder.set(gpio.moder.get() & !(0b11 << two) | 0b10 << two);
    }
}

/// Descriptor memory in the DMA window: descriptor `i` at `base + 32 i`,
/// each in its own cache line. Writes are volatile, DES3 last, then the
/// line is cleaned; reads invalidate the line first, so the CPU never works
/// on a stale or dirty copy while the DMA owns a descriptor. The AXI SRAM
/// stays cacheable: no MPU region is needed.
pub struct DmaDescriptors<C> {
    base: *mut u32,
    count: usize,
    _cache: core::marker::PhantomData<C>,
}

impl<C: CacheMaintenance> DmaDescriptors<C> {
    /// `count` descriptors in `memory` (at least `count * 32` bytes),
    /// zeroed: every descriptor starts owned by the CPU.
    pub fn new(mut memory: DmaBuffer<C>, count: usize) -> Self {
        assert!(memory.len() >= count * STRIDE, "eth: descriptor memory too small");
        memory.as_mut_slice().fill(0);
        // Cleaned here, and from now on only reached through volatile accesses.
        let raw = memory.into_device();
        DmaDescriptors { base: raw.as_mut_ptr().cast::<u32>(), count, _cache: core::marker::PhantomData }
    }

    /// The address DMACTXDLAR/DMACRXDLAR takes.
    pub fn address(&self) -> u32 {
        self.base as usize as u32
    }

    fn word(&self, index: usize, n: usize) -> *mut u32 {
        assert!(index < self.count);
        self.base.wrapping_add(index * STRIDE / 4 + n)
    }
}

impl<C: CacheMaintenance> DescriptorMemory for DmaDescriptors<C> {
    fn count(&self) -> usize {
        self.count
    }

    fn read(&self, index: usize) -> Descriptor {
        let line = self.word(index, 0);
        C::invalidate(line as usize, STRIDE);
        // SAFETY: `line` is a descriptor inside the memory this struct took
        // over (index checked), 32-byte aligned (a DmaBuffer is whole lines).
        unsafe { [0, 1, 2, 3].map(|n| read_volatile(line.wrapping_add(n))) }
    }

    fn write(&self, index: usize, descriptor: Descriptor) {
        let line = self.word(index, 0);
        // SAFETY: as in `read`; the DMA does not own this descriptor (the
        // rings only write descriptors they took back or never gave).
        unsafe {
            for (n, w) in descriptor.iter().enumerate().take(3) {
                write_volatile(line.wrapping_add(n), *w);
            }
            write_volatile(line.wrapping_add(3), descriptor[3]);
        }
        C::clean(line as usize, STRIDE);
    }
}

/// The MAC, MTL and DMA registers, with the rings' addresses.
pub struct EthMac {
    registers: StaticRef<EthRegisters>,
    rx_ring: Cell<(u32, usize)>,
    tx_ring: Cell<(u32, usize)>,
}

impl Default for EthMac {
    fn default() -> Self {
        Self::new()
    }
}

impl EthMac {
    pub const fn new() -> Self {
        EthMac {
            // SAFETY: the ETH block's fixed address on the STM32H723.
            registers: unsafe { StaticRef::new(ETH_BASE as *const EthRegisters) },
            rx_ring: Cell::new((0, 0)),
            tx_ring: Cell::new((0, 0)),
        }
    }

    /// Resets the MAC, MTL and DMA (DMAMR.SWR). `FAIL` if the reset does not
    /// end: no REF_CLK from the PHY (JP6/SB72 on the NUCLEO).
    pub fn reset(&self) -> Result<(), ErrorCode> {
        let r = &self.registers;
        r.dmamr.modify(DMAMR::SWR::SET);
        for _ in 0..RESET_SPIN_LIMIT {
            if !r.dmamr.is_set(DMAMR::SWR) {
                return Ok(());
            }
        }
        Err(ErrorCode::FAIL)
    }

    /// Programs the block after a reset: MDIO clock, address, filter, MAC
    /// (receive and transmit stay off until a link is up), MTL in store and
    /// forward, the DMA and its rings, interrupts; the DMA starts suspended
    /// (tail = current = descriptor 0).
    pub fn configure(
        &self,
        hclk_hz: u32,
        mac: [u8; 6],
        filter: &MulticastFilter,
        rx: (u32, usize),
        tx: (u32, usize),
    ) -> Result<(), ErrorCode> {
        let r = &self.registers;
        let (cr, _mdc_hz) = config::mdio_clock_range(hclk_hz).ok_or(ErrorCode::INVAL)?;
        r.macmdioar.write(MACMDIOAR::CR.val(cr));

        let (high, low) = config::address_registers(mac);
        // High half first: the address takes effect with the low write.
        r.maca0hr.set(high | 1 << 31);
        r.maca0lr.set(low);
        self.apply_filter(filter);
        r.maccr.modify(MACCR::ACS::SET + MACCR::CST::SET + MACCR::IPC::CLEAR + MACCR::RE::CLEAR + MACCR::TE::CLEAR);
        // Every MMC counter interrupt masked (ST's HAL masks the same bits):
        // they would fire on the shared line with nothing to clear them.
        r.mmcrimr.set(1 << 27 | 1 << 26 | 1 << 17 | 1 << 6 | 1 << 5);
        r.mmctimr.set(1 << 27 | 1 << 26 | 1 << 21 | 1 << 15 | 1 << 14);
        r.macier.set(0);

        r.mtltxqomr.modify(MTLTXQOMR::TSF::SET);
        r.mtlrxqomr.modify(MTLRXQOMR::RSF::SET + MTLRXQOMR::FEP::CLEAR);

        r.dmasbmr.modify(DMASBMR::AAL::SET + DMASBMR::FB::SET);
        r.dmaccr.write(DMACCR::DSL.val(DESCRIPTOR_SKIP_WORDS));
        r.dmactxcr.modify(DMACTXCR::TXPBL.val(BURST_BEATS));
        r.dmacrxcr.modify(DMACRXCR::RXPBL.val(BURST_BEATS) + DMACRXCR::RBSZ.val(RX_BUFFER_LEN as u32));
        r.dmactxrlr.set(tx.1 as u32 - 1);
        r.dmacrxrlr.set(rx.1 as u32 - 1);
        r.dmactxdlar.set(tx.0);
        r.dmacrxdlar.set(rx.0);
        r.dmactxdtpr.set(tx.0);
        r.dmacrxdtpr.set(rx.0);
        self.tx_ring.set(tx);
        self.rx_ring.set(rx);
        r.dmacier.write(
            DMACSR::NIS::SET
                + DMACSR::AIS::SET
                + DMACSR::TI::SET
                + DMACSR::RI::SET
                + DMACSR::RBU::SET
                + DMACSR::FBE::SET,
        );
        r.dmactxcr.modify(DMACTXCR::ST::SET);
        r.dmacrxcr.modify(DMACRXCR::SR::SET);
        Ok(())
    }

    /// Speed and duplex from the PHY, with receive and transmit turned on.
    pub fn set_link(&self, mode: LinkMode) {
        let r = &self.registers;
        let (fes, dm) = config::speed_duplex_bits(mode);
        r.maccr.modify(MACCR::RE::CLEAR + MACCR::TE::CLEAR);
        r.maccr.modify(MACCR::FES.val(fes as u32) + MACCR::DM.val(dm as u32));
        r.maccr.modify(MACCR::RE::SET + MACCR::TE::SET);
    }

    /// Promiscuous off, broadcast on, multicast through the filter.
    pub fn apply_filter(&self, filter: &MulticastFilter) {
        let r = &self.registers;
        for n in 1..=PERFECT_SLOTS {
            let (high, low) = filter.perfect_registers(n);
            r.macaxr[2 * (n - 1)].set(high);
            r.macaxr[2 * (n - 1) + 1].set(low);
        }
        let [ht0, ht1] = filter.hash_registers();
        r.macht0r.set(ht0);
        r.macht1r.set(ht1);
        let hash = filter.uses_hash() as u32;
        r.macpfr.write(
            MACPFR::PR::CLEAR + MACPFR::PM::CLEAR + MACPFR::DBF::CLEAR + MACPFR::HMC.val(hash) + MACPFR::HPF.val(hash),
        );
    }

    /// Reads and clears the DMA channel status. `fatal`: a bus error
    /// stopped the DMA, which only a reset recovers.
    pub fn take_events(&self) -> (DmaEvents, bool) {
        let r = &self.registers;
        let status = r.dmacsr.extract();
        // Write-one-to-clear: exactly what was read, summaries included.
        r.dmacsr.set(status.get());
        let events = DmaEvents {
            received: status.is_set(DMACSR::RI),
            transmitted: status.is_set(DMACSR::TI),
            rx_unavailable: status.is_set(DMACSR::RBU),
        };
        (events, status.is_set(DMACSR::FBE))
    }

    /// Frames the MTL dropped: receive FIFO overflows and frames missed for
    /// lack of descriptors (counters clear on read).
    pub fn take_missed(&self) -> (u32, u32) {
        let v = self.registers.mtlrxqmpocr.extract();
        (v.read(MTLRXQMPOCR::OVFPKTCNT), v.read(MTLRXQMPOCR::MISPKTCNT))
    }

    /// Stops both DMA directions and the MAC (before a reset).
    pub fn stop(&self) {
        let r = &self.registers;
        r.dmactxcr.modify(DMACTXCR::ST::CLEAR);
        r.dmacrxcr.modify(DMACRXCR::SR::CLEAR);
        r.maccr.modify(MACCR::RE::CLEAR + MACCR::TE::CLEAR);
    }

    fn mdio_wait(&self) -> Result<(), MdioError> {
        for _ in 0..MDIO_SPIN_LIMIT {
            if !self.registers.macmdioar.is_set(MACMDIOAR::MB) {
                return Ok(());
            }
        }
        Err(MdioError)
    }

    fn mdio_start(&self, phy: u8, register: u8, op: u32) {
        self.registers.macmdioar.modify(
            MACMDIOAR::PA.val(phy.into())
                + MACMDIOAR::RDA.val(register.into())
                + MACMDIOAR::GOC.val(op)
                + MACMDIOAR::MB::SET,
        );
    }
}

impl Mdio for EthMac {
    fn read(&self, phy: u8, register: u8) -> Result<u16, MdioError> {
        self.mdio_wait()?;
        self.mdio_start(phy, register, 0b11);
        self.mdio_wait()?;
        Ok(self.registers.macmdiodr.get() as u16)
    }

    fn write(&self, phy: u8, register: u8, value: u16) -> Result<(), MdioError> {
        self.mdio_wait()?;
        self.registers.macmdiodr.set(value.into());
        self.mdio_start(phy, register, 0b01);
        self.mdio_wait()
    }
}

impl DmaDoorbell for EthMac {
    fn tx_tail(&self, index: usize) {
        let (base, _) = self.tx_ring.get();
        // The descriptors' cleaned lines reach memory before the DMA looks.
        dsb();
        self.registers.dmactxdtpr.set(base + (index * STRIDE) as u32);
    }

    fn rx_tail(&self, index: usize) {
        let (base, _) = self.rx_ring.get();
        dsb();
        self.registers.dmacrxdtpr.set(base + (index * STRIDE) as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eth::ring::{rx_descriptor, Ring};
    use dma_buffer::{Coherent, DmaPool, DmaRegion};
    extern crate std;
    use std::{boxed::Box, vec};

    #[test]
    fn descriptors_sit_one_cache_line_apart_and_round_trip() {
        let mem: &'static mut [u8] = Box::leak(vec![0xAAu8; 4096 + 32].into_boxed_slice());
        let skip = mem.as_ptr().align_offset(32);
        let window = &mut mem[skip..skip + 4096];
        // SAFETY: test memory, leaked and used for nothing else.
        let region = unsafe { DmaRegion::<Coherent>::new(window.as_ptr() as usize, window.len()) };
        let mut pool = DmaPool::new(region, window).unwrap();
        let descriptors = DmaDescriptors::new(pool.alloc(5 * STRIDE).unwrap(), 5);
        assert_eq!(descriptors.address() % 32, 0);
        assert!((0..5).all(|i| descriptors.read(i) == [0; 4]), "zeroed: all owned by the CPU");
        let mut ring: Ring<u32, 5> = Ring::new();
        for i in 0..4 {
            ring.give(&descriptors, rx_descriptor(0x2400_0000 + i), i).unwrap();
        }
        assert_eq!(descriptors.read(3), rx_descriptor(0x2400_0003));
        // Descriptor i starts 32 i bytes after the base; the rest of its line is untouched.
        let base = descriptors.base.cast::<u8>();
        // SAFETY: reading the test's own memory through the base pointer.
        let line1 = unsafe { core::slice::from_raw_parts(base.wrapping_add(32), 32) };
        assert_eq!(&line1[..4], &0x2400_0001u32.to_le_bytes());
        assert_eq!(&line1[16..], &[0u8; 16]);
    }
}
