// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Power, oscillators, PLLs, buses and kernel clocks: a [`ClockPlan`]
//! turned into register steps (RM0468 §6 PWR, §8 RCC, §4 FLASH).
//!
//! [`bring_up`] lists every write and every wait in order, so the exact bits
//! are host-tested; [`apply`] runs the list on the chip, each wait bounded.
//! The order is RM0468's: supply (LDO) and VOS0 before the frequency rises,
//! the HSE, then the PLLs, flash wait states before the AXI clock rises, the
//! bus dividers before the switch to PLL1, then the kernel clock choices.
//! If the HSE never starts (no ST-LINK clock, no crystal) the chip stays on
//! its 64 MHz HSI and the board says so: [`ClockPlan::hsi`].

use crate::clock::{ClockPlan, Pll};
use crate::mmio;

/// A register the bring-up touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reg {
    RccCr,
    RccCfgr,
    RccD1cfgr,
    RccD2cfgr,
    RccD3cfgr,
    RccPllckselr,
    RccPllcfgr,
    RccPll1divr,
    RccPll2divr,
    RccD1ccipr,
    RccD2ccip2r,
    RccBdcr,
    PwrCr1,
    PwrCsr1,
    PwrCr3,
    PwrD3cr,
    FlashAcr,
}

pub const RCC_BASE: usize = 0x5802_4400;
pub const PWR_BASE: usize = 0x5802_4800;
pub const FLASH_BASE: usize = 0x5200_2000;

impl Reg {
    pub const fn addr(self) -> usize {
        match self {
            Reg::RccCr => RCC_BASE,
            Reg::RccCfgr => RCC_BASE + 0x10,
            Reg::RccD1cfgr => RCC_BASE + 0x18,
            Reg::RccD2cfgr => RCC_BASE + 0x1C,
            Reg::RccD3cfgr => RCC_BASE + 0x20,
            Reg::RccPllckselr => RCC_BASE + 0x28,
            Reg::RccPllcfgr => RCC_BASE + 0x2C,
            Reg::RccPll1divr => RCC_BASE + 0x30,
            Reg::RccPll2divr => RCC_BASE + 0x38,
            Reg::RccD1ccipr => RCC_BASE + 0x4C,
            Reg::RccD2ccip2r => RCC_BASE + 0x54,
            Reg::RccBdcr => RCC_BASE + 0x70,
            Reg::PwrCr1 => PWR_BASE,
            Reg::PwrCsr1 => PWR_BASE + 0x04,
            Reg::PwrCr3 => PWR_BASE + 0x0C,
            Reg::PwrD3cr => PWR_BASE + 0x18,
            Reg::FlashAcr => FLASH_BASE,
        }
    }
}

/// One step of the bring-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// `reg = (reg & !mask) | value`.
    Modify { reg: Reg, mask: u32, value: u32 },
    /// Wait until `reg & mask == value`; `hse` marks the one wait that
    /// may fail on a working chip (no HSE fitted), which is not fatal.
    WaitFor { reg: Reg, mask: u32, value: u32, hse: bool },
}

