// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The eMMC card protocol as a state machine, apart from any register.
//!
//! [`Emmc`] drives a card through an [`EmmcBus`] (the SDMMC register layer
//! in `sdmmc.rs`, or the simulated card of the host tests) and is driven by
//! the bus's [`Event`]s: a command's response, a data phase's end, an
//! error. Nothing here blocks or waits: every timeout is the controller's
//! (command response: 64 bus clocks; data and R1b busy: the `timeout_ms`
//! each [`Command`] carries), and every loop is bounded by a count.
//!
//! Identification (JEDEC JESD84-B51, as the ST HAL and Linux's mmc core
//! do it; not checked against the standard itself): CMD0, CMD1 with [`OCR_ARG`] until the OCR busy bit
//! says power-up is done (at most [`MAX_OP_COND_POLLS`]), CMD2, CMD3 with
//! the host's [`RCA`], CMD9 (CSD: SPEC_VERS >= 4 has an EXT_CSD), CMD7,
//! CMD8 (EXT_CSD: SEC_COUNT, CARD_TYPE, cache, sector size), CMD16 (512),
//! then CMD6 SWITCHes of POWER_CLASS, BUS_WIDTH and HS_TIMING, each checked
//! with CMD13, and a second CMD8 at the final bus width and clock that
//! proves the data lines (CRC-checked) before any request is accepted. A
//! card that refuses a switch, or that fails at 52 MHz, is used at what
//! works (narrower bus, 26 MHz); no other error is guessed around.
//!
//! Transfers: one request at a time, CMD17/CMD24 for one sector, CMD23
//! (SET_BLOCK_COUNT) then CMD18/CMD25 for more. Pre-defined counts rather
//! than open-ended transfers closed by CMD12: the card stops by itself at
//! the last block, so reading the last sectors of the device does not make
//! it prefetch past the end (which a card may report as
//! ADDRESS_OUT_OF_RANGE in the stop's response), and the data path's
//! block-count mode ends the transfer without a racing stop command. CMD12
//! is only sent to abort a transfer after an error. Every write ends with
//! CMD13 until the card is back in `tran`: with the card's cache off (its
//! power-up default, which this driver never changes) the data is then in
//! the flash array. [`Emmc::flush`] sends CMD6 FLUSH_CACHE when the card's
//! cache is on, and otherwise only that CMD13.
//!
//! Errors: never destructive. No erase, no format, no write of a card
//! register beyond the three switches above (and FLUSH_CACHE); an error in
//! identification stops everything ([`Outcome::Initialized`] with the
//! reason) and later requests get `NODEVICE`. An error in a request aborts
//! the transfer (CMD12), asks the card's state (CMD13) and completes the
//! request with the error, so the caller may retry it. A card that stops
//! answering is reported as gone (`NODEVICE`), not panicked on;
//! [`Emmc::start`] identifies it again.

// The test card model alone makes a DMA window (`card_model::region`).
#![deny(unsafe_code)]

use dma_buffer::{CacheMaintenance, DmaBuffer};
use hil_ext::block::{check_request, SECTOR_SIZE};
use kernel::ErrorCode;

/// Command indices (JESD84-B51; the ST HAL and Linux use the same).
pub mod cmd {
    pub const GO_IDLE_STATE: u8 = 0;
    pub const SEND_OP_COND: u8 = 1;
    pub const ALL_SEND_CID: u8 = 2;
    pub const SET_RELATIVE_ADDR: u8 = 3;
    pub const SWITCH: u8 = 6;
    pub const SELECT_CARD: u8 = 7;
    pub const SEND_EXT_CSD: u8 = 8;
    pub const SEND_CSD: u8 = 9;
    pub const STOP_TRANSMISSION: u8 = 12;
    pub const SEND_STATUS: u8 = 13;
    pub const SET_BLOCKLEN: u8 = 16;
    pub const READ_SINGLE_BLOCK: u8 = 17;
    pub const READ_MULTIPLE_BLOCK: u8 = 18;
    pub const SET_BLOCK_COUNT: u8 = 23;
    pub const WRITE_BLOCK: u8 = 24;
    pub const WRITE_MULTIPLE_BLOCK: u8 = 25;
}

/// CMD1's argument: sector addressing (bits 30:29 = 10b) and 2.7-3.6 V
/// (bits 23:15), with bit 31 set as the ST HAL sends it (HARDWARE.md §4).
pub const OCR_ARG: u32 = 0xC0FF_8000;
/// In CMD1's response: set once the card finished powering up.
const OCR_READY: u32 = 1 << 31;
const OCR_ACCESS_MODE: u32 = 0b11 << 29;
const OCR_SECTOR_MODE: u32 = 0b10 << 29;
const OCR_VOLTAGE_2V7_3V6: u32 = 0x00FF_8000;
/// The relative card address the host assigns with CMD3 (HARDWARE.md §4).
pub const RCA: u16 = 2;

/// CMD1 polls before the card counts as never ready: each CMD1 and its
/// response take at least 106 clocks (48 + 48 + NCR 2 + NRC 8) at 400 kHz,
/// so 4096 polls span more than the 1 s JEDEC gives a card to power up.
pub const MAX_OP_COND_POLLS: u16 = 4096;
/// CMD1s that got no answer before there is no card.
const MAX_OP_COND_TIMEOUTS: u8 = 3;
/// CMD13 polls while a card is still programming (`prg`) after its busy
/// signal ended; the busy wait itself is the controller's.
pub const MAX_STATUS_POLLS: u16 = 1024;
/// CMD13s (and CMD12s) the recovery after an error may send.
const MAX_RECOVERY_TRIES: u8 = 6;

/// Data and R1b busy timeouts. The controller counts each block's wait
/// (read access, or a written block's busy) against them separately.
pub const DATA_TIMEOUT_MS: u32 = 1000;
/// Written blocks get more: an eMMC may pause for its own housekeeping.
pub const WRITE_TIMEOUT_MS: u32 = 3000;
const CMD6_MIN_TIMEOUT_MS: u32 = 250;
const FLUSH_TIMEOUT_MS: u32 = 10_000;

/// EXT_CSD byte offsets (JESD84-B51, as Linux's
/// `include/linux/mmc/mmc.h`).
pub mod ext_csd {
    pub const FLUSH_CACHE: usize = 32;
    pub const CACHE_CTRL: usize = 33;
    pub const DATA_SECTOR_SIZE: usize = 61;
    pub const BUS_WIDTH: usize = 183;
    pub const HS_TIMING: usize = 185;
    pub const POWER_CLASS: usize = 187;
    pub const REV: usize = 192;
    pub const CARD_TYPE: usize = 196;
    pub const PWR_CL_52_360: usize = 202;
    pub const PWR_CL_26_360: usize = 203;
    pub const SEC_COUNT: usize = 212;
    pub const GENERIC_CMD6_TIME: usize = 248;
    pub const CACHE_SIZE: usize = 249;
    /// CARD_TYPE bits: high speed at 26 MHz, at 52 MHz.
    pub const CARD_TYPE_HS26: u8 = 1 << 0;
    pub const CARD_TYPE_HS52: u8 = 1 << 1;
}

