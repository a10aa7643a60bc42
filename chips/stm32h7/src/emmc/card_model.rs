// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! A simulated eMMC behind the [`EmmcBus`] the state machine drives: the
//! card's states (idle, ready, ident, stby, tran, data, rcv, prg), its
//! registers (OCR with a busy bit for a few polls, CID, CSD, EXT_CSD), its
//! sectors, and faults to inject. It also checks the host keeps to the
//! protocol: identification below 400 kHz, data only at the width the card
//! was switched to, 52 MHz only after HS_TIMING.

extern crate std;

use core::cell::{Cell, RefCell};
use std::boxed::Box;
use std::collections::VecDeque;
use std::vec;
use std::vec::Vec;

use dma_buffer::{Coherent, DmaBuffer, DmaRegion};

use super::*;

/// Cache-line aligned memory that lives for the whole test run.
#[repr(C, align(32))]
struct Aligned<const N: usize>([u8; N]);

/// The tests' DMA window: all of memory (the twin's `Coherent` cache).
#[allow(unsafe_code)]
pub fn region() -> DmaRegion<Coherent> {
    // SAFETY: host tests: no device, the buffers are the tests' own.
    unsafe { DmaRegion::new(0, usize::MAX) }
}

/// A fresh DMA buffer of `N` bytes filled with `fill`.
pub fn buffer<const N: usize>(fill: u8) -> DmaBuffer<Coherent> {
    let mem: &'static mut [u8] = &mut Box::leak(Box::new(Aligned([fill; N]))).0[..];
    region().buffer(mem).expect("aligned test buffer")
}

/// Something to go wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The card executes `cmd` but its response arrives corrupted.
    CommandCrc { cmd: u8, times: u32 },
    /// The card never sees `cmd`: no response.
    CommandTimeout { cmd: u8, times: u32 },
    /// The data phase of `cmd` fails its CRC.
    DataCrc { cmd: u8, times: u32 },
    /// The card sends no data for `cmd`.
    DataTimeout { cmd: u8, times: u32 },
    /// The response to `cmd` carries `bits` in its card status.
    StatusError { cmd: u8, bits: u32, times: u32 },
    /// The card refuses a SWITCH of this EXT_CSD byte.
    RefuseSwitch { index: u8 },
    /// After R1b commands and written blocks the card never lets go of DAT0.
    StuckBusy,
    /// The OCR busy bit never clears: power-up never ends.
    NeverReady,
    /// After this many more commands the card answers nothing, ever.
    VanishAfter { commands: u32 },
    /// At 52 MHz every command and data block is garbled.
    CrcAtHighSpeed,
}

/// What the card answers.
pub enum Reply {
    /// Response arrived intact (or none was expected).
    Response(Response),
    Crc,
    NoResponse,
    /// R1b: response fine, but DAT0 stays low past the timeout.
    BusyForever,
}

#[derive(Clone, Copy)]
struct Xfer {
    index: u8,
    sector: u32,
    blocks: u32,
}

/// The simulated card.
pub struct Card {
    pub state: CardState,
    pub rca: u16,
    /// CMD1s answered "still busy" before the card is ready.
    pub ocr_busy_polls: u32,
    /// The OCR it reports (sector mode, 2.7-3.6 V and 1.7-1.95 V).
    pub ocr: u32,
    pub cid: Response,
    pub csd: Response,
    pub ext_csd: [u8; 512],
    pub storage: Vec<u8>,
    /// CMD13s answered "prg" after a write or switch.
    pub prg_polls: u32,
    pub locked: bool,
    pub faults: Vec<Fault>,
    /// Every command received: (index, argument).
    pub log: Vec<(u8, u32)>,
    pub gone: bool,
    bus_width: u8,
    hs_timing: u8,
    power_class: u8,
    block_count: Option<u16>,
    /// Clear-on-read status bits for the next response.
    pending: u32,
    prg_left: u32,
    xfer: Option<Xfer>,
}

