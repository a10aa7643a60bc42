// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The delay block (DLYB, RM0468 §27): a line of 12 delay cells that
//! shifts the clock an interface samples its input data with. OCTOSPI1's
//! (DLYB_OCTOSPI1, 0x5200_6000) delays the strobe the PSRAM's read data is
//! captured with; the SDMMC ones are the same block.
//!
//! Two pure steps, host-tested:
//! - [`find_period`]: RM0468's length sampling. With all 12 cells selected
//!   (SEL = 12), raise the cell delay UNIT from 0 until the sampled line
//!   (LNG) shows one whole input-clock period; the highest cell still
//!   inside that period gives the number of taps per period.
//! - [`choose_window`]: from a pass/fail result per tap (SEL), the centre
//!   of the widest passing window.
//!
//! The register block ([`Dlyb`]) only samples and selects. Its input clock
//! is the interface's own output clock, so its owner must keep that clock
//! running while it does (OCTOSPI DCR1.FRCK; see `octospi`).

use kernel::utilities::registers::interfaces::{Readable, Writeable};
use kernel::utilities::registers::{register_bitfields, register_structs, ReadWrite};
use kernel::utilities::StaticRef;

/// UNIT is 7 bits; SEL selects 0..=12 cells (RM0468; ST's LL driver uses
/// the same bounds, DLYB_MAX_UNIT 128 and DLYB_MAX_SELECT 12).
pub const MAX_UNIT: u8 = 127;
pub const MAX_SEL: u8 = 12;
/// The input clock range the block can span (25-208 MHz: ST's
/// stm32h7xx_ll_delayblock.c header; check DS13313).
pub const MIN_INPUT_HZ: u32 = 25_000_000;
pub const MAX_INPUT_HZ: u32 = 208_000_000;

/// The result of length sampling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    /// The cell delay that makes the line span one input-clock period.
    pub unit: u8,
    /// The highest tap (SEL) whose delay is still within that period.
    pub taps: u8,
}

impl Period {
    /// The tap a quarter period late: where a DTR data eye (two bits per
    /// clock) is centred in theory. Used as the tie-breaker of the sweep
    /// and as the starting tap before it (the original's `SEL / 4`, at
    /// least 1).
    pub fn quarter(&self) -> u8 {
        (self.taps / 4).max(1)
    }
}

/// Why sampling found no period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodError<E> {
    /// No UNIT made the line span a period: the input clock is below the
    /// block's range or is not running.
    NoPeriod,
    /// The sampler failed (LNGF never set at this UNIT).
    Sample { unit: u8, error: E },
}

/// Whether a sampled line `lng` (LNG[11:0]) spans one period, and if so the
/// taps per period: LNG[10:0] must not be all 0 (the line reaches at least
/// half a period) and LNG[11:10] must not both be 1 (the end of the line
/// is past the period's end). The taps are then the highest 1 in
/// LNG[10:0]; 0 is no answer (RM0468 §27.3.4 as ST's LL driver applies
/// it).
pub fn taps_per_period(lng: u16) -> Option<u8> {
    let lng = lng & 0x0FFF;
    let low = lng & 0x07FF;
    if low == 0 || lng & 0x0C00 == 0x0C00 {
        return None;
    }
    let highest = 15 - low.leading_zeros() as u8;
    (highest > 0).then_some(highest)
}

/// RM0468's length sampling over `sample(unit) -> LNG`, UNIT 0 upwards.
/// RM0468 stops at the first UNIT whose line spans a period.
pub fn find_period<E>(mut sample: impl FnMut(u8) -> Result<u16, E>) -> Result<Period, PeriodError<E>> {
    for unit in 0..=MAX_UNIT {
        let lng = sample(unit).map_err(|error| PeriodError::Sample { unit, error })?;
        let lng = lng & 0x0FFF;
        if lng & 0x07FF != 0 && lng & 0x0C00 != 0x0C00 {
            return taps_per_period(lng).map(|taps| Period { unit, taps }).ok_or(PeriodError::NoPeriod);
        }
    }
    Err(PeriodError::NoPeriod)
}