/// CMD6 SWITCH argument writing `value` to EXT_CSD byte `index` (access
/// 11b = write byte, command set 0).
pub const fn switch_arg(index: usize, value: u8) -> u32 {
    (0b11 << 24) | ((index as u32 & 0xFF) << 16) | ((value as u32) << 8)
}

/// Card status (R1) bits (JESD84-B51, as Linux's `mmc.h` has them).
pub mod status {
    pub const ADDRESS_OUT_OF_RANGE: u32 = 1 << 31;
    pub const ADDRESS_MISALIGN: u32 = 1 << 30;
    pub const BLOCK_LEN_ERROR: u32 = 1 << 29;
    pub const WP_VIOLATION: u32 = 1 << 26;
    pub const CARD_IS_LOCKED: u32 = 1 << 25;
    pub const COM_CRC_ERROR: u32 = 1 << 23;
    pub const ILLEGAL_COMMAND: u32 = 1 << 22;
    pub const CARD_ECC_FAILED: u32 = 1 << 21;
    pub const ERROR: u32 = 1 << 19;
    pub const READY_FOR_DATA: u32 = 1 << 8;
    pub const SWITCH_ERROR: u32 = 1 << 7;
    /// Every error bit of the command just answered: 31-26 and 24-16 (25
    /// is the lock status) and SWITCH_ERROR, without COM_CRC_ERROR and
    /// ILLEGAL_COMMAND: those describe the previous command (one the card
    /// did not answer, already seen as a timeout, such as the CMD12 that
    /// recovery sends to a card already back in `tran`). Erase-only bits
    /// 15 and 13 never concern us.
    pub const ERRORS: u32 = (0xFDFF_0000 & !(COM_CRC_ERROR | ILLEGAL_COMMAND)) | SWITCH_ERROR;
    /// Errors that name a bad address or length: the request's fault.
    pub const ADDRESS_ERRORS: u32 = ADDRESS_OUT_OF_RANGE | ADDRESS_MISALIGN | BLOCK_LEN_ERROR;
}

/// The card's state, bits 12:9 of R1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardState {
    Idle,
    Ready,
    Ident,
    Stby,
    Tran,
    Data,
    Rcv,
    Prg,
    Dis,
    Btst,
    Slp,
    Reserved(u8),
}

impl CardState {
    pub fn of(r1: u32) -> CardState {
        match (r1 >> 9) & 0xF {
            0 => CardState::Idle,
            1 => CardState::Ready,
            2 => CardState::Ident,
            3 => CardState::Stby,
            4 => CardState::Tran,
            5 => CardState::Data,
            6 => CardState::Rcv,
            7 => CardState::Prg,
            8 => CardState::Dis,
            9 => CardState::Btst,
            10 => CardState::Slp,
            n => CardState::Reserved(n as u8),
        }
    }

    /// The R1 state field for this state (for the card model).
    pub fn bits(self) -> u32 {
        let n = match self {
            CardState::Idle => 0,
            CardState::Ready => 1,
            CardState::Ident => 2,
            CardState::Stby => 3,
            CardState::Tran => 4,
            CardState::Data => 5,
            CardState::Rcv => 6,
            CardState::Prg => 7,
            CardState::Dis => 8,
            CardState::Btst => 9,
            CardState::Slp => 10,
            CardState::Reserved(n) => n as u32 & 0xF,
        };
        n << 9
    }
}

/// What a command expects back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseKind {
    None,
    /// 48 bits with CRC: the card status.
    R1,
    /// R1, then the card may hold DAT0 low (busy) until it is done.
    R1b,
    /// 136 bits: CID or CSD.
    R2,
    /// 48 bits without CRC: the OCR.
    R3,
}

/// One command as the bus sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command {
    pub index: u8,
    pub arg: u32,
    pub response: ResponseKind,
    /// Aborts the running data transfer (the SDMMC's CMDSTOP).
    pub stop: bool,
    /// Longest busy (R1b) or data phase, in milliseconds.
    pub timeout_ms: u32,
}

impl Command {
    const fn new(index: u8, arg: u32, response: ResponseKind) -> Command {
        Command { index, arg, response, stop: false, timeout_ms: DATA_TIMEOUT_MS }
    }
    const fn busy(index: u8, arg: u32, timeout_ms: u32) -> Command {
        Command { index, arg, response: ResponseKind::R1b, stop: false, timeout_ms }
    }
}

/// A response: the SDMMC's RESP1..RESP4. Short responses use word 0; R2
/// has bits 127:96 in word 0 down to bits 31:0 in word 3.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Response(pub [u32; 4]);

impl Response {
    pub const fn short(word: u32) -> Response {
        Response([word, 0, 0, 0])
    }
    pub fn word(&self) -> u32 {
        self.0[0]
    }
    /// Bits `[hi:lo]` of a 128-bit R2 (CID/CSD) response, at most 32 wide.
    pub fn bits(&self, hi: u32, lo: u32) -> u32 {
        let mut value: u64 = 0;
        for bit in (lo..=hi).rev() {
            let word = self.0[3 - (bit / 32) as usize];
            value = (value << 1) | ((word >> (bit % 32)) & 1) as u64;
        }
        value as u32
    }
}

/// The data bus width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusWidth {
    One,
    Four,
    Eight,
}

impl BusWidth {
    /// EXT_CSD BUS_WIDTH value (SDR).
    fn ext_csd_value(self) -> u8 {
        match self {
            BusWidth::One => 0,
            BusWidth::Four => 1,
            BusWidth::Eight => 2,
        }
    }
}

/// The bus clock, as a ceiling the bus divides its kernel clock down to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusSpeed {
    /// At most 400 kHz: identification.
    Identification,
    /// At most 26 MHz: default speed (or high-speed timing held back).
    Default,
    /// At most 52 MHz: HS_TIMING = 1.
    High,
}

impl BusSpeed {
    pub fn max_hz(self) -> u32 {
        match self {
            BusSpeed::Identification => 400_000,
            BusSpeed::Default => 26_000_000,
            BusSpeed::High => 52_000_000,
        }
    }
}

/// Which way data moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Card to memory.
    Read,
    /// Memory to card.
    Write,
}

/// What the bus reports failing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusError {
    /// The response's CRC was wrong.
    CommandCrc,
    /// No response within 64 clocks.
    CommandTimeout,
    /// A response to some other command (RESPCMD mismatch).
    WrongResponse,
    /// The card held DAT0 low (busy) past the command's timeout.
    BusyTimeout,
    /// A data block's CRC was wrong (read), or the card's CRC status said
    /// so (write).
    DataCrc,
    /// No data (read) or no end of busy after a block (write) in time.
    DataTimeout,
    /// The FIFO or the IDMA could not keep up, or the IDMA hit a bus error.
    Dma,
}

