// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! SDMMC1 (RM0468, SDMMC chapter) with an eMMC behind the block HIL.
//!
//! [`Sdmmc`] is the register layer under the eMMC state machine
//! ([`crate::emmc::Emmc`]): it sends commands, arms the data path with the
//! internal DMA (IDMA, single buffer) on a [`DmaBuffer`], and turns the
//! controller's status flags into [`Event`]s. It implements
//! [`BlockDevice`]: one request at a time, `BUSY` otherwise, bounds by
//! [`hil_ext::block::check_request`] against EXT_CSD SEC_COUNT.
//!
//! What the board does, in this order (the driver touches nothing outside
//! SDMMC1's registers):
//! 1. RCC: kernel clock PLL2R (200 MHz, `clock::PLL2R_HZ`) with
//!    RCC_D1CCIPR (0x5802_444C) SDMMCSEL (bit 16) = 1; PLL1Q, the reset
//!    choice, is off in the clock plan. Then RCC_AHB3ENR (0x5802_44D4)
//!    SDMMC1EN (bit 16) = 1.
//! 2. GPIO, AF12, very high speed, push-pull, no pulls: D0 PC8, D1 PC9,
//!    D2 PC10, D3 PC11, D4 PB8, D5 PB9, D6 PC6, D7 PC7, CK PC12, CMD PD2.
//! 3. `Sdmmc::new(SDMMC1_BASE, region, PLL2R_HZ, config, ext_csd)` with a
//!    512-byte [`DmaBuffer`] from the AXI SRAM pool, `set_client`,
//!    `set_card_client`; route NVIC line [`SDMMC1_IRQ`] (49) to
//!    [`Sdmmc::handle_interrupt`] and enable it.
//! 4. [`Sdmmc::init`] (once; it waits 1 ms for the card's power-up clocks).
//!    Identification runs on interrupts; [`SdmmcCardClient::card_ready`]
//!    reports the capacity or why not. Only then may the block capsule
//!    check the device (`capsules/blk` `check_device`).
//!
//! The IDMA reaches AXI SRAM but not the DTCM (HARDWARE.md §10, to be
//! confirmed in RM0468's bus-matrix chapter): the board's DMA window must be AXI SRAM.

use core::cell::Cell;

use dma_buffer::{CacheMaintenance, DmaBuffer, DmaRegion};
use hil_ext::block::{BlockClient, BlockDevice, SECTOR_SIZE};
use kernel::utilities::cells::{MapCell, OptionalCell, TakeCell};
use kernel::utilities::registers::interfaces::{ReadWriteable, Readable, Writeable};
use kernel::utilities::registers::{register_bitfields, register_structs, FieldValue, ReadOnly, ReadWrite, WriteOnly};
use kernel::utilities::StaticRef;
use kernel::ErrorCode;

use crate::emmc::{
    BusError, BusSpeed, BusWidth, CardInfo, Command, Completion, Direction, Emmc, EmmcBus, EmmcConfig, EmmcError,
    Event, Op, Outcome, Response, ResponseKind,
};

register_structs! {
    /// The RM0468 SDMMC register map (offsets cross-checked with the
    /// stm32-rs STM32H723 SVD pages and embassy's stm32-data sdmmc_v2).
    pub SdmmcRegisters {
        (0x000 => power: ReadWrite<u32, POWER::Register>),
        (0x004 => clkcr: ReadWrite<u32, CLKCR::Register>),
        (0x008 => argr: ReadWrite<u32>),
        (0x00C => cmdr: ReadWrite<u32, CMDR::Register>),
        (0x010 => respcmdr: ReadOnly<u32>),
        (0x014 => resp: [ReadOnly<u32>; 4]),
        (0x024 => dtimer: ReadWrite<u32>),
        (0x028 => dlenr: ReadWrite<u32>),
        (0x02C => dctrl: ReadWrite<u32, DCTRL::Register>),
        (0x030 => dcntr: ReadOnly<u32>),
        (0x034 => star: ReadOnly<u32, STA::Register>),
        /// Write 1s: clears those STAR flags.
        (0x038 => icr: WriteOnly<u32, STA::Register>),
        (0x03C => maskr: ReadWrite<u32, STA::Register>),
        (0x040 => acktimer: ReadWrite<u32>),
        (0x044 => _reserved0),
        (0x050 => idmactrlr: ReadWrite<u32, IDMACTRL::Register>),
        (0x054 => idmabsizer: ReadWrite<u32>),
        (0x058 => idmabase0r: ReadWrite<u32>),
        (0x05C => idmabase1r: ReadWrite<u32>),
        (0x060 => _reserved1),
        (0x080 => fifor: ReadWrite<u32>),
        (0x084 => @END),
    }
}

