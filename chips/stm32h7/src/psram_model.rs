// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Host models (tests only): a simulated 8 MiB PSRAM with injectable
//! faults, for the memory test, and a simulated OCTOSPI1 + DLYB +
//! APS6408L port, for the bring-up sequence.

extern crate std;

use std::collections::HashSet;
use std::vec;
use std::vec::Vec;

use crate::aps6408::{self, ROW_BYTES};
use crate::dlyb;
use crate::psram::{Plan, PsramError, PsramPort, Step};
use crate::psram_test::{BurstBus, WordBus};

/// A fault the simulated memory can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// DQ `line` stuck: that bit of every byte reads `high`.
    StuckDq { line: u8, high: bool },
    /// Address bit `bit` reaches the array stuck at `high`.
    AddressStuck { bit: u8, high: bool },
    /// Address bits `a` and `b` shorted (wired OR).
    AddressShort { a: u8, b: u8 },
    /// Bytes at addresses in `lane` (mod 4) read back with `xor` flipped.
    ByteLaneXor { lane: u8, xor: u8 },
    /// Single-byte writes to odd addresses do nothing (no write mask).
    OddByteWritesLost,
    /// Bursts wrap inside their 1 KiB row (a controller without CSBOUND).
    RowWrap,
    /// A part of `size` bytes: addresses wrap at its end.
    SmallerPart { size: u32 },
}

pub struct SimPsram {
    mem: Vec<u8>,
    faults: Vec<Fault>,
    touched: HashSet<u32>,
}

impl SimPsram {
    pub fn new(size: u32, faults: &[Fault]) -> SimPsram {
        SimPsram { mem: vec![0xC5; size as usize], faults: faults.to_vec(), touched: HashSet::new() }
    }

    /// Distinct bytes written or read.
    pub fn bytes_touched(&self) -> usize {
        self.touched.len()
    }

    fn physical(&self, address: u32) -> usize {
        let mut a = address;
        for f in &self.faults {
            match *f {
                Fault::AddressStuck { bit, high: true } => a |= 1 << bit,
                Fault::AddressStuck { bit, high: false } => a &= !(1 << bit),
                Fault::AddressShort { a: x, b: y } => {
                    if a & (1 << x | 1 << y) != 0 {
                        a |= 1 << x | 1 << y;
                    }
                }
                Fault::SmallerPart { size } => a %= size,
                _ => {}
            }
        }
        a as usize % self.mem.len()
    }

    fn load(&mut self, address: u32) -> u8 {
        self.touched.insert(address);
        let mut v = self.mem[self.physical(address)];
        for f in &self.faults {
            match *f {
                Fault::StuckDq { line, high: true } => v |= 1 << line,
                Fault::StuckDq { line, high: false } => v &= !(1 << line),
                Fault::ByteLaneXor { lane, xor } if address % 4 == lane as u32 => v ^= xor,
                _ => {}
            }
        }
        v
    }

    fn store(&mut self, address: u32, value: u8) {
        self.touched.insert(address);
        let p = self.physical(address);
        self.mem[p] = value;
    }

    fn load32(&mut self, address: u32) -> u32 {
        u32::from_le_bytes([0, 1, 2, 3].map(|i| self.load(address + i)))
    }

    fn store32(&mut self, address: u32, value: u32) {
        for (i, b) in value.to_le_bytes().into_iter().enumerate() {
            self.store(address + i as u32, b);
        }
    }

    /// Where the i-th word of a burst from `offset` lands.
    fn burst_address(&self, offset: u32, i: u32) -> u32 {
        if self.faults.contains(&Fault::RowWrap) {
            let row = offset - offset % ROW_BYTES;
            row + (offset % ROW_BYTES + 4 * i) % ROW_BYTES
        } else {
            offset + 4 * i
        }
    }
}

impl WordBus for SimPsram {
    fn read8(&mut self, offset: u32) -> u8 {
        self.load(offset)
    }
    fn write8(&mut self, offset: u32, value: u8) {
        if !(offset % 2 == 1 && self.faults.contains(&Fault::OddByteWritesLost)) {
            self.store(offset, value);
        }
    }
    fn read32(&mut self, offset: u32) -> u32 {
        self.load32(offset)
    }
    fn write32(&mut self, offset: u32, value: u32) {
        self.store32(offset, value);
    }
}