/// What the bus tells the state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The command finished: response received (and for R1b the card's
    /// busy ended), or sent when it expects none.
    CommandDone(Response),
    /// The command failed; for a data command no data event follows.
    CommandFailed(BusError),
    /// A data phase ended correctly.
    DataDone,
    /// A data phase failed.
    DataFailed(BusError),
}

/// What the state machine needs of the hardware: the SDMMC register layer
/// implements it, and so does the host tests' simulated card.
///
/// Every call returns at once; completion comes back as an [`Event`]. Once
/// a `stop` command is sent while data is armed, no data event follows.
pub trait EmmcBus<C: CacheMaintenance> {
    /// Sends a command without data.
    fn send_command(&self, command: Command);
    /// Arms the data path for `blocks` 512-byte blocks between the card and
    /// `buffer`, then sends the command that moves them. The buffer stays
    /// with the bus until [`EmmcBus::end_data`].
    fn send_data_command(&self, command: Command, direction: Direction, blocks: u32, buffer: DmaBuffer<C>);
    /// Disarms the data path and gives the buffer back (cache invalidated);
    /// `None` if there was none, or if the data path could not be stopped
    /// (then the buffer must stay with the device).
    fn end_data(&self) -> Option<DmaBuffer<C>>;
    /// Sets the bus width and clock, between commands.
    fn set_bus(&self, width: BusWidth, speed: BusSpeed);
}

/// Why a card cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsupported {
    /// A byte-addressed card (2 GB or less): OCR access mode is not sector.
    ByteAddressing,
    /// The card does not support 2.7-3.6 V.
    Voltage,
    /// CSD SPEC_VERS below 4: no EXT_CSD.
    SpecVersion(u8),
    /// 4 KiB native sectors in use (EXT_CSD DATA_SECTOR_SIZE != 0).
    SectorSize(u8),
    /// EXT_CSD SEC_COUNT is 0.
    NoCapacity,
}

/// Why the card or a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmmcError {
    /// The bus reported `error` on command `cmd` (or its data phase).
    Bus { cmd: u8, error: BusError },
    /// The card's status after `cmd` has error bits.
    Status { cmd: u8, status: u32 },
    /// The card was in the wrong state for `cmd`.
    State { cmd: u8, state: CardState },
    /// CMD1 never answered: no card.
    NoCard,
    /// The card never finished powering up (OCR busy bit stayed clear).
    NeverReady,
    /// A card this driver cannot use.
    Unsupported(Unsupported),
    /// The card is password-locked; it is left as it is.
    Locked,
    /// The card stopped answering, or lost its state: identify it again.
    Gone,
}

impl EmmcError {
    /// The error in a HIL completion:
    ///
    /// | failure | `EmmcError` | `ErrorCode` |
    /// |---|---|---|
    /// | response or data CRC, FIFO/IDMA error, wrong response, data timeout on a read | `Bus` | `FAIL` |
    /// | no response (command timeout) | `Bus { CommandTimeout }` | `NOACK` |
    /// | card holds DAT0 busy past the timeout (R1b, or a written block) | `Bus { BusyTimeout }` | `BUSY` |
    /// | card status: address out of range or misaligned, bad block length | `Status` | `INVAL` |
    /// | card status: write-protect violation | `Status` | `NOSUPPORT` |
    /// | card status: other errors (ECC, CC, generic, switch) or wrong state | `Status`, `State` | `FAIL` |
    /// | no card, never powered up, card gone or reset | `NoCard`, `NeverReady`, `Gone` | `NODEVICE` |
    /// | unusable or locked card | `Unsupported`, `Locked` | `NOSUPPORT` |
    pub fn error_code(&self) -> ErrorCode {
        match *self {
            EmmcError::Bus { error: BusError::CommandTimeout, .. } => ErrorCode::NOACK,
            EmmcError::Bus { error: BusError::BusyTimeout, .. } => ErrorCode::BUSY,
            EmmcError::Bus { .. } => ErrorCode::FAIL,
            EmmcError::Status { status: s, .. } if s & status::ADDRESS_ERRORS != 0 => ErrorCode::INVAL,
            EmmcError::Status { status: s, .. } if s & status::WP_VIOLATION != 0 => ErrorCode::NOSUPPORT,
            EmmcError::Status { .. } | EmmcError::State { .. } => ErrorCode::FAIL,
            EmmcError::Unsupported(_) | EmmcError::Locked => ErrorCode::NOSUPPORT,
            EmmcError::NoCard | EmmcError::NeverReady | EmmcError::Gone => ErrorCode::NODEVICE,
        }
    }
}

/// Checks a card status for error bits.
fn check_status(cmd: u8, r1: u32) -> Result<u32, EmmcError> {
    if r1 & status::ERRORS != 0 {
        Err(EmmcError::Status { cmd, status: r1 })
    } else {
        Ok(r1)
    }
}

/// What the driver asks of the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmmcConfig {
    /// Widest bus the board wired (all of D0-D7 on the NUCLEO-MEM).
    pub bus_width: BusWidth,
    /// Use high-speed timing (52 MHz, or 26 MHz) when the card has it.
    pub high_speed: bool,
}

impl EmmcConfig {
    /// The NUCLEO-MEM's eMMC: 8 bits, high speed.
    pub const NUCLEO_MEM: EmmcConfig = EmmcConfig { bus_width: BusWidth::Eight, high_speed: true };
    /// What the original firmware ran: 8 bits at 25 MHz default speed.
    pub const DEFAULT_SPEED: EmmcConfig = EmmcConfig { bus_width: BusWidth::Eight, high_speed: false };
    /// The least a card must do: 1 bit, default speed.
    pub const BASIC: EmmcConfig = EmmcConfig { bus_width: BusWidth::One, high_speed: false };

    fn width(&self) -> BusWidth {
        self.bus_width
    }
}

/// What identification learned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CardInfo {
    pub ocr: u32,
    pub cid: Response,
    pub csd: Response,
    /// EXT_CSD SEC_COUNT: 512-byte sectors.
    pub sectors: u32,
    pub ext_csd_rev: u8,
    pub card_type: u8,
    /// CACHE_SIZE (KiB) and whether CACHE_CTRL has it on.
    pub cache_kib: u32,
    pub cache_on: bool,
    pub power_class_26: u8,
    pub power_class_52: u8,
    pub cmd6_timeout_ms: u32,
}