/// A 8 GB-class card (scaled down): `sectors` of storage, high speed at 26
/// and 52 MHz, power class 3 for 8 bits at 52 MHz, no cache.
pub fn card(sectors: u32) -> Card {
    let mut ext = [0u8; 512];
    ext[ext_csd::SEC_COUNT..ext_csd::SEC_COUNT + 4].copy_from_slice(&sectors.to_le_bytes());
    ext[ext_csd::REV] = 8;
    ext[ext_csd::CARD_TYPE] = ext_csd::CARD_TYPE_HS26 | ext_csd::CARD_TYPE_HS52;
    ext[ext_csd::PWR_CL_52_360] = 0x32;
    ext[ext_csd::PWR_CL_26_360] = 0x00;
    ext[ext_csd::GENERIC_CMD6_TIME] = 5;
    // CID: manufacturer 0x70 (Kingston), BGA, product "EMMC08", serial
    // 0x12345678 (MID 127:120, CBX 119:112, OID 111:104, PNM 103:56, PRV
    // 55:48, PSN 47:16, MDT 15:8, CRC 7:1).
    let cid = Response([
        (0x70 << 24) | (0x01 << 16) | u32::from(b'E'),
        u32::from_be_bytes(*b"MMC0"),
        (u32::from(b'8') << 24) | (0x10 << 16) | 0x1234,
        (0x5678 << 16) | (0x7A << 8) | 1,
    ]);
    // CSD: CSD_STRUCTURE 3, SPEC_VERS 4 (bits 125:122).
    let csd = Response([(3 << 30) | (4 << 26) | 0x0E_0032, 0x5B59_83FF, 0xFFFF_FFFF, 0x9240_4000]);
    Card {
        state: CardState::Idle,
        rca: 0,
        ocr_busy_polls: 3,
        ocr: 0x40FF_8080,
        cid,
        csd,
        ext_csd: ext,
        storage: vec![0u8; sectors as usize * SECTOR_SIZE],
        prg_polls: 0,
        locked: false,
        faults: Vec::new(),
        log: Vec::new(),
        gone: false,
        bus_width: 0,
        hs_timing: 0,
        power_class: 0,
        block_count: None,
        pending: 0,
        prg_left: 0,
        xfer: None,
    }
}

impl Card {
    pub fn sectors(&self) -> u32 {
        (self.storage.len() / SECTOR_SIZE) as u32
    }
    pub fn bus_width(&self) -> u8 {
        self.bus_width
    }
    pub fn hs_timing(&self) -> u8 {
        self.hs_timing
    }
    pub fn power_class(&self) -> u8 {
        self.power_class
    }
    pub fn set_sector(&mut self, sector: u32, fill: impl Fn(usize) -> u8) {
        let at = sector as usize * SECTOR_SIZE;
        for (i, b) in self.storage[at..at + SECTOR_SIZE].iter_mut().enumerate() {
            *b = fill(i);
        }
    }

    fn has(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }

    /// Uses up one occurrence of a counted fault that `matches`.
    fn take(&mut self, matches: impl Fn(&Fault) -> bool) -> Option<Fault> {
        for f in self.faults.iter_mut() {
            if !matches(f) {
                continue;
            }
            let times = match f {
                Fault::CommandCrc { times, .. }
                | Fault::CommandTimeout { times, .. }
                | Fault::DataCrc { times, .. }
                | Fault::DataTimeout { times, .. }
                | Fault::StatusError { times, .. } => times,
                _ => continue,
            };
            if *times > 0 {
                *times -= 1;
                return Some(*f);
            }
        }
        None
    }

    /// R1 for a command received now (state before it takes effect).
    fn r1(&mut self, index: u8) -> u32 {
        let mut r1 = self.state.bits() | self.pending;
        if self.locked {
            r1 |= status::CARD_IS_LOCKED;
        }
        if self.state == CardState::Tran {
            r1 |= status::READY_FOR_DATA;
        }
        if let Some(Fault::StatusError { bits, .. }) =
            self.take(|f| matches!(f, Fault::StatusError { cmd, .. } if *cmd == index))
        {
            r1 |= bits;
        }
        self.pending = 0;
        r1
    }

    fn illegal(&mut self) -> Reply {
        self.pending |= status::ILLEGAL_COMMAND;
        Reply::NoResponse
    }

    /// The card programs: busy ends at once, or never (StuckBusy).
    fn busy_reply(&mut self, r1: u32) -> Reply {
        if self.has(Fault::StuckBusy) {
            self.state = CardState::Prg;
            self.prg_left = u32::MAX;
            return Reply::BusyForever;
        }
        self.programming();
        Reply::Response(Response::short(r1))
    }

    /// After busy: `prg_polls` CMD13s still see `prg`, then `tran`.
    fn programming(&mut self) {
        self.prg_left = self.prg_polls;
        self.state = if self.prg_polls > 0 { CardState::Prg } else { CardState::Tran };
    }

