// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The boot-time PSRAM test: run once before any process memory is placed
//! in the PSRAM, and processes are not loaded there if it fails. Pure
//! functions over two access traits, so the same code runs against a
//! simulated memory on the host (healthy, and with each fault it should
//! find) and against the OCTOSPI on the board:
//!
//! - [`BurstBus`]: long transfers, each one command to the device (the
//!   OCTOSPI's indirect mode on the board), so a transfer really crosses
//!   the 1 KiB row boundaries and must be split there by the controller
//!   (DCR3.CSBOUND) and by its refresh limit (DCR4.REFRESH);
//! - [`WordBus`]: single byte and word accesses through the memory-mapped
//!   window, the way processes will use the memory.
//!
//! The tests, in order: a burst pattern and its inverse over three 4 KiB
//! regions that each cross four row boundaries (at the start, across the
//! middle, at the end); the same regions read back through the window
//! (indirect writes and mapped reads agree, and mapped reads prefetch
//! across boundaries correctly); walking ones and zeros on the 32-bit data
//! path; byte lanes (each byte of a word written and read alone: on this
//! bus even bytes travel on the rising clock edge and odd bytes on the
//! falling one, and a byte write needs the write mask on DQS); and the
//! address test (each address bit alone, detecting bits stuck high, stuck
//! low and shorted together). On this part the address travels on the
//! same DQ[7:0] lines as the data, so an address failure means a DQ line
//! misbehaving during the address phase, a wrong DEVSIZE, or a smaller
//! part; the report names the address bit that aliases.
//!
//! The whole test touches under 40 KiB (everything it writes is lost: it
//! runs before the PSRAM holds anything). [`estimate_us`] gives its time
//! on the bus; at 25 MHz it is a few milliseconds.

use core::fmt;

/// Single accesses through the memory-mapped window (offsets from its base).
pub trait WordBus {
    fn read8(&mut self, offset: u32) -> u8;
    fn write8(&mut self, offset: u32, value: u8);
    fn read32(&mut self, offset: u32) -> u32;
    fn write32(&mut self, offset: u32, value: u32);
}

/// Transfers of `words` 32-bit words from `offset`, each one command to the
/// device. `word(i)` gives the i-th word to write; `sink(i, value)` takes
/// the i-th word read.
pub trait BurstBus {
    type Error;
    fn write_burst(&mut self, offset: u32, words: u32, word: &mut dyn FnMut(u32) -> u32) -> Result<(), Self::Error>;
    fn read_burst(&mut self, offset: u32, words: u32, sink: &mut dyn FnMut(u32, u32)) -> Result<(), Self::Error>;
}

/// The device's row: bursts must not cross it in one chip select.
pub const ROW: u32 = crate::aps6408::ROW_BYTES;

/// A burst-test region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub offset: u32,
    pub bytes: u32,
}

/// 4 KiB from half a row before a row boundary, so each region crosses
/// four boundaries, mid-transfer.
pub const BURST_BYTES: u32 = 4 * ROW;

/// The three burst regions for a device of `size` bytes: at the start,
/// across the middle (where a part half the size would alias), at the end.
pub fn burst_regions(size: u32) -> [Region; 3] {
    let region = |offset| Region { offset, bytes: BURST_BYTES };
    [region(ROW / 2), region(size / 2 - ROW / 2), region(size - BURST_BYTES - ROW / 2)]
}

/// Offsets of the single-access tests: none is 0 or a power of two, so
/// they stay clear of the address test's cells.
const DATA_BUS_OFFSET: u32 = 0x30;
const BYTE_LANE_OFFSET: u32 = 0x38;

/// The word written at `offset` by a pass with `seed`: distinct for every
/// offset (an odd multiplier and an xor-shift are both bijective), so a
/// word that landed at the wrong address is recognised.
pub fn pattern(offset: u32, seed: u32) -> u32 {
    let x = offset.wrapping_mul(0x9E37_79B9) ^ seed;
    x ^ (x >> 15)
}
const SEED: u32 = 0x5A5A_C3C3;

/// The test that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Test {
    Burst,
    BurstThroughWindow,
    DataBus,
    ByteLanes,
    AddressBus,
}