/// A run of passing taps. With wrap-around `first > last` is possible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub first: u8,
    pub last: u8,
    pub width: u8,
    /// The tap used: the middle of the run, the lower one of the two
    /// middles when the width is even.
    pub centre: u8,
}

/// No tap passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoWindow;

/// Whether the taps form a circle (the tap after the last is the first).
///
/// Not the case for the OCTOSPI's DLYB: each tap delays the strobe
/// further and a delay of a whole period captures the next pair of bytes,
/// not the same ones, so tap 0 and the last tap are not neighbours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Taps {
    Line,
    Circle,
}

/// The widest run of `true` in `passes` (taps 0, 1, ...) and its centre.
/// Ties go to the run whose centre is nearest `prefer` (when given), then
/// to the one that starts at the lower tap.
pub fn choose_window(passes: &[bool], taps: Taps, prefer: Option<u8>) -> Result<Window, NoWindow> {
    let n = passes.len();
    if n == 0 || n > u8::MAX as usize || !passes.iter().any(|&p| p) {
        return Err(NoWindow);
    }
    if passes.iter().all(|&p| p) {
        return Ok(window(0, n, n));
    }
    // Runs as (start, width); on a circle a run through the last tap
    // continues at tap 0, so the scan starts just after a failing tap.
    let start_at = match taps {
        Taps::Line => 0,
        Taps::Circle => passes.iter().rposition(|&p| !p).map_or(0, |i| (i + 1) % n),
    };
    let mut best: Option<Window> = None;
    let mut run: Option<(usize, usize)> = None;
    for step in 0..=n {
        let i = (start_at + step) % n;
        let end_of_scan = step == n || (taps == Taps::Line && start_at + step >= n);
        let pass = !end_of_scan && passes[i];
        match (pass, run) {
            (true, None) => run = Some((i, 1)),
            (true, Some((s, w))) => run = Some((s, w + 1)),
            (false, Some((s, w))) => {
                let candidate = window(s, w, n);
                best = Some(match best {
                    Some(b) if !better(&candidate, &b, prefer, taps, n) => b,
                    _ => candidate,
                });
                run = None;
            }
            (false, None) => {}
        }
        if end_of_scan {
            break;
        }
    }
    best.ok_or(NoWindow)
}

fn window(start: usize, width: usize, n: usize) -> Window {
    Window {
        first: start as u8,
        last: ((start + width - 1) % n) as u8,
        width: width as u8,
        centre: ((start + (width - 1) / 2) % n) as u8,
    }
}

/// Whether `a` beats `b`: wider, then nearer `prefer`, then a lower start.
fn better(a: &Window, b: &Window, prefer: Option<u8>, taps: Taps, n: usize) -> bool {
    if a.width != b.width {
        return a.width > b.width;
    }
    if let Some(p) = prefer {
        let distance = |c: u8| {
            let d = (c as i32 - p as i32).unsigned_abs() as usize;
            match taps {
                Taps::Line => d,
                Taps::Circle => d.min(n - d),
            }
        };
        let (da, db) = (distance(a.centre), distance(b.centre));
        if da != db {
            return da < db;
        }
    }
    a.first < b.first
}

register_structs! {
    pub DlybRegisters {
        (0x0 => cr: ReadWrite<u32, CR::Register>),
        (0x4 => cfgr: ReadWrite<u32, CFGR::Register>),
        (0x8 => @END),
    }
}

register_bitfields![u32,
    CR [
        /// Delay block enable
        DEN OFFSET(0) NUMBITS(1) [],
        /// Sampler length enable: the line is sampled into LNG and the
        /// output clock is off; SEL and UNIT can only be written while set
        SEN OFFSET(1) NUMBITS(1) []
    ],
    CFGR [
        /// Output clock phase: input + SEL unit delays
        SEL OFFSET(0) NUMBITS(4) [],
        /// Unit delay: initial delay + UNIT delay steps
        UNIT OFFSET(8) NUMBITS(7) [],
        /// The 12 cell outputs sampled at the input clock's rising edge
        LNG OFFSET(16) NUMBITS(12) [],
        /// LNG is valid for the current UNIT
        LNGF OFFSET(31) NUMBITS(1) []
    ]
];