    pub fn command(&mut self, c: Command, width: BusWidth, speed: BusSpeed) -> Reply {
        self.log.push((c.index, c.arg));
        for f in self.faults.iter_mut() {
            if let Fault::VanishAfter { commands } = f {
                if *commands == 0 {
                    self.gone = true;
                } else {
                    *commands -= 1;
                }
            }
        }
        if self.gone {
            return Reply::NoResponse;
        }
        let _ = width;
        if speed == BusSpeed::High && (self.has(Fault::CrcAtHighSpeed) || self.hs_timing == 0) {
            return Reply::Crc;
        }
        let identifying = matches!(self.state, CardState::Idle | CardState::Ready | CardState::Ident);
        if identifying && speed != BusSpeed::Identification && c.index != cmd::GO_IDLE_STATE {
            return Reply::NoResponse;
        }
        if self.take(|f| matches!(f, Fault::CommandTimeout { cmd, .. } if *cmd == c.index)).is_some() {
            return Reply::NoResponse;
        }
        let reply = self.execute(c);
        if self.take(|f| matches!(f, Fault::CommandCrc { cmd, .. } if *cmd == c.index)).is_some() {
            return Reply::Crc;
        }
        reply
    }

    fn addressed(&self, c: &Command) -> bool {
        (c.arg >> 16) as u16 == self.rca && self.rca != 0
    }

    fn execute(&mut self, c: Command) -> Reply {
        use CardState::*;
        match (c.index, self.state) {
            (cmd::GO_IDLE_STATE, _) => {
                self.state = Idle;
                self.rca = 0;
                self.bus_width = 0;
                self.hs_timing = 0;
                self.pending = 0;
                self.xfer = None;
                Reply::Response(Response::default())
            }
            (cmd::SEND_OP_COND, Idle | Ready) => {
                if self.has(Fault::NeverReady) || self.ocr_busy_polls > 0 {
                    self.ocr_busy_polls = self.ocr_busy_polls.saturating_sub(1);
                    return Reply::Response(Response::short(self.ocr & !OCR_READY));
                }
                self.state = Ready;
                Reply::Response(Response::short(self.ocr | OCR_READY))
            }
            (cmd::ALL_SEND_CID, Ready) => {
                self.state = Ident;
                Reply::Response(self.cid)
            }
            (cmd::SET_RELATIVE_ADDR, Ident) => {
                let r1 = self.r1(c.index);
                self.rca = (c.arg >> 16) as u16;
                self.state = Stby;
                Reply::Response(Response::short(r1))
            }
            (cmd::SEND_CSD, Stby) if self.addressed(&c) => Reply::Response(self.csd),
            (cmd::SELECT_CARD, Stby) if self.addressed(&c) => {
                let r1 = self.r1(c.index);
                self.state = Tran;
                Reply::Response(Response::short(r1))
            }
            (cmd::SELECT_CARD, Tran) if !self.addressed(&c) => {
                self.state = Stby;
                Reply::NoResponse
            }
            (cmd::SEND_STATUS, Stby | Tran | Data | Rcv | Prg) if self.addressed(&c) => {
                let r1 = self.r1(c.index);
                if self.state == Prg && self.prg_left != u32::MAX {
                    self.prg_left = self.prg_left.saturating_sub(1);
                    if self.prg_left == 0 {
                        self.state = Tran;
                    }
                }
                Reply::Response(Response::short(r1))
            }
            (cmd::SET_BLOCKLEN, Tran) => {
                if c.arg != SECTOR_SIZE as u32 {
                    self.pending |= status::BLOCK_LEN_ERROR;
                }
                Reply::Response(Response::short(self.r1(c.index)))
            }
            (cmd::SWITCH, Tran) => {
                let r1 = self.r1(c.index);
                let (access, index, value) = ((c.arg >> 24) & 3, ((c.arg >> 16) & 0xFF) as u8, (c.arg >> 8) as u8);
                let refused = self.faults.contains(&Fault::RefuseSwitch { index });
                let ok = access == 3
                    && !refused
                    && match index as usize {
                        ext_csd::BUS_WIDTH if value <= 2 => {
                            self.bus_width = value;
                            true
                        }
                        ext_csd::HS_TIMING
                            if value == 0 || (value == 1 && self.ext_csd[ext_csd::CARD_TYPE] & 3 != 0) =>
                        {
                            self.hs_timing = value;
                            true
                        }
                        ext_csd::POWER_CLASS => {
                            self.power_class = value;
                            true
                        }
                        ext_csd::FLUSH_CACHE if self.ext_csd[ext_csd::CACHE_CTRL] & 1 != 0 => true,
                        _ => false,
                    };
                if !ok {
                    self.pending |= status::SWITCH_ERROR;
                }
                self.busy_reply(r1)
            }
            (cmd::SET_BLOCK_COUNT, Tran) => {
                self.block_count = Some(c.arg as u16);
                Reply::Response(Response::short(self.r1(c.index)))
            }
            (cmd::SEND_EXT_CSD, Tran) => {
                let r1 = self.r1(c.index);
                self.xfer = Some(Xfer { index: c.index, sector: 0, blocks: 1 });
                self.state = Data;
                Reply::Response(Response::short(r1))
            }
            (
                cmd::READ_SINGLE_BLOCK | cmd::READ_MULTIPLE_BLOCK | cmd::WRITE_BLOCK | cmd::WRITE_MULTIPLE_BLOCK,
                Tran,
            ) => {
                let single = matches!(c.index, cmd::READ_SINGLE_BLOCK | cmd::WRITE_BLOCK);
                let blocks = if single { 1 } else { self.block_count.take().map_or(u32::MAX, u32::from) };
                let mut r1 = self.r1(c.index);
                if u64::from(c.arg) + u64::from(blocks.min(self.sectors())) > u64::from(self.sectors()) {
                    r1 |= status::ADDRESS_OUT_OF_RANGE;
                    return Reply::Response(Response::short(r1));
                }
                if r1 & status::ERRORS != 0 {
                    return Reply::Response(Response::short(r1));
                }
                self.xfer = Some(Xfer { index: c.index, sector: c.arg, blocks });
                let read = matches!(c.index, cmd::READ_SINGLE_BLOCK | cmd::READ_MULTIPLE_BLOCK);
                self.state = if read { Data } else { Rcv };
                Reply::Response(Response::short(r1))
            }
            (cmd::STOP_TRANSMISSION, Data | Rcv) => {
                let r1 = self.r1(c.index);
                let was_writing = self.state == Rcv;
                self.xfer = None;
                if was_writing {
                    self.busy_reply(r1)
                } else {
                    self.state = Tran;
                    Reply::Response(Response::short(r1))
                }
            }
            _ => self.illegal(),
        }
    }

