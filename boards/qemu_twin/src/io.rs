//! Kernel panic output: the panic message, kernel and process state, on the
//! console UART; then QEMU exits with status 1 so a test run cannot hang.

use core::panic::PanicInfo;

use kernel::debug;
use kernel::hil::uart;

#[cfg(not(test))]
#[panic_handler]
pub unsafe fn panic_fmt(info: &PanicInfo) -> ! {
    debug::panic_print::<qemu_rv32_virt_chip::uart::UartPanicWriter, _, _>(
        qemu_rv32_virt_chip::uart::UartPanicWriterConfig {
            params: uart::Parameters {
                baud_rate: 115200,
                stop_bits: uart::StopBits::One,
                parity: uart::Parity::None,
                hw_flow_control: false,
                width: uart::Width::Eight,
            },
        },
        info,
        &rv32i::support::nop,
        crate::PANIC_RESOURCES.get(),
    );
    // Semihosting SYS_EXIT: leave QEMU with a failure status.
    rv32i::semihost_command(0x18, 1, 0);
    loop {}
}