/// OCTOSPI1's delay block (RM0468 memory map; stm32-rs SVD
/// "Delay_Block_OCTOSPI1 0x52006000").
pub const DLYB_OCTOSPI1_BASE: usize = 0x5200_6000;

/// LNGF polls before sampling gives up (it takes a few input clocks).
const LNGF_POLLS: u32 = 100_000;

/// LNGF did not set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LngTimeout;

pub struct Dlyb {
    registers: StaticRef<DlybRegisters>,
}

impl Dlyb {
    pub const fn new(registers: StaticRef<DlybRegisters>) -> Dlyb {
        Dlyb { registers }
    }

    /// Samples the line with all cells selected at cell delay `unit`.
    /// The input clock must be running.
    pub fn sample_length(&self, unit: u8) -> Result<u16, LngTimeout> {
        self.registers.cr.write(CR::DEN::SET + CR::SEN::SET);
        self.registers.cfgr.write(CFGR::SEL.val(MAX_SEL as u32) + CFGR::UNIT.val(unit as u32));
        for _ in 0..LNGF_POLLS {
            if self.registers.cfgr.is_set(CFGR::LNGF) {
                return Ok(self.registers.cfgr.read(CFGR::LNG) as u16);
            }
        }
        Err(LngTimeout)
    }

    /// Delays the output clock by `sel` cells of delay `unit`: written with
    /// the sampler on (the only state that accepts them), then the sampler
    /// off, which turns the delayed output clock on.
    pub fn select(&self, unit: u8, sel: u8) {
        self.registers.cr.write(CR::DEN::SET + CR::SEN::SET);
        self.registers.cfgr.write(CFGR::SEL.val(sel.min(MAX_SEL) as u32) + CFGR::UNIT.val(unit as u32));
        self.registers.cr.write(CR::DEN::SET);
    }