    /// The data phase of the last data command, into or out of `mem`.
    pub fn data(
        &mut self,
        direction: Direction,
        blocks: u32,
        mem: &mut [u8],
        width: BusWidth,
        speed: BusSpeed,
    ) -> Result<(), BusError> {
        let Some(x) = self.xfer else { return Err(BusError::DataTimeout) };
        if self.gone {
            return Err(BusError::DataTimeout);
        }
        let card_width = match self.bus_width {
            0 => BusWidth::One,
            1 => BusWidth::Four,
            _ => BusWidth::Eight,
        };
        if card_width != width || (speed == BusSpeed::High && self.has(Fault::CrcAtHighSpeed)) {
            mem.fill(0xEE);
            return Err(BusError::DataCrc);
        }
        if self.take(|f| matches!(f, Fault::DataTimeout { cmd, .. } if *cmd == x.index)).is_some() {
            return Err(BusError::DataTimeout);
        }
        let len = blocks as usize * SECTOR_SIZE;
        let crc = self.take(|f| matches!(f, Fault::DataCrc { cmd, .. } if *cmd == x.index)).is_some();
        match direction {
            Direction::Read => {
                if x.index == cmd::SEND_EXT_CSD {
                    let mut ext = self.ext_csd;
                    ext[ext_csd::BUS_WIDTH] = self.bus_width;
                    ext[ext_csd::HS_TIMING] = self.hs_timing;
                    ext[ext_csd::POWER_CLASS] = self.power_class;
                    mem[..SECTOR_SIZE].copy_from_slice(&ext);
                } else {
                    let at = x.sector as usize * SECTOR_SIZE;
                    mem[..len].copy_from_slice(&self.storage[at..at + len]);
                }
                if crc {
                    mem[..len].fill(0xEE);
                    // A multi-block read goes on sending until stopped.
                    self.state = if blocks > 1 { CardState::Data } else { CardState::Tran };
                    return Err(BusError::DataCrc);
                }
                // A pre-defined count ends the transfer by itself.
                if x.blocks != u32::MAX {
                    self.state = CardState::Tran;
                    self.xfer = None;
                }
                Ok(())
            }
            Direction::Write => {
                if crc {
                    // The card answers a CRC status error and programs nothing.
                    return Err(BusError::DataCrc);
                }
                if self.has(Fault::StuckBusy) {
                    self.state = CardState::Prg;
                    self.prg_left = u32::MAX;
                    return Err(BusError::DataTimeout);
                }
                let at = x.sector as usize * SECTOR_SIZE;
                self.storage[at..at + len].copy_from_slice(&mem[..len]);
                if x.blocks != u32::MAX {
                    self.programming();
                    self.xfer = None;
                }
                Ok(())
            }
        }
    }
}