impl fmt::Display for Test {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Test::Burst => "burst pattern across row boundaries",
            Test::BurstThroughWindow => "burst pattern read through the mapped window",
            Test::DataBus => "walking ones and zeros on the data bus",
            Test::ByteLanes => "byte lanes",
            Test::AddressBus => "address lines",
        })
    }
}

/// What a failure points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Diagnosis {
    /// Nothing more specific.
    Data,
    /// One data bit reads stuck; the DQ line is `bit % 8`.
    DataBit { bit: u8, stuck_high: bool },
    /// Writing the cell of address bit `bit` changed another cell: the bit
    /// is stuck high or low (`with: None`), or shorted to bit `with`.
    AddressBit { bit: u8, with: Option<u8> },
    /// Byte `lane` (address mod 4) of a word is wrong.
    ByteLane { lane: u8 },
    /// The word holds data written a whole number of rows away: the burst
    /// wrapped inside a 1 KiB row instead of crossing it.
    RowWrap { rows: i32 },
}

/// A failure: what was written and read where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    pub test: Test,
    /// Offset from the window base.
    pub offset: u32,
    /// 1 or 4 bytes.
    pub width: u8,
    pub expected: u32,
    pub actual: u32,
    pub diagnosis: Diagnosis,
}

impl Failure {
    /// Shows the failure at its absolute address (the window at `base`).
    pub fn at(&self, base: usize) -> FailureAt<'_> {
        FailureAt { failure: self, base }
    }
}

pub struct FailureAt<'a> {
    failure: &'a Failure,
    base: usize,
}

impl fmt::Display for FailureAt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let x = self.failure;
        let digits = 2 * x.width as usize;
        write!(
            f,
            "{} failed at {:#010x}: wrote {:#0w$x}, read {:#0w$x}",
            x.test,
            self.base + x.offset as usize,
            x.expected,
            x.actual,
            w = digits + 2
        )?;
        match x.diagnosis {
            Diagnosis::Data => Ok(()),
            Diagnosis::DataBit { bit, stuck_high } => write!(
                f,
                " (data bit {bit} stuck {}: DQ{} on every byte?)",
                if stuck_high { "high" } else { "low" },
                bit % 8
            ),
            Diagnosis::AddressBit { bit, with: None } => write!(f, " (address bit A{bit} stuck or open)"),
            Diagnosis::AddressBit { bit, with: Some(other) } => {
                write!(f, " (address bits A{bit} and A{other} shorted)")
            }
            Diagnosis::ByteLane { lane } => write!(
                f,
                " (byte lane {lane}, the {} edge of the DTR word)",
                if lane % 2 == 0 { "rising" } else { "falling" }
            ),
            Diagnosis::RowWrap { rows } => write!(
                f,
                " (it holds the word written {} KiB {}: the burst wrapped in its 1 KiB row; is DCR3.CSBOUND 1 KiB?)",
                rows.unsigned_abs(),
                if rows > 0 { "further on" } else { "earlier" }
            ),
        }
    }
}

/// A burst test stopped: the bus failed, or the data did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BurstError<E> {
    Bus(E),
    Data(Failure),
}

/// What the test did, for the time estimate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub single_reads: u32,
    pub single_writes: u32,
    pub burst_bytes: u32,
    pub bursts: u32,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.single_reads += other.single_reads;
        self.single_writes += other.single_writes;
        self.burst_bytes += other.burst_bytes;
        self.bursts += other.bursts;
    }
}

/// Writes the region with `pattern` (then its inverse) in one burst and
/// reads it back in one burst; the first mismatch fails.
pub fn burst<B: BurstBus>(bus: &mut B, region: Region) -> Result<Counts, BurstError<B::Error>> {
    let words = region.bytes / 4;
    let mut counts = Counts::default();
    for invert in [false, true] {
        let expected = |i: u32| {
            let p = pattern(region.offset + 4 * i, SEED);
            if invert {
                !p
            } else {
                p
            }
        };
        bus.write_burst(region.offset, words, &mut |i| expected(i)).map_err(BurstError::Bus)?;
        let mut first: Option<Failure> = None;
        bus.read_burst(region.offset, words, &mut |i, actual| {
            if first.is_none() && i < words && actual != expected(i) {
                let offset = region.offset + 4 * i;
                let rows = (-(words as i32)..=words as i32)
                    .step_by((ROW / 4) as usize)
                    .filter(|&d| d != 0)
                    .find(|&d| {
                        let j = i as i32 + d;
                        (0..words as i32).contains(&j) && expected(j as u32) == actual
                    })
                    .map(|d| d / (ROW / 4) as i32);
                first = Some(Failure {
                    test: Test::Burst,
                    offset,
                    width: 4,
                    expected: expected(i),
                    actual,
                    diagnosis: rows.map_or(Diagnosis::Data, |rows| Diagnosis::RowWrap { rows }),
                });
            }
        })
        .map_err(BurstError::Bus)?;
        if let Some(f) = first {
            return Err(BurstError::Data(f));
        }
        counts.bursts += 2;
        counts.burst_bytes += 2 * region.bytes;
    }
    Ok(counts)
}