mod bits {
    pub const CR_HSI48ON: u32 = 1 << 12;
    pub const CR_HSEON: u32 = 1 << 16;
    pub const CR_HSERDY: u32 = 1 << 17;
    pub const CR_HSEBYP: u32 = 1 << 18;
    pub const CR_PLL1ON: u32 = 1 << 24;
    pub const CR_PLL1RDY: u32 = 1 << 25;
    pub const CR_PLL2ON: u32 = 1 << 26;
    pub const CR_PLL2RDY: u32 = 1 << 27;
    pub const CFGR_SW: u32 = 0b111;
    pub const CFGR_SWS: u32 = 0b111 << 3;
    pub const SW_PLL1: u32 = 3;
    /// HPRE (bits 3:0) /2 and the APB prescalers (3 bits) /2.
    pub const HPRE_DIV2: u32 = 0b1000;
    pub const PPRE_DIV2: u32 = 0b100;
    pub const PLLSRC_HSE: u32 = 2;
    pub const DIVP1EN: u32 = 1 << 16;
    pub const DIVR2EN: u32 = 1 << 21;
    /// D1CCIPR.OCTOSPISEL = pll2_r_ck, SDMMCSEL = pll2_r_ck.
    pub const OCTOSPISEL_MASK: u32 = 0b11 << 4;
    pub const OCTOSPISEL_PLL2R: u32 = 0b10 << 4;
    pub const SDMMCSEL: u32 = 1 << 16;
    /// D2CCIP2R: USART234578SEL = rcc_pclk1, RNGSEL = hsi48_ck.
    pub const USART234578SEL_MASK: u32 = 0b111;
    pub const RNGSEL_MASK: u32 = 0b11 << 8;
    /// PWR_CR3 for the LDO: LDOEN, no BYPASS, SCUEN cleared (locks it).
    pub const CR3_SUPPLY_MASK: u32 = 0b111;
    pub const CR3_LDOEN: u32 = 1 << 1;
    pub const CSR1_ACTVOSRDY: u32 = 1 << 13;
    /// PWR_D3CR.VOS: 0b00 is VOS0 on the H72x/H73x (RM0468 §6.8.6).
    pub const D3CR_VOS_MASK: u32 = 0b11 << 14;
    pub const D3CR_VOSRDY: u32 = 1 << 13;
    pub const CR1_DBP: u32 = 1 << 8;
    /// RCC_BDCR: LSEON, LSEDRV low drive (bits 4:3 = 0).
    pub const BDCR_LSEON: u32 = 1;
    pub const BDCR_LSEDRV_MASK: u32 = 0b11 << 3;
    pub const BDCR_LSERDY: u32 = 1 << 1;
    pub const ACR_LATENCY_MASK: u32 = 0b1111;
    pub const ACR_WRHIGHFREQ_MASK: u32 = 0b11 << 4;
}
pub use bits::BDCR_LSERDY;

/// PLLxDIVR: the dividers less one, P at bit 9, Q at 16, R at 24.
pub fn pll_divr(pll: &Pll) -> u32 {
    let field = |d: Option<u32>| d.map_or(0, |d| d - 1);
    (pll.n - 1) | field(pll.p) << 9 | field(pll.q) << 16 | field(pll.r) << 24
}