impl BurstBus for SimPsram {
    type Error = ();
    fn write_burst(&mut self, offset: u32, words: u32, word: &mut dyn FnMut(u32) -> u32) -> Result<(), ()> {
        for i in 0..words {
            let a = self.burst_address(offset, i);
            self.store32(a, word(i));
        }
        Ok(())
    }
    fn read_burst(&mut self, offset: u32, words: u32, sink: &mut dyn FnMut(u32, u32)) -> Result<(), ()> {
        for i in 0..words {
            let a = self.burst_address(offset, i);
            let v = self.load32(a);
            sink(i, v);
        }
        Ok(())
    }
}

/// A model of the delay line: cell k's output is the input clock delayed by
/// (k + 1) cell delays of `d0 + unit * step` ps, sampled at the input's
/// rising edge; it reads 1 when the delayed clock is still high then,
/// i.e. when the delay falls in the second half of a period.
pub fn lng_model(period_ps: u32, d0_ps: u32, step_ps: u32, unit: u8) -> u16 {
    let d = d0_ps + unit as u32 * step_ps;
    (0..12u32).fold(0u16, |lng, k| if ((k + 1) * d) % period_ps > period_ps / 2 { lng | 1 << k } else { lng })
}

/// What the simulated port gets wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortFault {
    /// No device answers: every read is 0xFF.
    NoDevice,
    /// The device ignores mode-register writes.
    ModeRegistersStuck,
    /// The delay line never spans a period (clock too slow).
    NoDelayPeriod,
    /// Reads are wrong at every tap.
    NoEye,
    /// The register interface reads 0 (clock not enabled).
    NotClocked,
    /// The D-cache is on.
    DCacheOn,
    /// Busy never clears after this many commands.
    HangAfter(u32),
}

/// The simulated OCTOSPI1 + DLYB + APS6408L. Reads are right only when the
/// selected tap is inside `eye` (inclusive); outside it, every byte comes
/// back rotated by a bit (data captured on the wrong strobe edge).
pub struct ModelPort {
    pub memory: SimPsram,
    pub faults: Vec<PortFault>,
    pub eye: (u8, u8),
    /// The delay line: period, cell delay at UNIT 0 and per step, in ps.
    pub line_ps: (u32, u32, u32),
    pub mode: [u8; 16],
    pub tap: u8,
    pub unit: u8,
    pub configured: Option<Plan>,
    pub reset_seen: bool,
    pub mapped: bool,
    pub waited_us: u64,
    pub commands: u32,
    /// The steps in order, for checking the sequence.
    pub log: Vec<&'static str>,
}

impl ModelPort {
    pub fn healthy() -> ModelPort {
        ModelPort {
            memory: SimPsram::new(aps6408::SIZE, &[]),
            faults: Vec::new(),
            eye: (2, 4),
            line_ps: (40_000, 500, 100),
            mode: [0; 16],
            tap: 0,
            unit: 0,
            configured: None,
            reset_seen: false,
            mapped: false,
            waited_us: 0,
            commands: 0,
            log: Vec::new(),
        }
    }

    pub fn with(faults: &[PortFault]) -> ModelPort {
        ModelPort { faults: faults.to_vec(), ..ModelPort::healthy() }
    }

    fn has(&self, f: PortFault) -> bool {
        self.faults.contains(&f)
    }

    fn command(&mut self, step: Step) -> Result<(), PsramError> {
        assert!(self.configured.is_some(), "a command before configure");
        assert!(!self.mapped, "an indirect command in memory-mapped mode");
        self.commands += 1;
        match self.faults.iter().find_map(|f| match f {
            PortFault::HangAfter(n) => Some(*n),
            _ => None,
        }) {
            Some(n) if self.commands > n => Err(PsramError::Timeout(step)),
            _ => Ok(()),
        }
    }

    fn read_garble(&self, v: u8) -> u8 {
        if self.has(PortFault::NoDevice) {
            0xFF
        } else if self.has(PortFault::NoEye) || self.tap < self.eye.0 || self.tap > self.eye.1 {
            v.rotate_left(1)
        } else {
            v
        }
    }
}

impl WordBus for ModelPort {
    fn read8(&mut self, offset: u32) -> u8 {
        assert!(self.mapped);
        let v = self.memory.read8(offset);
        self.read_garble(v)
    }
    fn write8(&mut self, offset: u32, value: u8) {
        assert!(self.mapped);
        self.memory.write8(offset, value)
    }
    fn read32(&mut self, offset: u32) -> u32 {
        assert!(self.mapped);
        let v = self.memory.read32(offset);
        u32::from_le_bytes(v.to_le_bytes().map(|b| self.read_garble(b)))
    }
    fn write32(&mut self, offset: u32, value: u32) {
        assert!(self.mapped);
        self.memory.write32(offset, value)
    }
}