impl CardInfo {
    /// CID manufacturer id (bits 127:120).
    pub fn manufacturer(&self) -> u8 {
        self.cid.bits(127, 120) as u8
    }
    /// CID product name, 6 ASCII bytes (bits 103:56).
    pub fn product_name(&self) -> [u8; 6] {
        let mut name = [0u8; 6];
        for (i, c) in name.iter_mut().enumerate() {
            let hi = 103 - 8 * i as u32;
            *c = self.cid.bits(hi, hi - 7) as u8;
        }
        name
    }
    /// CSD SPEC_VERS (bits 125:122).
    pub fn spec_version(&self) -> u8 {
        self.csd.bits(125, 122) as u8
    }
    /// CSD PERM_WRITE_PROTECT or TMP_WRITE_PROTECT (bits 13, 12): the card
    /// refuses every write.
    pub fn write_protected(&self) -> bool {
        self.csd.bits(13, 12) != 0
    }
}

/// The EXT_CSD fields identification uses, read from its 512 bytes.
pub fn parse_ext_csd(bytes: &[u8], info: &mut CardInfo) -> Result<(), EmmcError> {
    let le32 = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    if bytes.len() < SECTOR_SIZE {
        return Err(EmmcError::Unsupported(Unsupported::NoCapacity));
    }
    let sector_size = bytes[ext_csd::DATA_SECTOR_SIZE];
    if sector_size != 0 {
        return Err(EmmcError::Unsupported(Unsupported::SectorSize(sector_size)));
    }
    info.sectors = le32(ext_csd::SEC_COUNT);
    if info.sectors == 0 {
        return Err(EmmcError::Unsupported(Unsupported::NoCapacity));
    }
    info.ext_csd_rev = bytes[ext_csd::REV];
    info.card_type = bytes[ext_csd::CARD_TYPE];
    info.cache_kib = le32(ext_csd::CACHE_SIZE);
    info.cache_on = info.cache_kib != 0 && bytes[ext_csd::CACHE_CTRL] & 1 != 0;
    info.power_class_52 = bytes[ext_csd::PWR_CL_52_360];
    info.power_class_26 = bytes[ext_csd::PWR_CL_26_360];
    // GENERIC_CMD6_TIME counts 10 ms; 0 means the card does not say.
    let cmd6 = bytes[ext_csd::GENERIC_CMD6_TIME] as u32 * 10;
    info.cmd6_timeout_ms = if cmd6 == 0 { DATA_TIMEOUT_MS } else { cmd6.max(CMD6_MIN_TIMEOUT_MS) };
    Ok(())
}

/// The power class a bus width and clock need, from PWR_CL_26/52_360:
/// the high nibble for 8 bits, the low one for 4 bits (JESD84-B51, as Linux's `mmc_select_powerclass` reads them).
fn power_class(info: &CardInfo, width: BusWidth, speed: BusSpeed) -> u8 {
    let field = if speed == BusSpeed::High { info.power_class_52 } else { info.power_class_26 };
    match width {
        BusWidth::One => 0,
        BusWidth::Four => field & 0xF,
        BusWidth::Eight => field >> 4,
    }
}

/// The three switches of identification, in the order they are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Switch {
    PowerClass,
    BusWidth,
    HsTiming,
}

const SWITCHES: [Switch; 3] = [Switch::PowerClass, Switch::BusWidth, Switch::HsTiming];

/// A request from the block HIL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Read,
    Write,
    Flush,
}

/// A finished request: its buffer (none for a flush, or when the data path
/// could not be stopped and the buffer stays with the device) and result.
pub struct Completion<C> {
    pub op: Op,
    pub buffer: Option<DmaBuffer<C>>,
    pub result: Result<(), EmmcError>,
}

/// What an event led to.
pub enum Outcome<C> {
    /// Still working.
    Pending,
    /// Identification ended: the capacity in sectors, or why not.
    Initialized(Result<u64, EmmcError>),
    /// A request ended.
    Completed(Completion<C>),
}

/// What follows the CMD12 sent after an error with data armed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AfterStop {
    /// Identification fails with the recorded error.
    FailInit,
    /// The check read after the switches failed at 52 MHz: retry at 26.
    RetryCheckSlower,
    /// A request ends after the card's state is known.
    Recover,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Never started, or stopped.
    Off,
    GoIdle,
    OpCond {
        polls: u16,
        timeouts: u8,
    },
    AllSendCid,
    SetRca,
    SendCsd,
    Select,
    /// CMD8: `check` is the second read at the final bus settings; `data`
    /// once the response is in and the data phase runs.
    ExtCsd {
        check: bool,
        data: bool,
    },
    SetBlockLen,
    Switch(Switch),
    SwitchStatus {
        switch: Switch,
        polls: u16,
        slowed: bool,
    },
    /// Identified, waiting for requests.
    Ready,
    SetBlockCount,
    Transfer {
        data: bool,
    },
    WriteStatus {
        polls: u16,
    },
    FlushSwitch,
    FlushStatus {
        polls: u16,
    },
    Stopping(AfterStop),
    Recover {
        tries: u8,
    },
    RecoverStop {
        tries: u8,
    },
    /// Identification failed; `start` tries again.
    Failed,
    /// The card went away or lost its state; `start` identifies it again.
    Lost,
}

/// The request being served.
struct Request<C> {
    op: Op,
    sector: u32,
    count: u16,
    /// With the machine while the bus does not have it.
    buffer: Option<DmaBuffer<C>>,
}

/// The eMMC protocol state machine.
pub struct Emmc<C: CacheMaintenance> {
    config: EmmcConfig,
    step: Step,
    info: CardInfo,
    /// 512 bytes for EXT_CSD, the driver's own (not a client's).
    ext_csd: Option<DmaBuffer<C>>,
    width: BusWidth,
    speed: BusSpeed,
    /// Switches still to make ([`SWITCHES`] order).
    switches: [bool; 3],
    /// Whether the 52 MHz clock was given up for 26 MHz.
    slowed: bool,
    request: Option<Request<C>>,
    /// The error the running request (or identification) will end with.
    error: Option<EmmcError>,
    last_error: Option<EmmcError>,
}

impl<C: CacheMaintenance> Emmc<C> {
    /// `ext_csd` holds at least 512 bytes, in DMA memory.
    pub fn new(config: EmmcConfig, ext_csd: DmaBuffer<C>) -> Emmc<C> {
        Emmc {
            config,
            step: Step::Off,
            info: CardInfo::default(),
            ext_csd: Some(ext_csd),
            width: BusWidth::One,
            speed: BusSpeed::Identification,
            switches: [false; 3],
            slowed: false,
            request: None,
            error: None,
            last_error: None,
        }
    }

    /// Starts (or restarts) identification. `BUSY` while a request or an
    /// identification runs.
    pub fn start<B: EmmcBus<C>>(&mut self, bus: &B) -> Result<(), ErrorCode> {
        match self.step {
            Step::Off | Step::Ready | Step::Failed | Step::Lost => {}
            _ => return Err(ErrorCode::BUSY),
        }
        if self.ext_csd.as_ref().is_none_or(|b| b.len() < SECTOR_SIZE) {
            return Err(ErrorCode::NOMEM);
        }
        self.info = CardInfo::default();
        self.error = None;
        self.slowed = false;
        self.width = BusWidth::One;
        self.speed = BusSpeed::Identification;
        bus.set_bus(self.width, self.speed);
        self.send(bus, Step::GoIdle, Command::new(cmd::GO_IDLE_STATE, 0, ResponseKind::None));
        Ok(())
    }

