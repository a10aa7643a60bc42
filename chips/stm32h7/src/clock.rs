// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The clock tree, planned before any register is touched (RM0468 §8).
//!
//! From the HSE the board chooses (the NUCLEO's 8 MHz ST-LINK clock in
//! bypass, or a 25 MHz crystal) and whether the part may run at 550 MHz
//! (FLASH_OPTSR2.CPUFREQ_BOOST; otherwise 520 MHz), [`plan`] finds PLL
//! dividers that hit every frequency exactly, checks them against the
//! limits, and derives the bus, timer and flash settings. Every frequency
//! a driver needs (the alarm's tick, a UART's baud divider) comes from the
//! plan, so nothing assumes a clock (the original firmware's tick was 13 %
//! off because it did). The register code (`rcc`) only applies a plan.

/// The CPU clock with CPUFREQ_BOOST set, and without (DS13313 §6.3.1).
pub const SYSCLK_BOOST_HZ: u32 = 550_000_000;
pub const SYSCLK_HZ: u32 = 520_000_000;
/// The OCTOSPI and SDMMC kernel clock (PLL2R).
pub const PLL2R_HZ: u32 = 200_000_000;
/// The alarm's tick: TIM2 counts microseconds.
pub const ALARM_HZ: u32 = 1_000_000;
/// Bus limits at VOS0 (RM0468 §8.3, DS13313 §6.3.1).
const AHB_MAX_HZ: u32 = 275_000_000;
const APB_MAX_HZ: u32 = 137_500_000;
/// PLL limits: reference (after DIVM) 2-16 MHz for the wide VCO, which
/// runs at 192-836 MHz (DS13313 §6.3.10); DIVN 4-512; DIVM 1-63.
const REF_MIN_HZ: u32 = 2_000_000;
const REF_MAX_HZ: u32 = 16_000_000;
const VCO_MIN_HZ: u32 = 192_000_000;
const VCO_MAX_HZ: u32 = 836_000_000;
const N_MIN: u32 = 4;
const N_MAX: u32 = 512;
const M_MAX: u32 = 63;

/// The high-speed external clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hse {
    pub hz: u32,
    /// An external clock on OSC_IN (the ST-LINK's MCO), not a crystal.
    pub bypass: bool,
}

impl Hse {
    /// The NUCLEO-H723ZG as shipped: the ST-LINK's 8 MHz MCO.
    pub const NUCLEO_STLINK: Hse = Hse { hz: 8_000_000, bypass: true };
    /// A 25 MHz crystal fitted at X3 (what the original firmware assumed).
    pub const CRYSTAL_25MHZ: Hse = Hse { hz: 25_000_000, bypass: false };
}

/// The PLL input frequency range (PLLxRGE): [1, 2), [2, 4), [4, 8), [8, 16] MHz.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputRange {
    Mhz1To2 = 0,
    Mhz2To4 = 1,
    Mhz4To8 = 2,
    Mhz8To16 = 3,
}

impl InputRange {
    fn of(ref_hz: u32) -> InputRange {
        match ref_hz {
            0..=1_999_999 => InputRange::Mhz1To2,
            2_000_000..=3_999_999 => InputRange::Mhz2To4,
            4_000_000..=7_999_999 => InputRange::Mhz4To8,
            _ => InputRange::Mhz8To16,
        }
    }
}

/// One PLL's dividers (the values themselves, not the register fields,
/// which hold `n - 1`, `p - 1`...), and its frequencies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pll {
    pub m: u32,
    pub n: u32,
    /// Output dividers; `None`: that output is off.
    pub p: Option<u32>,
    pub q: Option<u32>,
    pub r: Option<u32>,
    pub range: InputRange,
    pub ref_hz: u32,
    pub vco_hz: u32,
}

impl Pll {
    pub fn p_hz(&self) -> Option<u32> {
        self.p.map(|d| self.vco_hz / d)
    }
    pub fn r_hz(&self) -> Option<u32> {
        self.r.map(|d| self.vco_hz / d)
    }
}

/// The whole plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockPlan {
    pub hse: Hse,
    pub pll1: Pll,
    pub pll2: Pll,
    pub sysclk_hz: u32,
    /// D1CPRE /1: the Cortex-M7.
    pub cpu_hz: u32,
    /// HPRE /2: AXI and AHB.
    pub ahb_hz: u32,
    /// D1PPRE, D2PPRE1, D2PPRE2, D3PPRE /2: APB3, APB1, APB2, APB4.
    pub apb_hz: u32,
    /// Timers on APB1 and APB2: twice their APB clock (TIMPRE = 0 with an
    /// APB prescaler other than 1, RM0468 §8.5.6).
    pub timer_hz: u32,
    /// FLASH_ACR: wait states and WRHIGHFREQ for the AXI clock at VOS0.
    pub flash_latency: u32,
    pub flash_wrhighfreq: u32,
}