register_bitfields![u32,
    POWER [
        /// Writable only while not powered on (11).
        PWRCTRL OFFSET(0) NUMBITS(2) [Reset = 0, PowerCycle = 2, PowerOn = 3],
        VSWITCH OFFSET(2) NUMBITS(1) [],
        VSWITCHEN OFFSET(3) NUMBITS(1) [],
        DIRPOL OFFSET(4) NUMBITS(1) []
    ],
    CLKCR [
        /// SDMMC_CK = SDMMCCLK / (2 * CLKDIV); 0 passes SDMMCCLK through.
        CLKDIV OFFSET(0) NUMBITS(10) [],
        PWRSAV OFFSET(12) NUMBITS(1) [],
        WIDBUS OFFSET(14) NUMBITS(2) [One = 0, Four = 1, Eight = 2],
        NEGEDGE OFFSET(16) NUMBITS(1) [],
        HWFC_EN OFFSET(17) NUMBITS(1) [],
        DDR OFFSET(18) NUMBITS(1) [],
        /// 0: DS, HS (and SDR12/25); 1: SDR50, DDR50, SDR104.
        BUSSPEED OFFSET(19) NUMBITS(1) [],
        SELCLKRX OFFSET(20) NUMBITS(2) []
    ],
    CMDR [
        CMDINDEX OFFSET(0) NUMBITS(6) [],
        /// A data command: the CPSM starts the DPSM when it is sent.
        CMDTRANS OFFSET(6) NUMBITS(1) [],
        /// A stop command: the CPSM aborts the DPSM when it is sent.
        CMDSTOP OFFSET(7) NUMBITS(1) [],
        WAITRESP OFFSET(8) NUMBITS(2) [None = 0, Short = 1, ShortNoCrc = 2, Long = 3],
        WAITINT OFFSET(10) NUMBITS(1) [],
        WAITPEND OFFSET(11) NUMBITS(1) [],
        CPSMEN OFFSET(12) NUMBITS(1) [],
        DTHOLD OFFSET(13) NUMBITS(1) [],
        BOOTMODE OFFSET(14) NUMBITS(1) [],
        BOOTEN OFFSET(15) NUMBITS(1) [],
        CMDSUSPEND OFFSET(16) NUMBITS(1) []
    ],
    DCTRL [
        /// Not for eMMC: data starts from the command (CMDTRANS).
        DTEN OFFSET(0) NUMBITS(1) [],
        /// 1: card to host.
        DTDIR OFFSET(1) NUMBITS(1) [],
        /// 0: block transfer ending on the block count.
        DTMODE OFFSET(2) NUMBITS(2) [Block = 0, Sdio = 1, Stream = 2, BlockStop = 3],
        /// 2^n bytes.
        DBLOCKSIZE OFFSET(4) NUMBITS(4) [],
        RWSTART OFFSET(8) NUMBITS(1) [],
        RWSTOP OFFSET(9) NUMBITS(1) [],
        RWMOD OFFSET(10) NUMBITS(1) [],
        SDIOEN OFFSET(11) NUMBITS(1) [],
        BOOTACKEN OFFSET(12) NUMBITS(1) [],
        FIFORST OFFSET(13) NUMBITS(1) []
    ],
    /// STAR, ICR and MASKR share the bit positions.
    STA [
        CCRCFAIL OFFSET(0) NUMBITS(1) [],
        DCRCFAIL OFFSET(1) NUMBITS(1) [],
        CTIMEOUT OFFSET(2) NUMBITS(1) [],
        DTIMEOUT OFFSET(3) NUMBITS(1) [],
        TXUNDERR OFFSET(4) NUMBITS(1) [],
        RXOVERR OFFSET(5) NUMBITS(1) [],
        CMDREND OFFSET(6) NUMBITS(1) [],
        CMDSENT OFFSET(7) NUMBITS(1) [],
        DATAEND OFFSET(8) NUMBITS(1) [],
        DHOLD OFFSET(9) NUMBITS(1) [],
        DBCKEND OFFSET(10) NUMBITS(1) [],
        DABORT OFFSET(11) NUMBITS(1) [],
        DPSMACT OFFSET(12) NUMBITS(1) [],
        CPSMACT OFFSET(13) NUMBITS(1) [],
        TXFIFOHE OFFSET(14) NUMBITS(1) [],
        RXFIFOHF OFFSET(15) NUMBITS(1) [],
        TXFIFOF OFFSET(16) NUMBITS(1) [],
        RXFIFOF OFFSET(17) NUMBITS(1) [],
        TXFIFOE OFFSET(18) NUMBITS(1) [],
        RXFIFOE OFFSET(19) NUMBITS(1) [],
        BUSYD0 OFFSET(20) NUMBITS(1) [],
        BUSYD0END OFFSET(21) NUMBITS(1) [],
        SDIOIT OFFSET(22) NUMBITS(1) [],
        ACKFAIL OFFSET(23) NUMBITS(1) [],
        ACKTIMEOUT OFFSET(24) NUMBITS(1) [],
        VSWEND OFFSET(25) NUMBITS(1) [],
        CKSTOP OFFSET(26) NUMBITS(1) [],
        IDMATE OFFSET(27) NUMBITS(1) [],
        IDMABTC OFFSET(28) NUMBITS(1) []
    ],
    IDMACTRL [
        IDMAEN OFFSET(0) NUMBITS(1) [],
        /// 0: single buffer.
        IDMABMODE OFFSET(1) NUMBITS(1) [],
        IDMABACT OFFSET(2) NUMBITS(1) []
    ]
];

// SAFETY: SDMMC1's register block on the STM32H723 (RM0468 memory map,
// AHB3; the stm32-rs SVD names it at 0x5200_7000), only used through
// this driver.
pub const SDMMC1_BASE: StaticRef<SdmmcRegisters> = unsafe { StaticRef::new(0x5200_7000 as *const SdmmcRegisters) };

/// SDMMC1's NVIC line (RM0468 vector table; ST's CMSIS headers for the H7
/// family say `SDMMC1_IRQn = 49`).
pub const SDMMC1_IRQ: u32 = 49;

/// The RCC bits the board sets for SDMMC1 (RM0468 RCC chapter; stm32-rs SVD).
pub mod rcc {
    /// RCC_D1CCIPR: SDMMCSEL, bit 16: 0 = pll1_q_ck (reset), 1 = pll2_r_ck.
    pub const D1CCIPR: usize = 0x5802_444C;
    pub const D1CCIPR_SDMMCSEL_PLL2R: u32 = 1 << 16;
    /// RCC_AHB3ENR: SDMMC1EN, bit 16.
    pub const AHB3ENR: usize = 0x5802_44D4;
    pub const AHB3ENR_SDMMC1EN: u32 = 1 << 16;
    /// RCC_AHB3RSTR: SDMMC1RST, bit 16 (a full reset of the controller).
    pub const AHB3RSTR: usize = 0x5802_447C;
    pub const AHB3RSTR_SDMMC1RST: u32 = 1 << 16;
}

/// STAR reads after power-on before CMD0: each read takes at least one CPU
/// cycle, so at up to 550 MHz this waits at least 1 ms, well over the 74
/// bus clocks (185 us at 400 kHz) a card needs before its first command.
const POWER_UP_SPINS: u32 = 550_000;
/// STAR reads waiting for the data path to go idle after a stop.
const DPSM_IDLE_SPINS: u32 = 100_000;
/// The DPSM's block size: 2^9 = 512 bytes.
const BLOCK_SIZE_LOG2: u32 = 9;
/// DLENR holds 25 bits.
const MAX_DATA_LENGTH: usize = (1 << 25) - 1;

/// Every static STAR flag (bits 11:0 and 28:21), the ones ICR clears.
const STATIC_FLAGS: u32 = 0x1FE0_0FFF;
const COMMAND_FLAGS: u32 = bit(STA::CCRCFAIL) | bit(STA::CTIMEOUT) | bit(STA::CMDREND) | bit(STA::CMDSENT);
const DATA_ERROR_FLAGS: u32 =
    bit(STA::DCRCFAIL) | bit(STA::DTIMEOUT) | bit(STA::TXUNDERR) | bit(STA::RXOVERR) | bit(STA::IDMATE);
const DATA_FLAGS: u32 = DATA_ERROR_FLAGS | bit(STA::DATAEND) | bit(STA::DABORT) | bit(STA::DBCKEND);
const BUSY_FLAGS: u32 = bit(STA::BUSYD0END) | bit(STA::DTIMEOUT);