impl PsramPort for ModelPort {
    type Window = ModelPort;

    fn dcache_enabled(&self) -> bool {
        self.has(PortFault::DCacheOn)
    }

    fn configure(&mut self, plan: &Plan) -> Result<(), PsramError> {
        self.log.push("configure");
        if self.has(PortFault::NotClocked) {
            return Err(PsramError::NotClocked { wrote: plan.dcr1, read: 0 });
        }
        self.configured = Some(*plan);
        Ok(())
    }

    fn wait_us(&mut self, us: u32) {
        self.log.push("wait");
        self.waited_us += us as u64;
    }

    fn global_reset(&mut self) -> Result<(), PsramError> {
        self.log.push("reset");
        self.command(Step::GlobalReset)?;
        self.reset_seen = true;
        // Reset values (made up, different from what the driver writes).
        self.mode = [0; 16];
        self.mode[0] = 0x09;
        self.mode[1] = aps6408::VENDOR_AP_MEMORY;
        self.mode[2] = 0xC0 | aps6408::DENSITY_64_MBIT;
        self.mode[8] = 0x03;
        Ok(())
    }

    fn write_mode_register(&mut self, mr: u8, value: u8) -> Result<(), PsramError> {
        self.log.push("mr write");
        self.command(Step::ModeRegisterWrite(mr))?;
        assert!(self.reset_seen, "mode registers written before the reset");
        if !self.has(PortFault::ModeRegistersStuck) && matches!(mr, 0 | 4 | 8) {
            self.mode[mr as usize] = value;
        }
        Ok(())
    }

    fn read_mode_registers(&mut self, mr: u8) -> Result<[u8; 2], PsramError> {
        self.log.push("mr read");
        self.command(Step::ModeRegisterRead(mr))?;
        assert_eq!(mr % 2, 0);
        Ok([self.read_garble(self.mode[mr as usize]), self.read_garble(self.mode[mr as usize + 1])])
    }

    fn write_array(&mut self, offset: u32, words: u32, word: &mut dyn FnMut(u32) -> u32) -> Result<(), PsramError> {
        self.log.push("array write");
        self.command(Step::ArrayWrite { offset })?;
        self.memory.write_burst(offset, words, word).map_err(|()| PsramError::Timeout(Step::ArrayWrite { offset }))
    }

    fn read_array(&mut self, offset: u32, words: u32, sink: &mut dyn FnMut(u32, u32)) -> Result<(), PsramError> {
        self.log.push("array read");
        self.command(Step::ArrayRead { offset })?;
        let garble = |s: &ModelPort, v: u32| u32::from_le_bytes(v.to_le_bytes().map(|b| s.read_garble(b)));
        let mut raw = Vec::new();
        self.memory
            .read_burst(offset, words, &mut |_, v| raw.push(v))
            .map_err(|()| PsramError::Timeout(Step::ArrayRead { offset }))?;
        for (i, v) in raw.into_iter().enumerate() {
            sink(i as u32, garble(self, v));
        }
        Ok(())
    }

    fn measure_delay(&mut self) -> Result<dlyb::Period, PsramError> {
        self.log.push("dlyb measure");
        let (period, d0, step) = self.line_ps;
        let no_period = self.has(PortFault::NoDelayPeriod);
        let p = dlyb::find_period::<()>(|unit| Ok(if no_period { 0 } else { lng_model(period, d0, step, unit) }))
            .map_err(|_| PsramError::NoDelayPeriod)?;
        self.unit = p.unit;
        Ok(p)
    }

    fn select_delay(&mut self, unit: u8, tap: u8) -> Result<(), PsramError> {
        self.log.push("dlyb select");
        assert!(!self.mapped, "the delay changed under memory-mapped traffic");
        self.unit = unit;
        self.tap = tap;
        Ok(())
    }

    fn enter_memory_mapped(&mut self) -> Result<(), PsramError> {
        self.log.push("memory-mapped");
        self.command(Step::MemoryMapped)?;
        self.mapped = true;
        Ok(())
    }

    fn window(&mut self) -> &mut ModelPort {
        self
    }
}
