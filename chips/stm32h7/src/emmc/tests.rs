// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The state machine against the simulated card (`card_model`).

extern crate std;

use std::vec::Vec;

use dma_buffer::{Coherent, DmaBuffer};
use kernel::ErrorCode;

use super::card_model::{buffer, card, Card, Fault, ModelBus};
use super::*;

/// Commands that change what the card stores or how it protects it:
/// writes, CID/CSD programming, write protection, erase, lock/unlock.
const DESTRUCTIVE: [u8; 10] = [24, 25, 26, 27, 28, 29, 35, 36, 38, 42];
/// EXT_CSD bytes identification may switch.
const SWITCHABLE: [usize; 3] = [ext_csd::POWER_CLASS, ext_csd::BUS_WIDTH, ext_csd::HS_TIMING];

struct Rig {
    bus: ModelBus,
    emmc: Emmc<Coherent>,
}

/// A finished request, as the test sees it.
struct Done {
    op: Op,
    buffer: Option<DmaBuffer<Coherent>>,
    result: Result<(), EmmcError>,
}

impl Rig {
    fn new(card: Card, config: EmmcConfig) -> Rig {
        Rig { bus: ModelBus::new(card), emmc: Emmc::new(config, buffer::<512>(0)) }
    }

    /// Delivers events until none is left; returns what they led to.
    fn run(&mut self) -> (Vec<Result<u64, EmmcError>>, Vec<Done>) {
        let (mut inits, mut done) = (Vec::new(), Vec::new());
        let mut steps = 0;
        while let Some(event) = self.bus.next_event() {
            steps += 1;
            assert!(steps < 100_000, "the machine never settles");
            match self.emmc.event(&self.bus, event) {
                Outcome::Pending => {}
                Outcome::Initialized(r) => inits.push(r),
                Outcome::Completed(Completion { op, buffer, result }) => done.push(Done { op, buffer, result }),
            }
        }
        (inits, done)
    }

    fn init(&mut self) -> Result<u64, EmmcError> {
        self.emmc.start(&self.bus).expect("start");
        let (inits, done) = self.run();
        assert!(done.is_empty());
        assert_eq!(inits.len(), 1, "exactly one end of identification");
        inits[0]
    }

    fn ready(card: Card) -> Rig {
        let mut rig = Rig::new(card, EmmcConfig::NUCLEO_MEM);
        rig.init().expect("identification");
        rig.bus.card.borrow_mut().log.clear();
        rig.bus.sent.borrow_mut().clear();
        rig
    }

    fn one(&mut self) -> Done {
        let (inits, mut done) = self.run();
        assert!(inits.is_empty());
        assert_eq!(done.len(), 1, "exactly one completion");
        done.pop().unwrap()
    }

    fn read(&mut self, sector: u64, count: usize) -> (Result<(), EmmcError>, Vec<u8>) {
        let buf = buffer::<4096>(0x5A);
        self.emmc.read(&self.bus, sector, count, buf).map_err(|(e, _)| e).expect("read accepted");
        let d = self.one();
        assert_eq!(d.op, Op::Read);
        let data = d.buffer.expect("buffer back").as_slice()[..count * SECTOR_SIZE].to_vec();
        (d.result, data)
    }

    fn write(&mut self, sector: u64, data: &[u8]) -> Result<(), EmmcError> {
        let mut buf = buffer::<4096>(0);
        buf.as_mut_slice()[..data.len()].copy_from_slice(data);
        self.emmc.write(&self.bus, sector, data.len() / SECTOR_SIZE, buf).map_err(|(e, _)| e).expect("write accepted");
        let d = self.one();
        assert_eq!(d.op, Op::Write);
        assert!(d.buffer.is_some(), "buffer back");
        d.result
    }

    fn commands(&self) -> Vec<u8> {
        self.bus.card.borrow().log.iter().map(|&(c, _)| c).collect()
    }