/// The bring-up for `plan`: 23 steps.
pub fn bring_up(plan: &ClockPlan) -> [Step; 23] {
    use bits::*;
    use Step::{Modify, WaitFor};
    let hse = if plan.hse.bypass { CR_HSEBYP } else { 0 };
    let pllckselr = PLLSRC_HSE | plan.pll1.m << 4 | plan.pll2.m << 12;
    // PLLxRGE at bits 3:2 (PLL1) and 7:6 (PLL2); VCOSEL 0 is the wide VCO;
    // fractional mode off.
    let pllcfgr = (plan.pll1.range as u32) << 2 | (plan.pll2.range as u32) << 6 | DIVP1EN | DIVR2EN;
    let latency = plan.flash_latency | plan.flash_wrhighfreq << 4;
    [
        Modify { reg: Reg::PwrCr3, mask: CR3_SUPPLY_MASK, value: CR3_LDOEN },
        WaitFor { reg: Reg::PwrCsr1, mask: CSR1_ACTVOSRDY, value: CSR1_ACTVOSRDY, hse: false },
        Modify { reg: Reg::PwrD3cr, mask: D3CR_VOS_MASK, value: 0 },
        WaitFor { reg: Reg::PwrD3cr, mask: D3CR_VOSRDY, value: D3CR_VOSRDY, hse: false },
        Modify { reg: Reg::RccCr, mask: CR_HSEBYP, value: hse },
        Modify { reg: Reg::RccCr, mask: CR_HSEON, value: CR_HSEON },
        WaitFor { reg: Reg::RccCr, mask: CR_HSERDY, value: CR_HSERDY, hse: true },
        Modify { reg: Reg::RccPllckselr, mask: 0x03F3_F3F3, value: pllckselr },
        Modify { reg: Reg::RccPll1divr, mask: 0x7F7F_FFFF, value: pll_divr(&plan.pll1) },
        Modify { reg: Reg::RccPll2divr, mask: 0x7F7F_FFFF, value: pll_divr(&plan.pll2) },
        Modify { reg: Reg::RccPllcfgr, mask: 0x01FF_00FF, value: pllcfgr },
        Modify { reg: Reg::RccCr, mask: CR_PLL1ON | CR_PLL2ON, value: CR_PLL1ON | CR_PLL2ON },
        WaitFor { reg: Reg::RccCr, mask: CR_PLL1RDY | CR_PLL2RDY, value: CR_PLL1RDY | CR_PLL2RDY, hse: false },
        Modify { reg: Reg::FlashAcr, mask: ACR_LATENCY_MASK | ACR_WRHIGHFREQ_MASK, value: latency },
        WaitFor { reg: Reg::FlashAcr, mask: ACR_LATENCY_MASK, value: plan.flash_latency, hse: false },
        Modify { reg: Reg::RccD1cfgr, mask: 0xF7F, value: HPRE_DIV2 | PPRE_DIV2 << 4 },
        Modify { reg: Reg::RccD2cfgr, mask: 0x770, value: PPRE_DIV2 << 4 | PPRE_DIV2 << 8 },
        Modify { reg: Reg::RccD3cfgr, mask: 0x70, value: PPRE_DIV2 << 4 },
        Modify { reg: Reg::RccCfgr, mask: CFGR_SW, value: SW_PLL1 },
        WaitFor { reg: Reg::RccCfgr, mask: CFGR_SWS, value: SW_PLL1 << 3, hse: false },
        Modify { reg: Reg::RccD1ccipr, mask: OCTOSPISEL_MASK | SDMMCSEL, value: OCTOSPISEL_PLL2R | SDMMCSEL },
        Modify { reg: Reg::RccD2ccip2r, mask: USART234578SEL_MASK | RNGSEL_MASK, value: 0 },
        Modify { reg: Reg::RccCr, mask: CR_HSI48ON, value: CR_HSI48ON },
    ]
}

/// The slow references, started and not waited for: HSI48 for the RNG is
/// in [`bring_up`]; the LSE (the NUCLEO's 32.768 kHz crystal, seconds to
/// start) is the DTS's reference, which checks it is ready before use.
pub const LSE_START: [Step; 3] = [
    Step::Modify { reg: Reg::PwrCr1, mask: bits::CR1_DBP, value: bits::CR1_DBP },
    Step::Modify { reg: Reg::RccBdcr, mask: bits::BDCR_LSEDRV_MASK, value: 0 },
    Step::Modify { reg: Reg::RccBdcr, mask: bits::BDCR_LSEON, value: bits::BDCR_LSEON },
];

/// How a bring-up ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every step done: the chip runs the plan.
    Planned,
    /// The HSE never became ready: the chip is still on HSI (64 MHz), with
    /// VOS0 set and nothing else changed.
    NoHse,
    /// A wait other than the HSE's timed out: `step` is its index.
    Stuck { step: usize },
}

/// Polls per wait: tens of milliseconds at the HSI's 64 MHz, far longer
/// than any of these waits takes (the HSE starts in under 2 ms).
const WAIT_POLLS: u32 = 2_000_000;

/// Runs `steps` on `bus`, stopping at the first wait that does not end.
pub fn run(steps: &[Step], bus: &mut impl RegisterBus) -> Outcome {
    for (i, step) in steps.iter().enumerate() {
        match *step {
            Step::Modify { reg, mask, value } => {
                let old = bus.read(reg);
                bus.write(reg, (old & !mask) | value);
            }
            Step::WaitFor { reg, mask, value, hse } => {
                if !(0..WAIT_POLLS).any(|_| bus.read(reg) & mask == value) {
                    return if hse { Outcome::NoHse } else { Outcome::Stuck { step: i } };
                }
            }
        }
    }
    Outcome::Planned
}