/// Why no plan exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// No DIVM, DIVN and output divider reach the frequency exactly
    /// within the PLL's limits (an HSE the plan cannot use).
    NoPll { target_hz: u32 },
    /// A derived bus clock is over its limit (a bug in the plan).
    BusOverLimit,
}

/// Finds a PLL for `target_hz` on output `P` or `R` (`divider_choices` in
/// order of preference). Preferred: the smallest DIVM whose reference is a
/// whole number of MHz in 4-8 MHz (what ST's tools choose: 25 MHz / 5),
/// then any in 4-8 MHz, then any in 2-16 MHz.
fn find_pll(hse_hz: u32, target_hz: u32, divider_choices: &[u32]) -> Option<(u32, u32, u32, u32)> {
    let mut in_range = None;
    let mut fallback = None;
    for m in 1..=M_MAX {
        if !hse_hz.is_multiple_of(m) {
            continue;
        }
        let ref_hz = hse_hz / m;
        if !(REF_MIN_HZ..=REF_MAX_HZ).contains(&ref_hz) {
            continue;
        }
        for &div in divider_choices {
            let Some(vco) = target_hz.checked_mul(div) else { continue };
            if !(VCO_MIN_HZ..=VCO_MAX_HZ).contains(&vco) || vco % ref_hz != 0 {
                continue;
            }
            let n = vco / ref_hz;
            if !(N_MIN..=N_MAX).contains(&n) {
                continue;
            }
            let found = (m, n, div, ref_hz);
            if InputRange::of(ref_hz) == InputRange::Mhz4To8 {
                if ref_hz.is_multiple_of(1_000_000) {
                    return Some(found);
                }
                in_range = in_range.or(Some(found));
            }
            fallback = fallback.or(Some(found));
        }
    }
    in_range.or(fallback)
}

/// The AXI clock's flash wait states and WRHIGHFREQ at VOS0 (RM0468 table
/// 16: 70, 140, 210, 275 MHz steps).
fn flash_timing(ahb_hz: u32) -> (u32, u32) {
    match ahb_hz {
        0..=70_000_000 => (0, 0),
        70_000_001..=140_000_000 => (1, 1),
        140_000_001..=210_000_000 => (2, 2),
        _ => (3, 3),
    }
}

/// The plan for `hse`, at 550 MHz if `boost` (CPUFREQ_BOOST is set), else
/// 520 MHz.
pub fn plan(hse: Hse, boost: bool) -> Result<ClockPlan, PlanError> {
    let sysclk_hz = if boost { SYSCLK_BOOST_HZ } else { SYSCLK_HZ };
    // DIVP1 may be 1 on the H72x/H73x, then any even value.
    let (m, n, p, ref_hz) = find_pll(hse.hz, sysclk_hz, &[1, 2]).ok_or(PlanError::NoPll { target_hz: sysclk_hz })?;
    let pll1 = Pll { m, n, p: Some(p), q: None, r: None, range: InputRange::of(ref_hz), ref_hz, vco_hz: ref_hz * n };
    let (m2, n2, r2, ref2) = find_pll(hse.hz, PLL2R_HZ, &[3, 2, 4]).ok_or(PlanError::NoPll { target_hz: PLL2R_HZ })?;
    let pll2 = Pll {
        m: m2,
        n: n2,
        p: None,
        q: None,
        r: Some(r2),
        range: InputRange::of(ref2),
        ref_hz: ref2,
        vco_hz: ref2 * n2,
    };
    let ahb_hz = sysclk_hz / 2;
    let apb_hz = ahb_hz / 2;
    if ahb_hz > AHB_MAX_HZ || apb_hz > APB_MAX_HZ {
        return Err(PlanError::BusOverLimit);
    }
    let (flash_latency, flash_wrhighfreq) = flash_timing(ahb_hz);
    Ok(ClockPlan {
        hse,
        pll1,
        pll2,
        sysclk_hz,
        cpu_hz: sysclk_hz,
        ahb_hz,
        apb_hz,
        timer_hz: apb_hz * 2,
        flash_latency,
        flash_wrhighfreq,
    })
}

impl ClockPlan {
    /// TIM2's prescaler (PSC + 1) for the alarm's tick, if the timer clock
    /// divides to it exactly.
    pub fn alarm_prescaler(&self) -> Option<u32> {
        self.timer_hz.is_multiple_of(ALARM_HZ).then_some(self.timer_hz / ALARM_HZ).filter(|&p| p <= 1 << 16)
    }

