// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Kernel panic output on UART0, then QEMU exits with status 1 (semihosting)
//! so a test run cannot hang.

use core::panic::PanicInfo;

use kernel::debug;

/// Arm semihosting `SYS_EXIT_EXTENDED` (0x20) with ADP_Stopped_ApplicationExit
/// and exit code 1; QEMU runs with `-semihosting`.
fn exit_failure() -> ! {
    #[cfg(all(target_arch = "arm", target_os = "none"))]
    {
        let block: [u32; 2] = [0x20026, 1];
        // SAFETY: `bkpt 0xab` is the semihosting trap; QEMU reads `block`
        // (op in r0, argument block in r1) and exits.
        unsafe {
            core::arch::asm!("bkpt 0xab", in("r0") 0x20u32, in("r1") block.as_ptr(), options(nostack));
        }
    }
    loop {
        core::hint::spin_loop();
    }
}

#[cfg(not(test))]
#[panic_handler]
pub unsafe fn panic_fmt(info: &PanicInfo) -> ! {
    // SAFETY: the kernel is stopping; nothing else uses the UART from here.
    unsafe {
        debug::panic_print::<mps2::uart::UartPanicWriter, _, _>(
            (),
            info,
            &cortexm7::support::nop,
            crate::PANIC_RESOURCES.get(),
        );
    }
    exit_failure()
}