    /// The (UNIT, SEL) in effect.
    pub fn selected(&self) -> (u8, u8) {
        (self.registers.cfgr.read(CFGR::UNIT) as u8, self.registers.cfgr.read(CFGR::SEL) as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::psram_model::lng_model;

    #[test]
    fn lng_validity_follows_rm0468() {
        assert_eq!(taps_per_period(0), None, "the line does not reach half a period");
        assert_eq!(taps_per_period(0b1111_0000_0000), None, "LNG[11:10] both set: not yet a period");
        assert_eq!(taps_per_period(0b0111_1100_0000), Some(10));
        assert_eq!(taps_per_period(0b1011_1100_0000), Some(9), "LNG[11] back at 0 before LNG[10]");
        assert_eq!(taps_per_period(0b0000_0000_0001), None, "a highest tap of 0 is no answer");
        assert_eq!(taps_per_period(0xF000 | 0b0110_0000_0000), Some(10), "bits above LNG are ignored");
    }

    #[test]
    fn length_sampling_finds_the_period_at_25_and_100_mhz() {
        // A 40 ns period (25 MHz), cells of 0.5 ns + UNIT x 0.1 ns: the
        // 12-cell line first passes 40 ns at about 3.3 ns per cell.
        let p = find_period::<()>(|u| Ok(lng_model(40_000, 500, 100, u))).unwrap();
        let cell = 500 + p.unit as u32 * 100;
        assert!(12 * cell > 40_000 && 11 * cell <= 40_000 + cell, "unit {} cell {cell}", p.unit);
        assert!((p.taps as u32 + 1) * cell <= 40_000 && (p.taps as u32 + 2) * cell > 40_000);
        assert_eq!(p.quarter(), p.taps / 4);
        // 10 ns: a much shorter cell, found much earlier.
        let fast = find_period::<()>(|u| Ok(lng_model(10_000, 500, 100, u))).unwrap();
        assert!(fast.unit < p.unit);
    }

    #[test]
    fn length_sampling_fails_below_the_range_or_without_a_clock() {
        // 200 ns (5 MHz): even UNIT 127 (12 cells of 13.2 ns) cannot span it.
        assert_eq!(find_period::<()>(|u| Ok(lng_model(200_000, 500, 100, u))), Err(PeriodError::NoPeriod));
        // No input clock: the line samples all 0.
        assert_eq!(find_period::<()>(|_| Ok(0)), Err(PeriodError::NoPeriod));
        assert_eq!(
            find_period(|u| if u == 3 { Err("lngf") } else { Ok(0) }),
            Err(PeriodError::Sample { unit: 3, error: "lngf" })
        );
    }

    extern crate std;

    fn taps(s: &str) -> std::vec::Vec<bool> {
        s.chars().map(|c| c == '1').collect()
    }

    #[test]
    fn the_widest_window_wins() {
        let w = choose_window(&taps("0011100111110"), Taps::Line, None).unwrap();
        assert_eq!((w.first, w.last, w.width, w.centre), (7, 11, 5, 9));
        // The original's result: SEL 2-4 passing, centre 3.
        let w = choose_window(&taps("001110000000"), Taps::Line, None).unwrap();
        assert_eq!((w.first, w.last, w.centre), (2, 4, 3));
    }

    #[test]
    fn even_widths_take_the_lower_middle() {
        let w = choose_window(&taps("0111100"), Taps::Line, None).unwrap();
        assert_eq!((w.width, w.centre), (4, 2));
    }

    #[test]
    fn ties_go_to_the_preferred_tap_then_the_lower_one() {
        let passes = taps("1100011000");
        assert_eq!(choose_window(&passes, Taps::Line, None).unwrap().first, 0);
        assert_eq!(choose_window(&passes, Taps::Line, Some(6)).unwrap().first, 5);
        // Equidistant from the preference: the lower start.
        assert_eq!(choose_window(&taps("0110011"), Taps::Line, Some(3)).unwrap().first, 1);
    }

    #[test]
    fn windows_at_the_ends() {
        let w = choose_window(&taps("0000111"), Taps::Line, None).unwrap();
        assert_eq!((w.first, w.last, w.centre), (4, 6, 5));
        let w = choose_window(&taps("1110000"), Taps::Line, None).unwrap();
        assert_eq!((w.first, w.last, w.centre), (0, 2, 1));
    }

    #[test]
    fn wrap_around_joins_the_ends_only_on_a_circle() {
        let passes = taps("1100000111");
        let line = choose_window(&passes, Taps::Line, None).unwrap();
        assert_eq!((line.first, line.last, line.width), (7, 9, 3));
        let circle = choose_window(&passes, Taps::Circle, None).unwrap();
        assert_eq!((circle.first, circle.last, circle.width, circle.centre), (7, 1, 5, 9));
        let circle = choose_window(&taps("1110000011"), Taps::Circle, None).unwrap();
        assert_eq!((circle.first, circle.last, circle.width, circle.centre), (8, 2, 5, 0));
    }

    #[test]
    fn a_single_tap_and_all_taps() {
        let w = choose_window(&taps("0000100"), Taps::Line, None).unwrap();
        assert_eq!((w.first, w.last, w.width, w.centre), (4, 4, 1, 4));
        let w = choose_window(&taps("1111111"), Taps::Circle, None).unwrap();
        assert_eq!((w.first, w.last, w.width, w.centre), (0, 6, 7, 3));
    }

    #[test]
    fn no_window_is_an_error() {
        assert_eq!(choose_window(&taps("0000000"), Taps::Line, None), Err(NoWindow));
        assert_eq!(choose_window(&taps("0000000"), Taps::Circle, Some(2)), Err(NoWindow));
        assert_eq!(choose_window(&[], Taps::Line, None), Err(NoWindow));
    }
}