    /// Sectors on the card: `OFF` until identified, `NODEVICE` if that
    /// failed or the card went away.
    pub fn capacity(&self) -> Result<u64, ErrorCode> {
        match self.step {
            Step::Failed | Step::Lost => Err(ErrorCode::NODEVICE),
            _ if self.info.sectors == 0 => Err(ErrorCode::OFF),
            _ => Ok(self.info.sectors as u64),
        }
    }

    /// What identification found (zeros until then).
    pub fn card_info(&self) -> &CardInfo {
        &self.info
    }

    /// The bus width and clock in use.
    pub fn bus(&self) -> (BusWidth, BusSpeed) {
        (self.width, self.speed)
    }

    /// The last error, in full (the HIL only carries its `ErrorCode`).
    pub fn last_error(&self) -> Option<EmmcError> {
        self.last_error
    }

    /// Whether requests are accepted now.
    fn accepting(&self) -> Result<(), ErrorCode> {
        match self.step {
            Step::Ready => Ok(()),
            Step::Failed | Step::Lost => Err(ErrorCode::NODEVICE),
            Step::Off => Err(ErrorCode::OFF),
            _ if self.info.sectors == 0 => Err(ErrorCode::OFF),
            _ => Err(ErrorCode::BUSY),
        }
    }

    /// Starts reading `count` sectors from `sector` into `buffer`.
    pub fn read<B: EmmcBus<C>>(
        &mut self,
        bus: &B,
        sector: u64,
        count: usize,
        buffer: DmaBuffer<C>,
    ) -> Result<(), (ErrorCode, DmaBuffer<C>)> {
        self.begin(bus, Op::Read, sector, count, buffer)
    }

    /// Starts writing `count` sectors from `buffer` at `sector`.
    pub fn write<B: EmmcBus<C>>(
        &mut self,
        bus: &B,
        sector: u64,
        count: usize,
        buffer: DmaBuffer<C>,
    ) -> Result<(), (ErrorCode, DmaBuffer<C>)> {
        self.begin(bus, Op::Write, sector, count, buffer)
    }

    fn begin<B: EmmcBus<C>>(
        &mut self,
        bus: &B,
        op: Op,
        sector: u64,
        count: usize,
        buffer: DmaBuffer<C>,
    ) -> Result<(), (ErrorCode, DmaBuffer<C>)> {
        if let Err(e) = self.accepting() {
            return Err((e, buffer));
        }
        if let Err(e) = check_request(self.info.sectors as u64, sector, count, buffer.len()) {
            return Err((e, buffer));
        }
        // As the twin's read-only medium: refused before reaching the card.
        if op == Op::Write && self.info.write_protected() {
            return Err((ErrorCode::NOSUPPORT, buffer));
        }
        // CMD23 counts to 65535 (and the data length register to 32 MiB).
        let Ok(count) = u16::try_from(count) else {
            return Err((ErrorCode::SIZE, buffer));
        };
        // Below SEC_COUNT, a u32: the address always fits CMD17/18/24/25.
        let sector = sector as u32;
        self.error = None;
        if count == 1 {
            self.request = Some(Request { op, sector, count, buffer: None });
            self.send_transfer(bus, buffer);
        } else {
            self.request = Some(Request { op, sector, count, buffer: Some(buffer) });
            self.send(bus, Step::SetBlockCount, Command::new(cmd::SET_BLOCK_COUNT, count as u32, ResponseKind::R1));
        }
        Ok(())
    }

    /// Makes completed writes durable: CMD6 FLUSH_CACHE if the card's cache
    /// is on, then CMD13 until the card is in `tran` (done programming).
    pub fn flush<B: EmmcBus<C>>(&mut self, bus: &B) -> Result<(), ErrorCode> {
        self.accepting()?;
        self.error = None;
        self.request = Some(Request { op: Op::Flush, sector: 0, count: 0, buffer: None });
        if self.info.cache_on {
            let arg = switch_arg(ext_csd::FLUSH_CACHE, 1);
            self.send(bus, Step::FlushSwitch, Command::busy(cmd::SWITCH, arg, FLUSH_TIMEOUT_MS));
        } else {
            self.send_status(bus, Step::FlushStatus { polls: 0 });
        }
        Ok(())
    }