    fn sent(&self) -> Vec<u8> {
        self.bus.sent.borrow().iter().map(|c| c.index).collect()
    }
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// Nothing that writes, erases or locks was sent, and the only switches
/// were identification's.
fn assert_nothing_destructive(rig: &Rig) {
    for c in rig.bus.sent.borrow().iter() {
        assert!(!DESTRUCTIVE.contains(&c.index), "destructive CMD{} sent", c.index);
        if c.index == cmd::SWITCH {
            let index = ((c.arg >> 16) & 0xFF) as usize;
            assert!(SWITCHABLE.contains(&index), "SWITCH of EXT_CSD[{index}]");
        }
    }
}

/// After identification failed: nothing sent once the error was known but
/// the stop and status commands, nothing destructive ever, and requests
/// are refused without reaching the card.
fn assert_failed_safely(rig: &mut Rig, sent_before_error: usize) {
    assert_nothing_destructive(rig);
    let after: Vec<u8> = rig.sent()[sent_before_error..].to_vec();
    assert!(
        after.iter().all(|&c| c == cmd::STOP_TRANSMISSION || c == cmd::SEND_STATUS),
        "sent after the error: {after:?}"
    );
    let storage = rig.bus.card.borrow().storage.clone();
    let n = rig.bus.sent.borrow().len();
    assert_eq!(rig.emmc.capacity(), Err(ErrorCode::NODEVICE));
    let r = rig.emmc.write(&rig.bus, 0, 1, buffer::<512>(0xFF));
    assert_eq!(r.err().map(|(e, _)| e), Some(ErrorCode::NODEVICE));
    let r = rig.emmc.read(&rig.bus, 0, 1, buffer::<512>(0));
    assert_eq!(r.err().map(|(e, _)| e), Some(ErrorCode::NODEVICE));
    assert_eq!(rig.emmc.flush(&rig.bus), Err(ErrorCode::NODEVICE));
    assert_eq!(rig.bus.sent.borrow().len(), n, "refused requests reached the card");
    assert!(rig.bus.card.borrow().storage == storage);
}

// ---- identification ----

#[test]
fn identification_reaches_tran_at_8_bits_and_52_mhz() {
    let mut rig = Rig::new(card(4096), EmmcConfig::NUCLEO_MEM);
    assert_eq!(rig.emmc.capacity(), Err(ErrorCode::OFF));
    assert_eq!(rig.init(), Ok(4096));
    assert_eq!(rig.emmc.capacity(), Ok(4096));
    let c = rig.bus.card.borrow();
    assert_eq!(c.state, CardState::Tran);
    assert_eq!((c.bus_width(), c.hs_timing(), c.power_class()), (2, 1, 3));
    drop(c);
    assert_eq!(rig.emmc.bus(), (BusWidth::Eight, BusSpeed::High));
    assert_eq!((rig.bus.width.get(), rig.bus.speed.get()), (BusWidth::Eight, BusSpeed::High));
    // CMD1 three times busy, then ready; switches each checked by CMD13;
    // the second CMD8 proves the 8-bit, 52 MHz data path.
    assert_eq!(rig.commands(), [0, 1, 1, 1, 1, 2, 3, 9, 7, 8, 16, 6, 13, 6, 13, 6, 13, 8]);
    let log = rig.bus.card.borrow().log.clone();
    assert!(log.iter().filter(|&&(c, _)| c == 1).all(|&(_, a)| a == OCR_ARG));
    assert!(log.contains(&(3, (RCA as u32) << 16)));
    let switches: Vec<u32> = log.iter().filter(|&&(c, _)| c == 6).map(|&(_, a)| a).collect();
    assert_eq!(switches, [0x03BB_0300, 0x03B7_0200, 0x03B9_0100]);
    assert_eq!(switch_arg(ext_csd::FLUSH_CACHE, 1), 0x0320_0100);
    assert_nothing_destructive(&rig);
    let info = rig.emmc.card_info();
    assert_eq!(info.manufacturer(), 0x70);
    assert_eq!(&info.product_name(), b"EMMC08");
    assert_eq!(info.spec_version(), 4);
    assert_eq!(info.ext_csd_rev, 8);
}

#[test]
fn identification_runs_at_400_khz_until_the_card_is_selected() {
    // The model refuses identification commands above 400 kHz; a machine
    // that raised the clock early would never get a CID.
    let mut rig = Rig::new(card(64), EmmcConfig::NUCLEO_MEM);
    assert_eq!(rig.init(), Ok(64));
    let mut rig = Rig::new(card(64), EmmcConfig::NUCLEO_MEM);
    rig.bus.set_bus(BusWidth::Eight, BusSpeed::High);
    assert_eq!(rig.init(), Ok(64), "start sets the identification clock itself");
}

#[test]
fn ocr_busy_is_polled_until_the_card_is_ready() {
    let mut c = card(64);
    c.ocr_busy_polls = 40;
    let mut rig = Rig::new(c, EmmcConfig::NUCLEO_MEM);
    assert_eq!(rig.init(), Ok(64));
    assert_eq!(rig.commands().iter().filter(|&&c| c == 1).count(), 41);
}

#[test]
fn card_without_high_speed_stays_at_default_speed() {
    let mut c = card(64);
    c.ext_csd[ext_csd::CARD_TYPE] = 0;
    let mut rig = Rig::new(c, EmmcConfig::NUCLEO_MEM);
    assert_eq!(rig.init(), Ok(64));
    assert_eq!(rig.emmc.bus(), (BusWidth::Eight, BusSpeed::Default));
    assert_eq!(rig.bus.card.borrow().hs_timing(), 0);
    // Power class 0 at 26 MHz: no POWER_CLASS switch either.
    assert_eq!(rig.commands()[10..], [16, 6, 13, 8]);
}

#[test]
fn hs26_card_gets_high_speed_timing_at_the_26_mhz_clock() {
    let mut c = card(64);
    c.ext_csd[ext_csd::CARD_TYPE] = ext_csd::CARD_TYPE_HS26;
    let mut rig = Rig::new(c, EmmcConfig::NUCLEO_MEM);
    assert_eq!(rig.init(), Ok(64));
    assert_eq!(rig.emmc.bus(), (BusWidth::Eight, BusSpeed::Default));
    assert_eq!(rig.bus.card.borrow().hs_timing(), 1);
}

#[test]
fn default_speed_config_never_switches_timing() {
    let mut rig = Rig::new(card(64), EmmcConfig::DEFAULT_SPEED);
    assert_eq!(rig.init(), Ok(64));
    assert_eq!(rig.emmc.bus(), (BusWidth::Eight, BusSpeed::Default));
    assert_eq!(rig.bus.card.borrow().hs_timing(), 0);
    let mut rig = Rig::new(card(64), EmmcConfig { bus_width: BusWidth::Four, high_speed: true });
    assert_eq!(rig.init(), Ok(64));
    assert_eq!(rig.emmc.bus(), (BusWidth::Four, BusSpeed::High));
    assert_eq!(rig.bus.card.borrow().bus_width(), 1);
    assert_eq!(rig.bus.card.borrow().power_class(), 2, "4-bit nibble of PWR_CL_52_360");
    let mut rig = Rig::new(card(64), EmmcConfig::BASIC);
    assert_eq!(rig.init(), Ok(64));
    assert_eq!(rig.emmc.bus(), (BusWidth::One, BusSpeed::Default));
    assert_eq!(rig.commands()[10..], [16, 8]);
}

#[test]
fn refused_switches_leave_the_bus_where_the_card_is() {
    let mut c = card(64);
    c.faults.push(Fault::RefuseSwitch { index: ext_csd::HS_TIMING as u8 });
    let mut rig = Rig::new(c, EmmcConfig::NUCLEO_MEM);
    assert_eq!(rig.init(), Ok(64));
    assert_eq!(rig.emmc.bus(), (BusWidth::Eight, BusSpeed::Default));
    let mut c = card(64);
    c.faults.push(Fault::RefuseSwitch { index: ext_csd::BUS_WIDTH as u8 });
    let mut rig = Rig::new(c, EmmcConfig::NUCLEO_MEM);
    assert_eq!(rig.init(), Ok(64));
    assert_eq!(rig.emmc.bus(), (BusWidth::One, BusSpeed::High));
    assert_eq!(rig.read(0, 8).0, Ok(()), "data moves at the width the card kept");
}

#[test]
fn garbled_52_mhz_falls_back_to_26() {
    let mut c = card(64);
    c.faults.push(Fault::CrcAtHighSpeed);
    let mut rig = Rig::new(c, EmmcConfig::NUCLEO_MEM);
    assert_eq!(rig.init(), Ok(64));
    assert_eq!(rig.emmc.bus(), (BusWidth::Eight, BusSpeed::Default));
    assert_eq!(rig.bus.card.borrow().hs_timing(), 1, "high-speed timing at the lower clock");
    assert_eq!(rig.bus.card.borrow().state, CardState::Tran);
    assert_eq!(rig.read(0, 8).0, Ok(()), "data moves at 26 MHz");
}

#[test]
fn check_read_failing_at_52_mhz_retries_at_26() {
    let mut c = card(64);
    // The first CMD8 passes at 26 MHz; the check read at 52 fails once.
    c.faults.push(Fault::DataCrc { cmd: 8, times: 0 });
    let mut rig = Rig::new(c, EmmcConfig::NUCLEO_MEM);
    rig.emmc.start(&rig.bus).unwrap();
    // Arm the fault only once the first EXT_CSD is in.
    let mut armed = false;
    let mut inits = Vec::new();
    while let Some(e) = rig.bus.next_event() {
        if !armed && rig.bus.card.borrow().log.iter().filter(|&&(c, _)| c == 16).count() == 1 {
            rig.bus.card.borrow_mut().faults = std::vec![Fault::DataCrc { cmd: 8, times: 1 }];
            armed = true;
        }
        if let Outcome::Initialized(r) = rig.emmc.event(&rig.bus, e) {
            inits.push(r);
        }
    }
    assert_eq!(inits, [Ok(64)]);
    assert_eq!(rig.emmc.bus(), (BusWidth::Eight, BusSpeed::Default));
    let cmds = rig.commands();
    assert_eq!(cmds[cmds.len() - 3..], [8, 12, 8], "stop after the failed check, then again at 26 MHz");
}

#[test]
fn reinitialization_after_a_failure_identifies_again() {
    let mut c = card(64);
    c.faults.push(Fault::CommandCrc { cmd: 2, times: 1 });
    let mut rig = Rig::new(c, EmmcConfig::NUCLEO_MEM);
    assert!(rig.init().is_err());
    assert_eq!(rig.init(), Ok(64));
    assert_eq!(rig.read(0, 1).0, Ok(()));
}

// ---- identification faults: each its own error, nothing destructive ----

/// Identification with `fault`: its error, sent commands before it.
fn init_with(fault: Fault) -> (Rig, EmmcError) {
    let mut c = card(64);
    c.set_sector(0, |i| i as u8);
    c.faults.push(fault);
    let mut rig = Rig::new(c, EmmcConfig::NUCLEO_MEM);
    let e = rig.init().expect_err("identification must fail");
    (rig, e)
}

fn sent_through(rig: &Rig, index: u8, nth: usize) -> usize {
    rig.bus.sent.borrow().iter().enumerate().filter(|(_, c)| c.index == index).nth(nth).map(|(i, _)| i + 1).unwrap()
}

#[test]
fn card_that_never_leaves_ocr_busy_is_never_ready() {
    let (mut rig, e) = init_with(Fault::NeverReady);
    assert_eq!(e, EmmcError::NeverReady);
    assert_eq!(e.error_code(), ErrorCode::NODEVICE);
    assert_eq!(rig.commands().iter().filter(|&&c| c == 1).count(), MAX_OP_COND_POLLS as usize);
    assert_eq!(rig.sent().len(), 1 + MAX_OP_COND_POLLS as usize);
    assert_failed_safely(&mut rig, 1 + MAX_OP_COND_POLLS as usize);
}

#[test]
fn no_answer_to_cmd1_is_no_card() {
    let (mut rig, e) = init_with(Fault::VanishAfter { commands: 1 });
    assert_eq!(e, EmmcError::NoCard);
    assert_eq!(e.error_code(), ErrorCode::NODEVICE);
    assert_eq!(rig.sent(), [0, 1, 1, 1]);
    assert_failed_safely(&mut rig, 4);
}

#[test]
fn crc_error_in_identification_stops_it() {
    let (mut rig, e) = init_with(Fault::CommandCrc { cmd: 9, times: 1 });
    assert_eq!(e, EmmcError::Bus { cmd: 9, error: BusError::CommandCrc });
    assert_eq!(e.error_code(), ErrorCode::FAIL);
    let n = sent_through(&rig, 9, 0);
    assert_eq!(rig.sent().len(), n);
    assert_failed_safely(&mut rig, n);
}

#[test]
fn timeout_in_identification_stops_it() {
    let (mut rig, e) = init_with(Fault::CommandTimeout { cmd: 7, times: 1 });
    assert_eq!(e, EmmcError::Bus { cmd: 7, error: BusError::CommandTimeout });
    assert_eq!(e.error_code(), ErrorCode::NOACK);
    let n = sent_through(&rig, 7, 0);
    assert_failed_safely(&mut rig, n);
}

#[test]
fn status_error_in_identification_stops_it() {
    let (mut rig, e) = init_with(Fault::StatusError { cmd: 16, bits: status::ERROR, times: 1 });
    assert!(matches!(e, EmmcError::Status { cmd: 16, .. }));
    let n = sent_through(&rig, 16, 0);
    assert_failed_safely(&mut rig, n);
}

#[test]
fn ext_csd_data_error_stops_the_transfer_and_keeps_the_buffer() {
    let (mut rig, e) = init_with(Fault::DataCrc { cmd: 8, times: 1 });
    assert_eq!(e, EmmcError::Bus { cmd: 8, error: BusError::DataCrc });
    let n = sent_through(&rig, 8, 0);
    assert_eq!(rig.sent()[n..], [cmd::STOP_TRANSMISSION]);
    assert!(!rig.bus.holds_buffer(), "EXT_CSD buffer taken back");
    assert_failed_safely(&mut rig, n);
    rig.bus.card.borrow_mut().faults.clear();
    assert_eq!(rig.init(), Ok(64), "the buffer is there for the next try");
}

#[test]
fn card_stuck_busy_after_a_switch_is_busy() {
    let (mut rig, e) = init_with(Fault::StuckBusy);
    assert_eq!(e, EmmcError::Bus { cmd: 6, error: BusError::BusyTimeout });
    assert_eq!(e.error_code(), ErrorCode::BUSY);
    let n = sent_through(&rig, 6, 0);
    assert_failed_safely(&mut rig, n);
}

#[test]
fn locked_card_is_left_alone() {
    let mut c = card(64);
    c.locked = true;
    let mut rig = Rig::new(c, EmmcConfig::NUCLEO_MEM);
    assert_eq!(rig.init(), Err(EmmcError::Locked));
    assert_eq!(EmmcError::Locked.error_code(), ErrorCode::NOSUPPORT);
    let n = sent_through(&rig, 7, 0);
    assert_failed_safely(&mut rig, n);
}

#[test]
fn unusable_cards_are_refused_without_touching_them() {
    let mut c = card(64);
    c.ocr = 0x00FF_8080; // byte addressing
    let mut rig = Rig::new(c, EmmcConfig::NUCLEO_MEM);
    assert_eq!(rig.init(), Err(EmmcError::Unsupported(Unsupported::ByteAddressing)));
    let n = rig.sent().len();
    assert_failed_safely(&mut rig, n);

    let mut c = card(64);
    c.csd.0[0] = (3 << 30) | (3 << 26);
    let mut rig = Rig::new(c, EmmcConfig::NUCLEO_MEM);
    assert_eq!(rig.init(), Err(EmmcError::Unsupported(Unsupported::SpecVersion(3))));
    let n = rig.sent().len();
    assert_failed_safely(&mut rig, n);

    let mut c = card(64);
    c.ext_csd[ext_csd::DATA_SECTOR_SIZE] = 1;
    let mut rig = Rig::new(c, EmmcConfig::NUCLEO_MEM);
    assert_eq!(rig.init(), Err(EmmcError::Unsupported(Unsupported::SectorSize(1))));
    assert_eq!(rig.init().unwrap_err().error_code(), ErrorCode::NOSUPPORT);
    let n = rig.sent().len();
    assert_failed_safely(&mut rig, n);
}

#[test]
fn no_fault_in_identification_ever_leads_to_a_write() {
    // Every fault at every identification command.
    for index in [0u8, 1, 2, 3, 9, 7, 8, 16, 6, 13] {
        for fault in [
            Fault::CommandCrc { cmd: index, times: 1 },
            Fault::CommandTimeout { cmd: index, times: 3 },
            Fault::StatusError { cmd: index, bits: status::ERROR | status::ADDRESS_OUT_OF_RANGE, times: 1 },
            Fault::DataCrc { cmd: index, times: 2 },
            Fault::DataTimeout { cmd: index, times: 2 },
        ] {
            let mut c = card(64);
            c.faults.push(fault);
            let mut rig = Rig::new(c, EmmcConfig::NUCLEO_MEM);
            let r = rig.init();
            assert_nothing_destructive(&rig);
            if r.is_err() {
                assert_eq!(rig.emmc.capacity(), Err(ErrorCode::NODEVICE), "{fault:?}");
            }
        }
    }
    for fault in [Fault::StuckBusy, Fault::NeverReady, Fault::CrcAtHighSpeed, Fault::VanishAfter { commands: 12 }] {
        let mut c = card(64);
        c.faults.push(fault);
        let mut rig = Rig::new(c, EmmcConfig::NUCLEO_MEM);
        let _ = rig.init();
        assert_nothing_destructive(&rig);
    }
}

// ---- transfers ----

#[test]
fn multi_block_read_returns_the_card_content() {
    let mut c = card(256);
    let content = pattern(8 * SECTOR_SIZE, 7);
    c.storage[100 * SECTOR_SIZE..108 * SECTOR_SIZE].copy_from_slice(&content);
    let mut rig = Rig::ready(c);
    let (r, data) = rig.read(100, 8);
    assert_eq!(r, Ok(()));
    assert!(data == content);
    assert_eq!(rig.commands(), [23, 18]);
    assert_eq!(rig.bus.card.borrow().log, [(23, 8), (18, 100)]);
    assert_eq!(rig.bus.card.borrow().state, CardState::Tran);
}

#[test]
fn single_block_read_uses_cmd17() {
    let mut c = card(256);
    c.set_sector(5, |i| (i ^ 0x3C) as u8);
    let mut rig = Rig::ready(c);
    let (r, data) = rig.read(5, 1);
    assert_eq!(r, Ok(()));
    assert!(data.iter().enumerate().all(|(i, &b)| b == (i ^ 0x3C) as u8));
    assert_eq!(rig.commands(), [17]);
}

#[test]
fn multi_block_write_stores_the_content_and_waits_for_programming() {
    let mut c = card(256);
    c.prg_polls = 3;
    let mut rig = Rig::ready(c);
    let content = pattern(8 * SECTOR_SIZE, 99);
    assert_eq!(rig.write(17, &content), Ok(()));
    assert!(rig.bus.card.borrow().storage[17 * SECTOR_SIZE..25 * SECTOR_SIZE] == content[..]);
    // CMD13 while the card programs (prg), then once more in tran.
    assert_eq!(rig.commands(), [23, 25, 13, 13, 13, 13]);
    let (r, back) = rig.read(17, 8);
    assert_eq!(r, Ok(()));
    assert!(back == content);
    // A single sector: CMD24, no block count.
    rig.bus.card.borrow_mut().log.clear();
    assert_eq!(rig.write(3, &pattern(SECTOR_SIZE, 1)), Ok(()));
    assert_eq!(rig.commands()[..2], [24, 13]);
}

#[test]
fn last_sectors_read_and_write_and_past_the_end_is_refused() {
    let mut rig = Rig::ready(card(64));
    let content = pattern(8 * SECTOR_SIZE, 3);
    assert_eq!(rig.write(56, &content), Ok(()));
    let (r, back) = rig.read(56, 8);
    assert_eq!(r, Ok(()));
    assert!(back == content);
    rig.bus.sent.borrow_mut().clear();
    for (sector, count) in [(57u64, 8usize), (64, 1), (u64::MAX, 2)] {
        let r = rig.emmc.read(&rig.bus, sector, count, buffer::<4096>(0));
        assert_eq!(r.err().map(|(e, _)| e), Some(ErrorCode::INVAL));
    }
    let r = rig.emmc.read(&rig.bus, 0, 0, buffer::<4096>(0));
    assert_eq!(r.err().map(|(e, _)| e), Some(ErrorCode::INVAL));
    let r = rig.emmc.write(&rig.bus, 0, 2, buffer::<512>(0));
    assert_eq!(r.err().map(|(e, _)| e), Some(ErrorCode::SIZE));
    assert!(rig.bus.sent.borrow().is_empty(), "refused requests never reach the card");
}

#[test]
fn write_protected_card_refuses_writes_before_the_card_sees_them() {
    let mut c = card(64);
    c.csd.0[3] |= 1 << 12; // TMP_WRITE_PROTECT
    let mut rig = Rig::ready(c);
    let r = rig.emmc.write(&rig.bus, 0, 1, buffer::<512>(0));
    assert_eq!(r.err().map(|(e, _)| e), Some(ErrorCode::NOSUPPORT));
    assert!(rig.bus.sent.borrow().is_empty());
    assert_eq!(rig.read(0, 1).0, Ok(()), "reads still work");
}

#[test]
fn one_request_at_a_time() {
    let mut rig = Rig::ready(card(64));
    rig.emmc.read(&rig.bus, 0, 4, buffer::<4096>(0)).map_err(|(e, _)| e).unwrap();
    let second = rig.emmc.read(&rig.bus, 8, 1, buffer::<512>(0));
    assert_eq!(second.err().map(|(e, _)| e), Some(ErrorCode::BUSY));
    assert_eq!(rig.emmc.flush(&rig.bus), Err(ErrorCode::BUSY));
    assert_eq!(rig.emmc.start(&rig.bus), Err(ErrorCode::BUSY));
    assert_eq!(rig.one().result, Ok(()));
    assert_eq!(rig.read(8, 1).0, Ok(()));
}

#[test]
fn requests_before_identification_are_off() {
    let mut rig = Rig::new(card(64), EmmcConfig::NUCLEO_MEM);
    let r = rig.emmc.read(&rig.bus, 0, 1, buffer::<512>(0));
    assert_eq!(r.err().map(|(e, _)| e), Some(ErrorCode::OFF));
    rig.emmc.start(&rig.bus).unwrap();
    let r = rig.emmc.write(&rig.bus, 0, 1, buffer::<512>(0));
    assert_eq!(r.err().map(|(e, _)| e), Some(ErrorCode::OFF), "still identifying");
    assert_eq!(rig.emmc.flush(&rig.bus), Err(ErrorCode::OFF));
}

#[test]
fn flush_without_cache_only_checks_the_card_is_done() {
    let mut rig = Rig::ready(card(64));
    rig.emmc.flush(&rig.bus).unwrap();
    let d = rig.one();
    assert_eq!((d.op, d.result), (Op::Flush, Ok(())));
    assert_eq!(rig.commands(), [13]);
}

#[test]
fn flush_with_cache_on_sends_flush_cache() {
    let mut c = card(64);
    c.ext_csd[ext_csd::CACHE_SIZE] = 0x40;
    c.ext_csd[ext_csd::CACHE_CTRL] = 1;
    let mut rig = Rig::ready(c);
    assert!(rig.emmc.card_info().cache_on);
    rig.emmc.flush(&rig.bus).unwrap();
    assert_eq!(rig.one().result, Ok(()));
    assert_eq!(rig.bus.card.borrow().log, [(6, 0x0320_0100), (13, (RCA as u32) << 16)]);
}

// ---- request faults: each its error, the request retryable ----

/// A ready card with `fault` armed after identification.
fn ready_with(fault: Fault) -> Rig {
    let mut c = card(256);
    for s in 0..256 {
        c.set_sector(s, |i| (i as u8) ^ (s as u8));
    }
    let rig = Rig::ready(c);
    rig.bus.card.borrow_mut().faults.push(fault);
    rig
}

fn expected_sector(s: u32) -> Vec<u8> {
    (0..SECTOR_SIZE).map(|i| (i as u8) ^ (s as u8)).collect()
}

fn assert_retry_works(rig: &mut Rig) {
    assert_eq!(rig.bus.card.borrow().state, CardState::Tran, "card back in tran");
    assert!(!rig.bus.holds_buffer());
    let (r, data) = rig.read(10, 2);
    assert_eq!(r, Ok(()));
    assert!(data[..SECTOR_SIZE] == expected_sector(10)[..]);
    assert!(data[SECTOR_SIZE..] == expected_sector(11)[..]);
}

#[test]
fn command_crc_on_a_read_is_fail_and_retryable() {
    let mut rig = ready_with(Fault::CommandCrc { cmd: 18, times: 1 });
    let (r, _) = rig.read(10, 2);
    assert_eq!(r, Err(EmmcError::Bus { cmd: 18, error: BusError::CommandCrc }));
    assert_eq!(r.unwrap_err().error_code(), ErrorCode::FAIL);
    // The card was sending: stopped, then asked.
    assert_eq!(rig.commands(), [23, 18, 12, 13]);
    assert_eq!(rig.emmc.last_error(), Some(EmmcError::Bus { cmd: 18, error: BusError::CommandCrc }));
    assert_retry_works(&mut rig);
}

#[test]
fn command_timeout_on_a_write_is_noack_and_writes_nothing() {
    let mut rig = ready_with(Fault::CommandTimeout { cmd: 25, times: 1 });
    let r = rig.write(10, &pattern(2 * SECTOR_SIZE, 0));
    assert_eq!(r, Err(EmmcError::Bus { cmd: 25, error: BusError::CommandTimeout }));
    assert_eq!(r.unwrap_err().error_code(), ErrorCode::NOACK);
    assert_retry_works(&mut rig);
}

#[test]
fn data_crc_on_a_read_stops_the_card_and_is_retryable() {
    let mut rig = ready_with(Fault::DataCrc { cmd: 18, times: 1 });
    let (r, _) = rig.read(10, 2);
    assert_eq!(r, Err(EmmcError::Bus { cmd: 18, error: BusError::DataCrc }));
    assert_eq!(rig.commands(), [23, 18, 12, 13]);
    assert_retry_works(&mut rig);
}

#[test]
fn data_crc_on_a_write_programs_nothing_and_is_retryable() {
    let mut rig = ready_with(Fault::DataCrc { cmd: 25, times: 1 });
    let content = pattern(2 * SECTOR_SIZE, 42);
    let r = rig.write(10, &content);
    assert_eq!(r, Err(EmmcError::Bus { cmd: 25, error: BusError::DataCrc }));
    assert_eq!(rig.commands(), [23, 25, 12, 13]);
    assert_retry_works(&mut rig);
    assert_eq!(rig.write(10, &content), Ok(()), "the caller's retry");
    assert!(rig.bus.card.borrow().storage[10 * SECTOR_SIZE..12 * SECTOR_SIZE] == content[..]);
}

#[test]
fn data_timeout_on_a_read_is_fail() {
    let mut rig = ready_with(Fault::DataTimeout { cmd: 17, times: 1 });
    let (r, _) = rig.read(3, 1);
    assert_eq!(r, Err(EmmcError::Bus { cmd: 17, error: BusError::DataTimeout }));
    assert_eq!(r.unwrap_err().error_code(), ErrorCode::FAIL);
    assert_retry_works(&mut rig);
}

#[test]
fn status_errors_give_their_own_codes() {
    let mut rig = ready_with(Fault::StatusError { cmd: 18, bits: status::ADDRESS_OUT_OF_RANGE, times: 1 });
    let (r, _) = rig.read(10, 2);
    assert!(matches!(r, Err(EmmcError::Status { cmd: 18, status: s }) if s & status::ADDRESS_OUT_OF_RANGE != 0));
    assert_eq!(r.unwrap_err().error_code(), ErrorCode::INVAL);
    assert_retry_works(&mut rig);

    // A write-protect violation shows in the status after the write.
    let mut rig = ready_with(Fault::StatusError { cmd: 13, bits: status::WP_VIOLATION, times: 1 });
    let r = rig.write(200, &pattern(SECTOR_SIZE, 0));
    assert!(matches!(r, Err(EmmcError::Status { cmd: 13, .. })));
    assert_eq!(r.unwrap_err().error_code(), ErrorCode::NOSUPPORT);
    assert_retry_works(&mut rig);

    let mut rig = ready_with(Fault::StatusError { cmd: 23, bits: status::CARD_ECC_FAILED, times: 1 });
    let (r, _) = rig.read(10, 2);
    assert!(matches!(r, Err(EmmcError::Status { cmd: 23, .. })));
    assert_eq!(r.unwrap_err().error_code(), ErrorCode::FAIL);
    assert_eq!(rig.commands(), [23, 13], "nothing armed: only the status");
    assert_retry_works(&mut rig);
}

#[test]
fn card_stuck_busy_after_a_write_is_busy_and_nothing_hangs() {
    let mut rig = ready_with(Fault::StuckBusy);
    let r = rig.write(10, &pattern(2 * SECTOR_SIZE, 0));
    assert_eq!(r, Err(EmmcError::Bus { cmd: 25, error: BusError::BusyTimeout }));
    assert_eq!(r.unwrap_err().error_code(), ErrorCode::BUSY);
    let n = rig.commands().len();
    assert!(n <= 4 + MAX_RECOVERY_TRIES as usize, "bounded recovery: {n} commands");
    // The card recovers: requests work again.
    rig.bus.card.borrow_mut().faults.clear();
    rig.bus.card.borrow_mut().state = CardState::Tran;
    assert_retry_works(&mut rig);
}

#[test]
fn card_that_disappears_is_reported_gone_not_panicked_on() {
    let mut rig = ready_with(Fault::VanishAfter { commands: 1 });
    let (r, _) = rig.read(10, 2);
    assert_eq!(r, Err(EmmcError::Gone));
    assert_eq!(r.unwrap_err().error_code(), ErrorCode::NODEVICE);
    assert_eq!(rig.emmc.capacity(), Err(ErrorCode::NODEVICE));
    let again = rig.emmc.read(&rig.bus, 0, 1, buffer::<512>(0));
    assert_eq!(again.err().map(|(e, _)| e), Some(ErrorCode::NODEVICE));
    assert!(!rig.bus.holds_buffer());
    assert_nothing_destructive(&rig);
    // Plugged back in: identification finds it again.
    rig.bus.card.borrow_mut().faults.clear();
    rig.bus.card.borrow_mut().gone = false;
    assert_eq!(rig.init(), Ok(256));
    assert_retry_works(&mut rig);
}

#[test]
fn card_reset_under_a_request_is_gone_until_identified_again() {
    let mut rig = Rig::ready(card(64));
    rig.bus.card.borrow_mut().faults.push(Fault::CommandTimeout { cmd: 23, times: 1 });
    // Deselected behind our back (a glitch): the status shows stby.
    rig.bus.card.borrow_mut().state = CardState::Stby;
    let (r, _) = rig.read(0, 2);
    assert_eq!(r, Err(EmmcError::Gone));
    assert_eq!(rig.emmc.last_error(), Some(EmmcError::Gone));
    assert_eq!(rig.init(), Ok(64));
}

// ---- pure parts ----

#[test]
fn card_status_decoding() {
    assert_eq!(CardState::of(4 << 9 | status::READY_FOR_DATA), CardState::Tran);
    assert_eq!(CardState::of(7 << 9), CardState::Prg);
    assert_eq!(CardState::of(15 << 9), CardState::Reserved(15));
    for s in [CardState::Idle, CardState::Stby, CardState::Data, CardState::Rcv, CardState::Slp] {
        assert_eq!(CardState::of(s.bits()), s);
    }
    assert!(check_status(13, status::CARD_IS_LOCKED | status::READY_FOR_DATA).is_ok());
    assert!(check_status(13, status::SWITCH_ERROR).is_err());
    assert!(check_status(13, 1 << 15 | 1 << 13 | 1 << 5).is_ok(), "erase skip/reset and APP_CMD are not errors");
    assert!(check_status(13, status::ILLEGAL_COMMAND | status::COM_CRC_ERROR).is_ok(), "the previous command's");
}

#[test]
fn error_codes() {
    let bus = |error| EmmcError::Bus { cmd: 18, error };
    assert_eq!(bus(BusError::CommandCrc).error_code(), ErrorCode::FAIL);
    assert_eq!(bus(BusError::DataCrc).error_code(), ErrorCode::FAIL);
    assert_eq!(bus(BusError::Dma).error_code(), ErrorCode::FAIL);
    assert_eq!(bus(BusError::WrongResponse).error_code(), ErrorCode::FAIL);
    assert_eq!(bus(BusError::DataTimeout).error_code(), ErrorCode::FAIL);
    assert_eq!(bus(BusError::CommandTimeout).error_code(), ErrorCode::NOACK);
    assert_eq!(bus(BusError::BusyTimeout).error_code(), ErrorCode::BUSY);
    assert_eq!(EmmcError::Status { cmd: 18, status: status::ADDRESS_MISALIGN }.error_code(), ErrorCode::INVAL);
    assert_eq!(EmmcError::State { cmd: 13, state: CardState::Rcv }.error_code(), ErrorCode::FAIL);
    assert_eq!(EmmcError::Gone.error_code(), ErrorCode::NODEVICE);
    assert_eq!(EmmcError::NoCard.error_code(), ErrorCode::NODEVICE);
}

#[test]
fn ext_csd_parsing() {
    let c = card(15_269_888); // an 8 GB part's SEC_COUNT
    let mut info = CardInfo::default();
    parse_ext_csd(&c.ext_csd, &mut info).unwrap();
    assert_eq!(info.sectors, 15_269_888);
    assert_eq!(info.card_type, 3);
    assert_eq!(info.cmd6_timeout_ms, CMD6_MIN_TIMEOUT_MS, "50 ms raised to the floor");
    assert!(!info.cache_on);
    assert_eq!(power_class(&info, BusWidth::Eight, BusSpeed::High), 3);
    assert_eq!(power_class(&info, BusWidth::Four, BusSpeed::High), 2);
    assert_eq!(power_class(&info, BusWidth::Eight, BusSpeed::Default), 0);
    let mut zero = [0u8; 512];
    assert_eq!(parse_ext_csd(&zero, &mut info), Err(EmmcError::Unsupported(Unsupported::NoCapacity)));
    zero[ext_csd::SEC_COUNT] = 1;
    zero[ext_csd::CACHE_CTRL] = 1;
    parse_ext_csd(&zero, &mut info).unwrap();
    assert!(!info.cache_on, "cache on without a cache size is no cache");
    assert_eq!(info.cmd6_timeout_ms, DATA_TIMEOUT_MS);
}

#[test]
fn r2_bit_fields() {
    let r = Response([0xC000_0000 | (4 << 26), 0, 0, 0x0000_00FF]);
    assert_eq!(r.bits(127, 126), 3);
    assert_eq!(r.bits(125, 122), 4);
    assert_eq!(r.bits(7, 0), 0xFF);
    assert_eq!(r.bits(39, 8), 0);
}