/// The card on a simulated bus: events queue up as the real controller's
/// interrupts would, and the tests deliver them one at a time.
pub struct ModelBus {
    pub card: RefCell<Card>,
    /// Pending events; `true` marks data-phase events.
    events: RefCell<VecDeque<(Event, bool)>>,
    data: RefCell<Option<(&'static mut [u8], Direction, u32)>>,
    pub width: Cell<BusWidth>,
    pub speed: Cell<BusSpeed>,
    /// Every command as the host sent it.
    pub sent: RefCell<Vec<Command>>,
}

impl ModelBus {
    pub fn new(card: Card) -> ModelBus {
        ModelBus {
            card: RefCell::new(card),
            events: RefCell::new(VecDeque::new()),
            data: RefCell::new(None),
            width: Cell::new(BusWidth::One),
            speed: Cell::new(BusSpeed::Identification),
            sent: RefCell::new(Vec::new()),
        }
    }

    pub fn next_event(&self) -> Option<Event> {
        self.events.borrow_mut().pop_front().map(|(e, _)| e)
    }

    /// Whether a buffer is still with the "device".
    pub fn holds_buffer(&self) -> bool {
        self.data.borrow().is_some()
    }

    fn push_reply(&self, reply: Reply, response: ResponseKind) -> bool {
        let event = match reply {
            Reply::Response(r) => Event::CommandDone(r),
            Reply::Crc => Event::CommandFailed(BusError::CommandCrc),
            Reply::NoResponse if response == ResponseKind::None => Event::CommandDone(Response::default()),
            Reply::NoResponse => Event::CommandFailed(BusError::CommandTimeout),
            Reply::BusyForever => Event::CommandFailed(BusError::BusyTimeout),
        };
        let ok = matches!(event, Event::CommandDone(_));
        self.events.borrow_mut().push_back((event, false));
        ok
    }
}

impl EmmcBus<Coherent> for ModelBus {
    fn send_command(&self, command: Command) {
        self.sent.borrow_mut().push(command);
        if command.stop {
            // CMDSTOP aborts the data path: its events never come.
            self.events.borrow_mut().retain(|(_, data)| !data);
        }
        let reply = self.card.borrow_mut().command(command, self.width.get(), self.speed.get());
        self.push_reply(reply, command.response);
    }

    fn send_data_command(&self, command: Command, direction: Direction, blocks: u32, buffer: DmaBuffer<Coherent>) {
        assert!(self.data.borrow().is_none(), "data armed twice");
        assert!(buffer.len() >= blocks as usize * SECTOR_SIZE, "buffer shorter than the transfer");
        self.sent.borrow_mut().push(command);
        let mem = buffer.into_device();
        let reply = self.card.borrow_mut().command(command, self.width.get(), self.speed.get());
        let r1 = match &reply {
            Reply::Response(r) => Some(r.word()),
            _ => None,
        };
        let answered = self.push_reply(reply, command.response);
        if answered && r1.is_some_and(|r| r & status::ERRORS == 0) {
            let result = self.card.borrow_mut().data(direction, blocks, mem, self.width.get(), self.speed.get());
            let event = match result {
                Ok(()) => Event::DataDone,
                Err(e) => Event::DataFailed(e),
            };
            self.events.borrow_mut().push_back((event, true));
        }
        *self.data.borrow_mut() = Some((mem, direction, blocks));
    }

    fn end_data(&self) -> Option<DmaBuffer<Coherent>> {
        let (mem, _, _) = self.data.borrow_mut().take()?;
        region().reclaim(mem).ok()
    }

    fn set_bus(&self, width: BusWidth, speed: BusSpeed) {
        self.width.set(width);
        self.speed.set(speed);
    }
}