    /// Feeds one bus event to the machine.
    pub fn event<B: EmmcBus<C>>(&mut self, bus: &B, event: Event) -> Outcome<C> {
        match (self.step, event) {
            // ---- identification ----
            (Step::GoIdle, Event::CommandDone(_)) => {
                self.send(
                    bus,
                    Step::OpCond { polls: 1, timeouts: 0 },
                    Command::new(cmd::SEND_OP_COND, OCR_ARG, ResponseKind::R3),
                );
                Outcome::Pending
            }
            (Step::OpCond { polls, timeouts }, Event::CommandDone(r)) => {
                let ocr = r.word();
                if ocr & OCR_READY == 0 {
                    if polls >= MAX_OP_COND_POLLS {
                        return self.fail_init(EmmcError::NeverReady);
                    }
                    let next = Step::OpCond { polls: polls + 1, timeouts };
                    self.send(bus, next, Command::new(cmd::SEND_OP_COND, OCR_ARG, ResponseKind::R3));
                    return Outcome::Pending;
                }
                if ocr & OCR_VOLTAGE_2V7_3V6 == 0 {
                    return self.fail_init(EmmcError::Unsupported(Unsupported::Voltage));
                }
                if ocr & OCR_ACCESS_MODE != OCR_SECTOR_MODE {
                    return self.fail_init(EmmcError::Unsupported(Unsupported::ByteAddressing));
                }
                self.info.ocr = ocr;
                self.send(bus, Step::AllSendCid, Command::new(cmd::ALL_SEND_CID, 0, ResponseKind::R2));
                Outcome::Pending
            }
            (Step::OpCond { polls, timeouts }, Event::CommandFailed(BusError::CommandTimeout)) => {
                if timeouts + 1 >= MAX_OP_COND_TIMEOUTS {
                    return self.fail_init(EmmcError::NoCard);
                }
                let next = Step::OpCond { polls: polls + 1, timeouts: timeouts + 1 };
                self.send(bus, next, Command::new(cmd::SEND_OP_COND, OCR_ARG, ResponseKind::R3));
                Outcome::Pending
            }
            (Step::AllSendCid, Event::CommandDone(r)) => {
                self.info.cid = r;
                self.send(
                    bus,
                    Step::SetRca,
                    Command::new(cmd::SET_RELATIVE_ADDR, (RCA as u32) << 16, ResponseKind::R1),
                );
                Outcome::Pending
            }
            (Step::SetRca, Event::CommandDone(r)) => match check_status(cmd::SET_RELATIVE_ADDR, r.word()) {
                Err(e) => self.fail_init(e),
                Ok(_) => {
                    self.send(bus, Step::SendCsd, Command::new(cmd::SEND_CSD, (RCA as u32) << 16, ResponseKind::R2));
                    Outcome::Pending
                }
            },
            (Step::SendCsd, Event::CommandDone(r)) => {
                self.info.csd = r;
                let version = self.info.spec_version();
                if version < 4 {
                    return self.fail_init(EmmcError::Unsupported(Unsupported::SpecVersion(version)));
                }
                self.send(bus, Step::Select, Command::busy(cmd::SELECT_CARD, (RCA as u32) << 16, DATA_TIMEOUT_MS));
                Outcome::Pending
            }
            (Step::Select, Event::CommandDone(r)) => {
                if let Err(e) = check_status(cmd::SELECT_CARD, r.word()) {
                    return self.fail_init(e);
                }
                if r.word() & status::CARD_IS_LOCKED != 0 {
                    return self.fail_init(EmmcError::Locked);
                }
                // Transfer state from here on: the default-speed clock.
                self.speed = BusSpeed::Default;
                bus.set_bus(self.width, self.speed);
                self.send_ext_csd(bus, false)
            }
            (Step::ExtCsd { check, data: false }, Event::CommandDone(r)) => {
                match check_status(cmd::SEND_EXT_CSD, r.word()) {
                    Err(e) => self.stop(bus, e, AfterStop::FailInit),
                    Ok(_) => {
                        self.step = Step::ExtCsd { check, data: true };
                        Outcome::Pending
                    }
                }
            }
            (Step::ExtCsd { check, .. }, Event::CommandFailed(error) | Event::DataFailed(error)) => {
                let e = EmmcError::Bus { cmd: cmd::SEND_EXT_CSD, error };
                if check && self.speed == BusSpeed::High && !self.slowed {
                    self.stop(bus, e, AfterStop::RetryCheckSlower)
                } else {
                    self.stop(bus, e, AfterStop::FailInit)
                }
            }
            (Step::ExtCsd { check, data: true }, Event::DataDone) => {
                let Some(buffer) = bus.end_data() else {
                    return self.lose(EmmcError::Gone);
                };
                let mut info = self.info;
                let parsed = parse_ext_csd(buffer.as_slice(), &mut info);
                self.ext_csd = Some(buffer);
                if let Err(e) = parsed {
                    return self.fail_init(e);
                }
                if check {
                    // The same card at the new settings, every bit intact.
                    if info.sectors != self.info.sectors {
                        return self.fail_init(EmmcError::Bus { cmd: cmd::SEND_EXT_CSD, error: BusError::DataCrc });
                    }
                    self.step = Step::Ready;
                    return Outcome::Initialized(Ok(self.info.sectors as u64));
                }
                self.info = info;
                self.send(
                    bus,
                    Step::SetBlockLen,
                    Command::new(cmd::SET_BLOCKLEN, SECTOR_SIZE as u32, ResponseKind::R1),
                );
                Outcome::Pending
            }
            (Step::SetBlockLen, Event::CommandDone(r)) => {
                if let Err(e) = check_status(cmd::SET_BLOCKLEN, r.word()) {
                    return self.fail_init(e);
                }
                self.plan_switches();
                self.next_switch(bus)
            }
            (Step::Switch(switch), Event::CommandDone(r)) => {
                // A refusal (SWITCH_ERROR) is judged by the CMD13 below.
                if let Err(e) = check_status(cmd::SWITCH, r.word() & !status::SWITCH_ERROR) {
                    return self.fail_init(e);
                }
                // The host follows the card before asking it how it went.
                match switch {
                    Switch::PowerClass => {}
                    Switch::BusWidth => bus.set_bus(self.config.width(), self.speed),
                    Switch::HsTiming => {
                        if self.info.card_type & ext_csd::CARD_TYPE_HS52 != 0 {
                            bus.set_bus(self.width, BusSpeed::High);
                        }
                    }
                }
                self.send_status(bus, Step::SwitchStatus { switch, polls: 0, slowed: false });
                Outcome::Pending
            }
            (Step::SwitchStatus { switch, polls, slowed }, Event::CommandDone(r)) => {
                let r1 = r.word();
                if r1 & status::SWITCH_ERROR != 0 && r1 & (status::ERRORS & !status::SWITCH_ERROR) == 0 {
                    // The card refused: keep the host where the card is.
                    match switch {
                        Switch::PowerClass => {}
                        Switch::BusWidth => bus.set_bus(self.width, self.speed),
                        Switch::HsTiming => bus.set_bus(self.width, self.speed),
                    }
                    return self.next_switch(bus);
                }
                if let Err(e) = check_status(cmd::SEND_STATUS, r1) {
                    return self.fail_init(e);
                }
                match CardState::of(r1) {
                    CardState::Prg if polls < MAX_STATUS_POLLS => {
                        self.send_status(bus, Step::SwitchStatus { switch, polls: polls + 1, slowed });
                        Outcome::Pending
                    }
                    CardState::Tran => {
                        match switch {
                            Switch::PowerClass => {}
                            Switch::BusWidth => self.width = self.config.width(),
                            Switch::HsTiming if slowed => self.slowed = true,
                            Switch::HsTiming if self.info.card_type & ext_csd::CARD_TYPE_HS52 != 0 => {
                                self.speed = BusSpeed::High
                            }
                            // HS26 only: high-speed timing at the 26 MHz clock.
                            Switch::HsTiming => {}
                        }
                        self.next_switch(bus)
                    }
                    state => self.fail_init(EmmcError::State { cmd: cmd::SEND_STATUS, state }),
                }
            }
            (Step::SwitchStatus { switch: Switch::HsTiming, polls, slowed: false }, Event::CommandFailed(_)) => {
                // Nothing gets through at 52 MHz: high-speed timing at 26.
                bus.set_bus(self.width, BusSpeed::Default);
                self.send_status(bus, Step::SwitchStatus { switch: Switch::HsTiming, polls: polls + 1, slowed: true });
                Outcome::Pending
            }

            // ---- transfers ----
            (Step::SetBlockCount, Event::CommandDone(r)) => {
                if let Err(e) = check_status(cmd::SET_BLOCK_COUNT, r.word()) {
                    return self.recover(bus, e);
                }
                match self.request.as_mut().and_then(|q| q.buffer.take()) {
                    Some(buffer) => {
                        self.send_transfer(bus, buffer);
                        Outcome::Pending
                    }
                    None => self.lose(EmmcError::Gone),
                }
            }
            (Step::SetBlockCount, Event::CommandFailed(error)) => {
                self.recover(bus, EmmcError::Bus { cmd: cmd::SET_BLOCK_COUNT, error })
            }
            (Step::Transfer { data: false }, Event::CommandDone(r)) => {
                let index = self.transfer_command_index();
                match check_status(index, r.word()) {
                    Err(e) => self.stop(bus, e, AfterStop::Recover),
                    Ok(_) => {
                        self.step = Step::Transfer { data: true };
                        Outcome::Pending
                    }
                }
            }
            (Step::Transfer { .. }, Event::CommandFailed(error) | Event::DataFailed(error)) => {
                let index = self.transfer_command_index();
                // A write's data phase times out only while the card holds
                // DAT0 busy after a block: report it as the card busy.
                let error = match (self.request.as_ref().map(|q| q.op), error) {
                    (Some(Op::Write), BusError::DataTimeout) if matches!(self.step, Step::Transfer { data: true }) => {
                        BusError::BusyTimeout
                    }
                    (_, e) => e,
                };
                self.stop(bus, EmmcError::Bus { cmd: index, error }, AfterStop::Recover)
            }
            (Step::Transfer { data: true }, Event::DataDone) => {
                let Some(buffer) = bus.end_data() else {
                    return self.lose(EmmcError::Gone);
                };
                let op = self.request.as_ref().map(|q| q.op);
                if let Some(q) = self.request.as_mut() {
                    q.buffer = Some(buffer);
                }
                if op == Some(Op::Write) {
                    self.send_status(bus, Step::WriteStatus { polls: 0 });
                    Outcome::Pending
                } else {
                    self.complete(Ok(()))
                }
            }
            (Step::WriteStatus { polls } | Step::FlushStatus { polls }, Event::CommandDone(r)) => {
                let flush = matches!(self.step, Step::FlushStatus { .. });
                let r1 = r.word();
                if let Err(e) = check_status(cmd::SEND_STATUS, r1) {
                    return self.recover(bus, e);
                }
                match CardState::of(r1) {
                    CardState::Tran if r1 & status::READY_FOR_DATA != 0 => self.complete(Ok(())),
                    CardState::Prg | CardState::Tran if polls < MAX_STATUS_POLLS => {
                        let next = if flush {
                            Step::FlushStatus { polls: polls + 1 }
                        } else {
                            Step::WriteStatus { polls: polls + 1 }
                        };
                        self.send_status(bus, next);
                        Outcome::Pending
                    }
                    CardState::Prg | CardState::Tran => {
                        self.recover(bus, EmmcError::Bus { cmd: cmd::SEND_STATUS, error: BusError::BusyTimeout })
                    }
                    state => self.recover(bus, EmmcError::State { cmd: cmd::SEND_STATUS, state }),
                }
            }
            (Step::WriteStatus { .. } | Step::FlushStatus { .. }, Event::CommandFailed(error)) => {
                self.recover(bus, EmmcError::Bus { cmd: cmd::SEND_STATUS, error })
            }
            (Step::FlushSwitch, Event::CommandDone(r)) => match check_status(cmd::SWITCH, r.word()) {
                Err(e) => self.recover(bus, e),
                Ok(_) => {
                    self.send_status(bus, Step::FlushStatus { polls: 0 });
                    Outcome::Pending
                }
            },
            (Step::FlushSwitch, Event::CommandFailed(error)) => {
                self.recover(bus, EmmcError::Bus { cmd: cmd::SWITCH, error })
            }

            // ---- after an error ----
            (Step::Stopping(then), Event::CommandDone(_) | Event::CommandFailed(_)) => {
                // Whatever CMD12 got back, the data path is aborted now.
                let buffer = bus.end_data();
                let is_ext_csd = then != AfterStop::Recover;
                match (buffer, is_ext_csd) {
                    (Some(b), true) => self.ext_csd = Some(b),
                    (Some(b), false) => {
                        if let Some(q) = self.request.as_mut() {
                            q.buffer = Some(b);
                        }
                    }
                    (None, _) => {
                        let e = self.error.take().unwrap_or(EmmcError::Gone);
                        return self.lose(e);
                    }
                }
                match then {
                    AfterStop::FailInit => {
                        let e = self.error.take().unwrap_or(EmmcError::Gone);
                        self.fail_init(e)
                    }
                    AfterStop::RetryCheckSlower => {
                        self.error = None;
                        self.slowed = true;
                        self.speed = BusSpeed::Default;
                        bus.set_bus(self.width, self.speed);
                        self.send_ext_csd(bus, true)
                    }
                    AfterStop::Recover => {
                        self.send_status(bus, Step::Recover { tries: 1 });
                        Outcome::Pending
                    }
                }
            }
            (Step::Recover { tries }, Event::CommandDone(r)) => {
                // Only the state counts: the error bits describe the failure
                // already recorded.
                match CardState::of(r.word()) {
                    CardState::Tran => {
                        let e = self.error.take().unwrap_or(EmmcError::Gone);
                        self.complete(Err(e))
                    }
                    _ if tries >= MAX_RECOVERY_TRIES => {
                        let e = self.error.take().unwrap_or(EmmcError::Gone);
                        self.complete(Err(e))
                    }
                    CardState::Data | CardState::Rcv => {
                        // Still in a transfer: stop it (no data armed now).
                        let stop = Command::busy(cmd::STOP_TRANSMISSION, 0, DATA_TIMEOUT_MS);
                        self.send(bus, Step::RecoverStop { tries: tries + 1 }, stop);
                        Outcome::Pending
                    }
                    CardState::Prg => {
                        self.send_status(bus, Step::Recover { tries: tries + 1 });
                        Outcome::Pending
                    }
                    // Reset or deselected under us: the card must be identified again.
                    _ => self.lose(EmmcError::Gone),
                }
            }
            // CMD12's R1 shows the state it was received in: ask again.
            (Step::RecoverStop { tries }, Event::CommandDone(_) | Event::CommandFailed(_)) => {
                self.send_status(bus, Step::Recover { tries: tries + 1 });
                Outcome::Pending
            }
            (Step::Recover { tries }, Event::CommandFailed(_)) => {
                if tries >= MAX_RECOVERY_TRIES {
                    return self.lose(EmmcError::Gone);
                }
                self.send_status(bus, Step::Recover { tries: tries + 1 });
                Outcome::Pending
            }

            // ---- everything else in identification is an error ----
            (
                Step::GoIdle | Step::OpCond { .. } | Step::AllSendCid | Step::SetRca | Step::SendCsd,
                Event::CommandFailed(error),
            )
            | (
                Step::Select | Step::SetBlockLen | Step::Switch(_) | Step::SwitchStatus { .. },
                Event::CommandFailed(error),
            ) => {
                let cmd = self.identification_command_index();
                self.fail_init(EmmcError::Bus { cmd, error })
            }
            // An event nothing waits for (a bus bug): ignored.
            _ => Outcome::Pending,
        }
    }