/// Register access for [`run`]: the chip's, or a model in host tests.
pub trait RegisterBus {
    fn read(&mut self, reg: Reg) -> u32;
    fn write(&mut self, reg: Reg, value: u32);
}

/// The chip's own registers.
pub struct Chip;

impl RegisterBus for Chip {
    fn read(&mut self, reg: Reg) -> u32 {
        // SAFETY: `reg` is one of the RCC, PWR or FLASH registers above.
        unsafe { mmio::read(reg.addr()) }
    }
    fn write(&mut self, reg: Reg, value: u32) {
        // SAFETY: as for `read`; the values are the bring-up's.
        unsafe { mmio::write(reg.addr(), value) }
    }
}

/// Applies `plan` to the chip and starts the LSE.
///
/// # Safety
/// Once, at boot, before any peripheral clocked from these buses runs.
pub unsafe fn apply(plan: &ClockPlan) -> Outcome {
    let outcome = run(&bring_up(plan), &mut Chip);
    run(&LSE_START, &mut Chip);
    outcome
}

/// Whether the part may run at 550 MHz: FLASH_OPTSR2_CUR.CPUFREQ_BOOST.
pub fn boost_enabled() -> bool {
    // SAFETY: a read of the FLASH option status register.
    unsafe { mmio::read(FLASH_BASE + 0x70) & (1 << 2) != 0 }
}

/// Whether the LSE is running (the DTS reference).
pub fn lse_ready() -> bool {
    // SAFETY: a read of RCC_BDCR.
    unsafe { mmio::read(Reg::RccBdcr.addr()) & bits::BDCR_LSERDY != 0 }
}

/// A peripheral clock gate: an enable register and its bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gate {
    pub offset: usize,
    pub bit: u32,
}

impl Gate {
    pub const OCTOSPI1: Gate = Gate { offset: 0xD4, bit: 14 };
    pub const SDMMC1: Gate = Gate { offset: 0xD4, bit: 16 };
    pub const OCTOSPIM: Gate = Gate { offset: 0xD4, bit: 21 };
    pub const ETH1MAC: Gate = Gate { offset: 0xD8, bit: 15 };
    pub const ETH1TX: Gate = Gate { offset: 0xD8, bit: 16 };
    pub const ETH1RX: Gate = Gate { offset: 0xD8, bit: 17 };
    pub const RNG: Gate = Gate { offset: 0xDC, bit: 6 };
    pub const TIM2: Gate = Gate { offset: 0xE8, bit: 0 };
    pub const USART3: Gate = Gate { offset: 0xE8, bit: 18 };
    pub const SYSCFG: Gate = Gate { offset: 0xF4, bit: 1 };
    pub const DTS: Gate = Gate { offset: 0xF4, bit: 26 };

    /// The GPIO port `port` (0 = A ... 10 = K) on AHB4.
    pub const fn gpio(port: u8) -> Gate {
        Gate { offset: 0xE0, bit: port as u32 }
    }

    /// Turns the clock on; the read back makes the write take effect
    /// before the peripheral is touched (RM0468 §8.5.10).
    pub fn enable(self) {
        let addr = RCC_BASE + self.offset;
        // SAFETY: an RCC enable register; setting one gate bit only powers
        // that peripheral's clock.
        unsafe {
            mmio::write(addr, mmio::read(addr) | 1 << self.bit);
            let _ = mmio::read(addr);
        }
    }
}