    /// USARTDIV (BRR, 16x oversampling) for `baud` from the APB clock,
    /// rounded to nearest, and the baud rate it gives.
    pub fn usart_divider(&self, baud: u32) -> Option<(u32, u32)> {
        crate::usart::divider(self.apb_hz, baud).map(|div| (div, self.apb_hz / div))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_pll(pll: &Pll, hse_hz: u32) {
        assert_eq!(pll.ref_hz * pll.m, hse_hz);
        assert!((REF_MIN_HZ..=REF_MAX_HZ).contains(&pll.ref_hz));
        assert!((VCO_MIN_HZ..=VCO_MAX_HZ).contains(&pll.vco_hz), "VCO {}", pll.vco_hz);
        assert!((N_MIN..=N_MAX).contains(&pll.n));
        assert_eq!(pll.vco_hz, pll.ref_hz * pll.n);
    }

    #[test]
    fn stlink_clock_reaches_550_and_520_mhz_exactly() {
        for (boost, hz) in [(true, SYSCLK_BOOST_HZ), (false, SYSCLK_HZ)] {
            let p = plan(Hse::NUCLEO_STLINK, boost).unwrap();
            check_pll(&p.pll1, 8_000_000);
            check_pll(&p.pll2, 8_000_000);
            assert_eq!(p.pll1.p_hz(), Some(hz));
            assert_eq!((p.cpu_hz, p.ahb_hz, p.apb_hz), (hz, hz / 2, hz / 4));
            assert_eq!(p.pll2.r_hz(), Some(PLL2R_HZ));
            assert_eq!(p.flash_latency, 3);
        }
    }

    #[test]
    fn crystal_25mhz_reaches_550_and_520_mhz_exactly() {
        let p = plan(Hse::CRYSTAL_25MHZ, true).unwrap();
        check_pll(&p.pll1, 25_000_000);
        assert_eq!(p.pll1.p_hz(), Some(550_000_000));
        // The original firmware's M5 N110 P1: 5 MHz in, 550 MHz VCO (not
        // the 1100 MHz its notes say: that would exceed the VCO's 836 MHz).
        assert_eq!((p.pll1.m, p.pll1.n, p.pll1.p, p.pll1.vco_hz), (5, 110, Some(1), 550_000_000));
        assert_eq!(p.pll1.range, InputRange::Mhz4To8);
        let p = plan(Hse::CRYSTAL_25MHZ, false).unwrap();
        assert_eq!(p.pll1.p_hz(), Some(520_000_000));
        assert_eq!(p.pll2.r_hz(), Some(200_000_000));
    }

    #[test]
    fn the_alarm_ticks_at_exactly_1_mhz() {
        // The original's SysTick assumed 480 MHz at 550 MHz: 13 % fast.
        for hse in [Hse::NUCLEO_STLINK, Hse::CRYSTAL_25MHZ] {
            for boost in [true, false] {
                let p = plan(hse, boost).unwrap();
                let psc = p.alarm_prescaler().unwrap();
                assert_eq!(p.timer_hz / psc, ALARM_HZ);
                assert_eq!(p.timer_hz % psc, 0);
            }
        }
        assert_eq!(plan(Hse::CRYSTAL_25MHZ, true).unwrap().alarm_prescaler(), Some(275));
        assert_eq!(plan(Hse::CRYSTAL_25MHZ, false).unwrap().alarm_prescaler(), Some(260));
    }

    #[test]
    fn usart_divider_for_115200() {
        let p = plan(Hse::NUCLEO_STLINK, true).unwrap();
        let (div, baud) = p.usart_divider(115_200).unwrap();
        assert_eq!(div, 1194);
        assert!((baud as i64 - 115_200).abs() * 1000 / 115_200 < 1, "{baud}");
        assert_eq!(p.usart_divider(0), None);
        assert_eq!(p.usart_divider(20_000_000), None, "below the minimum divider");
    }

    #[test]
    fn unusable_clocks_are_refused() {
        // 1 MHz cannot reach the 2 MHz minimum reference.
        assert_eq!(plan(Hse { hz: 1_000_000, bypass: true }, true), Err(PlanError::NoPll { target_hz: 550_000_000 }));
        // 7 MHz: no exact 550 MHz within the limits (550/7 is not whole).
        assert!(plan(Hse { hz: 7_000_000, bypass: false }, true).is_err());
    }

    #[test]
    fn flash_wait_states_follow_the_axi_clock() {
        assert_eq!(flash_timing(64_000_000), (0, 0));
        assert_eq!(flash_timing(140_000_000), (1, 1));
        assert_eq!(flash_timing(200_000_000), (2, 2));
        assert_eq!(flash_timing(275_000_000), (3, 3));
    }
}
