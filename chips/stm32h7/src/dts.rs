// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The digital temperature sensor (RM0468 §21), the junction temperature
//! the telemetry reports, behind the temperature HIL (hundredths of °C).
//!
//! As in the original firmware: the LSE is the reference, 15 LSE periods
//! per measurement, measuring continuously from a software start. The
//! sensor oscillates at a frequency that rises with temperature; the DTS
//! counts its cycles over the sampling time (MFREQ), and the factory
//! calibration gives the frequency at T0 (FMT0, in 100 Hz) and the slope
//! (RAMP_COEFF, Hz per °C). [`centi_celsius`] does the arithmetic, in
//! integers, host-tested. A read before the LSE runs (it takes up to two
//! seconds after power-up) or before the first measurement is `BUSY`.

use core::cell::Cell;

use kernel::deferred_call::{DeferredCall, DeferredCallClient};
use kernel::hil::sensors::{TemperatureClient, TemperatureDriver};
use kernel::utilities::cells::OptionalCell;
use kernel::utilities::registers::interfaces::{ReadWriteable, Readable, Writeable};
use kernel::utilities::registers::{register_bitfields, register_structs, ReadOnly, ReadWrite};
use kernel::utilities::StaticRef;
use kernel::ErrorCode;

register_structs! {
    pub DtsRegisters {
        (0x00 => cfgr1: ReadWrite<u32, CFGR1::Register>),
        (0x04 => _reserved0),
        (0x08 => t0valr1: ReadOnly<u32, T0VALR1::Register>),
        (0x0C => _reserved1),
        (0x10 => rampvalr: ReadOnly<u32>),
        (0x14 => _reserved2),
        (0x1C => dr: ReadOnly<u32>),
        (0x20 => sr: ReadOnly<u32, SR::Register>),
        (0x24 => @END),
    }
}

register_bitfields![u32,
    CFGR1 [
        TS1_EN OFFSET(0) NUMBITS(1) [],
        TS1_START OFFSET(4) NUMBITS(1) [],
        TS1_INTRIG_SEL OFFSET(8) NUMBITS(4) [],
        TS1_SMP_TIME OFFSET(16) NUMBITS(4) [],
        REFCLK_SEL OFFSET(20) NUMBITS(1) [Pclk = 0, Lse = 1]
    ],
    T0VALR1 [
        TS1_FMT0 OFFSET(0) NUMBITS(16) [],
        TS1_T0 OFFSET(16) NUMBITS(2) []
    ],
    SR [
        TS1_RDY OFFSET(15) NUMBITS(1) []
    ]
];

pub const DTS_BASE: StaticRef<DtsRegisters> =
    // SAFETY: the DTS's registers (RM0468 §2.3).
    unsafe { StaticRef::new(0x5800_6800 as *const DtsRegisters) };

/// LSE periods per measurement.
pub const SAMPLES: u32 = 15;
pub const LSE_HZ: u32 = 32_768;

/// The factory calibration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Calibration {
    /// Sensor frequency at `t0_celsius`, in units of 100 Hz.
    pub fmt0: u32,
    /// TS1_T0: 0 means 30 °C, 1 means 130 °C.
    pub t0_code: u32,
    /// Hz per °C.
    pub ramp_coeff: u32,
}

/// The temperature in hundredths of °C for `mfreq` sensor cycles counted
/// over [`SAMPLES`] LSE periods; `None` without a count or a calibration.
pub fn centi_celsius(mfreq: u32, cal: Calibration) -> Option<i32> {
    let t0 = match cal.t0_code {
        0 => 30i64,
        1 => 130,
        _ => return None,
    };
    if mfreq == 0 || cal.ramp_coeff == 0 {
        return None;
    }
    let freq = LSE_HZ as i64 * mfreq as i64 / SAMPLES as i64;
    let delta = freq - cal.fmt0 as i64 * 100;
    Some((t0 * 100 + delta * 100 / cal.ramp_coeff as i64) as i32)
}

pub struct Dts<'a> {
    registers: StaticRef<DtsRegisters>,
    client: OptionalCell<&'a dyn TemperatureClient>,
    pending: Cell<bool>,
    lse_ready: fn() -> bool,
    deferred: DeferredCall,
}

