//! sysinfo: prints where it runs and blinks the green LED (LD1) as the
//! board's heartbeat.
//!
//! The address of a stack variable shows that process memory is in PSRAM;
//! the system tests check it against the board's PSRAM window.

#![no_main]
#![no_std]

extern crate panic_restart;

use libtock_leds::Leds;
use libtock_platform::Syscalls;
use libtock_runtime::{set_main, stack_size, TockSyscalls};
use say::say;

set_main! {main}
stack_size! {0x400}

/// LD1, the green LED, as on the NUCLEO board.
const HEARTBEAT_LED: u32 = 0;
/// Heartbeat half-period: slow enough not to flood the console log.
const TOGGLE_EVERY_MS: u32 = 2000;

fn main() {
    let marker = 0u32;
    let stack_addr = core::ptr::addr_of!(marker) as usize;
    let ram_start = TockSyscalls::memop_app_ram_start().map_or(0, |p| p as usize);
    say!("sysinfo: hello; memory starts at {:#010x}, stack variable at {:#010x}", ram_start, stack_addr);
    let leds = Leds::<TockSyscalls>::count().unwrap_or(0);
    say!("sysinfo: {} LEDs; heartbeat on LED {}", leds, HEARTBEAT_LED);
    loop {
        // Toggling (not setting) makes a visible change even right after a
        // restart, whatever state the kernel kept the LED in.
        let _ = Leds::<TockSyscalls>::toggle(HEARTBEAT_LED);
        let _ = timing::sleep_ms::<TockSyscalls>(TOGGLE_EVERY_MS);
        core::hint::black_box(&marker);
    }
}