/// Reads a region the burst test left (with the inverted pattern) through
/// the window, word by word in order.
pub fn burst_through_window<W: WordBus>(bus: &mut W, region: Region) -> Result<Counts, Failure> {
    for i in 0..region.bytes / 4 {
        let offset = region.offset + 4 * i;
        let expected = !pattern(offset, SEED);
        let actual = bus.read32(offset);
        if actual != expected {
            return Err(Failure {
                test: Test::BurstThroughWindow,
                offset,
                width: 4,
                expected,
                actual,
                diagnosis: Diagnosis::Data,
            });
        }
    }
    Ok(Counts { single_reads: region.bytes / 4, ..Counts::default() })
}

/// Walking ones, then walking zeros, at one word.
pub fn data_bus<W: WordBus>(bus: &mut W, offset: u32) -> Result<Counts, Failure> {
    for zeros in [false, true] {
        for bit in 0..32u8 {
            let expected = if zeros { !(1u32 << bit) } else { 1u32 << bit };
            bus.write32(offset, expected);
            let actual = bus.read32(offset);
            if actual != expected {
                // The lowest wrong bit, and which way it is stuck.
                let wrong = (actual ^ expected).trailing_zeros() as u8;
                return Err(Failure {
                    test: Test::DataBus,
                    offset,
                    width: 4,
                    expected,
                    actual,
                    diagnosis: Diagnosis::DataBit { bit: wrong, stuck_high: actual & (1 << wrong) != 0 },
                });
            }
        }
    }
    Ok(Counts { single_reads: 64, single_writes: 64, ..Counts::default() })
}

/// Each byte of two words written alone and read as a word and alone, then
/// words written and read as bytes.
pub fn byte_lanes<W: WordBus>(bus: &mut W, offset: u32) -> Result<Counts, Failure> {
    let lane_failure = |offset: u32, width: u8, expected: u32, actual: u32| {
        let lane = if width == 1 { offset % 4 } else { (actual ^ expected).trailing_zeros() / 8 };
        Failure {
            test: Test::ByteLanes,
            offset,
            width,
            expected,
            actual,
            diagnosis: Diagnosis::ByteLane { lane: lane as u8 },
        }
    };
    let mut counts = Counts::default();
    for word in [offset, offset + 4] {
        bus.write32(word, 0);
        let mut expected = 0u32;
        for lane in 0..4u32 {
            let byte = (0x11 * (lane as u8 + 1)) ^ (word as u8 & 0x80);
            bus.write8(word + lane, byte);
            expected |= (byte as u32) << (8 * lane);
        }
        let actual = bus.read32(word);
        if actual != expected {
            return Err(lane_failure(word, 4, expected, actual));
        }
        for lane in 0..4u32 {
            let want = (expected >> (8 * lane)) as u8;
            let got = bus.read8(word + lane);
            if got != want {
                return Err(lane_failure(word + lane, 1, want as u32, got as u32));
            }
        }
        for value in [0xA55A_C33Cu32, 0x5AA5_3CC3] {
            bus.write32(word, value);
            for lane in 0..4u32 {
                let want = (value >> (8 * lane)) as u8;
                let got = bus.read8(word + lane);
                if got != want {
                    return Err(lane_failure(word + lane, 1, want as u32, got as u32));
                }
            }
        }
        counts.add(Counts { single_reads: 13, single_writes: 7, ..Counts::default() });
    }
    Ok(counts)
}