    fn send<B: EmmcBus<C>>(&mut self, bus: &B, next: Step, command: Command) {
        self.step = next;
        bus.send_command(command);
    }

    fn send_status<B: EmmcBus<C>>(&mut self, bus: &B, next: Step) {
        self.send(bus, next, Command::new(cmd::SEND_STATUS, (RCA as u32) << 16, ResponseKind::R1));
    }

    fn send_ext_csd<B: EmmcBus<C>>(&mut self, bus: &B, check: bool) -> Outcome<C> {
        match self.ext_csd.take() {
            Some(buffer) => {
                self.step = Step::ExtCsd { check, data: false };
                bus.send_data_command(Command::new(cmd::SEND_EXT_CSD, 0, ResponseKind::R1), Direction::Read, 1, buffer);
                Outcome::Pending
            }
            None => self.fail_init(EmmcError::Unsupported(Unsupported::NoCapacity)),
        }
    }

    /// Which switches this card and board get.
    fn plan_switches(&mut self) {
        let width = self.config.width();
        let hs =
            self.config.high_speed && self.info.card_type & (ext_csd::CARD_TYPE_HS26 | ext_csd::CARD_TYPE_HS52) != 0;
        let speed =
            if hs && self.info.card_type & ext_csd::CARD_TYPE_HS52 != 0 { BusSpeed::High } else { BusSpeed::Default };
        self.switches = [power_class(&self.info, width, speed) != 0, width != BusWidth::One, hs];
    }