impl ClockPlan {
    /// The chip as it comes out of reset and stays without an HSE: HSI at
    /// 64 MHz, every bus /1, timers at their bus clock.
    pub const fn hsi(hse: crate::clock::Hse) -> ClockPlan {
        const HSI: u32 = 64_000_000;
        let off = Pll {
            m: 0,
            n: 0,
            p: None,
            q: None,
            r: None,
            range: crate::clock::InputRange::Mhz1To2,
            ref_hz: 0,
            vco_hz: 0,
        };
        ClockPlan {
            hse,
            pll1: off,
            pll2: off,
            sysclk_hz: HSI,
            cpu_hz: HSI,
            ahb_hz: HSI,
            apb_hz: HSI,
            timer_hz: HSI,
            flash_latency: 7,
            flash_wrhighfreq: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{plan, Hse};

    /// Registers as a map, with the ready flags the hardware would raise.
    struct Model {
        regs: [(Reg, u32); 17],
        hse_starts: bool,
        writes: usize,
    }

    impl Model {
        fn new(hse_starts: bool) -> Model {
            use Reg::*;
            let all = [
                RccCr,
                RccCfgr,
                RccD1cfgr,
                RccD2cfgr,
                RccD3cfgr,
                RccPllckselr,
                RccPllcfgr,
                RccPll1divr,
                RccPll2divr,
                RccD1ccipr,
                RccD2ccip2r,
                RccBdcr,
                PwrCr1,
                PwrCsr1,
                PwrCr3,
                PwrD3cr,
                FlashAcr,
            ];
            let mut regs = all.map(|r| (r, 0));
            // Reset values that matter: HSI on and ready, LDO on (CR3 =
            // 0x46 on the H723: SCUEN, LDOEN, reserved bit 6), VOS3, 7
            // wait states.
            regs[0].1 = 0b101;
            regs[14].1 = 0x46;
            regs[15].1 = 0b01 << 14;
            regs[16].1 = 0x37;
            Model { regs, hse_starts, writes: 0 }
        }
        fn get(&self, reg: Reg) -> u32 {
            self.regs.iter().find(|(r, _)| *r == reg).unwrap().1
        }
        fn set(&mut self, reg: Reg, value: u32) {
            self.regs.iter_mut().find(|(r, _)| *r == reg).unwrap().1 = value;
        }
    }

    impl RegisterBus for Model {
        fn read(&mut self, reg: Reg) -> u32 {
            let v = self.get(reg);
            match reg {
                Reg::PwrCsr1 => v | bits::CSR1_ACTVOSRDY,
                Reg::PwrD3cr => v | bits::D3CR_VOSRDY,
                Reg::RccCr => {
                    let mut v = v;
                    if v & bits::CR_HSEON != 0 && self.hse_starts {
                        v |= bits::CR_HSERDY;
                    }
                    if v & bits::CR_PLL1ON != 0 {
                        v |= bits::CR_PLL1RDY;
                    }
                    if v & bits::CR_PLL2ON != 0 {
                        v |= bits::CR_PLL2RDY;
                    }
                    v
                }
                Reg::RccCfgr => v | (v & bits::CFGR_SW) << 3,
                _ => v,
            }
        }
        fn write(&mut self, reg: Reg, value: u32) {
            self.writes += 1;
            self.set(reg, value);
        }
    }

    #[test]
    fn crystal_at_550_mhz_gives_the_original_firmwares_registers() {
        let p = plan(Hse::CRYSTAL_25MHZ, true).unwrap();
        let mut m = Model::new(true);
        assert_eq!(run(&bring_up(&p), &mut m), Outcome::Planned);
        // PLL1 M5 N110 P1 (fields hold N-1, P-1); PLL2 as the plan chose.
        assert_eq!(m.get(Reg::RccPll1divr), 109);
        assert_eq!(p.pll2.r_hz(), Some(200_000_000));
        assert_eq!(m.get(Reg::RccPll2divr) >> 24, p.pll2.r.unwrap() - 1);
        assert_eq!(m.get(Reg::RccPll2divr) & 0x1FF, p.pll2.n - 1);
        assert_eq!(m.get(Reg::RccPllckselr), 2 | 5 << 4 | p.pll2.m << 12);
        // Input range 4-8 MHz (2) for both, wide VCOs, P1 and R2 outputs.
        assert_eq!(m.get(Reg::RccPllcfgr), 2 << 2 | 2 << 6 | 1 << 16 | 1 << 21);
        // No bypass: a crystal.
        assert_eq!(m.get(Reg::RccCr) & bits::CR_HSEBYP, 0);
        // 3 wait states, WRHIGHFREQ 3, over the reset value's 7.
        assert_eq!(m.get(Reg::FlashAcr) & 0x3F, 0x33);
        // LDO only, SCUEN cleared; VOS0.
        assert_eq!(m.get(Reg::PwrCr3) & 0b111, 0b010);
        assert_eq!(m.get(Reg::PwrD3cr) & bits::D3CR_VOS_MASK, 0);
        // HCLK /2, every APB /2, core /1.
        assert_eq!(m.get(Reg::RccD1cfgr), 0b1000 | 0b100 << 4);
        assert_eq!(m.get(Reg::RccD2cfgr), 0b100 << 4 | 0b100 << 8);
        assert_eq!(m.get(Reg::RccD3cfgr), 0b100 << 4);
        assert_eq!(m.get(Reg::RccCfgr) & 0b111, 3);
        // OCTOSPI and SDMMC from PLL2R; HSI48 on for the RNG.
        assert_eq!(m.get(Reg::RccD1ccipr), 0b10 << 4 | 1 << 16);
        assert_ne!(m.get(Reg::RccCr) & bits::CR_HSI48ON, 0);
    }

    #[test]
    fn stlink_clock_is_bypassed_and_in_range() {
        for boost in [true, false] {
            let p = plan(Hse::NUCLEO_STLINK, boost).unwrap();
            let mut m = Model::new(true);
            assert_eq!(run(&bring_up(&p), &mut m), Outcome::Planned);
            assert_ne!(m.get(Reg::RccCr) & bits::CR_HSEBYP, 0);
            let divr = m.get(Reg::RccPll1divr);
            let (n, p1) = ((divr & 0x1FF) + 1, ((divr >> 9) & 0x7F) + 1);
            let m1 = (m.get(Reg::RccPllckselr) >> 4) & 0x3F;
            assert_eq!(8_000_000 / m1 * n / p1, if boost { 550_000_000 } else { 520_000_000 });
        }
    }

    #[test]
    fn the_voltage_is_raised_before_any_clock_and_wait_states_before_the_switch() {
        let p = plan(Hse::NUCLEO_STLINK, true).unwrap();
        let steps = bring_up(&p);
        let at = |pred: &dyn Fn(&Step) -> bool| steps.iter().position(pred).unwrap();
        let vos = at(&|s| matches!(s, Step::WaitFor { reg: Reg::PwrD3cr, .. }));
        let hse = at(&|s| matches!(s, Step::Modify { reg: Reg::RccCr, mask: bits::CR_HSEON, .. }));
        let flash = at(&|s| matches!(s, Step::WaitFor { reg: Reg::FlashAcr, .. }));
        let switch = at(&|s| matches!(s, Step::Modify { reg: Reg::RccCfgr, .. }));
        let dividers = at(&|s| matches!(s, Step::Modify { reg: Reg::RccD1cfgr, .. }));
        assert!(vos < hse && hse < flash && flash < switch && dividers < switch);
    }

    #[test]
    fn no_hse_leaves_the_chip_on_hsi_untouched_past_the_voltage() {
        let p = plan(Hse::NUCLEO_STLINK, true).unwrap();
        let mut m = Model::new(false);
        assert_eq!(run(&bring_up(&p), &mut m), Outcome::NoHse);
        assert_eq!(m.get(Reg::RccCfgr) & 0b111, 0, "still on HSI");
        assert_eq!(m.get(Reg::RccPll1divr), 0);
        assert_eq!(m.get(Reg::FlashAcr), 0x37, "wait states unchanged");
        let hsi = ClockPlan::hsi(Hse::NUCLEO_STLINK);
        assert_eq!(hsi.alarm_prescaler(), Some(64));
        assert_eq!(hsi.usart_divider(115_200).unwrap().0, 556);
    }

    #[test]
    fn lse_start_opens_the_backup_domain_first() {
        let mut m = Model::new(true);
        assert_eq!(run(&LSE_START, &mut m), Outcome::Planned);
        assert_eq!(m.get(Reg::PwrCr1) & bits::CR1_DBP, bits::CR1_DBP);
        assert_eq!(m.get(Reg::RccBdcr) & 0b11001, 1);
        assert_eq!(m.writes, 3);
    }
}