const fn bit(field: kernel::utilities::registers::Field<u32, STA::Register>) -> u32 {
    field.mask << field.shift
}

/// The smallest CLKDIV (1-1023) whose bus clock does not pass `max_hz`,
/// and that clock (`None` if even 1023 is too fast): SDMMC_CK = kernel / (2 * CLKDIV) (RM0468 SDMMC_CLKCR).
/// From 200 MHz: 250 for 400 kHz, 4 for 25 MHz (26 MHz default speed), 2
/// for 50 MHz (52 MHz high speed). CLKDIV 0 (the kernel clock itself) is
/// never chosen.
pub fn clock_divider(kernel_hz: u32, max_hz: u32) -> Option<(u32, u32)> {
    if kernel_hz == 0 || max_hz == 0 {
        return None;
    }
    let div = (kernel_hz as u64).div_ceil(2 * max_hz as u64).clamp(1, 1023) as u32;
    let hz = kernel_hz / (2 * div);
    (hz <= max_hz).then_some((div, hz))
}

/// DTIMER for `ms` at `bus_hz`: bus clock periods, saturating.
pub fn timeout_cycles(bus_hz: u32, ms: u32) -> u32 {
    (bus_hz as u64 * ms as u64 / 1000).min(u32::MAX as u64) as u32
}

/// CMDR for `command`; `data` for a command that starts the data path.
fn cmdr_value(command: &Command, data: bool) -> FieldValue<u32, CMDR::Register> {
    let wait = match command.response {
        ResponseKind::None => CMDR::WAITRESP::None,
        // R3 has no CRC: sent as a short response like the ST HAL does, its
        // CCRCFAIL ignored (`decide`), rather than with ShortNoCrc.
        ResponseKind::R1 | ResponseKind::R1b | ResponseKind::R3 => CMDR::WAITRESP::Short,
        ResponseKind::R2 => CMDR::WAITRESP::Long,
    };
    CMDR::CMDINDEX.val(command.index as u32 & 0x3F)
        + wait
        + CMDR::CMDTRANS.val(data as u32)
        + CMDR::CMDSTOP.val(command.stop as u32)
        + CMDR::CPSMEN::SET
}

/// DCTRL for a block transfer of 512-byte blocks (DTEN stays clear: the
/// command starts the data path).
fn dctrl_value(direction: Direction) -> FieldValue<u32, DCTRL::Register> {
    DCTRL::DBLOCKSIZE.val(BLOCK_SIZE_LOG2)
        + DCTRL::DTMODE::Block
        + DCTRL::DTDIR.val((direction == Direction::Read) as u32)
}

fn clkcr_value(div: u32, width: BusWidth) -> FieldValue<u32, CLKCR::Register> {
    let widbus = match width {
        BusWidth::One => CLKCR::WIDBUS::One,
        BusWidth::Four => CLKCR::WIDBUS::Four,
        BusWidth::Eight => CLKCR::WIDBUS::Eight,
    };
    // Rising edge, no power saving, no hardware flow control, SDR, DS/HS
    // bus speed, internal receive clock: what the original firmware ran.
    CLKCR::CLKDIV.val(div) + widbus
}

/// What the controller is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    Idle,
    /// A command's response (`data`: it started the data path).
    Command {
        index: u8,
        response: ResponseKind,
        data: bool,
    },
    /// An R1b response is in; the card holds DAT0 busy.
    Busy {
        response: Response,
    },
    /// The data phase after a data command's response.
    Data,
}

/// What the status flags say, given what the controller waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decision {
    None,
    /// The response is in; `busy`: the card still holds DAT0.
    Responded {
        busy: bool,
    },
    CommandFailed(BusError),
    BusyEnded,
    DataEnded,
    DataFailed(BusError),
}

fn set(star: u32, field: kernel::utilities::registers::Field<u32, STA::Register>) -> bool {
    star & bit(field) != 0
}

fn decide(wait: Wait, star: u32) -> Decision {
    match wait {
        Wait::Idle => Decision::None,
        Wait::Command { response, .. } => {
            if set(star, STA::CTIMEOUT) {
                Decision::CommandFailed(BusError::CommandTimeout)
            } else if set(star, STA::CCRCFAIL) && response != ResponseKind::R3 {
                Decision::CommandFailed(BusError::CommandCrc)
            } else if set(star, STA::CMDREND) || set(star, STA::CCRCFAIL) {
                // R1b: busy if DAT0 is low or the CPSM still waits on it,
                // unless its end was already seen.
                let busy = response == ResponseKind::R1b
                    && (set(star, STA::BUSYD0) || set(star, STA::CPSMACT))
                    && !set(star, STA::BUSYD0END);
                Decision::Responded { busy }
            } else if set(star, STA::CMDSENT) && response == ResponseKind::None {
                Decision::Responded { busy: false }
            } else {
                Decision::None
            }
        }
        Wait::Busy { .. } => {
            if set(star, STA::BUSYD0END) {
                Decision::BusyEnded
            } else if set(star, STA::DTIMEOUT) {
                Decision::CommandFailed(BusError::BusyTimeout)
            } else {
                Decision::None
            }
        }
        Wait::Data => {
            if set(star, STA::DCRCFAIL) {
                Decision::DataFailed(BusError::DataCrc)
            } else if set(star, STA::DTIMEOUT) {
                Decision::DataFailed(BusError::DataTimeout)
            } else if star & (bit(STA::TXUNDERR) | bit(STA::RXOVERR) | bit(STA::IDMATE)) != 0 {
                Decision::DataFailed(BusError::Dma)
            } else if set(star, STA::DATAEND) {
                Decision::DataEnded
            } else {
                Decision::None
            }
        }
    }
}

/// MASKR while waiting.
fn mask_for(wait: Wait) -> u32 {
    match wait {
        Wait::Idle => 0,
        Wait::Command { .. } => COMMAND_FLAGS,
        Wait::Busy { .. } => BUSY_FLAGS,
        Wait::Data => DATA_ERROR_FLAGS | bit(STA::DATAEND),
    }
}

/// Whether RESPCMDR names the command sent: R1 responses carry its index
/// (R2 and R3 carry 111111b).
fn response_matches(response: ResponseKind, index: u8, respcmd: u32) -> bool {
    match response {
        ResponseKind::R1 | ResponseKind::R1b => respcmd & 0x3F == index as u32,
        _ => true,
    }
}

/// Told when identification ends.
pub trait SdmmcCardClient {
    /// The card's capacity in 512-byte sectors, or why it cannot be used.
    fn card_ready(&self, result: Result<u64, EmmcError>);
}