impl<'a> Dts<'a> {
    /// `lse_ready` tells whether the reference runs (`rcc::lse_ready`).
    pub fn new(registers: StaticRef<DtsRegisters>, lse_ready: fn() -> bool) -> Self {
        Dts {
            registers,
            client: OptionalCell::empty(),
            pending: Cell::new(false),
            lse_ready,
            deferred: DeferredCall::new(),
        }
    }

    /// Configures and starts continuous measurement; its clock must be on.
    pub fn start(&self) {
        let r = &self.registers;
        r.cfgr1.write(CFGR1::REFCLK_SEL::Lse + CFGR1::TS1_SMP_TIME.val(SAMPLES) + CFGR1::TS1_INTRIG_SEL.val(0));
        r.cfgr1.modify(CFGR1::TS1_EN::SET);
    }

    fn read_now(&self) -> Result<i32, ErrorCode> {
        let r = &self.registers;
        if !(self.lse_ready)() || !r.sr.is_set(SR::TS1_RDY) {
            return Err(ErrorCode::BUSY);
        }
        if !r.cfgr1.is_set(CFGR1::TS1_START) {
            // The first read starts the measurements; its result comes
            // with the next one.
            r.cfgr1.modify(CFGR1::TS1_START::SET);
            return Err(ErrorCode::BUSY);
        }
        let cal = Calibration {
            fmt0: r.t0valr1.read(T0VALR1::TS1_FMT0),
            t0_code: r.t0valr1.read(T0VALR1::TS1_T0),
            ramp_coeff: r.rampvalr.get() & 0xFFFF,
        };
        centi_celsius(r.dr.get() & 0xFFFF, cal).ok_or(ErrorCode::BUSY)
    }
}

impl<'a> TemperatureDriver<'a> for Dts<'a> {
    fn set_client(&self, client: &'a dyn TemperatureClient) {
        self.client.set(client);
    }

    fn read_temperature(&self) -> Result<(), ErrorCode> {
        if self.pending.replace(true) {
            return Err(ErrorCode::BUSY);
        }
        self.deferred.set();
        Ok(())
    }
}

impl DeferredCallClient for Dts<'_> {
    fn handle_deferred_call(&self) {
        if self.pending.replace(false) {
            let value = self.read_now();
            self.client.map(|c| c.callback(value));
        }
    }

    fn register(&'static self) {
        self.deferred.register(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAL: Calibration = Calibration { fmt0: 7_000, t0_code: 0, ramp_coeff: 2_000 };

    /// The count the DTS would make at `freq` Hz.
    fn count(freq: u64) -> u32 {
        (freq * SAMPLES as u64 / LSE_HZ as u64) as u32
    }

    #[test]
    fn the_calibration_point_reads_its_own_temperature() {
        // 700 kHz at 30 °C: within one count (2184 Hz / 2000 Hz/°C).
        let t = centi_celsius(count(700_000), CAL).unwrap();
        assert!((t - 3000).abs() <= 110, "{t}");
        let hot = Calibration { t0_code: 1, ..CAL };
        let t = centi_celsius(count(700_000), hot).unwrap();
        assert!((t - 13000).abs() <= 110, "{t}");
    }

    #[test]
    fn the_slope_is_the_ramp_coefficient() {
        // 40 kHz above FMT0 at 2 kHz/°C: 20 °C hotter.
        let a = centi_celsius(count(700_000), CAL).unwrap();
        let b = centi_celsius(count(740_000), CAL).unwrap();
        assert!((b - a - 2000).abs() <= 120, "{a} {b}");
        // Colder than T0 gives less than T0 (signed arithmetic).
        assert!(centi_celsius(count(660_000), CAL).unwrap() < 1000);
    }

    #[test]
    fn no_count_or_no_calibration_is_no_reading() {
        assert_eq!(centi_celsius(0, CAL), None);
        assert_eq!(centi_celsius(300, Calibration { ramp_coeff: 0, ..CAL }), None);
        assert_eq!(centi_celsius(300, Calibration { t0_code: 2, ..CAL }), None);
    }
}
