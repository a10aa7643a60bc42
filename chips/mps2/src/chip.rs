// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The chip: interrupts to the peripherals, the MPU the board configured.

use core::fmt::Write;

use cortexm7::{CortexM7, CortexMVariant};
use kernel::platform::chip::{Chip, InterruptService};

use crate::dualtimer::DualTimer;
use crate::irq;
use crate::uart::Uart;

/// The Cortex-M7 MPU: QEMU 10 gives the AN500 8 regions (the H723 has 16).
pub type Mpu = cortexm7::mpu::MPU;

/// The peripherals the twin uses.
pub struct Mps2Peripherals<'a> {
    pub uart0: Uart<'a>,
    pub timer: DualTimer<'a>,
}

impl Mps2Peripherals<'_> {
    pub fn new() -> Self {
        Mps2Peripherals {
            uart0: Uart::new(crate::uart::UART0_BASE),
            timer: DualTimer::new(crate::dualtimer::DUALTIMER_BASE),
        }
    }
}

impl Default for Mps2Peripherals<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl InterruptService for Mps2Peripherals<'_> {
    fn service_interrupt(&self, interrupt: u32) -> bool {
        match interrupt {
            irq::UART0_RX | irq::UART0_TX => self.uart0.handle_interrupt(),
            irq::DUALTIMER => self.timer.handle_interrupt(),
            _ => return false,
        }
        true
    }
}

pub struct Mps2<'a, I: InterruptService + 'a> {
    mpu: Mpu,
    userspace_kernel_boundary: cortexm7::syscall::SysCall,
    interrupt_service: &'a I,
}

impl<'a, I: InterruptService + 'a> Mps2<'a, I> {
    /// `mpu`: built by the board, which knows what memory lies where.
    ///
    /// # Safety
    /// Once per boot: the chip owns the NVIC and the syscall boundary.
    pub unsafe fn new(interrupt_service: &'a I, mpu: Mpu) -> Self {
        // SAFETY: one boundary for the one chip (the caller's promise).
        Mps2 { mpu, userspace_kernel_boundary: unsafe { cortexm7::syscall::SysCall::new() }, interrupt_service }
    }
}

impl<'a, I: InterruptService + 'a> Chip for Mps2<'a, I> {
    type MPU = Mpu;
    type UserspaceKernelBoundary = cortexm7::syscall::SysCall;
    type ThreadIdProvider = cortexm7::thread_id::CortexMThreadIdProvider;

    fn init() {
        cortexm7::nvic::disable_all();
        cortexm7::nvic::clear_all_pending();
        cortexm7::nvic::enable_all();
    }

    fn service_pending_interrupts(&self) {
        while let Some(interrupt) = cortexm7::nvic::next_pending() {
            if !self.interrupt_service.service_interrupt(interrupt) {
                panic!("unhandled interrupt {}", interrupt);
            }
            let n = cortexm7::nvic::Nvic::new(interrupt);
            n.clear_pending();
            n.enable();
        }
    }

    fn has_pending_interrupts(&self) -> bool {
        cortexm7::nvic::has_pending()
    }

    fn mpu(&self) -> &Self::MPU {
        &self.mpu
    }

    fn userspace_kernel_boundary(&self) -> &Self::UserspaceKernelBoundary {
        &self.userspace_kernel_boundary
    }

    fn sleep(&self) {
        // SAFETY: waiting for an interrupt changes no state.
        unsafe {
            cortexm7::scb::unset_sleepdeep();
            cortexm7::support::wfi();
        }
    }

    fn with_interrupts_disabled<F, R>(&self, f: F) -> R
    where
        F: FnOnce() -> R,
    {
        cortexm7::support::with_interrupts_disabled(f)
    }

    unsafe fn print_state(_this: Option<&Self>, write: &mut dyn Write) {
        // SAFETY: the caller (the panic handler) holds the machine.
        unsafe { CortexM7::print_cortexm_state(write) }
    }
}