/// SDMMC1 seen from the eMMC state machine.
struct SdmmcBus<C: CacheMaintenance + 'static> {
    registers: StaticRef<SdmmcRegisters>,
    region: DmaRegion<C>,
    kernel_hz: u32,
    bus_hz: Cell<u32>,
    wait: Cell<Wait>,
    /// The buffer the IDMA owns while a data command runs.
    data: TakeCell<'static, [u8]>,
}

impl<C: CacheMaintenance> SdmmcBus<C> {
    fn start_command(&self, command: &Command, data: bool) {
        self.registers.argr.set(command.arg);
        self.registers.cmdr.write(cmdr_value(command, data));
        let wait = Wait::Command { index: command.index, response: command.response, data };
        self.wait.set(wait);
        self.registers.maskr.set(mask_for(wait));
    }
}

impl<C: CacheMaintenance> EmmcBus<C> for SdmmcBus<C> {
    fn send_command(&self, command: Command) {
        let regs = &*self.registers;
        regs.icr.set(COMMAND_FLAGS | BUSY_FLAGS | if command.stop { DATA_FLAGS } else { 0 });
        // DTIMER (the R1b busy timeout) is writable only while both state
        // machines are idle; a stop keeps the data timeout already set.
        if command.response == ResponseKind::R1b && !regs.star.is_set(STA::DPSMACT) {
            regs.dtimer.set(timeout_cycles(self.bus_hz.get(), command.timeout_ms));
        }
        self.start_command(&command, false);
    }

    fn send_data_command(&self, command: Command, direction: Direction, blocks: u32, buffer: DmaBuffer<C>) {
        let regs = &*self.registers;
        // Never more than the buffer holds (the state machine checks it).
        let len = (blocks as usize * SECTOR_SIZE).min(buffer.len() / SECTOR_SIZE * SECTOR_SIZE).min(MAX_DATA_LENGTH);
        regs.icr.set(STATIC_FLAGS);
        regs.dctrl.set(0);
        regs.dtimer.set(timeout_cycles(self.bus_hz.get(), command.timeout_ms));
        regs.dlenr.set(len as u32);
        // Cleans the D-cache over the buffer: the IDMA reads what the CPU
        // wrote, and no dirty line is later evicted over what it writes.
        let mem = buffer.into_device();
        regs.idmabase0r.set(mem.as_ptr() as u32);
        regs.idmactrlr.write(IDMACTRL::IDMAEN::SET + IDMACTRL::IDMABMODE::CLEAR);
        regs.dctrl.write(dctrl_value(direction));
        self.data.replace(mem);
        self.start_command(&command, true);
    }

    fn end_data(&self) -> Option<DmaBuffer<C>> {
        let regs = &*self.registers;
        // The DPSM goes idle on DATAEND, or once a stop aborted it.
        let mut spins = 0;
        while regs.star.is_set(STA::DPSMACT) {
            spins += 1;
            if spins >= DPSM_IDLE_SPINS {
                // Still moving data: the buffer stays with the IDMA.
                return None;
            }
        }
        regs.idmactrlr.set(0);
        regs.dctrl.set(0);
        regs.dlenr.set(0);
        regs.icr.set(DATA_FLAGS);
        let mem = self.data.take()?;
        // Invalidates the D-cache over it: the CPU reads what the IDMA wrote.
        self.region.reclaim(mem).ok()
    }

    fn set_bus(&self, width: BusWidth, speed: BusSpeed) {
        if let Some((div, hz)) = clock_divider(self.kernel_hz, speed.max_hz()) {
            self.registers.clkcr.write(clkcr_value(div, width));
            self.bus_hz.set(hz);
        }
    }
}

/// SDMMC1 with its eMMC, as a block device.
pub struct Sdmmc<'a, C: CacheMaintenance + 'static> {
    bus: SdmmcBus<C>,
    machine: MapCell<Emmc<C>>,
    client: OptionalCell<&'a dyn BlockClient<C>>,
    card_client: OptionalCell<&'a dyn SdmmcCardClient>,
}

impl<'a, C: CacheMaintenance> Sdmmc<'a, C> {
    /// `kernel_hz`: SDMMCCLK (PLL2R, 200 MHz); `region`: the DMA window the
    /// buffers come from; `ext_csd`: the driver's own 512-byte buffer.
    pub fn new(
        registers: StaticRef<SdmmcRegisters>,
        region: DmaRegion<C>,
        kernel_hz: u32,
        config: EmmcConfig,
        ext_csd: DmaBuffer<C>,
    ) -> Self {
        Sdmmc {
            bus: SdmmcBus {
                registers,
                region,
                kernel_hz,
                bus_hz: Cell::new(0),
                wait: Cell::new(Wait::Idle),
                data: TakeCell::empty(),
            },
            machine: MapCell::new(Emmc::new(config, ext_csd)),
            client: OptionalCell::empty(),
            card_client: OptionalCell::empty(),
        }
    }

    pub fn set_card_client(&self, client: &'a dyn SdmmcCardClient) {
        self.card_client.set(client);
    }

    /// Powers the bus on at 400 kHz, 1 bit, waits for the card's power-up
    /// clocks and starts identification. Once, at boot, with the clocks and
    /// pins set up.
    pub fn init(&self) -> Result<(), ErrorCode> {
        let regs = &*self.bus.registers;
        regs.maskr.set(0);
        regs.icr.set(STATIC_FLAGS);
        self.bus.set_bus(BusWidth::One, BusSpeed::Identification);
        if !regs.power.matches_all(POWER::PWRCTRL::PowerOn) {
            regs.power.modify(POWER::PWRCTRL::PowerOn);
        }
        for _ in 0..POWER_UP_SPINS {
            let _ = regs.star.get();
        }
        self.reinitialize()
    }

    /// Identifies the card again (after a failure, or a card that went
    /// away): CMD0 and the whole sequence; nothing is written to it.
    pub fn reinitialize(&self) -> Result<(), ErrorCode> {
        self.machine.map(|m| m.start(&self.bus)).unwrap_or(Err(ErrorCode::BUSY))
    }

    /// What identification found, once it succeeded.
    pub fn card_info(&self) -> Option<CardInfo> {
        self.machine.map(|m| *m.card_info()).filter(|i| i.sectors != 0)
    }

    /// The bus width, and the bus clock in Hz.
    pub fn bus(&self) -> (BusWidth, u32) {
        (self.machine.map(|m| m.bus().0).unwrap_or(BusWidth::One), self.bus.bus_hz.get())
    }

    /// The last error in full (completions only carry an `ErrorCode`).
    pub fn last_error(&self) -> Option<EmmcError> {
        self.machine.map(|m| m.last_error()).flatten()
    }

