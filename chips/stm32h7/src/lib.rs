// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The STM32H723/733 (RM0468), for the NUCLEO-H723ZG with the NUCLEO-MEM
//! shield. Other H72x/H73x parts share the peripherals; the H74x/H75x
//! (RM0433) differ in clocks, power and OCTOSPI and are not covered.
//!
//! Each driver keeps the logic that does not touch registers apart from
//! the register code (clock-tree planning, descriptor bookkeeping, the eMMC
//! command sequence, the delay-block window choice, memory tests), so it
//! is host-tested; the register code builds for `thumbv7em-none-eabihf`
//! and is verified on hardware only (`docs/hardware.md` says what was).
//!
//! Register facts come from RM0468 (and the STM32H723 datasheet DS13313
//! for electrical limits); where a value came from elsewhere the comment
//! says so.

#![no_std]

pub mod aps6408;
pub mod cache;
pub mod chip;
pub mod clock;
pub mod dlyb;
pub mod dts;
pub mod emmc;
pub mod eth;
pub mod gpio;
pub mod lan8742;
pub mod mmio;
pub mod octospi;
pub mod psram;
#[cfg(test)]
mod psram_model;
pub mod psram_test;
pub mod rcc;
pub mod rng;
pub mod sdmmc;
pub mod tim2;
pub mod usart;

use cortexm7::{initialize_ram_jump_to_main, unhandled_interrupt, CortexM7, CortexMVariant};

/// External interrupts of the STM32H723 (RM0468 table 147: 0-162).
pub const IRQ_COUNT: usize = 163;

/// Interrupt numbers (RM0468 table 147).
pub mod irq {
    pub const TIM2: u32 = 28;
    pub const USART3: u32 = 39;
    pub const SDMMC1: u32 = 49;
    pub const ETH: u32 = 61;
    pub const RNG: u32 = 80;
    pub const OCTOSPI1: u32 = 92;
    pub const DTS: u32 = 147;
}

extern "C" {
    // The initial stack pointer: not a function, but the vector table's
    // first entry needs one.
    fn _estack();
}

#[cfg_attr(all(target_arch = "arm", target_os = "none"), link_section = ".vectors")]
#[cfg_attr(all(target_arch = "arm", target_os = "none"), used)]
pub static BASE_VECTORS: [unsafe extern "C" fn(); 16] = [
    _estack,
    initialize_ram_jump_to_main,
    unhandled_interrupt,          // NMI
    CortexM7::HARD_FAULT_HANDLER, // Hard Fault (MemManage escalates to it)
    unhandled_interrupt,          // MemManage
    unhandled_interrupt,          // BusFault
    unhandled_interrupt,          // UsageFault
    unhandled_interrupt,
    unhandled_interrupt,
    unhandled_interrupt,
    unhandled_interrupt,
    CortexM7::SVC_HANDLER, // SVC
    unhandled_interrupt,   // DebugMon
    unhandled_interrupt,
    unhandled_interrupt,       // PendSV
    CortexM7::SYSTICK_HANDLER, // SysTick
];

#[cfg_attr(all(target_arch = "arm", target_os = "none"), link_section = ".irqs")]
#[cfg_attr(all(target_arch = "arm", target_os = "none"), used)]
pub static IRQS: [unsafe extern "C" fn(); IRQ_COUNT] = [CortexM7::GENERIC_ISR; IRQ_COUNT];