    /// Sends the next switch, or the check read when none is left.
    fn next_switch<B: EmmcBus<C>>(&mut self, bus: &B) -> Outcome<C> {
        let Some(i) = self.switches.iter().position(|&s| s) else {
            return self.send_ext_csd(bus, true);
        };
        self.switches[i] = false;
        let switch = SWITCHES[i];
        let arg = match switch {
            Switch::PowerClass => {
                let hs52 = self.switches[2] && self.info.card_type & ext_csd::CARD_TYPE_HS52 != 0;
                let speed = if hs52 { BusSpeed::High } else { BusSpeed::Default };
                switch_arg(ext_csd::POWER_CLASS, power_class(&self.info, self.config.width(), speed))
            }
            Switch::BusWidth => switch_arg(ext_csd::BUS_WIDTH, self.config.width().ext_csd_value()),
            Switch::HsTiming => switch_arg(ext_csd::HS_TIMING, 1),
        };
        self.send(bus, Step::Switch(switch), Command::busy(cmd::SWITCH, arg, self.info.cmd6_timeout_ms));
        Outcome::Pending
    }

    /// Sends the running request's data command with `buffer`.
    fn send_transfer<B: EmmcBus<C>>(&mut self, bus: &B, buffer: DmaBuffer<C>) {
        let Some(q) = self.request.as_ref() else { return };
        let (index, direction) = match (q.op, q.count) {
            (Op::Read, 1) => (cmd::READ_SINGLE_BLOCK, Direction::Read),
            (Op::Read, _) => (cmd::READ_MULTIPLE_BLOCK, Direction::Read),
            (_, 1) => (cmd::WRITE_BLOCK, Direction::Write),
            _ => (cmd::WRITE_MULTIPLE_BLOCK, Direction::Write),
        };
        let blocks = q.count as u32;
        let timeout_ms = if direction == Direction::Write { WRITE_TIMEOUT_MS } else { DATA_TIMEOUT_MS };
        let command = Command { timeout_ms, ..Command::new(index, q.sector, ResponseKind::R1) };
        self.step = Step::Transfer { data: false };
        bus.send_data_command(command, direction, blocks, buffer);
    }

    fn transfer_command_index(&self) -> u8 {
        match self.request.as_ref().map(|q| (q.op, q.count)) {
            Some((Op::Read, 1)) => cmd::READ_SINGLE_BLOCK,
            Some((Op::Read, _)) => cmd::READ_MULTIPLE_BLOCK,
            Some((_, 1)) => cmd::WRITE_BLOCK,
            _ => cmd::WRITE_MULTIPLE_BLOCK,
        }
    }

    fn identification_command_index(&self) -> u8 {
        match self.step {
            Step::GoIdle => cmd::GO_IDLE_STATE,
            Step::OpCond { .. } => cmd::SEND_OP_COND,
            Step::AllSendCid => cmd::ALL_SEND_CID,
            Step::SetRca => cmd::SET_RELATIVE_ADDR,
            Step::SendCsd => cmd::SEND_CSD,
            Step::Select => cmd::SELECT_CARD,
            Step::SetBlockLen => cmd::SET_BLOCKLEN,
            Step::Switch(_) => cmd::SWITCH,
            _ => cmd::SEND_STATUS,
        }
    }

    /// Aborts the armed data transfer with CMD12, then goes on as `then`.
    fn stop<B: EmmcBus<C>>(&mut self, bus: &B, e: EmmcError, then: AfterStop) -> Outcome<C> {
        self.error = Some(e);
        self.last_error = Some(e);
        let stop = Command { stop: true, ..Command::busy(cmd::STOP_TRANSMISSION, 0, DATA_TIMEOUT_MS) };
        self.send(bus, Step::Stopping(then), stop);
        Outcome::Pending
    }

    /// After a request's error without data armed: learn the card's state.
    fn recover<B: EmmcBus<C>>(&mut self, bus: &B, e: EmmcError) -> Outcome<C> {
        self.error = Some(e);
        self.last_error = Some(e);
        self.send_status(bus, Step::Recover { tries: 1 });
        Outcome::Pending
    }

    /// Identification ends with `e`; nothing more is sent.
    fn fail_init(&mut self, e: EmmcError) -> Outcome<C> {
        self.error = None;
        self.last_error = Some(e);
        self.info.sectors = 0;
        self.step = Step::Failed;
        Outcome::Initialized(Err(e))
    }

    /// The card is gone: the request (if any) ends with `NODEVICE`.
    fn lose(&mut self, e: EmmcError) -> Outcome<C> {
        self.last_error = Some(e);
        self.error = None;
        self.step = Step::Lost;
        match self.request.take() {
            Some(q) => Outcome::Completed(Completion { op: q.op, buffer: q.buffer, result: Err(EmmcError::Gone) }),
            // Only identification runs without a request.
            None => Outcome::Initialized(Err(e)),
        }
    }

    /// The running request ends with `result`.
    fn complete(&mut self, result: Result<(), EmmcError>) -> Outcome<C> {
        self.step = Step::Ready;
        match self.request.take() {
            Some(q) => Outcome::Completed(Completion { op: q.op, buffer: q.buffer, result }),
            None => Outcome::Pending,
        }
    }
}

#[cfg(test)]
pub(crate) mod card_model;
#[cfg(test)]
mod tests;