    /// SDMMC1's interrupt: turns the status flags into events for the state
    /// machine, and its outcomes into completions.
    pub fn handle_interrupt(&self) {
        let regs = &*self.bus.registers;
        // One snapshot: a response, its busy end and its data end may all be
        // in it. Flags set after it raise the interrupt again; a command
        // started while an event is delivered has nothing in it yet.
        let mut star = regs.star.get();
        for _ in 0..4 {
            let (event, consumed) = match decide(self.bus.wait.get(), star) {
                Decision::None => break,
                Decision::Responded { busy } => {
                    let response = Response(core::array::from_fn(|i| regs.resp[i].get()));
                    let Wait::Command { index, response: kind, data } = self.bus.wait.get() else { break };
                    if !response_matches(kind, index, regs.respcmdr.get()) {
                        self.bus.wait.set(Wait::Idle);
                        (Event::CommandFailed(BusError::WrongResponse), COMMAND_FLAGS)
                    } else if busy {
                        // The end of busy comes in a later interrupt.
                        regs.icr.set(COMMAND_FLAGS);
                        self.bus.wait.set(Wait::Busy { response });
                        regs.maskr.set(mask_for(self.bus.wait.get()));
                        break;
                    } else {
                        self.bus.wait.set(if data { Wait::Data } else { Wait::Idle });
                        (Event::CommandDone(response), COMMAND_FLAGS)
                    }
                }
                Decision::CommandFailed(error) => {
                    self.bus.wait.set(Wait::Idle);
                    (Event::CommandFailed(error), COMMAND_FLAGS | BUSY_FLAGS)
                }
                Decision::BusyEnded => {
                    let Wait::Busy { response } = self.bus.wait.get() else { break };
                    self.bus.wait.set(Wait::Idle);
                    (Event::CommandDone(response), BUSY_FLAGS)
                }
                Decision::DataEnded => {
                    self.bus.wait.set(Wait::Idle);
                    (Event::DataDone, bit(STA::DATAEND) | bit(STA::DBCKEND))
                }
                Decision::DataFailed(error) => {
                    self.bus.wait.set(Wait::Idle);
                    (Event::DataFailed(error), DATA_ERROR_FLAGS)
                }
            };
            star &= !consumed;
            regs.icr.set(consumed);
            regs.maskr.set(mask_for(self.bus.wait.get()));
            self.deliver(event);
        }
    }

    fn deliver(&self, event: Event) {
        if let Some(outcome) = self.machine.map(|m| m.event(&self.bus, event)) {
            self.dispatch(outcome);
        }
    }

    fn dispatch(&self, outcome: Outcome<C>) {
        match outcome {
            Outcome::Pending => {}
            Outcome::Initialized(result) => {
                self.card_client.map(|c| c.card_ready(result));
            }
            Outcome::Completed(Completion { op, buffer, result }) => {
                let result = result.map_err(|e| e.error_code());
                self.client.map(|client| match (op, buffer) {
                    (Op::Read, Some(buffer)) => client.read_done(buffer, result),
                    (Op::Write, Some(buffer)) => client.write_done(buffer, result),
                    (Op::Flush, _) => client.flush_done(result),
                    // The data path could not be stopped: the buffer stays
                    // with the IDMA and this request never completes.
                    (_, None) => {}
                });
            }
        }
    }
}