/// The power-of-two address test with byte accesses: cells at 0 and at
/// 2^k for every address bit k below the device size.
pub fn address_bus<W: WordBus>(bus: &mut W, size: u32) -> Result<Counts, Failure> {
    const FILL: u8 = 0xAA;
    const MARK: u8 = 0x55;
    let bits = size.trailing_zeros() as u8;
    let cell = |bit: u8| 1u32 << bit;
    let failure = |bit: u8, with: Option<u8>, offset: u32, actual: u8, expected: u8| Failure {
        test: Test::AddressBus,
        offset,
        width: 1,
        expected: expected as u32,
        actual: actual as u32,
        diagnosis: Diagnosis::AddressBit { bit, with },
    };
    let mut counts = Counts::default();
    for bit in 0..bits {
        bus.write8(cell(bit), FILL);
    }
    bus.write8(0, FILL);
    // A bit stuck high: the cell at 0 is really the cell of that bit.
    bus.write8(0, MARK);
    for bit in 0..bits {
        let got = bus.read8(cell(bit));
        if got != FILL {
            return Err(failure(bit, None, cell(bit), got, FILL));
        }
    }
    bus.write8(0, FILL);
    counts.add(Counts { single_reads: bits as u32, single_writes: bits as u32 + 3, ..Counts::default() });
    // Each bit alone: it must not reach the cell at 0 (stuck low) nor any
    // other bit's cell (shorted to it).
    for bit in 0..bits {
        bus.write8(cell(bit), MARK);
        let got = bus.read8(0);
        if got != FILL {
            return Err(failure(bit, None, 0, got, FILL));
        }
        for other in (0..bits).filter(|&o| o != bit) {
            let got = bus.read8(cell(other));
            if got != FILL {
                return Err(failure(bit, Some(other), cell(other), got, FILL));
            }
        }
        bus.write8(cell(bit), FILL);
        counts.add(Counts { single_reads: bits as u32, single_writes: 2, ..Counts::default() });
    }
    Ok(counts)
}

/// The burst part (before memory-mapped mode).
pub fn run_burst_phase<B: BurstBus>(bus: &mut B, size: u32) -> Result<Counts, BurstError<B::Error>> {
    let mut counts = Counts::default();
    for region in burst_regions(size) {
        counts.add(burst(bus, region)?);
    }
    Ok(counts)
}

/// The window part (after memory-mapped mode is on), with the burst
/// phase's regions still holding its last pattern.
pub fn run_window_phase<W: WordBus>(bus: &mut W, size: u32) -> Result<Counts, Failure> {
    let mut counts = Counts::default();
    for region in burst_regions(size) {
        counts.add(burst_through_window(bus, region)?);
    }
    counts.add(data_bus(bus, DATA_BUS_OFFSET)?);
    counts.add(byte_lanes(bus, BYTE_LANE_OFFSET)?);
    counts.add(address_bus(bus, size)?);
    Ok(counts)
}

/// The bus timing the estimate needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusTiming {
    pub memory_clock_hz: u32,
    pub read_dummy: u32,
    pub write_dummy: u32,
    /// CS# high clocks between transactions.
    pub cs_high: u32,
    /// The most data bytes one chip select carries (row and refresh limits).
    pub bytes_per_select: u32,
}

/// Clocks every transaction spends before its data: a 16-bit DTR
/// instruction (1) and a 32-bit DTR address (2).
const COMMAND_CLOCKS: u32 = 3;
/// A guess at what an uncached access costs besides the bus (AXI, the
/// OCTOSPI's own pipeline, the CPU's loop), in ns. The estimate is for
/// planning; the time is never asserted on hardware.
const ACCESS_OVERHEAD_NS: u64 = 100;

