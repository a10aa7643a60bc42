// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! QEMU's `mps2-an500` machine: a Cortex-M7 with an ARMv7-M MPU, CMSDK APB
//! peripherals (UARTs, timers) and 16 MiB of external RAM at 0x60000000.
//! The Cortex-M7 twin of the NUCLEO-H723ZG runs on it: only what that twin
//! needs is here (console UART, a timer for the alarm, interrupts).
//!
//! Facts from QEMU's model (`hw/arm/mps2.c`): SYSCLK 25 MHz; UART0 at
//! 0x40004000 with RX on IRQ 0 and TX on IRQ 1; the dual timer at
//! 0x40002000 on IRQ 10; 32 external interrupts.

#![no_std]

pub mod chip;
pub mod dualtimer;
pub mod uart;

use cortexm7::{initialize_ram_jump_to_main, unhandled_interrupt, CortexM7, CortexMVariant};

/// The clock of every APB peripheral.
pub const SYSCLK_HZ: u32 = 25_000_000;
/// External interrupts of the AN500 image.
pub const IRQ_COUNT: usize = 32;

/// Interrupt numbers.
pub mod irq {
    pub const UART0_RX: u32 = 0;
    pub const UART0_TX: u32 = 1;
    pub const DUALTIMER: u32 = 10;
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