impl<'a, C: CacheMaintenance> BlockDevice<'a, C> for Sdmmc<'a, C> {
    fn set_client(&self, client: &'a dyn BlockClient<C>) {
        self.client.set(client);
    }

    fn capacity(&self) -> Result<u64, ErrorCode> {
        self.machine.map(|m| m.capacity()).unwrap_or(Err(ErrorCode::BUSY))
    }

    fn read(&self, sector: u64, count: usize, buffer: DmaBuffer<C>) -> Result<(), (ErrorCode, DmaBuffer<C>)> {
        if self.machine.is_none() {
            return Err((ErrorCode::BUSY, buffer));
        }
        self.machine.map(|m| m.read(&self.bus, sector, count, buffer)).unwrap_or(Ok(()))
    }

    fn write(&self, sector: u64, count: usize, buffer: DmaBuffer<C>) -> Result<(), (ErrorCode, DmaBuffer<C>)> {
        if self.machine.is_none() {
            return Err((ErrorCode::BUSY, buffer));
        }
        self.machine.map(|m| m.write(&self.bus, sector, count, buffer)).unwrap_or(Ok(()))
    }

    fn flush(&self) -> Result<(), ErrorCode> {
        self.machine.map(|m| m.flush(&self.bus)).unwrap_or(Err(ErrorCode::BUSY))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(index: u8, response: ResponseKind) -> Command {
        Command { index, arg: 0, response, stop: false, timeout_ms: 1000 }
    }

    #[test]
    fn clock_dividers_from_the_200_mhz_kernel_clock() {
        let k = crate::clock::PLL2R_HZ;
        assert_eq!(clock_divider(k, BusSpeed::Identification.max_hz()), Some((250, 400_000)));
        assert_eq!(clock_divider(k, BusSpeed::Default.max_hz()), Some((4, 25_000_000)));
        assert_eq!(clock_divider(k, BusSpeed::High.max_hz()), Some((2, 50_000_000)));
        // Never the undivided kernel clock, never past the ceiling.
        assert_eq!(clock_divider(100_000_000, 52_000_000), Some((1, 50_000_000)));
        assert_eq!(clock_divider(k, 100_000), Some((1000, 100_000)));
        assert_eq!(clock_divider(k, 97_800), Some((1023, 97_751)));
        assert_eq!(clock_divider(k, 1_000), None);
        assert_eq!(clock_divider(0, 400_000), None);
        for max in [400_000, 26_000_000, 52_000_000] {
            let (div, hz) = clock_divider(k, max).unwrap();
            assert!(hz <= max && div >= 1);
        }
    }

    #[test]
    fn timeouts_in_bus_clocks() {
        assert_eq!(timeout_cycles(400_000, 1000), 400_000);
        assert_eq!(timeout_cycles(50_000_000, 10_000), 500_000_000);
        assert_eq!(timeout_cycles(50_000_000, 1_000_000), u32::MAX);
    }

    #[test]
    fn command_register_values() {
        let cpsmen = 1 << 12;
        assert_eq!(cmdr_value(&command(0, ResponseKind::None), false).value, cpsmen);
        assert_eq!(cmdr_value(&command(1, ResponseKind::R3), false).value, cpsmen | 1 << 8 | 1);
        assert_eq!(cmdr_value(&command(2, ResponseKind::R2), false).value, cpsmen | 3 << 8 | 2);
        assert_eq!(cmdr_value(&command(13, ResponseKind::R1), false).value, cpsmen | 1 << 8 | 13);
        assert_eq!(cmdr_value(&command(18, ResponseKind::R1), true).value, cpsmen | 1 << 8 | 1 << 6 | 18);
        let stop = Command { stop: true, ..command(12, ResponseKind::R1b) };
        assert_eq!(cmdr_value(&stop, false).value, cpsmen | 1 << 8 | 1 << 7 | 12);
    }

    #[test]
    fn data_and_clock_register_values() {
        assert_eq!(dctrl_value(Direction::Read).value, 9 << 4 | 1 << 1);
        assert_eq!(dctrl_value(Direction::Write).value, 9 << 4);
        assert_eq!(clkcr_value(250, BusWidth::One).value, 250);
        assert_eq!(clkcr_value(2, BusWidth::Eight).value, 2 << 14 | 2);
        assert_eq!(clkcr_value(4, BusWidth::Four).value, 1 << 14 | 4);
    }

    #[test]
    fn flag_masks() {
        assert_eq!(COMMAND_FLAGS, 0b1100_0101);
        assert_eq!(BUSY_FLAGS, 1 << 21 | 1 << 3);
        assert_eq!(DATA_ERROR_FLAGS, 1 << 1 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 27);
        assert_eq!(STATIC_FLAGS & DATA_FLAGS, DATA_FLAGS);
        assert_eq!(STATIC_FLAGS & (1 << 12 | 1 << 13 | 1 << 20), 0, "dynamic flags are not cleared");
        assert_eq!(mask_for(Wait::Idle), 0);
        assert_eq!(mask_for(Wait::Data), DATA_ERROR_FLAGS | 1 << 8);
    }

    const CMDREND: u32 = 1 << 6;
    const CCRCFAIL: u32 = 1 << 0;
    const CTIMEOUT: u32 = 1 << 2;
    const CMDSENT: u32 = 1 << 7;
    const BUSYD0: u32 = 1 << 20;
    const BUSYD0END: u32 = 1 << 21;
    const DTIMEOUT: u32 = 1 << 3;
    const DATAEND: u32 = 1 << 8;
    const DCRCFAIL: u32 = 1 << 1;
    const RXOVERR: u32 = 1 << 5;

    fn waiting(response: ResponseKind) -> Wait {
        Wait::Command { index: 13, response, data: false }
    }

    #[test]
    fn command_flags_decide_the_event() {
        use Decision::*;
        assert_eq!(decide(waiting(ResponseKind::R1), 0), None);
        assert_eq!(decide(waiting(ResponseKind::R1), CMDREND), Responded { busy: false });
        assert_eq!(decide(waiting(ResponseKind::R1), CCRCFAIL), CommandFailed(BusError::CommandCrc));
        assert_eq!(decide(waiting(ResponseKind::R1), CTIMEOUT | CCRCFAIL), CommandFailed(BusError::CommandTimeout));
        assert_eq!(decide(waiting(ResponseKind::R3), CCRCFAIL), Responded { busy: false }, "R3 has no CRC");
        assert_eq!(decide(waiting(ResponseKind::None), CMDSENT), Responded { busy: false });
        assert_eq!(decide(waiting(ResponseKind::R1), CMDSENT), None);
        assert_eq!(decide(Wait::Idle, CMDREND | DATAEND), None);
    }

    #[test]
    fn r1b_waits_for_the_end_of_busy() {
        use Decision::*;
        let cpsmact = 1 << 13;
        assert_eq!(decide(waiting(ResponseKind::R1b), CMDREND), Responded { busy: false });
        assert_eq!(decide(waiting(ResponseKind::R1b), CMDREND | BUSYD0), Responded { busy: true });
        assert_eq!(decide(waiting(ResponseKind::R1b), CMDREND | cpsmact), Responded { busy: true });
        assert_eq!(decide(waiting(ResponseKind::R1b), CMDREND | BUSYD0 | BUSYD0END), Responded { busy: false });
        assert_eq!(decide(waiting(ResponseKind::R1), CMDREND | BUSYD0), Responded { busy: false });
        let busy = Wait::Busy { response: Response::short(0x900) };
        assert_eq!(decide(busy, BUSYD0), None);
        assert_eq!(decide(busy, BUSYD0END), BusyEnded);
        assert_eq!(decide(busy, DTIMEOUT), CommandFailed(BusError::BusyTimeout));
    }

    #[test]
    fn data_flags_decide_the_event() {
        use Decision::*;
        assert_eq!(decide(Wait::Data, 0), None);
        assert_eq!(decide(Wait::Data, DATAEND), DataEnded);
        assert_eq!(decide(Wait::Data, DCRCFAIL), DataFailed(BusError::DataCrc));
        assert_eq!(decide(Wait::Data, DTIMEOUT), DataFailed(BusError::DataTimeout));
        assert_eq!(decide(Wait::Data, RXOVERR), DataFailed(BusError::Dma));
        assert_eq!(decide(Wait::Data, 1 << 27), DataFailed(BusError::Dma), "IDMA transfer error");
        assert_eq!(decide(Wait::Data, DCRCFAIL | DATAEND), DataFailed(BusError::DataCrc), "errors first");
        // A data command's response comes first, then its data.
        let data_cmd = Wait::Command { index: 18, response: ResponseKind::R1, data: true };
        assert_eq!(decide(data_cmd, CMDREND | DATAEND), Responded { busy: false });
    }

    #[test]
    fn response_index_check() {
        assert!(response_matches(ResponseKind::R1, 13, 13));
        assert!(!response_matches(ResponseKind::R1, 13, 12));
        assert!(response_matches(ResponseKind::R1b, 6, 0x46), "6 bits only");
        assert!(response_matches(ResponseKind::R2, 2, 0x3F));
        assert!(response_matches(ResponseKind::R3, 1, 0x3F));
    }

    /// The whole driver on registers in host memory, with the simulated
    /// card playing the controller and the card: each command the driver
    /// writes to CMDR gets its response flags in STAR, R1b commands a busy
    /// phase (BUSYD0, then BUSYD0END), data commands their data through
    /// the buffer the IDMA was given.
    mod through_registers {
        extern crate std;

        use core::cell::RefCell;
        use std::boxed::Box;
        use std::vec::Vec;

        use super::*;
        use crate::emmc::card_model::{buffer, card, region, Card, Fault, Reply};
        use crate::emmc::{cmd, status, CardState};
        use dma_buffer::Coherent;

        const CPSMEN: u32 = 1 << 12;
        const CMDTRANS: u32 = 1 << 6;

        /// A completion: what, how, and the buffer back.
        type Done = (Op, Result<(), ErrorCode>, Option<DmaBuffer<Coherent>>);

        #[derive(Default)]
        struct Client {
            ready: RefCell<Vec<Result<u64, EmmcError>>>,
            done: RefCell<Vec<Done>>,
        }

        impl SdmmcCardClient for Client {
            fn card_ready(&self, result: Result<u64, EmmcError>) {
                self.ready.borrow_mut().push(result);
            }
        }

        impl BlockClient<Coherent> for Client {
            fn read_done(&self, buffer: DmaBuffer<Coherent>, result: Result<(), ErrorCode>) {
                self.done.borrow_mut().push((Op::Read, result, Some(buffer)));
            }
            fn write_done(&self, buffer: DmaBuffer<Coherent>, result: Result<(), ErrorCode>) {
                self.done.borrow_mut().push((Op::Write, result, Some(buffer)));
            }
            fn flush_done(&self, result: Result<(), ErrorCode>) {
                self.done.borrow_mut().push((Op::Flush, result, None));
            }
        }

        /// The data-path registers as a data command found them.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        struct Armed {
            index: u32,
            dlenr: u32,
            dctrl: u32,
            idmactrl: u32,
            idmabase: u32,
            dtimer: u32,
        }

        struct Rig {
            base: *mut u32,
            sdmmc: &'static Sdmmc<'static, Coherent>,
            client: &'static Client,
            card: RefCell<Card>,
            armed: RefCell<Vec<Armed>>,
        }

        impl Rig {
            fn new(card: Card) -> Rig {
                let words: &'static mut [u32; 0x84 / 4] = Box::leak(Box::new([0u32; 0x84 / 4]));
                let base = words.as_mut_ptr();
                // SAFETY: leaked host memory the size of the register block,
                // word aligned; only this test reads or writes it, never
                // while the driver holds a reference into it.
                let registers = unsafe { StaticRef::new(base as *const SdmmcRegisters) };
                let sdmmc = Box::leak(Box::new(Sdmmc::new(
                    registers,
                    region(),
                    crate::clock::PLL2R_HZ,
                    EmmcConfig::NUCLEO_MEM,
                    buffer::<512>(0),
                )));
                let client: &'static Client = Box::leak(Box::default());
                sdmmc.set_client(client);
                sdmmc.set_card_client(client);
                Rig { base, sdmmc, client, card: RefCell::new(card), armed: RefCell::new(Vec::new()) }
            }

            fn reg(&self, offset: usize) -> u32 {
                // SAFETY: inside the leaked block (see `new`).
                unsafe { core::ptr::read_volatile(self.base.add(offset / 4)) }
            }

            fn poke(&self, offset: usize, value: u32) {
                // SAFETY: inside the leaked block; the driver is not running.
                unsafe { core::ptr::write_volatile(self.base.add(offset / 4), value) }
            }

            /// STAR holds `flags` for one interrupt, as ICR would leave it.
            fn interrupt(&self, flags: u32) {
                self.poke(0x34, flags);
                self.sdmmc.handle_interrupt();
                self.poke(0x34, 0);
            }

            fn bus(&self) -> (BusWidth, BusSpeed) {
                let clkcr = self.reg(0x04);
                let width = match (clkcr >> 14) & 3 {
                    0 => BusWidth::One,
                    1 => BusWidth::Four,
                    _ => BusWidth::Eight,
                };
                let speed = match clkcr & 0x3FF {
                    250 => BusSpeed::Identification,
                    4 => BusSpeed::Default,
                    2 => BusSpeed::High,
                    d => panic!("unexpected CLKDIV {d}"),
                };
                (width, speed)
            }

            /// Plays controller and card until the driver sends nothing more.
            fn run(&self) {
                for _ in 0..100_000 {
                    let cmdr = self.reg(0x0C);
                    if cmdr & CPSMEN == 0 {
                        return;
                    }
                    self.poke(0x0C, 0);
                    let index = (cmdr & 0x3F) as u8;
                    let data = cmdr & CMDTRANS != 0;
                    if data {
                        self.armed.borrow_mut().push(Armed {
                            index: index as u32,
                            dlenr: self.reg(0x28),
                            dctrl: self.reg(0x2C),
                            idmactrl: self.reg(0x50),
                            idmabase: self.reg(0x58),
                            dtimer: self.reg(0x24),
                        });
                    }
                    let command = Command {
                        index,
                        arg: self.reg(0x08),
                        response: ResponseKind::R1,
                        stop: cmdr & (1 << 7) != 0,
                        timeout_ms: 0,
                    };
                    let (width, speed) = self.bus();
                    let reply = self.card.borrow_mut().command(command, width, speed);
                    let r1b = matches!(index, cmd::SWITCH | cmd::SELECT_CARD | cmd::STOP_TRANSMISSION);
                    let r1 = match reply {
                        Reply::Response(r) => {
                            for (i, w) in r.0.iter().enumerate() {
                                self.poke(0x14 + 4 * i, *w);
                            }
                            let respcmd = if matches!(index, 1 | 2 | 9) { 0x3F } else { index as u32 };
                            self.poke(0x10, respcmd);
                            if index == cmd::GO_IDLE_STATE {
                                self.interrupt(bit(STA::CMDSENT));
                                continue;
                            }
                            if index == cmd::SEND_OP_COND {
                                // R3's CRC field is all ones: the controller flags it.
                                self.interrupt(bit(STA::CCRCFAIL));
                                continue;
                            }
                            if r1b {
                                self.interrupt(bit(STA::CMDREND) | bit(STA::BUSYD0));
                                self.interrupt(bit(STA::BUSYD0END));
                                continue;
                            }
                            r.word()
                        }
                        Reply::Crc => {
                            self.interrupt(bit(STA::CCRCFAIL));
                            continue;
                        }
                        Reply::NoResponse => {
                            self.interrupt(bit(STA::CTIMEOUT));
                            continue;
                        }
                        Reply::BusyForever => {
                            self.interrupt(bit(STA::CMDREND) | bit(STA::BUSYD0));
                            self.interrupt(bit(STA::DTIMEOUT));
                            continue;
                        }
                    };
                    self.interrupt(bit(STA::CMDREND));
                    if !data || r1 & status::ERRORS != 0 || self.reg(0x0C) & CPSMEN != 0 {
                        continue;
                    }
                    // The IDMA moves the data through the driver's buffer.
                    let direction = if self.reg(0x2C) & 2 != 0 { Direction::Read } else { Direction::Write };
                    let blocks = self.reg(0x28) / SECTOR_SIZE as u32;
                    let result = self
                        .sdmmc
                        .bus
                        .data
                        .map(|mem| self.card.borrow_mut().data(direction, blocks, mem, width, speed))
                        .expect("IDMA armed with a buffer");
                    self.interrupt(match result {
                        Ok(()) => bit(STA::DATAEND),
                        Err(BusError::DataCrc) => bit(STA::DCRCFAIL),
                        Err(_) => bit(STA::DTIMEOUT),
                    });
                }
                panic!("the driver never settles");
            }

            fn ready(card: Card) -> Rig {
                let rig = Rig::new(card);
                rig.sdmmc.init().unwrap();
                rig.run();
                assert_eq!(*rig.client.ready.borrow(), [Ok(rig.card.borrow().sectors() as u64)]);
                rig.armed.borrow_mut().clear();
                rig
            }

            fn take_done(&self) -> Done {
                let mut done = self.client.done.borrow_mut();
                assert_eq!(done.len(), 1, "one completion");
                done.pop().unwrap()
            }
        }

        #[test]
        fn identification_through_the_registers() {
            let rig = Rig::new(card(4096));
            assert_eq!(rig.sdmmc.capacity(), Err(ErrorCode::OFF));
            rig.sdmmc.init().unwrap();
            assert_eq!(rig.reg(0x00) & 3, 3, "powered on");
            rig.run();
            assert_eq!(*rig.client.ready.borrow(), [Ok(4096)]);
            assert_eq!(rig.sdmmc.capacity(), Ok(4096));
            assert_eq!(rig.bus(), (BusWidth::Eight, BusSpeed::High));
            assert_eq!(rig.reg(0x04), 2 << 14 | 2, "8 bits, CLKDIV 2, rising edge, no flow control");
            assert_eq!(rig.sdmmc.bus(), (BusWidth::Eight, 50_000_000));
            let c = rig.card.borrow();
            assert_eq!((c.state, c.bus_width(), c.hs_timing()), (CardState::Tran, 2, 1));
            // Both EXT_CSD reads: one 512-byte block into the driver's buffer,
            // card to host, IDMA single buffer, 1 s of bus clocks.
            let armed = rig.armed.borrow();
            assert_eq!(armed.len(), 2);
            assert_eq!(
                armed[0],
                Armed { index: 8, dlenr: 512, dctrl: 0x92, idmactrl: 1, dtimer: 25_000_000, ..armed[0] }
            );
            assert_eq!(armed[1].dtimer, 50_000_000);
            assert_eq!(rig.reg(0x3C), 0, "no interrupt left enabled");
            assert!(rig.sdmmc.card_info().is_some());
        }

        #[test]
        fn reads_and_writes_through_the_registers() {
            let rig = Rig::ready(card(256));
            let content: Vec<u8> = (0..8 * SECTOR_SIZE).map(|i| (i * 7 + 1) as u8).collect();
            let mut buf = buffer::<4096>(0);
            buf.as_mut_slice().copy_from_slice(&content);
            let addr = buf.as_slice().as_ptr() as u32;
            assert!(rig.sdmmc.write(40, 8, buf).is_ok());
            assert!(rig.sdmmc.read(0, 1, buffer::<512>(0)).is_err_and(|(e, _)| e == ErrorCode::BUSY));
            rig.run();
            let (op, result, _) = rig.take_done();
            assert_eq!((op, result), (Op::Write, Ok(())));
            assert!(rig.card.borrow().storage[40 * SECTOR_SIZE..48 * SECTOR_SIZE] == content[..]);
            let armed = rig.armed.borrow()[0];
            let dtimer = 150_000_000; // 3 s at 50 MHz for written blocks
            assert_eq!(armed, Armed { index: 25, dlenr: 4096, dctrl: 0x90, idmactrl: 1, idmabase: addr, dtimer });

            assert!(rig.sdmmc.read(40, 8, buffer::<4096>(0)).is_ok());
            rig.run();
            let (op, result, buf) = rig.take_done();
            assert_eq!((op, result), (Op::Read, Ok(())));
            assert!(buf.unwrap().as_slice() == &content[..]);
            assert_eq!(rig.armed.borrow()[1].dctrl, 0x92);
            assert_eq!(rig.reg(0x50), 0, "IDMA off between transfers");

            assert!(rig.sdmmc.flush().is_ok());
            rig.run();
            assert_eq!(rig.take_done().1, Ok(()));
        }

        #[test]
        fn errors_through_the_registers() {
            let rig = Rig::ready(card(256));
            rig.card.borrow_mut().faults.push(Fault::DataCrc { cmd: 18, times: 1 });
            assert!(rig.sdmmc.read(8, 4, buffer::<4096>(0)).is_ok());
            rig.run();
            let (_, result, buf) = rig.take_done();
            assert_eq!(result, Err(ErrorCode::FAIL));
            assert!(buf.is_some(), "the buffer comes back with the error");
            assert_eq!(rig.sdmmc.last_error(), Some(EmmcError::Bus { cmd: 18, error: BusError::DataCrc }));
            assert!(rig.sdmmc.read(8, 4, buffer::<4096>(0)).is_ok(), "retry");
            rig.run();
            assert_eq!(rig.take_done().1, Ok(()));

            rig.card.borrow_mut().faults.push(Fault::StuckBusy);
            assert!(rig.sdmmc.write(8, 1, buffer::<512>(0)).is_ok());
            rig.run();
            assert_eq!(rig.take_done().1, Err(ErrorCode::BUSY));

            rig.card.borrow_mut().faults = std::vec![Fault::VanishAfter { commands: 0 }];
            assert!(rig.sdmmc.read(0, 2, buffer::<4096>(0)).is_ok());
            rig.run();
            assert_eq!(rig.take_done().1, Err(ErrorCode::NODEVICE));
            assert_eq!(rig.sdmmc.capacity(), Err(ErrorCode::NODEVICE));
            assert!(rig.sdmmc.read(0, 1, buffer::<512>(0)).is_err_and(|(e, _)| e == ErrorCode::NODEVICE));
        }

        #[test]
        fn identification_failure_through_the_registers() {
            let mut c = card(64);
            c.faults.push(Fault::NeverReady);
            let rig = Rig::new(c);
            rig.sdmmc.init().unwrap();
            rig.run();
            assert_eq!(*rig.client.ready.borrow(), [Err(EmmcError::NeverReady)]);
            assert!(rig.card.borrow().log.iter().all(|&(c, _)| c <= 1), "only CMD0 and CMD1");
            assert_eq!(rig.sdmmc.capacity(), Err(ErrorCode::NODEVICE));
            assert!(rig.sdmmc.card_info().is_none());
        }
    }
}
