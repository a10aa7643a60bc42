// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Kernel panic output on the ST-LINK console (USART3), then the red LED
//! (LD3) blinks forever.

use core::panic::PanicInfo;

use kernel::debug;
use kernel::hil::led::LedHigh;
use stm32h7::gpio::{Pin, Port};

#[cfg(not(test))]
#[panic_handler]
pub unsafe fn panic_fmt(info: &PanicInfo) -> ! {
    let red = Pin::new(Port::B, 14);
    red.enable_port();
    let led = &mut LedHigh::new(&red);
    // SAFETY: the kernel is stopping; nothing else uses the USART from here.
    unsafe {
        debug::panic::<_, stm32h7::usart::UsartPanicWriter, _, _>(
            &mut [led],
            (),
            info,
            &cortexm7::support::nop,
            crate::PANIC_RESOURCES.get(),
        )
    }
}