/// Estimated bus time of `counts`, in µs: each single access is a
/// transaction of its own (a word is 2 DTR clocks), each burst is split at
/// every `bytes_per_select`.
pub fn estimate_us(counts: &Counts, t: &BusTiming) -> u32 {
    let per_read = (COMMAND_CLOCKS + t.read_dummy + 2 + t.cs_high) as u64;
    let per_write = (COMMAND_CLOCKS + t.write_dummy + 2 + t.cs_high) as u64;
    let selects = (counts.burst_bytes as u64).div_ceil(t.bytes_per_select.max(2) as u64) + counts.bursts as u64;
    // Bursts are half writes, half reads; use the longer latency for all.
    let burst_clocks =
        counts.burst_bytes as u64 / 2 + selects * (COMMAND_CLOCKS + t.read_dummy.max(t.write_dummy) + t.cs_high) as u64;
    let clocks = counts.single_reads as u64 * per_read + counts.single_writes as u64 * per_write + burst_clocks;
    let ns = clocks * 1_000_000_000 / t.memory_clock_hz.max(1) as u64
        + (counts.single_reads + counts.single_writes) as u64 * ACCESS_OVERHEAD_NS;
    ns.div_ceil(1000) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::psram_model::{Fault, SimPsram};

    const SIZE: u32 = crate::aps6408::SIZE;

    fn run(sim: &mut SimPsram) -> Result<Counts, Failure> {
        let mut counts = run_burst_phase(sim, SIZE).map_err(|e| match e {
            BurstError::Data(f) => f,
            BurstError::Bus(()) => unreachable!(),
        })?;
        counts.add(run_window_phase(sim, SIZE)?);
        Ok(counts)
    }

    #[test]
    fn a_healthy_memory_passes_everything() {
        let mut sim = SimPsram::new(SIZE, &[]);
        let counts = run(&mut sim).unwrap();
        assert_eq!(counts.bursts, 12);
        assert_eq!(counts.burst_bytes, 3 * 2 * 2 * BURST_BYTES);
        assert!(sim.bytes_touched() < 40 * 1024, "{}", sim.bytes_touched());
    }

    #[test]
    fn the_regions_cross_row_boundaries_inside_the_device() {
        for r in burst_regions(SIZE) {
            assert!(r.offset + r.bytes <= SIZE);
            assert_eq!(r.offset % ROW, ROW / 2, "starts mid-row");
            assert_eq!((r.offset + r.bytes) / ROW - r.offset / ROW, 4, "crosses four boundaries");
        }
        let [_, middle, _] = burst_regions(SIZE);
        assert!(middle.offset < SIZE / 2 && middle.offset + middle.bytes > SIZE / 2);
    }

    #[test]
    fn patterns_are_distinct_per_word() {
        let mut seen = std::collections::HashSet::new();
        for r in burst_regions(SIZE) {
            for i in 0..r.bytes / 4 {
                assert!(seen.insert(pattern(r.offset + 4 * i, SEED)));
            }
        }
    }
    extern crate std;

    #[test]
    fn a_stuck_data_line_is_named() {
        // DQ5 stuck low: bit 5 of every byte; the bursts run first and see it.
        let mut sim = SimPsram::new(SIZE, &[Fault::StuckDq { line: 5, high: false }]);
        assert_eq!(run(&mut sim).unwrap_err().test, Test::Burst);
        let f = data_bus(&mut sim, DATA_BUS_OFFSET).unwrap_err();
        assert_eq!((f.expected, f.actual), (1 << 5, 0));
        assert_eq!(f.diagnosis, Diagnosis::DataBit { bit: 5, stuck_high: false });
        // DQ2 stuck high shows on the first walking one, in every byte.
        let mut sim = SimPsram::new(SIZE, &[Fault::StuckDq { line: 2, high: true }]);
        let f = data_bus(&mut sim, DATA_BUS_OFFSET).unwrap_err();
        assert_eq!((f.expected, f.actual), (0x0000_0001, 0x0404_0405));
        assert_eq!(f.diagnosis, Diagnosis::DataBit { bit: 2, stuck_high: true });
        assert_eq!(
            std::format!("{}", f.at(0x9000_0000)),
            "walking ones and zeros on the data bus failed at 0x90000030: wrote 0x00000001, read 0x04040405 \
             (data bit 2 stuck high: DQ2 on every byte?)"
        );
    }

    #[test]
    fn a_stuck_or_shorted_address_line_is_named() {
        for (fault, bit, with) in [
            (Fault::AddressStuck { bit: 22, high: false }, 22, None),
            (Fault::AddressStuck { bit: 9, high: true }, 9, None),
            (Fault::AddressShort { a: 3, b: 12 }, 3, Some(12)),
            (Fault::AddressStuck { bit: 0, high: true }, 0, None),
        ] {
            let mut sim = SimPsram::new(SIZE, &[fault]);
            let f = address_bus(&mut sim, SIZE).unwrap_err();
            assert_eq!(f.test, Test::AddressBus, "{fault:?}");
            assert_eq!(f.diagnosis, Diagnosis::AddressBit { bit, with }, "{fault:?}");
        }
        // A 4 MiB part in the 8 MiB place: A22 aliases to 0.
        let mut sim = SimPsram::new(SIZE, &[Fault::SmallerPart { size: 4 << 20 }]);
        let f = address_bus(&mut sim, SIZE).unwrap_err();
        assert_eq!(f.diagnosis, Diagnosis::AddressBit { bit: 22, with: None });
        assert_eq!(f.offset, 4 << 20, "the A22 cell holds what was written at 0");
        // The whole run stops earlier: the middle burst region crosses 4 MiB.
        let mut sim = SimPsram::new(SIZE, &[Fault::SmallerPart { size: 4 << 20 }]);
        assert!(run(&mut sim).is_err());
        assert!(std::format!("{}", f.at(0x9000_0000)).ends_with("(address bit A22 stuck or open)"));
    }

    #[test]
    fn a_bad_byte_lane_is_named() {
        let mut sim = SimPsram::new(SIZE, &[Fault::ByteLaneXor { lane: 3, xor: 0x10 }]);
        let f = byte_lanes(&mut sim, BYTE_LANE_OFFSET).unwrap_err();
        assert_eq!(f.diagnosis, Diagnosis::ByteLane { lane: 3 });
        assert_eq!((f.offset, f.width), (BYTE_LANE_OFFSET, 4));
        // Odd bytes written alone are lost (no write mask on DQS): only the
        // byte-lane test writes single bytes at odd addresses before the
        // address test, and it names the falling-edge lane.
        let mut sim = SimPsram::new(SIZE, &[Fault::OddByteWritesLost]);
        let f = run(&mut sim).unwrap_err();
        assert_eq!(f.test, Test::ByteLanes);
        assert_eq!(f.diagnosis, Diagnosis::ByteLane { lane: 1 });
        assert!(std::format!("{}", f.at(0x9000_0000)).contains("the falling edge"));
    }

    #[test]
    fn a_burst_that_wraps_in_its_row_is_recognised() {
        let mut sim = SimPsram::new(SIZE, &[Fault::RowWrap]);
        let f = run(&mut sim).unwrap_err();
        assert_eq!(f.test, Test::Burst);
        let first = burst_regions(SIZE)[0];
        assert_eq!(f.offset, first.offset, "the first word already holds data from further on");
        assert_eq!(f.diagnosis, Diagnosis::RowWrap { rows: 3 });
        let text = std::format!("{}", f.at(0x9000_0000));
        assert!(text.starts_with("burst pattern across row boundaries failed at 0x90000200"), "{text}");
        assert!(text.contains("CSBOUND"), "{text}");
        // Single accesses never cross a row: the window tests alone pass.
        let mut sim = SimPsram::new(SIZE, &[Fault::RowWrap]);
        for r in burst_regions(SIZE) {
            for i in 0..r.bytes / 4 {
                sim.write32(r.offset + 4 * i, !pattern(r.offset + 4 * i, SEED));
            }
        }
        run_window_phase(&mut sim, SIZE).unwrap();
    }

    #[test]
    fn the_test_takes_milliseconds_at_25_mhz() {
        let mut sim = SimPsram::new(SIZE, &[]);
        let counts = run(&mut sim).unwrap();
        // The original's timing: 25 MHz, 8 read and 4 write dummy cycles, CS
        // high 2 clocks, at most 1 KiB per chip select.
        let t = BusTiming {
            memory_clock_hz: 25_000_000,
            read_dummy: 8,
            write_dummy: 4,
            cs_high: 2,
            bytes_per_select: 1024,
        };
        let us = estimate_us(&counts, &t);
        std::println!("memory test: {counts:?}, about {us} µs at 25 MHz");
        assert!((1_000..20_000).contains(&us), "{us} µs");
        // Twice the clock, less time.
        assert!(estimate_us(&counts, &BusTiming { memory_clock_hz: 50_000_000, ..t }) < us);
        // 48 KiB of bursts alone: 24 k clocks of data at 25 MHz is 0.98 ms.
        let bursts = Counts { burst_bytes: 48 * 1024, bursts: 12, ..Counts::default() };
        assert!((980..1_200).contains(&estimate_us(&bursts, &t)));
    }
}
